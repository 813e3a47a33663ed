"""engine.deadlines: the one watchdog that ends a blocked call at its wall-clock deadline."""

import socket
import threading
import time

from Seamline.engine.deadlines import Deadline, shut_down


def wait_for(condition, seconds=5.0):
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        time.sleep(0.01)
    return condition()


def test_an_armed_deadline_ends_its_call_once_when_it_passes():
    ended = []
    deadline = Deadline(lambda: ended.append(True))
    deadline.arm(0.05)
    assert wait_for(lambda: deadline.expired)
    time.sleep(0.1)
    assert ended == [True]


def test_a_call_disarmed_in_time_is_never_ended():
    ended = []
    deadline = Deadline(lambda: ended.append(True))
    with deadline.bounding(0.2):
        pass
    time.sleep(0.4)
    assert ended == [] and not deadline.expired


def test_arming_again_starts_afresh_and_a_later_deadline_does_not_delay_an_earlier_one():
    late, early = Deadline(lambda: None), Deadline(lambda: None)
    late.arm(60)
    early.arm(0.05)
    assert wait_for(lambda: early.expired) and not late.expired
    late.disarm()
    early.arm(60)
    assert not early.expired
    early.disarm()


def test_an_expire_that_raises_leaves_the_watchdog_working():
    def broken():
        raise OSError("already closed")

    Deadline(broken).arm(0.01)
    survivor = Deadline(lambda: None)
    survivor.arm(0.05)
    assert wait_for(lambda: survivor.expired)


def test_shutting_a_socket_down_ends_a_blocked_read():
    left, right = socket.socketpair()
    got = []
    reader = threading.Thread(target=lambda: got.append(left.recv(10)))
    reader.start()
    deadline = Deadline(lambda: shut_down(left))
    deadline.arm(0.05)
    reader.join(5)
    assert got == [b""] and deadline.expired
    shut_down(left.fileno())  # a descriptor works too, and an already shut socket is no error
    shut_down(None)
    left.close()
    right.close()
