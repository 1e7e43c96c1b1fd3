"""Log output: plain text or one JSON object per line (GLIMPSE_LOG_FORMAT), connection fields on
every line that concerns a connection (glimpse/observability/log_context.py)."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import IO, Literal

from glimpse.observability.log_context import ConnectionFilter

LogFormat = Literal["text", "json"]
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
CONTROL_CHARACTERS = {code: f"\\x{code:02x}" for code in (*range(32), 127)}
"""Escaped in a text line, so nothing a client sends can start a line of its own (a forged one)."""
PLAIN_VALUE = re.compile(r"[^\s\"=\\]+")
"""A field value written as it is; any other is written as a JSON string."""


def _text_value(value: object) -> str:
    text = str(value)
    return text if PLAIN_VALUE.fullmatch(text) else json.dumps(text)


class TextFormatter(logging.Formatter):
    """`time level logger message key=value ...`."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record).translate(CONTROL_CHARACTERS)
        fields = getattr(record, "fields", {})
        return " ".join([line, *(f"{key}={_text_value(value)}" for key, value in fields.items())])


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the fields, any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def log_handler(log_format: LogFormat, stream: IO[str] = sys.stderr) -> logging.Handler:
    """A handler writing in this format, with the connection fields on each line."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(ConnectionFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return handler


def configure_logging(log_format: LogFormat, level: int = logging.INFO) -> None:
    """All output, uvicorn's included, through one handler on the root logger."""
    root = logging.getLogger()
    root.handlers = [log_handler(log_format)]
    root.setLevel(level)
    for name in UVICORN_LOGGERS:  # uvicorn gives its loggers handlers of their own
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # websockets logs every socket's "connection open" and "connection closed" without the
    # connection's fields; Glimpse logs its connections' events itself (glimpse/realtime/session.py)
    logging.getLogger("websockets").setLevel(max(level, logging.WARNING))
