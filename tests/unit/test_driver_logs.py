"""Drivers' own log records reach the root logger's handlers (Robot's among them) at DEBUG, never above."""

import logging

import pytest

from Seamline.engine.driver_logs import DRIVER_LOGGERS, quiet_driver_loggers


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def root_at(request):
    root = logging.getLogger()
    recorder, level = Recorder(), root.level
    # The drivers' own levels follow the root's here, as they do unless something else sets them.
    driver_levels = {name: logging.getLogger(name).level for name in DRIVER_LOGGERS}
    for name in DRIVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    root.addHandler(recorder)
    root.setLevel(request.param)
    quiet_driver_loggers()
    quiet_driver_loggers()  # a second library instance must not add a second path
    yield recorder
    root.removeHandler(recorder)
    root.setLevel(level)
    for name, driver_level in driver_levels.items():
        logging.getLogger(name).setLevel(driver_level)


@pytest.mark.parametrize("root_at", [logging.DEBUG], indirect=True)
@pytest.mark.parametrize("name", [f"{name}.child" for name in DRIVER_LOGGERS])
def test_driver_records_arrive_once_and_at_debug(root_at, name):
    driver = logging.getLogger(name)
    driver.info("[chan 0] Opened sftp connection (server version 3)")
    driver.warning("a driver warning")
    driver.debug("detail")
    assert [(r.getMessage(), r.levelname) for r in root_at.records] == [
        ("[chan 0] Opened sftp connection (server version 3)", "DEBUG"),
        ("a driver warning", "DEBUG"),
        ("detail", "DEBUG"),
    ]


@pytest.mark.parametrize("root_at", [logging.INFO], indirect=True)
def test_driver_records_are_dropped_when_the_log_is_above_debug(root_at):
    logging.getLogger("paramiko.transport.sftp").info("[chan 0] Opened sftp connection (server version 3)")
    logging.getLogger("pika.connection").error("connection lost")
    logging.getLogger("another.library").info("kept")
    assert [r.getMessage() for r in root_at.records] == ["kept"]


@pytest.mark.parametrize("root_at", [logging.DEBUG], indirect=True)
def test_driver_tracebacks_are_left_out(root_at):
    try:
        raise ConnectionRefusedError("refused")
    except ConnectionRefusedError:
        logging.getLogger("pika.adapters").exception("Connection attempt failed")
    (record,) = root_at.records
    assert (record.getMessage(), record.levelname, record.exc_info) == ("Connection attempt failed", "DEBUG", None)
