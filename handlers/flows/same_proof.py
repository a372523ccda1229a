"""The same proof twice: /dana and /belanja ask before keeping a file whose content this RT already used.

The same nota entered twice is most often the same purchase entered twice, which /saldo would count twice. It may
also be right (one nota split over two bidang), so the treasurer decides: "Tetap simpan" saves, "Batal" does not.
"""

import hashlib
from collections.abc import Awaitable, Callable

from handlers.context import Context
from handlers.flow import Data, Finish, Goto, Outcome, Stay, Step
from handlers.flows import bendahara_input as ask
from handlers.formatting import rupiah, tanggal
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Reply
from services import funds
from services.media import Evidence
from services.models import RT

SAME_STEP = "sama"


async def detour(ctx: Context, data: Data, rt: RT, proof: Evidence) -> Outcome | None:
    """Ask first when this RT already has a proof with the same content (unless the person said to keep it)."""
    sha256 = hashlib.sha256(proof.content).hexdigest()
    if data.get("same_ok") == sha256 or await funds.same_proof(ctx.session, rt.id, sha256) is None:
        return None
    data["same"] = sha256
    return Goto(SAME_STEP)


def step(subject: Callable[[], str], save: Callable[[Context, Data], Awaitable[Outcome]]) -> Step:
    """The question "this proof was already used: save anyway?"; Save anyway runs the flow's `save` again."""

    async def ask_same(ctx: Context, data: Data) -> Reply:
        rt = await ask.own_rt(ctx)
        match = await funds.same_proof(ctx.session, rt.id, data["same"]) if rt and data.get("same") else None
        described = _same_text(ctx, subject(), match)
        lines = [described] if described else []
        lines.append(_("Recorded twice, it would count twice in /saldo. Save it anyway?"))
        choices = (Choice(ask.SAVE, _("Save anyway")), Choice(ask.CANCEL, _("Cancel")))
        return Reply("\n".join(lines), choices, Expect.CHOICE)

    async def handle_same(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
        answer, reason = ask.read_confirm(incoming)
        if reason:
            return Stay(reason)
        if answer == ask.CANCEL:
            return Finish((Reply(ask.not_saved_reply_text()),))
        data["same_ok"] = data.pop("same", None)
        return await save(ctx, data)

    return Step(ask_same, handle_same)


def _same_text(ctx: Context, subject: str, match: funds.SameProof | None) -> str | None:
    if match is None:
        return None
    if match.what == "spending":
        return _(
            "{this} is the same as the proof of spending of {amount} on {date}.",
            this=subject,
            amount=rupiah(match.amount),
            date=tanggal(match.on),
        )
    if match.what == "receipt":
        return _(
            "{this} is the same as the proof of funds received of {amount} on {date}.",
            this=subject,
            amount=rupiah(match.amount),
            date=tanggal(match.on),
        )
    stage = next((s for s in ctx.program.stages if s.kode == match.stage_key), None)
    if stage is None or match.on is None:
        return None  # not described rather than described half: the question below still stands
    return _(
        "{this} is the same as a photo of the report of {stage} on {date}.",
        this=subject,
        stage=stage.nama,
        date=tanggal(match.on),
    )
