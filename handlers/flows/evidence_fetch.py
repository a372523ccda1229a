"""Fetching a file the person sent, when they press Send or Save, and checking what its bytes really are.

Shared by /lapor, /dana and /belanja: a file that is too large, that the platform would not hand over, or whose
content is no photo (or PDF) is never stored; the flow drops it and asks for it again, naming it and saying what
to send instead.
"""

import asyncio
from dataclasses import replace

from handlers.context import Context, MediaTooLarge, MediaUnavailable
from handlers.i18n import _
from handlers.messages import MediaItem
from services.filecheck import FileRefused, check_file
from services.media import Evidence

TOO_LARGE, UNAVAILABLE = "too_large", "unavailable"


async def fetch_checked(ctx: Context, item: MediaItem, counts_as: str, max_bytes: int) -> Evidence | str:
    """The file as evidence (its detected type inside), or a problem code: too_large, unavailable, or why the
    content was refused (services.filecheck)."""
    try:
        content = await ctx.fetch(item)
    except MediaTooLarge:
        return TOO_LARGE
    except MediaUnavailable:
        return UNAVAILABLE
    if len(content) > max_bytes:
        return TOO_LARGE  # the channel did not tell the size beforehand
    try:
        # Decoding a 12 MP photo takes about 0.2 s of CPU: in a thread, other chats are answered meanwhile.
        checked = await asyncio.to_thread(check_file, content, counts_as)
    except FileRefused as refused:
        return refused.code
    evidence = Evidence(counts_as, item.mime_type, content, item.ref, item.file_name)
    return replace(evidence, checked=checked)


def file_label(item: MediaItem, number: int | None = None) -> str:
    """How the person recognises the file: its name, else its place among the files sent."""
    if item.file_name:
        return item.file_name
    if number is None:
        return _("The photo") if item.kind == "photo" else _("The file")
    return _("Photo no. {number}", number=number) if item.kind == "photo" else _("File no. {number}", number=number)


def problem_text(code: str, name: str) -> str:
    """The refusal of one fetched file: what is wrong with it and what to send instead."""
    if code == UNAVAILABLE:
        return _("{name} could not be fetched. Please send it again.", name=name)
    if code == "empty":
        return _(
            "{name} is empty (0 bytes). Please send the photo or PDF again, for example from the gallery.", name=name
        )
    if code == "image_too_large":
        return _("{name} has too many pixels to open. Please send an ordinary photo from the phone camera.", name=name)
    if code in ("polyglot", "pdf_active"):
        return _(
            "{name} holds something besides a photo or PDF, so it cannot be used. "
            "Please send a photo straight from the camera, or a PDF.",
            name=name,
        )
    if code == "not_pdf_or_image":
        return _("{name} is not a photo or a PDF. Please send a photo (JPG, PNG, HEIC) or a PDF.", name=name)
    return _("{name} is not a photo that can be opened. Please send a photo (JPG, PNG, HEIC).", name=name)
