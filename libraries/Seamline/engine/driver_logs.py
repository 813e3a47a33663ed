"""Third-party drivers log at DEBUG only: their chatter never reaches a Robot log above DEBUG.

Robot Framework routes Python logging into log.html at each record's level, so paramiko's INFO lines
(``[chan 0] Opened sftp connection``), pika's connection notices and urllib3's retries would land
among the keywords at INFO, and a driver's WARNING as a Robot warning. Seamline already reports what
crossed a seam, and fails with its own message when something goes wrong: the drivers' records are
detail for debugging. This is the one place that decides that, for every driver the library uses.
"""

from __future__ import annotations

import copy
import logging

DRIVER_LOGGERS = ("paramiko", "pika", "urllib3")


class _AsDebug(logging.Handler):
    """Hands a driver's record on to the root logger's handlers (Robot's among them) at DEBUG."""

    def emit(self, record: logging.LogRecord) -> None:
        root = logging.getLogger()
        if not root.isEnabledFor(logging.DEBUG):
            return
        if record.levelno > logging.DEBUG or record.exc_info:
            record = copy.copy(record)
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
            # pika logs each failed connection attempt with a traceback; Seamline reports it as one readable
            # failure, so the driver's traceback would only put one in the log for an expected failure.
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        root.handle(record)


def quiet_driver_loggers() -> None:
    """Demote every record of the drivers' loggers to DEBUG (once per process, however often called)."""
    for name in DRIVER_LOGGERS:
        driver = logging.getLogger(name)
        if not any(isinstance(handler, _AsDebug) for handler in driver.handlers):
            driver.addHandler(_AsDebug())
        # The demoted copy reaches the root handlers through _AsDebug; propagating would log it twice.
        driver.propagate = False
