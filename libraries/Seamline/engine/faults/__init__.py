"""The embedded fault proxy: TCP (and HTTP-aware) faults between a system's services, in the test process."""

from .http import HttpDelay, HttpFailure, HttpFault
from .kinds import Bandwidth, CloseAfter, Cut, Drop, Fault, Hang, Latency, Reset, Slicing
from .proxy import FaultProxy
from .units import Direction, address_of, direction_of, probability_of, rate_of, size_of

__all__ = [
    "Bandwidth",
    "CloseAfter",
    "Cut",
    "Direction",
    "Drop",
    "Fault",
    "FaultProxy",
    "Hang",
    "HttpDelay",
    "HttpFailure",
    "HttpFault",
    "Latency",
    "Reset",
    "Slicing",
    "address_of",
    "direction_of",
    "probability_of",
    "rate_of",
    "size_of",
]
