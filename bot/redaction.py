"""Secrets never leave the process in words: one redactor for log lines, stored errors and anything shown to a person.

It knows (1) every `SecretStr` setting, found by type so a secret added to `Settings` later is covered the day it is
added, (2) the secrets generated into DATA_DIR (registered by `Settings.secret` whenever one is read or made), (3) the
password of DATABASE_URL, and (4) the shape of a Telegram bot token wherever it appears (`bot<digits>:<token>` in a
Bot API URL, or a bare `<digits>:<35 characters>`), which covers a token this process was never told about.

The process has one redactor (`REDACTOR`): secrets are process-wide, and so is logging.
"""

import re
import threading
from collections.abc import Iterable
from urllib.parse import quote

MASK = "[REDACTED]"
# Shorter values are not secrets worth the name, and masking every "abc" would make the log unreadable.
MIN_SECRET_LENGTH = 6
_TOKEN_SHAPES = (
    re.compile(r"bot\d+:[A-Za-z0-9_-]+"),  # .../bot<TOKEN>/method and .../file/bot<TOKEN>/path
    re.compile(r"(?<![\w:])\d{5,}:[A-Za-z0-9_-]{30,}"),  # a bare token as @BotFather hands it out
)


class Redactor:
    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()  # logging runs in threads too (uvicorn, migrations, to_thread)

    def add(self, *values: str | None) -> None:
        with self._lock:
            fresh = {
                form
                for value in values
                if value and len(value) >= MIN_SECRET_LENGTH
                for form in (value, quote(value, safe=""))  # as it appears inside a URL as well
            } - self._secrets
            if not fresh:
                return
            self._secrets |= fresh
            # Longest first, so a secret containing another is masked whole.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def __call__(self, text: str) -> str:
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        for shape in _TOKEN_SHAPES:
            text = shape.sub(MASK, text)
        return text

    def hides_something(self, text: str) -> bool:
        return self(text) != text

    def forget_all(self) -> None:
        """Tests only: start from nothing again."""
        with self._lock:
            self._secrets.clear()
            self._pattern = None


REDACTOR = Redactor()


def redact(text: object) -> str:
    """The text (or `str()` of the object) with every known secret masked."""
    return REDACTOR(text if isinstance(text, str) else str(text))


def remember(values: Iterable[str | None]) -> None:
    REDACTOR.add(*values)
