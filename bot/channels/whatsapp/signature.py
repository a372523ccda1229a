"""Webhook security as pure functions: Meta's GET handshake and the `X-Hub-Signature-256` of every POST.

Both compare in constant time, so how much of a guess was right never shows in the answer time.
"""

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def _same(given: str, ours: str) -> bool:
    # compare_digest refuses non-ASCII str; bytes accept anything and still compare in constant time.
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), ours.encode("utf-8", "surrogatepass"))


def handshake(params: Mapping[str, str], verify_token: str) -> str | None:
    """The `hub.challenge` to answer for a correct subscription request, else None (to be answered 403)."""
    if not verify_token or params.get("hub.mode") != "subscribe":
        return None  # an empty token configured must never match an empty token sent
    given = params.get("hub.verify_token")
    challenge = params.get("hub.challenge")
    if given is None or challenge is None or not _same(given, verify_token):
        return None
    return challenge


def sign(body: bytes, app_secret: str) -> str:
    """The header value Meta sends for this raw body: `sha256=<hex HMAC-SHA256>` (used by the fake and tests)."""
    return _PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, header: str | None, app_secret: str) -> bool:
    """True only when the header is exactly the HMAC-SHA256 of the raw body with our app secret."""
    if not app_secret or not header or not header.startswith(_PREFIX):
        return False
    # Hex digits in either case are the same signature; anything else (wrong length, not hex) simply differs.
    return _same(header[len(_PREFIX) :].strip().lower(), sign(body, app_secret)[len(_PREFIX) :])
