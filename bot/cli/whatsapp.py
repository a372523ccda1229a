"""`kampung-bahagia whatsapp templates|usage`: the templates to submit to Meta, and how many were sent."""

import json
from pathlib import Path

import typer
from rich.table import Table

from bot.bootstrap import App
from bot.channels.whatsapp.templates import meta_submission, quick_reply_choice
from bot.cli.common import console, fail, run_with_app
from handlers.i18n import _, use_locale
from services import whatsapp_usage
from services.problems import ProblemError
from services.whatsapp_templates import Template, load_templates

app = typer.Typer(help=_("WhatsApp: message templates and their use."), no_args_is_help=True)


def _as_dict(template: Template) -> dict:
    return {
        "purpose": template.purpose,
        "meta": meta_submission(template),
        "parameters": [{"number": p.number, "arti": p.arti, "contoh": p.contoh} for p in template.parameters],
        "buttons": [{"title": b.title, "opens": b.opens, "payload": quick_reply_choice(b)} for b in template.buttons],
        "example": template.example(),
    }


def _print(template: Template) -> None:
    say = lambda text="": console.print(text, highlight=False, markup=False, soft_wrap=True)  # noqa: E731
    say(_("Template {name} (purpose: {purpose})", name=template.name, purpose=template.purpose))
    say(
        _("Language: {language} · category: {category}", language=template.language, category=template.category.upper())
    )
    say(_("Body (submit exactly this text):"))
    say(template.body)
    if template.parameters:
        say(_("Parameters:"))
        for p in template.parameters:
            say(f"  {{{{{p.number}}}}} " + _("{meaning}, for example: {example}", meaning=p.arti, example=p.contoh))
    if template.buttons:
        say(_("Quick reply buttons:"))
        for b in template.buttons:
            say("  " + _("{title} → opens /{command}", title=b.title, command=b.opens))
    say(_("As the person reads it:"))
    say(template.example())
    say()


@app.command(
    "templates",
    help=_("Each template's exact Indonesian text, parameters and buttons, ready to submit to Meta for approval."),
)
def templates(
    file: Path = typer.Option(None, "--file", help=_("Another templates file to check (default: the shipped one).")),
    as_json: bool = typer.Option(
        False, "--json", help=_("Print one JSON list, each with Meta's create-template shape.")
    ),
) -> None:
    try:
        loaded = load_templates(file)
    except ProblemError as error:
        fail(error)
    if as_json:
        print(json.dumps([_as_dict(t) for t in loaded.templates], ensure_ascii=False, indent=2))
        return
    with use_locale("id"):
        for template in loaded.templates:
            _print(template)


@app.command("usage", help=_("WhatsApp templates sent, per month and template (each one costs the city money)."))
def usage(as_json: bool = typer.Option(False, "--json", help=_("Print one JSON list."))) -> None:

    async def work(app_: App) -> list[whatsapp_usage.MonthlyUsage]:
        async with app_.db.unit_of_work() as session:
            return await whatsapp_usage.usage(session)

    rows = run_with_app(work)
    if as_json:
        print(json.dumps([{"month": r.month, "template": r.template, "count": r.count} for r in rows]))
        return
    with use_locale("id"):
        if not rows:
            console.print(_("No WhatsApp template counted yet."))
            return
        table = Table()
        for column in (_("month"), _("template"), _("sent")):
            table.add_column(column)
        for row in rows:
            table.add_row(row.month, row.template, str(row.count))
        console.print(table)
