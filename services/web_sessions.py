"""Signing in to the dashboard without passwords: a one-time link from the chat opens a browser session.

A link is valid for 10 minutes and opens one session, once: redeeming is a conditional update, so two tabs (or
an attacker racing the owner) opening the same link at the same moment cannot both get in. A session ends after
12 hours without a request, or when the person signs out. Only HMAC hashes of the tokens are stored.

Who may sign in is the dashboard's one rule on top of services/assignments.py: admins and pendamping (the roles
that review); what each of them may see is then asked of assignments, as in the chat.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services import audit
from services.assignments import REVIEWER_ROLES
from services.models import Person, WebLoginLink, WebSession
from services.problems import ProblemError

LINK_VALID = timedelta(minutes=10)
IDLE_LIMIT = timedelta(hours=12)
# A session's last request is written at most this often: a page load must not be a write each time.
TOUCH_EVERY = timedelta(minutes=1)
LINK_PATH = "/masuk/"


def token_hash(token: str, pepper: bytes) -> str:
    return hmac.new(pepper, b"web:" + token.encode(), hashlib.sha256).hexdigest()


def may_sign_in(person: Person | None) -> bool:
    return person is not None and person.active and person.role in REVIEWER_ROLES


def link_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + LINK_PATH + token


async def issue_link(session: AsyncSession, person: Person, pepper: bytes, *, now: datetime, actor: str) -> str:
    """A new sign-in token for this person (the caller makes the URL with link_url). Raises web_not_allowed."""
    if not may_sign_in(person):
        raise ProblemError.one("web_not_allowed", role=person.role)
    token = secrets.token_urlsafe(32)
    session.add(
        WebLoginLink(
            person_id=person.id, token_hash=token_hash(token, pepper), created_at=now, expires_at=now + LINK_VALID
        )
    )
    audit.record(session, actor=actor, action="web.link", entity="person", entity_id=person.id, person_id=person.id)
    return token


@dataclass(frozen=True)
class Opened:
    """A session just opened: the cookie's token (shown once, never stored) and the session row."""

    token: str
    web_session: WebSession
    person: Person


async def redeem_link(session: AsyncSession, token: str, pepper: bytes, *, now: datetime, actor: str) -> Opened:
    """Open a session with a link token. Raises web_link_unknown / web_link_used / web_link_expired /
    web_not_allowed; nothing is written then."""
    hashed = token_hash(token, pepper)
    link = await session.scalar(select(WebLoginLink).where(WebLoginLink.token_hash == hashed))
    if link is None:
        raise ProblemError.one("web_link_unknown")
    if link.used_at is not None:
        raise ProblemError.one("web_link_used")
    if link.expires_at <= now:
        raise ProblemError.one("web_link_expired")
    person = await session.get(Person, link.person_id)
    if not may_sign_in(person):
        raise ProblemError.one("web_not_allowed", role=person.role if person else None)
    claimed = await session.execute(
        update(WebLoginLink)
        .where(WebLoginLink.id == link.id, WebLoginLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ProblemError.one("web_link_used")  # the same link, opened a moment earlier elsewhere
    cookie = secrets.token_urlsafe(32)
    opened = WebSession(
        person_id=person.id,
        token_hash=token_hash(cookie, pepper),
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
    )
    session.add(opened)
    audit.record(session, actor=actor, action="web.masuk", entity="person", entity_id=person.id, person_id=person.id)
    await session.flush()
    return Opened(cookie, opened, person)


@dataclass(frozen=True)
class SignedIn:
    person: Person
    web_session: WebSession

    @property
    def csrf_token(self) -> str:
        return self.web_session.csrf_token

    def csrf_ok(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.csrf_token.encode())


async def signed_in(session: AsyncSession, token: str, pepper: bytes, *, now: datetime) -> SignedIn | None:
    """The person behind a session token, if the session is open, not idle too long, and the person may still
    sign in (a pendamping who became a ketua RT, or was deactivated, is out at the next request)."""
    web_session = await session.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token, pepper)))
    if web_session is None or web_session.ended_at is not None or now - web_session.last_seen_at > IDLE_LIMIT:
        return None
    person = await session.get(Person, web_session.person_id)
    if not may_sign_in(person):
        return None
    if now - web_session.last_seen_at >= TOUCH_EVERY:
        web_session.last_seen_at = now
    return SignedIn(person, web_session)


async def sign_out(session: AsyncSession, token: str, pepper: bytes, *, now: datetime, actor: str) -> bool:
    web_session = await session.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token, pepper)))
    if web_session is None or web_session.ended_at is not None:
        return False
    web_session.ended_at = now
    audit.record(
        session,
        actor=actor,
        action="web.keluar",
        entity="person",
        entity_id=web_session.person_id,
        person_id=web_session.person_id,
    )
    return True
