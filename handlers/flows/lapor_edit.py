"""/lapor, changing one thing from the summary: the date, one answer, one photo (or file), or adding more.

The summary's buttons lead to the step that asks it again with `EDITING` set; that step then returns to the
summary instead of going on to the next question. Replacing a file is two steps: which one, then the new one.

A report sent back with the parts to fix (services.review.FIX_PARTS) asks those parts one after the other
(`FIX_QUEUE`) the same way, then shows the summary.
"""

from handlers.context import Context
from handlers.flow import Data, Goto, Outcome, Stay
from handlers.flows.lapor_media import receive
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Kind, Reply
from services import numbers, reports

EDITING = "editing"
ALL_FIELDS = "all_fields"  # EDITING's value while every question of the stage is asked again
FIX_QUEUE = "fix_queue"
EDIT_PREFIX = "edit:"
BACK = "back"
MORE = "more"


def edit_choices(ctx: Context, data: Data) -> tuple[Choice, ...]:
    stage = ctx.program.stage(data["stage"])
    choices = [Choice(f"{EDIT_PREFIX}date", _("Change the date"))]
    choices += [
        Choice(f"{EDIT_PREFIX}field:{index}", _("Change: {label}", label=field.label))
        for index, field in enumerate(stage.isian)
    ]
    if data.get("files"):
        only_documents = stage.dokumen_min and not stage.foto_min
        choices.append(Choice(f"{EDIT_PREFIX}swap", _("Replace a file") if only_documents else _("Replace a photo")))
    choices.append(Choice(f"{EDIT_PREFIX}add", _("Send more")))
    return tuple(choices)


def edit_pressed(ctx: Context, data: Data, incoming: Incoming) -> Outcome | None:
    """The step a summary's change button leads to; None when no such button was pressed."""
    if incoming.kind != Kind.CHOICE or not (incoming.choice or "").startswith(EDIT_PREFIX):
        return None
    what, _sep, argument = incoming.choice[len(EDIT_PREFIX) :].partition(":")
    if what == "date":
        data[EDITING] = True
        return Goto("date")
    if what == "field":
        index = numbers.index(argument, len(ctx.program.stage(data["stage"]).isian))
        if index is None:
            return None
        data[EDITING], data["field"] = True, index
        return Goto("field")
    if what == "swap" and data.get("files"):
        return Goto("swap")
    if what == "add":
        return Goto("media")
    return None


def edited(data: Data) -> bool:
    """True once (the answer just given was a change from the summary): the step then returns to it."""
    return bool(data.pop(EDITING, False))


def after_change(ctx: Context, data: Data, replies: tuple[Reply, ...] = ()) -> Goto:
    """Once a change is made: the next part the pendamping asked to fix, else the summary."""
    queue = list(data.get(FIX_QUEUE) or [])
    while queue:
        part = queue.pop(0)
        data[FIX_QUEUE] = queue
        step = _start_part(ctx, data, part)
        if step is not None:
            return Goto(step, replies)
    data.pop(FIX_QUEUE, None)
    return Goto("confirm", replies)


def _start_part(ctx: Context, data: Data, part: str) -> str | None:
    if part == "tanggal":
        data[EDITING] = True
        return "date"
    if part == "isian" and ctx.program.stage(data["stage"]).isian:
        data[EDITING], data["field"] = ALL_FIELDS, 0
        return "field"
    if part == "foto":
        return "swap" if data.get("files") else "media"
    return None


def part_names(parts: list[str]) -> str:
    names = {"tanggal": _("the date"), "isian": _("the answers"), "foto": _("the photos")}
    return ", ".join(names[p] for p in parts if p in names)


def file_name(file: dict, number: int) -> str:
    if file.get("name"):
        return file["name"]
    if file["counts_as"] == reports.PHOTO:
        return _("Photo no. {number}", number=number)
    return _("File no. {number}", number=number)


async def ask_swap(ctx: Context, data: Data) -> Reply:
    choices = tuple(Choice(f"w:{i}", file_name(f, i + 1)) for i, f in enumerate(data["files"]))
    return Reply(
        _("Which one do you want to replace? Press it."),
        (*choices, Choice(MORE, _("Send more")), Choice(BACK, _("Back to the summary"))),
        Expect.CHOICE,
    )


async def handle_swap(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    if incoming.kind == Kind.CHOICE and incoming.choice == BACK:
        data.pop(FIX_QUEUE, None)
        return Goto("confirm")
    if incoming.kind == Kind.CHOICE and incoming.choice == MORE:
        return Goto("media")
    index = None
    if incoming.kind == Kind.CHOICE and (incoming.choice or "").startswith("w:"):
        index = numbers.index(incoming.choice[2:], len(data["files"]))
    elif incoming.kind == Kind.TEXT:
        index = numbers.position(incoming.text.strip(), len(data["files"]))
    if index is None:
        return Stay(_("Please press the photo or file to replace."))
    data["swap"] = index
    return Goto("swap_send")


async def ask_swap_send(ctx: Context, data: Data) -> Reply:
    index = data["swap"]
    text = _("Send the new photo or file to replace {name}.", name=file_name(data["files"][index], index + 1))
    return Reply(text, (Choice(BACK, _("Back to the summary")),), Expect.MEDIA)


async def handle_swap_send(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    if incoming.kind == Kind.CHOICE and incoming.choice == BACK:
        data.pop("swap", None)
        return Goto("confirm")
    if incoming.kind != Kind.MEDIA or not incoming.media:
        return Stay(_("Please send one photo or file."))
    index = data["swap"]
    others = [f for i, f in enumerate(data["files"]) if i != index]
    trial = {**data, "files": others}
    outcome = receive(ctx.program.stage(data["stage"]), trial, incoming.media[:1])
    if isinstance(outcome, Stay):
        return outcome
    files = list(data["files"])
    files[index] = trial["files"][-1]
    data["files"] = files
    data.pop("swap")
    return after_change(ctx, data, (Reply(_("Replaced.")),))
