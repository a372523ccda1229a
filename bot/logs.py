"""Logging for every process (`run`, `web`, `clock`, `worker`): one format, quiet libraries, and no secret in any line.

Redaction happens where a log record is made (the record factory), not in one handler: a record from aiogram,
aiohttp, uvicorn, apscheduler or our own code is cleaned before any handler sees it — ours, uvicorn's own, pytest's
or one added later by a library — and `logging.lastResort` too. It covers the message, its arguments, and the
exception's text and traceback (an aiohttp error carries the Bot API URL, which holds the bot token).
"""

import logging
import sys
from typing import TextIO

from bot.redaction import REDACTOR
from bot.settings import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Each SQL statement and HTTP call at INFO would drown what the bot itself says.
NOISY = ("aiogram.event", "httpx", "sqlalchemy", "apscheduler", "alembic")

_plain = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Masks every known secret in a record, in place. Used by the record factory below; usable on any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit the format: logging reports that itself when it emits
        message = None
    if message is not None and REDACTOR.hides_something(message):
        # Merged into the message: a secret may sit inside any argument's str() or repr().
        record.msg, record.args = REDACTOR(message), None
    if record.exc_info and record.exc_info[1] is not None:
        text = _plain.formatException(record.exc_info)
        if REDACTOR.hides_something(text):
            # The text replaces the live exception: a handler formatting `exc_info` itself would show the secret.
            record.exc_text, record.exc_info = REDACTOR(text), None
    if record.stack_info:
        record.stack_info = REDACTOR(record.stack_info)
    return record


_installed_factory = None


def install_redaction(settings: Settings) -> None:
    """Teach the redactor this configuration's secrets and clean every log record from now on (idempotent)."""
    global _installed_factory
    REDACTOR.add(*settings.known_secrets())
    current = logging.getLogRecordFactory()
    if current is _installed_factory:
        return
    previous = current

    def factory(*args, **kwargs) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed_factory = factory


class _OurHandler(logging.StreamHandler):
    """The process's own console handler (told apart so configuring twice replaces it)."""


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """What every process does first. Returns the handler it installed on the root logger."""
    install_redaction(settings)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(handler)
    handler = _OurHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler
