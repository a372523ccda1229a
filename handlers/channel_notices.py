"""What a channel adapter itself must tell a person, before the conversation core sees the message."""

from handlers.i18n import _
from handlers.messages import Reply


def file_too_large(limit_mb: int) -> Reply:
    return Reply(
        _(
            "This file is too large for the bot (more than {limit} MB) and was not saved. "
            "Please send a smaller file, or send the photo as a normal photo instead of as a file.",
            limit=limit_mb,
        )
    )


def some_files_too_large(refused: list[tuple[int, str | None]], limit_mb: int) -> Reply:
    """Part of an album could not be downloaded: the rest goes on to the conversation, which says what it made of
    them; this says only which ones it never saw.

    `refused`: each file's place in the album (from 1) and its name when it has one (a file; photos have none).
    """
    names = [name or _("photo {number}", number=number) for number, name in refused]
    return Reply(
        _(
            "Not saved, larger than {limit} MB: {names}. Send those again smaller, or as normal photos instead of "
            "as files.",
            limit=limit_mb,
            names=", ".join(names),
        )
    )
