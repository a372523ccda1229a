"""Reading the treasurer's answers, shared by /dana and /belanja: amounts, dates, one proof file, save or cancel.

Each reader returns `(value, None)` or `(None, reason)`; a reason becomes `Stay(reason)` in the flow, so bad input
never writes anything and the same question is asked again.
"""

from handlers.context import Context
from handlers.flows.evidence_fetch import TOO_LARGE, fetch_checked, file_label, problem_text
from handlers.flows.ketua_common import own_rt  # noqa: F401 (the treasurer's flows call it as ask.own_rt)
from handlers.formatting import rupiah
from handlers.i18n import _
from handlers.messages import Choice, Incoming, Kind, MediaItem
from handlers.parsing import ParseError, parse_rupiah
from handlers.yes_no import NO, YES
from services import reports
from services.funds import MAX_AMOUNT, MAX_DESCRIPTION
from services.media import Evidence
from services.reports import MAX_FILE_BYTES

SAVE, CANCEL = "save", "cancel"
SAVE_WORDS = (*YES, "simpan", "save", "1")
CANCEL_WORDS = (*NO, "batal", "cancel", "2")


def not_linked_reason() -> str:
    return _("Your account is not linked to an RT. Please contact your pendamping.")


def read_amount(incoming: Incoming) -> tuple[int | None, str | None]:
    # Only what is wrong: the question, asked again right after, says what to type with an example that fits it.
    if incoming.kind != Kind.TEXT or not incoming.text.strip():
        return None, _("I need an amount here.")
    try:
        amount = parse_rupiah(incoming.text)
    except ParseError as error:
        if error.code == "negative":
            return None, _("The amount cannot be negative.")
        if error.code == "too_large":
            return None, too_large_amount_text()
        return None, _("I could not read that as an amount of money.")
    if amount <= 0:
        return None, _("The amount must be more than Rp0.")
    if amount >= MAX_AMOUNT:
        return None, _(
            "{amount} is too large for one entry. Check the number of zeros and type it again.",
            amount=rupiah(amount),
        )
    return amount, None


MIN_DESCRIPTION = 3


def read_description(incoming: Incoming) -> tuple[str | None, str | None]:
    """What a spending was for: a few words, at most `funds.MAX_DESCRIPTION` characters."""
    if incoming.kind != Kind.TEXT:
        return None, _("Please write in words what the money was spent on.")
    text = " ".join(incoming.text.split())
    if len(text) < MIN_DESCRIPTION or not any(ch.isalnum() for ch in text):
        return None, _("Please write in words what the money was spent on.")
    if len(text) > MAX_DESCRIPTION:
        return None, _(
            "That is {length} characters; at most {maksimum} fit. Please write it shorter.",
            length=len(text),
            maksimum=MAX_DESCRIPTION,
        )
    return text, None


def too_large_amount_text() -> str:
    return _("That amount is too large for one entry. Check the number of zeros and type it again.")


def read_evidence(incoming: Incoming) -> tuple[dict | None, str | None]:
    """One photo, or one PDF/image document, small enough to download. Kept as a reference, not fetched yet."""
    if incoming.kind != Kind.MEDIA or not incoming.media:
        return None, _("I need a photo here (or a PDF file). Use the camera or attachment button to send it.")
    if len(incoming.media) > 1:
        return None, _("Please send just one photo (or one PDF) here, not several.")
    item = incoming.media[0]
    mime = (item.mime_type or "").lower()
    if item.kind == "photo":
        acceptable = reports.claims_image(mime)
    else:
        acceptable = item.kind == "document" and (mime == "application/pdf" or reports.claims_image(mime))
    if item.size == 0:
        return None, problem_text("empty", file_label(item))
    if not acceptable:
        return None, _("That kind of file cannot be used. Please send a photo, or a PDF file.")
    if item.size is not None and item.size > MAX_FILE_BYTES:
        return None, _("That file is larger than 20 MB. Please send a smaller photo or PDF.")
    return {
        "kind": item.kind,
        "ref": item.ref,
        "mime_type": item.mime_type,
        "size": item.size,
        "file_name": item.file_name,
    }, None


async def fetch_evidence(ctx: Context, ref: dict, too_large: str) -> tuple[Evidence | None, str | None]:
    """Download the file the person sent and check its content; the reason names the file when it cannot be kept
    (`too_large` is the flow's own words for a file over the limit)."""
    item = MediaItem(**ref)
    fetched = await fetch_checked(ctx, item, item.kind, MAX_FILE_BYTES)
    if fetched == TOO_LARGE:
        return None, too_large
    if isinstance(fetched, str):
        return None, problem_text(fetched, file_label(item))
    return fetched, None


def confirm_choices() -> tuple[Choice, ...]:
    return (Choice(SAVE, _("Save")), Choice(CANCEL, _("Cancel, do not save")))


def read_confirm(incoming: Incoming) -> tuple[str | None, str | None]:
    if incoming.kind == Kind.CHOICE and incoming.choice in (SAVE, CANCEL):
        return incoming.choice, None
    if incoming.kind == Kind.TEXT:
        typed = incoming.text.strip().lower()
        if typed in SAVE_WORDS:
            return SAVE, None
        if typed in CANCEL_WORDS:
            return CANCEL, None
    return None, _("Please choose Save or Cancel.")


def not_saved_reply_text() -> str:
    return _("OK, nothing was saved.")
