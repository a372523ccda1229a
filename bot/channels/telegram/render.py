"""A `Reply` as Telegram Bot API calls, without any HTTP: pure, so rendering is tested on its own.

Each call is `(method, kwargs)` where method is the aiogram `Bot` method name and kwargs leave out `chat_id`.
Attachments are given as `path` (relative to MEDIA_DIR); the sender turns them into uploads.
"""

import html
import logging

from handlers.messages import Choice, Reply

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
# Above this many characters a button label would be cut on a small phone when two share a row.
LONG_LABEL = 20

Call = tuple[str, dict]


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """HTML-escaped chunks of at most `limit` characters, cut on line boundaries whenever possible."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        escaped = html.escape(line, quote=False)
        candidate = escaped if not current else f"{current}\n{escaped}"
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = ""
        for piece in _split_long_line(line, limit):
            if current:
                chunks.append(current)
            current = piece
    if current or not chunks:
        chunks.append(current)
    return chunks


def _split_long_line(line: str, limit: int) -> list[str]:
    # Cut the raw text so an escape like "&amp;" never falls across two messages.
    pieces, current = [], ""
    for char in line:
        escaped = html.escape(char, quote=False)
        if len(current) + len(escaped) > limit:
            pieces.append(current)
            current = ""
        current += escaped
    pieces.append(current)
    return pieces


def callback_data(token: int | None, choice_id: str) -> str:
    """`"<token>:<choice>"`, never over Telegram's 64 bytes (choice ids are ≤ 40 bytes by contract)."""
    data = f"{token or 0}:{choice_id}"
    raw = data.encode()
    if len(raw) <= MAX_CALLBACK_DATA:
        return data
    log.warning("callback data over %d bytes, truncated: %r", MAX_CALLBACK_DATA, data)
    return raw[:MAX_CALLBACK_DATA].decode(errors="ignore")


def keyboard(token: int | None, choices: tuple[Choice, ...]) -> dict:
    """An inline keyboard: two buttons a row for short labels, one a row as soon as one label is long."""
    buttons = [{"text": c.label, "callback_data": callback_data(token, c.id)} for c in choices]
    per_row = 1 if any(len(c.label) > LONG_LABEL for c in choices) else 2
    return {"inline_keyboard": [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]}


def attachment_parts(attachment: tuple[str, ...]) -> tuple[str, str]:
    """(kind, relative path) from a reply attachment, whichever order it was written in."""
    first, second = attachment[0], attachment[1]
    if first in ("photo", "document"):
        return first, second
    return (second if second in ("photo", "document") else "document"), first


def render(reply: Reply) -> list[Call]:
    """Attachments first, then the text; the keyboard rides on the last text message so it stays in view."""
    calls: list[Call] = []
    for attachment in reply.attachments:
        kind, path = attachment_parts(attachment)
        method = "send_photo" if kind == "photo" else "send_document"
        calls.append((method, {"path": path}))
    if reply.text or reply.choices or not calls:
        chunks = split_text(reply.text or "…")
        for chunk in chunks[:-1]:
            calls.append(("send_message", {"text": chunk, "parse_mode": "HTML"}))
        last: dict = {"text": chunks[-1], "parse_mode": "HTML"}
        if reply.choices:
            last["reply_markup"] = keyboard(reply.token, reply.choices)
        calls.append(("send_message", last))
    return calls
