"""Structured logging: one line per request at debug level, quiet unless asked.

structlog costs ~150 ms to import (it pulls in asyncio), more than a whole `ktape get` may take,
so it is imported only when debug logging is on (`KTAPE_LOG=debug`, `--debug`, or an
application that configured structlog itself, such as a test using capture_logs). Its
unconfigured default would print every level to stdout and mix log lines into command output,
so when it is loaded here it gets a stderr, WARNING-level default unless configured already.
"""

from __future__ import annotations

import os
import sys

_debug = os.environ.get("KTAPE_LOG") == "debug"


def set_debug(on: bool) -> None:
    global _debug
    _debug = on or os.environ.get("KTAPE_LOG") == "debug"


def enabled() -> bool:
    """True when debug lines should be produced (cheap: no import)."""
    return _debug or ("structlog" in sys.modules and sys.modules["structlog"].is_configured())


def ensure_configured() -> None:
    if "structlog" not in sys.modules and not _debug:
        return
    import logging

    import structlog

    if structlog.is_configured():
        return
    level = logging.DEBUG if _debug else logging.WARNING
    renderer = structlog.dev.ConsoleRenderer() if sys.stderr.isatty() else structlog.processors.JSONRenderer()
    structlog.configure(
        processors=[structlog.processors.add_log_level, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def debug(logger: str, event: str, **fields) -> None:
    """Emit one structured debug line, importing structlog only when logging is on."""
    if not enabled():
        return
    ensure_configured()
    import structlog

    structlog.get_logger(logger).debug(event, **fields)
