"""/lapor, the stage's own questions (the `isian` of the program file), one per message, read by kind."""

from handlers.context import Context
from handlers.flow import Data, Goto, Outcome, Stay
from handlers.flows import lapor_plausible as plausible
from handlers.flows.bendahara_input import too_large_amount_text
from handlers.flows.ketua_common import not_text_reason
from handlers.flows.lapor_edit import ALL_FIELDS, EDITING, after_change, edited
from handlers.formatting import number, rupiah
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Kind, Reply
from handlers.parsing import COUNT_UNITS, ParseError, parse_count, parse_rupiah
from services import numbers
from services.program import StageField

MAX_TEXT = 200


def fields_of(ctx: Context, data: Data) -> tuple[StageField, ...]:
    return ctx.program.stage(data["stage"]).isian


def shown(field: StageField, value: object) -> str:
    """An answer as the person will read it back in the summary."""
    if field.jenis == "bilangan":
        return number(int(value))
    if field.jenis == "rupiah":
        return rupiah(int(value))
    return str(value)


async def ask_field(ctx: Context, data: Data) -> Reply:
    fields = fields_of(ctx, data)
    index = data["field"]
    field = fields[index]
    hints = {
        "bilangan": _("Type a number, for example 45."),
        "teks": _("Type a short answer."),
        "rupiah": _("Type an amount, for example 500.000 or 1,5 juta."),
        "pilihan": _("Press one of the buttons."),
    }
    text = _(
        "Question {index} of {total}: {label}\n{hint}",
        index=index + 1,
        total=len(fields),
        label=field.label,
        hint=hints[field.jenis],
    )
    if field.jenis == "pilihan":
        # The question's number is in the button: all questions share one step (one conversation version), so an
        # older question's button is told apart here.
        choices = tuple(Choice(f"p:{index}:{i}", option) for i, option in enumerate(field.pilihan))
        return Reply(text, choices, Expect.CHOICE)
    return Reply(text, expect=Expect.NUMBER if field.jenis in ("bilangan", "rupiah") else Expect.TEXT)


async def handle_field(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    fields = fields_of(ctx, data)
    field = fields[data["field"]]
    if incoming.kind == Kind.CHOICE and not (incoming.choice or "").startswith(f"p:{data['field']}:"):
        return Stay(_("That button belongs to an earlier question. Please answer this one."))
    readers = {"bilangan": _count, "teks": _text, "rupiah": _amount, "pilihan": _option}
    value = readers[field.jenis](field, incoming)
    if isinstance(value, Stay):
        return value
    if field.jenis == "bilangan" and (question := await plausible.doubt(ctx, data, field, value)):
        data["doubt"] = {"value": value, "text": question}
        return Goto(plausible.STEP)
    return _accept(ctx, data, field, value)


async def handle_doubt(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    """The answer to "Is {count} right?": yes keeps the number, a new number is checked again."""
    field = fields_of(ctx, data)[data["field"]]
    kept = data["doubt"]["value"]
    if plausible.confirmed(incoming):
        data.pop("doubt")
        return _accept(ctx, data, field, kept)
    value = _count(field, incoming)
    if isinstance(value, Stay):
        return value
    question = await plausible.doubt(ctx, data, field, value)
    if question is None or value == kept:  # the same number typed again: the person means it
        data.pop("doubt")
        return _accept(ctx, data, field, value)
    data["doubt"] = {"value": value, "text": question}
    return Goto(plausible.STEP)


def _accept(ctx: Context, data: Data, field: StageField, value: object) -> Outcome:
    data["answers"] = {**data.get("answers", {}), field.kode: value}
    fields = fields_of(ctx, data)
    if data.get(EDITING) == ALL_FIELDS and data["field"] + 1 < len(fields):
        data["field"] += 1
        return Goto("field")
    if edited(data):
        return after_change(ctx, data)
    if data["field"] + 1 < len(fields):
        data["field"] += 1
        return Goto("field")
    return Goto("media")


def _count(field: StageField, incoming: Incoming) -> int | Stay:
    reason = not_text_reason(incoming)
    if reason:
        return Stay(reason)
    try:
        return parse_count(incoming.text, unit_words=COUNT_UNITS)
    except ParseError as error:
        reasons = {
            "negative": _("The number cannot be negative."),
            "fraction": _("Please type a whole number, without a comma."),
        }
        return Stay(reasons.get(error.code, _("That is not a number. Please type digits only, for example 45.")))


def _text(field: StageField, incoming: Incoming) -> str | Stay:
    reason = not_text_reason(incoming)
    if reason:
        return Stay(reason)
    value = " ".join(incoming.text.split())
    if len(value) > MAX_TEXT:
        return Stay(
            _(
                "That is too long ({length} characters). Please keep it under {maximum}.",
                length=len(value),
                maximum=MAX_TEXT,
            )
        )
    return value


def _amount(field: StageField, incoming: Incoming) -> int | Stay:
    reason = not_text_reason(incoming)
    if reason:
        return Stay(reason)
    try:
        return parse_rupiah(incoming.text)
    except ParseError as error:
        if error.code == "negative":
            return Stay(_("The amount cannot be negative. Type 0 if there is none."))
        if error.code == "too_large":
            return Stay(too_large_amount_text())
        return Stay(_("I could not read that amount. Type it like 500.000 or 1,5 juta (0 if there is none)."))


def _option(field: StageField, incoming: Incoming) -> str | Stay:
    if incoming.kind == Kind.CHOICE:
        index = numbers.index((incoming.choice or "").rpartition(":")[2], len(field.pilihan))
        if index is not None:
            return field.pilihan[index]
    if incoming.kind == Kind.TEXT:
        typed = incoming.text.strip().lower().replace(" ", "")
        for option in field.pilihan:
            # `50`, `50%` and `50 %` all mean the option `50%`.
            if typed and typed in (option.lower().replace(" ", ""), option.lower().rstrip("%")):
                return option
    return Stay(_("Please press one of the buttons: {options}.", options=", ".join(field.pilihan)))
