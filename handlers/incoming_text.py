"""Turn typed text into an `Incoming`: `/kk`, `/start CODE`, `DAFTAR CODE`, `MULAI` and plain text."""

from handlers.messages import Incoming, Kind
from services.visible_text import visible

# Words people type instead of commands (WhatsApp has no slash menu; many Ketua RT type in capitals).
WORD_COMMANDS = {"daftar": "start", "mulai": "start", "menu": "menu", "bantuan": "bantuan", "batal": "batal"}
MAX_TEXT = 4096


def text_incoming(channel: str, user_id: str, text: str, display_name: str | None = None) -> Incoming:
    # Cleaned before it is read as a command too: a zero-width space before `/kk` must not hide the command.
    text = visible(text or "")[:MAX_TEXT]
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        head, _, args = stripped[1:].partition(" ")
        # "/start@KampungBahagiaBot" in groups: the bot name is not part of the command.
        command = head.split("@", 1)[0].lower()
        return Incoming(
            channel, user_id, Kind.COMMAND, text=text, command=command, args=args.strip(), display_name=display_name
        )
    head, _, args = stripped.partition(" ")
    if head.lower() in WORD_COMMANDS and (head.lower() != "daftar" or args):
        return Incoming(
            channel,
            user_id,
            Kind.COMMAND,
            text=text,
            command=WORD_COMMANDS[head.lower()],
            args=args.strip(),
            display_name=display_name,
        )
    return Incoming(channel, user_id, Kind.TEXT, text=text, display_name=display_name)
