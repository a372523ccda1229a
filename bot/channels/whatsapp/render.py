"""A `Reply` as WhatsApp Cloud API message bodies, without any HTTP: pure, so rendering is tested on its own.

Each body is what goes into `POST /<phone_number_id>/messages` minus `messaging_product`, `recipient_type` and
`to`, which the sender adds. How the choices are drawn depends on how many there are (Meta's limits):

- 1–3: reply buttons (title ≤ 20 characters);
- 4–10: a list (row title ≤ 24, description ≤ 72 carrying the rest of a long label);
- more: a numbered text menu, answered by typing the number. `Rendered.menu` holds the choices in the order they
  were numbered, so the runtime maps a typed "7" back with `Rendered.pick` (as the console channel does).

A shortened title never looks like another one of the same message, and no choice is ever dropped. Button and row
ids are `"<token>:<choice id>"`, read back by `incoming.choice_of`. Attachments (paths relative to MEDIA_DIR) come
first, as image/document bodies whose media object holds `path` until the sender uploads the file and puts the
media id in its place (`with_media_id`).

The few fixed words a list or a menu needs are given by the caller (`Words`), translated in handlers/.
"""

from dataclasses import dataclass
from pathlib import PurePosixPath

from handlers.messages import Choice, Reply
from services import numbers

MAX_TEXT = 4096
MAX_INTERACTIVE_BODY = 1024
MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_LIST_BUTTON = 20
MAX_SECTION_TITLE = 24
MAX_REPLY_ID = 256  # button ids; list row ids allow 200, both far above "<token>:<≤ 40-byte id>"
ELLIPSIS = "…"
EMPTY_TEXT = ELLIPSIS  # WhatsApp refuses an empty body; Telegram's renderer sends the same placeholder
# WhatsApp shows these as photos; other image files (HEIC, WebP, GIF) go as documents so they arrive at all.
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")

Body = dict


@dataclass(frozen=True)
class Words:
    """Fixed words the caller passes, already translated (e.g. "Pilih", "Ketik nomor pilihan")."""

    list_button: str  # the button that opens a list
    menu_hint: str  # the line under a numbered menu
    section_title: str = ""  # a list's only section needs no title; given, it is shown above the rows


@dataclass(frozen=True)
class Rendered:
    bodies: tuple[Body, ...]
    # For a numbered text menu: the choices in the order they were numbered (1 = first), with their version.
    menu: tuple[Choice, ...] = ()
    token: int | None = None

    def pick(self, text: str) -> tuple[int | None, str] | None:
        """(token, choice id) for a typed menu number ("7", "7.", "٧"), or None when the text picks nothing."""
        at = numbers.position(text.strip(), len(self.menu))
        return None if at is None else (self.token, self.menu[at].id)


# ---- text -------------------------------------------------------------------------------------------------
def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, cut on line boundaries whenever possible; blank chunks dropped."""
    chunks: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        candidate = line if current is None else f"{current}\n{line}"
        if len(candidate) <= limit:
            current = candidate
            continue
        if current is not None:
            chunks.append(current)
        current = None
        # A single line longer than the limit is cut where it must be.
        while len(line) > limit:
            chunks.append(line[:limit])
            line = line[limit:]
        current = line
    if current is not None:
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


def split_for_last(text: str, last_limit: int) -> list[str]:
    """Chunks of ≤ 4,096 characters whose last one fits `last_limit` (an interactive body), never empty."""
    chunks = split_text(text, MAX_TEXT) or [EMPTY_TEXT]
    if len(chunks[-1]) <= last_limit:
        return chunks
    tail = split_text(chunks.pop(), last_limit)
    # What precedes the last small piece goes back into as few full-size messages as possible.
    return chunks + split_text("\n".join(tail[:-1]), MAX_TEXT) + tail[-1:]


def text_body(text: str) -> Body:
    return {"type": "text", "text": {"body": text, "preview_url": False}}


# ---- titles -----------------------------------------------------------------------------------------------
def one_line(label: str) -> str:
    return " ".join(label.split())


def shorten(text: str, limit: int) -> str:
    """The text within `limit` characters: cut with "…" when too long, between words where one ends near the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if not text[limit - 1].isspace() and (space := cut.rfind(" ")) >= limit // 2:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def _middle(text: str, limit: int, tail: int) -> str:
    """Head "…" tail within `limit`: keeps a label's end, where "tahap 1" and "tahap 2" differ.

    The tail is widened back to the start of its word when that still leaves room for a head ("…tahap 1").
    """
    start = len(text) - tail
    word_start = text.rfind(" ", 0, start) + 1
    if word_start and len(text) - word_start <= limit - 4:
        start = word_start
    # A lone short word keeps the word before it: "…tahap 1" reads, "…1" does not.
    before = text.rfind(" ", 0, max(start - 1, 0)) + 1
    if len(text) - start <= 3 and before and len(text) - before <= limit - 4:
        start = before
    head = text[: limit - 1 - (len(text) - start)].rstrip()
    return f"{head}{ELLIPSIS}{text[start:]}"


def _key(title: str) -> str:
    return title.casefold()


def unique_titles(labels: list[str], limit: int) -> list[str]:
    """A title of ≤ `limit` characters per label, no two alike (ignoring case), each as close to its label as can be.

    Too long → cut with "…"; if that makes two alike, they keep their ends instead ("Laporan kegi…tahap 1"); if
    still alike (or the labels themselves are), every title is numbered by position ("2. Ya") — the position
    prefixes "<n>. " differ, so numbered titles can never collide.
    """
    lines = [one_line(label) or str(at) for at, label in enumerate(labels, start=1)]
    titles = [shorten(line, limit) for line in lines]
    for at, title in enumerate(titles):
        alike = [i for i, other in enumerate(titles) if _key(other) == _key(title)]
        if len(alike) < 2 or at != alike[0]:
            continue
        for tail in range(1, limit - 2):
            trial = [_middle(lines[i], limit, tail) if len(lines[i]) > limit else lines[i] for i in alike]
            others = {_key(t) for i, t in enumerate(titles) if i not in alike}
            if len({_key(t) for t in trial}) == len(alike) and not others & {_key(t) for t in trial}:
                for i, title_i in zip(alike, trial, strict=True):
                    titles[i] = title_i
                break
    if len({_key(t) for t in titles}) < len(titles):
        titles = [shorten(f"{at}. {line}", limit) for at, line in enumerate(lines, start=1)]
    return titles


def description_for(label: str, title: str) -> str | None:
    """What a list row's description shows: the rest of a label its title cut short, else nothing."""
    line = one_line(label)
    if title == line or not line:
        return None
    head = title.removesuffix(ELLIPSIS)
    if title.endswith(ELLIPSIS) and line.startswith(head):
        return shorten(ELLIPSIS + line[len(head) :].lstrip(), MAX_ROW_DESCRIPTION)
    return shorten(line, MAX_ROW_DESCRIPTION)


def reply_id(token: int | None, choice_id: str) -> str:
    """`"<token>:<choice>"`, the same shape as Telegram's callback data (token 0: no conversation version)."""
    value = f"{token or 0}:{choice_id}"
    if len(value) > MAX_REPLY_ID:  # cannot happen with ids ≤ 40 bytes; refuse rather than send a wrong answer
        raise ValueError(f"reply id over {MAX_REPLY_ID} characters: {value!r}")
    return value


# ---- interactive ------------------------------------------------------------------------------------------
def buttons_body(text: str, token: int | None, choices: tuple[Choice, ...]) -> Body:
    titles = unique_titles([c.label for c in choices], MAX_BUTTON_TITLE)
    buttons = [
        {"type": "reply", "reply": {"id": reply_id(token, c.id), "title": title}}
        for c, title in zip(choices, titles, strict=True)
    ]
    return {
        "type": "interactive",
        "interactive": {"type": "button", "body": {"text": text}, "action": {"buttons": buttons}},
    }


def list_body(text: str, token: int | None, choices: tuple[Choice, ...], words: Words) -> Body:
    titles = unique_titles([c.label for c in choices], MAX_ROW_TITLE)
    rows = []
    for choice, title in zip(choices, titles, strict=True):
        row = {"id": reply_id(token, choice.id), "title": title}
        if (description := description_for(choice.label, title)) is not None:
            row["description"] = description
        rows.append(row)
    section: dict = {"rows": rows}
    if section_title := one_line(words.section_title):
        section["title"] = shorten(section_title, MAX_SECTION_TITLE)
    action = {"button": shorten(one_line(words.list_button), MAX_LIST_BUTTON) or ELLIPSIS, "sections": [section]}
    return {"type": "interactive", "interactive": {"type": "list", "body": {"text": text}, "action": action}}


def menu_text(text: str, choices: tuple[Choice, ...], words: Words) -> str:
    lines = [f"{at}. {one_line(choice.label)}" for at, choice in enumerate(choices, start=1)]
    return "\n".join([text, "", *lines, "", words.menu_hint])


# ---- attachments ------------------------------------------------------------------------------------------
def attachment_parts(attachment: tuple[str, ...]) -> tuple[str, str]:
    """(kind, relative path) from a reply attachment, whichever order it was written in (as for Telegram)."""
    first, second = attachment[0], attachment[1]
    if first in ("photo", "document"):
        return first, second
    return (second if second in ("photo", "document") else "document"), first


def attachment_body(kind: str, path: str) -> Body:
    """An image/document body holding the stored file's `path`, to be replaced by the uploaded media id."""
    if kind == "photo" and PurePosixPath(path).suffix.lower() in PHOTO_SUFFIXES:
        return {"type": "image", "image": {"path": path}}
    return {"type": "document", "document": {"path": path, "filename": PurePosixPath(path).name}}


def attachment_path(body: Body) -> str | None:
    """The stored file an attachment body still waits to have uploaded, or None."""
    media = body.get(body.get("type", ""))
    return media.get("path") if isinstance(media, dict) else None


def with_media_id(body: Body, media_id: str) -> Body:
    """The attachment body ready to send: its `path` replaced by the media id the upload returned."""
    kind = body["type"]
    media = {key: value for key, value in body[kind].items() if key != "path"}
    return {**body, kind: {**media, "id": media_id}}


# ---- templates (outside the 24-hour window) --------------------------------------------------------------
def template_parameter(text: str) -> str:
    """A body parameter Meta accepts: no line breaks or tabs, no run of more than four spaces (else 132018)."""
    return " ".join(text.split()) or ELLIPSIS


def template_body(
    name: str, parameters: tuple[str, ...] = (), language: str = "id", quick_replies: tuple[str, ...] = ()
) -> Body:
    """An approved template by name, its body parameters in order, and a payload per quick-reply button.

    A quick reply's payload is `"0:<choice id>"` (no conversation version): pressed days later it comes back as a
    CHOICE leading into the right flow ("Lapor sekarang" → `lapor`).
    """
    components: list[dict] = []
    if parameters:
        texts = [{"type": "text", "text": template_parameter(p)} for p in parameters]
        components.append({"type": "body", "parameters": texts})
    for index, choice_id in enumerate(quick_replies):
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": reply_id(None, choice_id)}],
            }
        )
    template: dict = {"name": name, "language": {"code": language}}
    if components:
        template["components"] = components
    return {"type": "template", "template": template}


# ---- a whole reply ----------------------------------------------------------------------------------------
def render(reply: Reply, words: Words) -> Rendered:
    """Attachments first, then the text; the choices ride on the last message so they stay in view."""
    bodies: list[Body] = [attachment_body(*attachment_parts(a)) for a in reply.attachments]
    choices = reply.choices
    if not choices:
        if reply.text.strip() or not bodies:
            bodies += [text_body(chunk) for chunk in split_text(reply.text, MAX_TEXT) or [EMPTY_TEXT]]
        return Rendered(tuple(bodies))
    if len(choices) > MAX_ROWS:
        chunks = split_text(menu_text(reply.text, choices, words), MAX_TEXT)
        return Rendered(tuple(bodies + [text_body(chunk) for chunk in chunks]), menu=choices, token=reply.token)
    *before, last = split_for_last(reply.text, MAX_INTERACTIVE_BODY)
    bodies += [text_body(chunk) for chunk in before]
    if len(choices) <= MAX_BUTTONS:
        bodies.append(buttons_body(last, reply.token, choices))
    else:
        bodies.append(list_body(last, reply.token, choices, words))
    return Rendered(tuple(bodies), token=reply.token)
