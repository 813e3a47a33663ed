"""Fault logic without sockets: how each fault shapes chunks, seeded randomness, and argument parsing."""

import pytest

from Seamline.engine.errors import SeamError
from Seamline.engine.faults import (
    Bandwidth,
    CloseAfter,
    Direction,
    Drop,
    Hang,
    Latency,
    Slicing,
    address_of,
    direction_of,
    probability_of,
    rate_of,
    size_of,
)
from Seamline.engine.faults.kinds import Close, Hold

DOWN = Direction.DOWNSTREAM


def test_latency_adds_its_delay_to_every_chunk():
    effect = Latency(delay=0.3).start(1, DOWN)
    assert effect.shape([(10.0, b"a"), (10.5, b"b")]) == [(10.3, b"a"), (10.8, b"b")]
    assert effect.fault.applied == 2


def test_latency_only_meets_the_direction_it_names():
    assert Latency(delay=0.3, direction=Direction.UPSTREAM).start(1, DOWN) is None
    both = Latency(delay=0.3, direction=Direction.BOTH)
    assert both.start(1, DOWN) is not None and both.start(1, Direction.UPSTREAM) is not None


def test_jitter_is_repeated_by_the_seed_and_differs_without_it():
    def delays(seed: int, serial: int = 1) -> list[float]:
        effect = Latency(delay=0.1, jitter=0.05, seed=seed).start(serial, DOWN)
        return [due for due, _ in effect.shape([(0.0, b"x")] * 20)]

    assert delays(5) == delays(5)
    assert delays(5) != delays(6)
    assert delays(5, serial=1) != delays(5, serial=2)
    assert all(0.05 <= delay <= 0.15 for delay in delays(5))


def test_toxicity_spares_a_seeded_share_of_connections():
    fault = Latency(delay=0.1, toxicity=0.3, seed=11)
    met = [fault.start(serial, DOWN) is not None for serial in range(1, 201)]
    assert met == [
        Latency(delay=0.1, toxicity=0.3, seed=11).start(serial, DOWN) is not None for serial in range(1, 201)
    ]
    assert 40 <= sum(met) <= 80


def test_bandwidth_releases_data_when_the_rate_would_have_carried_it():
    effect = Bandwidth(rate=1000).start(1, DOWN)
    pieces = effect.shape([(0.0, b"x" * 100)])
    assert [len(data) for _, data in pieces] == [20] * 5  # 20 ms of the rate per slice
    assert [round(due, 3) for due, _ in pieces] == [0.02, 0.04, 0.06, 0.08, 0.1]
    later = effect.shape([(0.05, b"y" * 20)])  # arrives while the link is still busy: queued behind
    assert round(later[0][0], 3) == 0.12


def test_slicing_splits_into_sized_pieces_spaced_by_the_delay():
    pieces = Slicing(size=4, delay=0.01).start(1, DOWN).shape([(1.0, b"abcdefghij")])
    assert pieces == [(1.0, b"abcd"), (1.01, b"efgh"), (1.02, b"ij")]


def test_drop_is_seeded_and_counts_what_it_dropped():
    def kept(seed: int) -> list[bytes]:
        effect = Drop(probability=0.5, seed=seed).start(1, DOWN)
        return [data for _, data in effect.shape([(0.0, bytes([n])) for n in range(40)])]

    assert kept(3) == kept(3)
    assert 5 < len(kept(3)) < 35
    assert Drop(probability=0.0).start(1, DOWN).shape([(0.0, b"a")]) == [(0.0, b"a")]


def test_close_after_lets_the_limit_through_then_closes():
    effect = CloseAfter(limit=5).start(1, DOWN)
    assert effect.shape([(0.0, b"abc")]) == [(0.0, b"abc")]
    assert effect.shape([(1.0, b"defg")]) == [(1.0, b"de"), (1.0, Close())]


def test_hang_holds_what_comes_after_its_bytes():
    fault = Hang(after=2)
    pieces = fault.start(1, DOWN).shape([(0.0, b"abcd")])
    assert pieces == [(0.0, b"ab"), (0.0, Hold(fault, b"cd"))]
    at_once = Hang()
    assert at_once.start(1, DOWN).shape([(0.0, b"x")]) == [(0.0, Hold(at_once, b"x"))]


def test_actions_pass_later_faults_unchanged():
    hold = Hold(Hang(), b"x")
    assert Latency(delay=1).start(1, DOWN).shape([(0.0, hold)]) == [(0.0, hold)]


def test_descriptions_read_as_log_lines():
    assert Latency(delay=0.3, jitter=0.02, direction=Direction.BOTH).describe() == "latency 300ms ±20ms both"
    assert Bandwidth(rate=100_000).describe() == "bandwidth 100 KB/s downstream"
    assert Drop(probability=0.1, toxicity=0.5).describe() == "drop 10% of chunks downstream, toxicity 50%"
    assert Hang(after=1500).describe() == "hang after 1.5 KB downstream"
    assert Slicing(size=10, delay=0.005).describe() == "slice into 10 B every 5ms downstream"


@pytest.mark.parametrize(
    ("text", "count"),
    [("1500", 1500), (1500, 1500), ("64KB", 64_000), ("1.5 MB", 1_500_000), ("2MiB", 2 * 1024**2), ("10 bytes", 10)],
)
def test_sizes(text, count):
    assert size_of(text, "bytes") == count


@pytest.mark.parametrize(("text", "rate"), [("50000", 50000.0), ("100KB/s", 100_000.0), ("1 MiB/s", 1024.0**2)])
def test_rates(text, rate):
    assert rate_of(text) == rate


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: direction_of("sideways"), "Faults: direction 'sideways' must be downstream, upstream or both"),
        (lambda: size_of("lots", "bytes"), "Faults: bytes 'lots' is not a byte count (1500, 64KB, 1.5MB, 2MiB)"),
        (lambda: rate_of("fast"), "Faults: rate 'fast' is not bytes per second (50000, 100KB/s, 1MB/s)"),
        (lambda: rate_of("0"), "Faults: rate must be more than 0 bytes/s, got 0"),
        (lambda: probability_of("1.5", "probability"), "Faults: probability must be from 0 to 1, got 1.5"),
        (lambda: probability_of("often", "toxicity"), "Faults: toxicity 'often' must be a number from 0 to 1"),
        (
            lambda: address_of("localhost", "upstream"),
            "Faults: upstream 'localhost' must be host:port, e.g. 127.0.0.1:8080",
        ),
    ],
)
def test_bad_arguments_fail_naming_what_is_expected(call, message):
    with pytest.raises(SeamError) as raised:
        call()
    assert str(raised.value) == message


def test_addresses():
    assert address_of("127.0.0.1:8080", "upstream") == ("127.0.0.1", 8080)
    assert address_of("[::1]:80", "upstream") == ("::1", 80)
    assert direction_of(" Both ") is Direction.BOTH
