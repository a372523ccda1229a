"""Text one person wrote and another will read, without the invisible characters that can disguise it.

A Telegram name `‮NIMDA` carries U+202E (right-to-left override) and shows as `ADMIN` to the pendamping; NULs,
other control characters and lone surrogates break storage or terminals. Format characters (Unicode category Cf:
bidi controls, zero-width spaces, soft hyphens) and control characters (Cc) go, except what text needs: line
breaks and tabs, and the zero-width (non-)joiner that emoji sequences (👨‍👩‍👧) and some scripts are built with.
"""

import re
import unicodedata

KEEP = frozenset("\n\t\u200c\u200d")
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")


def visible(text: str) -> str:
    """The text with its line breaks made `\\n` and every invisible control or format character removed."""
    text = _LINE_BREAKS.sub("\n", text)
    if text.isascii():
        return _ASCII_CONTROLS.sub("", text)
    return "".join(ch for ch in text if ch in KEEP or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))


def visible_name(name: str | None) -> str | None:
    """A person's name on one line, invisible characters removed; None when nothing visible is left."""
    if name is None:
        return None
    return " ".join(visible(name).split()) or None
