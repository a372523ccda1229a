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
