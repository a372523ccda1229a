"""The simulator page: a chat box where a pendamping or admin plays a training Ketua RT or Bendahara
(services/training.py), the conversation drawn as the chat apps draw it, with the buttons as real buttons."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.dashboard.pages import page, speaking
from handlers.formatting import rt_nama
from handlers.i18n import _
from handlers.menu import role_name
from handlers.messages import Reply
from handlers.payload import reply_from_payload
from services.models import Role
from services.simulator_log import Turn, transcript
from services.training import ROLES, Training, training_of, user_id
from services.web_sessions import SignedIn


def training_names(viewer: SignedIn) -> dict[str, str]:
    """The test persons' names, in the language of the viewer who starts the training (stored once)."""
    with speaking(viewer):
        return {Role.KETUA_RT: _("Training Ketua RT"), Role.BENDAHARA: _("Training Bendahara Pokja")}


def played_role(value: object) -> str:
    """The role asked for in a form or address; the Ketua RT unless it names another training role."""
    return value if isinstance(value, str) and value in ROLES else Role.KETUA_RT.value


def sent_payload(kind: str, text: str = "", files: tuple[str, ...] = ()) -> dict:
    """What the transcript keeps of a message the training person sent (services/simulator_log.py)."""
    return {"kind": kind, "text": text, "files": list(files)}


@dataclass(frozen=True)
class Bubble:
    mine: bool
    at: datetime
    text: str
    files: tuple[str, ...] = ()
    reply: Reply | None = None  # the bot's, with its buttons


def _bubble(turn: Turn) -> Bubble:
    if turn.mine:
        files = tuple(turn.payload.get("files") or ())
        return Bubble(True, turn.at, turn.payload.get("text", ""), files)
    reply = reply_from_payload(turn.payload)
    return Bubble(False, turn.at, reply.text, reply=reply)


def training_rt_name(training: Training) -> str:
    kelurahan = training.rt.kelurahan.nama if training.rt.kelurahan else training.rt.kelurahan_kode
    return _("{rt} (TRAINING)", rt=rt_nama(training.rt.nomor, kelurahan))


async def simulator_page(session: AsyncSession, viewer: SignedIn, role: str, *, now: datetime, nonce: str) -> str:
    training = await training_of(session, viewer.person)
    turns = await transcript(session, user_id(viewer.person, role), now=now) if training else []
    with speaking(viewer):
        title = _("Simulator")
        roles = [(r.value, _("{role} (training)", role=role_name(r))) for r in ROLES]
        rt_name = training_rt_name(training) if training else None
        playing = training.people[role].nama if training and role in training.people else None
    return page(
        "simulator.html",
        viewer,
        title=title,
        active="simulator",
        training=training,
        rt_name=rt_name,
        playing=playing,
        role=role,
        roles=roles,
        bubbles=[_bubble(turn) for turn in turns],
        nonce=nonce,
    )
