"""Structured logging defaults: one line per request at debug level, quiet unless asked.

structlog's unconfigured default prints every level to stdout, which would mix log lines into
command output; the engine installs a WARNING-level stderr default unless the application (the
CLI, a test) configured structlog first. `KTAPE_LOG=debug` turns request lines on.
"""

from __future__ import annotations

import logging
import os
import sys

import structlog


def ensure_configured() -> None:
    if structlog.is_configured():
        return
    level = logging.DEBUG if os.environ.get("KTAPE_LOG") == "debug" else logging.WARNING
    renderer = structlog.dev.ConsoleRenderer() if sys.stderr.isatty() else structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[structlog.processors.add_log_level, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
