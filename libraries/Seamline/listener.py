"""The library listener: each test's timeline and cleanup scope, the masking safety net, the metrics file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

from .engine.context import SeamContext
from .engine.errors import SeamError
from .engine.trace.waterfall import render_waterfall
from .keywords.faults import FaultKeywords
from .keywords.services import ServiceKeywords


def waterfall_setting(given: bool | str) -> bool | str:
    """The ``waterfall`` import argument: True, False or "failures" (Robot passes text to a `bool | str` as is)."""
    if isinstance(given, bool):
        return given
    spelled = str(given).strip().lower()
    if spelled in ("true", "yes", "on", "1"):
        return True
    if spelled in ("false", "no", "off", "0", "none", ""):
        return False
    if spelled == "failures":
        return spelled
    raise SeamError("Timeline", f"waterfall must be True, False or failures, got '{given}'")


class SeamListener:
    """Robot's listener API v3, registered by the library for the suites that import it."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(
        self,
        ctx: SeamContext,
        services: ServiceKeywords,
        faults: FaultKeywords | None = None,
        waterfall: bool | str = True,
    ):
        self.ctx = ctx
        self.services = services
        self.faults = faults
        self.waterfall = waterfall_setting(waterfall)
        self._drawing: str | None = None  # the waterfall while it is logged

    def start_suite(self, data: Any, result: Any) -> None:
        self.ctx.enter_scope()

    def start_test(self, data: Any, result: Any) -> None:
        self.ctx.timeline.clear()
        self.ctx.enter_scope()
        self.services.begin_resource_window(BuiltIn().get_variable_value("${SEAMLINE_PROMETHEUS}"))

    def end_test(self, data: Any, result: Any) -> None:
        self.services.end_resource_window(result.full_name)
        if self.faults is not None:
            self.faults.log_active_faults(result.passed)
        self._run_cleanups(f"test '{result.name}'")
        if self.ctx.traces is not None:  # what has arrived joins the test, for the metrics file and waterfall
            self.ctx.traces.finish(self.ctx.timeline)
        self._draw_waterfall(result)
        self.ctx.finished_spans.append((result.longname, self.ctx.timeline.clear()))

    def end_suite(self, data: Any, result: Any) -> None:
        self._run_cleanups(f"suite '{result.name}'")

    def log_message(self, message: Any) -> None:
        """The safety net: every message of the run (TRACE arguments included) passes the masker, but the
        waterfall being logged (drawn from masked pieces: the whole SVG again would cost a pass over every row)."""
        if message.message is not self._drawing:
            message.message = self.ctx.masker.text(message.message)

    def close(self) -> None:
        self.services.stop_all_services()
        self.ctx.close()
        self._write_metrics()

    def _draw_waterfall(self, result: Any) -> None:
        """The test's waterfall, logged into the test itself (Robot puts a message an end_test listener
        logs after the test's teardown, in the test)."""
        spans = self.ctx.timeline.spans
        if spans and (self.waterfall is True or (self.waterfall == "failures" and not result.passed)):
            title = self.ctx.masker.text(f"Waterfall of '{result.name}'")
            self._drawing = render_waterfall(spans, self.ctx.masker, title)
            try:
                logger.info(self._drawing, html=True)
            finally:
                self._drawing = None

    def _run_cleanups(self, scope: str) -> None:
        for cleanup, error in self.ctx.exit_scope():
            logger.warn(self.ctx.masker.text(f"Cleanup '{cleanup.description}' of {scope} failed: {error}"))

    def _write_metrics(self) -> None:
        try:
            output_dir = BuiltIn().get_variable_value("${OUTPUT DIR}")
        except RobotNotRunningError:
            return
        if not output_dir or not (self.ctx.finished_spans or self.ctx.metrics):
            return
        metrics = {
            "tests": [
                {"test": name, "spans": [span.to_dict() for span in spans]} for name, spans in self.ctx.finished_spans
            ],
            **self.ctx.metrics,
        }
        text = self.ctx.masker.text(json.dumps(metrics, indent=1, default=str))
        Path(output_dir, "seamline-metrics.json").write_text(text, encoding="utf-8")
