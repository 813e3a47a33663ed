"""The HTTP request framer: requests found in a byte stream however it is chunked, matched and answered."""

from Seamline.engine.faults import HttpDelay, HttpFailure
from Seamline.engine.faults.http import RequestFramer
from Seamline.engine.faults.kinds import Answer

GET = b"GET /orders/1 HTTP/1.1\r\nHost: x\r\n\r\n"
POST = b"POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
CHUNKED = b"POST /orders HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"


def _forwarded(pieces) -> bytes:
    return b"".join(item for _due, item in pieces if isinstance(item, bytes))


def _answers(pieces) -> list[Answer]:
    return [item for _due, item in pieces if isinstance(item, Answer)]


def test_without_faults_every_byte_passes_unchanged():
    framer = RequestFramer()
    assert _forwarded(framer.feed(0.0, GET + POST + CHUNKED, [])) == GET + POST + CHUNKED


def test_a_failure_answers_the_request_instead_of_forwarding_it_byte_by_byte():
    failure = HttpFailure(status=503, count=1, path="/orders", body=b"down", headers={"Retry-After": "2"})
    framer = RequestFramer()
    stream = POST + GET
    pieces = [piece for byte in range(len(stream)) for piece in framer.feed(0.0, stream[byte : byte + 1], [failure])]
    assert _forwarded(pieces) == GET  # the POST was answered, the GET (another path) forwarded
    (answer,) = _answers(pieces)
    assert answer.data == (
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: 4\r\nConnection: keep-alive\r\n\r\ndown"
    )
    assert failure.exhausted
    assert failure.describe() == "HTTP 503 for requests to /orders (the next 1), used up"


def test_a_count_answers_that_many_then_forwards():
    failure = HttpFailure(status=500, count=2)
    framer = RequestFramer()
    pieces = framer.feed(0.0, GET * 3, [failure])
    assert len(_answers(pieces)) == 2 and _forwarded(pieces) == GET


def test_chunked_bodies_end_where_the_last_chunk_says_across_any_split():
    failure = HttpFailure(status=500)
    framer = RequestFramer()
    stream = CHUNKED + GET
    pieces = []
    for start in range(0, len(stream), 7):
        pieces += framer.feed(0.0, stream[start : start + 7], [failure])
    assert len(_answers(pieces)) == 2 and _forwarded(pieces) == b""


def test_paths_match_as_globs_without_the_query():
    failure = HttpFailure(path="/orders/*")
    assert failure.matches("/orders/1?x=2") and not failure.matches("/stock")
    assert HttpFailure().matches("/anything")


def test_connection_close_is_answered_with_close():
    failure = HttpFailure(status=503)
    (answer,) = _answers(RequestFramer().feed(0.0, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", [failure]))
    assert answer.close and b"Connection: close\r\n" in answer.data


def test_a_delay_holds_back_the_matching_request_only():
    delay = HttpDelay(delay=0.5, path="/orders")
    pieces = RequestFramer().feed(1.0, POST + GET, [delay])
    assert [(due, item) for due, item in pieces] == [
        (1.5, POST.split(b"\r\n\r\n")[0] + b"\r\n\r\n"),
        (1.5, b"hello"),
        (1.0, GET),
    ]


def test_bytes_that_are_not_http_pass_unchanged():
    framer = RequestFramer()
    assert framer.feed(0.0, b"\x16\x03\x01 tls hello", [HttpFailure()]) == [(0.0, b"\x16\x03\x01 tls hello")]
    assert _answers(framer.feed(0.0, GET, [HttpFailure()]))  # the next chunk that is a request is matched
