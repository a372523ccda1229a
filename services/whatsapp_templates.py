"""WhatsApp message templates as data: what the bot may send outside a person's 24-hour window.

Loaded from `services/data/whatsapp_templates.toml` and validated as a whole against Meta's rules (body length,
parameters numbered without a gap, quick-reply titles) and ours (every purpose the bot needs is there, and only
those): every problem is reported at once, and a broken file is never half-used. Sending is not here: a template is
only a name, a language, a body with `{{n}}` parameters and quick replies that open a command.
"""

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from services.problems import ProblemCollector, ProblemError

DEFAULT_TEMPLATES_FILE = Path(__file__).parent / "data" / "whatsapp_templates.toml"

# What the bot sends templates for. A purpose nobody sends for is a typo; a missing one a gap in what the bot can say.
PURPOSES = {
    "pengingat_bulanan": "the monthly reminder to a Ketua RT",
    "pengingat_bendahara": "the monthly reminder to a Bendahara Pokja",
    "pengingat_susulan": "the nudge about a late report",
    "pemberitahuan": "a general notification: a broadcast's text or a review decision",
    "buka_percakapan": "the opener: please reply, so the waiting messages can follow inside the window",
}
# Only utility templates: reminders and notices of a program people take part in. Marketing costs more and is
# refused to people who opted out of it.
CATEGORIES = ("utility",)
MAX_BODY = 1024  # Meta's limit for a template body
MAX_BUTTON_TITLE = 20  # one phone screen; the same as interactive reply buttons (BAHASA.md)
MAX_BUTTONS = 3  # more are folded behind "See all options" on the phone
NAME = re.compile(r"[a-z0-9_]{1,512}")
LANGUAGE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?")
# The command a quick reply leads into: the same shape as a slash command.
COMMAND = re.compile(r"[a-z_]{1,32}")
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")


@dataclass(frozen=True)
class TemplateParameter:
    number: int
    arti: str  # what it holds
    contoh: str  # an example, shown to Meta's reviewers


@dataclass(frozen=True)
class QuickReply:
    title: str
    opens: str  # the command the press leads into, without the slash


@dataclass(frozen=True)
class Template:
    purpose: str
    name: str
    language: str
    category: str
    body: str
    parameters: tuple[TemplateParameter, ...]
    buttons: tuple[QuickReply, ...]

    def filled(self, values: tuple[str, ...]) -> str:
        """The body as the person would read it with these values."""
        if len(values) != len(self.parameters):
            raise ValueError(f"{self.name} takes {len(self.parameters)} parameters, got {len(values)}")
        return PLACEHOLDER.sub(lambda m: values[int(m.group(1).strip()) - 1], self.body)

    def example(self) -> str:
        return self.filled(tuple(p.contoh for p in self.parameters))


@dataclass(frozen=True)
class Templates:
    templates: tuple[Template, ...]

    def for_purpose(self, purpose: str) -> Template:
        for template in self.templates:
            if template.purpose == purpose:
                return template
        raise KeyError(purpose)


def load_templates(path: str | Path | None = None) -> Templates:
    """Read and validate a templates file; the shipped one when no path is given."""
    where = str(path or DEFAULT_TEMPLATES_FILE)
    try:
        text = Path(where).read_text(encoding="utf-8")
    except OSError as error:
        raise ProblemError.one("wa_templates_unreadable", path=where, error=str(error)) from error
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProblemError.one("wa_templates_not_toml", path=where, error=str(error)) from error
    return parse_templates(raw)


@cache
def shipped_templates() -> Templates:
    return load_templates()


def parse_templates(raw: dict[str, Any]) -> Templates:
    parser = _Parser()
    templates = parser.templates(raw.get("template"))
    if parser.problems:
        raise ProblemError(parser.problems)
    return Templates(templates)


class _Parser(ProblemCollector):
    """The template file, read as a whole."""

    def templates(self, raw: Any) -> tuple[Template, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem("template", "wa_no_templates")
            return ()
        templates = [self.template(table, f"template[{i + 1}]") for i, table in enumerate(raw)]
        found = [t for t in templates if t is not None]
        for key in ("purpose", "name"):
            seen: set[str] = set()
            for template in found:
                value = getattr(template, key)
                if value in seen:
                    self.problem("template", "wa_duplicate", what=key, value=value)
                seen.add(value)
        given = {table.get("purpose") for table in raw if isinstance(table, dict)}
        for purpose in PURPOSES:
            if purpose not in given:
                self.problem("template", "wa_missing_purpose", purpose=purpose)
        return tuple(found)

    def template(self, table: Any, where: str) -> Template | None:
        if not isinstance(table, dict):
            self.problem(where, "wa_no_templates")
            return None
        problems_before = len(self.problems)
        purpose = self.text(table, "purpose", where)
        if purpose is not None and purpose not in PURPOSES:
            self.problem(f"{where}.purpose", "wa_unknown_purpose", value=purpose, known=", ".join(PURPOSES))
        name = self.text(table, "name", where)
        if name is not None and not NAME.fullmatch(name):
            self.problem(f"{where}.name", "wa_bad_name", value=name)
        language = table.get("language", "id")
        if not isinstance(language, str) or not LANGUAGE.fullmatch(language):
            self.problem(f"{where}.language", "wa_bad_language", value=language)
        category = table.get("category", "utility")
        if category not in CATEGORIES:
            self.problem(f"{where}.category", "wa_bad_category", value=category, known=", ".join(CATEGORIES))
        body = self.text(table, "body", where)
        parameters = self.parameters(table.get("parameter", []), where)
        if body is not None:
            self.check_body(body, len(parameters), f"{where}.body")
        buttons = self.buttons(table.get("button", []), where)
        if len(self.problems) > problems_before:
            return None
        return Template(purpose, name, language, category, body, parameters, buttons)

    def check_body(self, body: str, listed: int, where: str) -> None:
        if len(body) > MAX_BODY:
            self.problem(where, "wa_body_too_long", length=len(body), maximum=MAX_BODY)
        found = [m.group(1).strip() for m in PLACEHOLDER.finditer(body)]
        numbers = sorted({int(n) for n in found if n.isdigit()})
        if any(not n.isdigit() for n in found) or numbers != list(range(1, len(numbers) + 1)):
            self.problem(where, "wa_parameter_gap", found=", ".join("{{" + n + "}}" for n in found))
        elif len(numbers) != listed:
            self.problem(where, "wa_parameter_count", body=len(numbers), listed=listed)
        # Meta refuses a body that starts or ends with a parameter.
        if PLACEHOLDER.match(body) or body.endswith("}}"):
            self.problem(where, "wa_parameter_at_edge")

    def parameters(self, raw: Any, where: str) -> tuple[TemplateParameter, ...]:
        parameters = []
        for index, table in enumerate(raw if isinstance(raw, list) else []):
            p_where = f"{where}.parameter[{index + 1}]"
            arti = self.text(table, "arti", p_where)
            contoh = self.text(table, "contoh", p_where)
            if contoh is not None and ("\n" in contoh or "\t" in contoh):
                # What is sent in its place cannot hold one either (Meta's error 132018).
                self.problem(f"{p_where}.contoh", "wa_example_line_break")
            parameters.append(TemplateParameter(index + 1, arti or "", contoh or ""))
        return tuple(parameters)

    def buttons(self, raw: Any, where: str) -> tuple[QuickReply, ...]:
        raw = raw if isinstance(raw, list) else []
        if len(raw) > MAX_BUTTONS:
            self.problem(f"{where}.button", "wa_too_many_buttons", count=len(raw), maximum=MAX_BUTTONS)
        buttons = []
        for index, table in enumerate(raw):
            b_where = f"{where}.button[{index + 1}]"
            title = self.text(table, "title", b_where)
            if title is not None and len(title) > MAX_BUTTON_TITLE:
                self.problem(
                    f"{b_where}.title",
                    "wa_button_title_too_long",
                    title=title,
                    length=len(title),
                    maximum=MAX_BUTTON_TITLE,
                )
            opens = table.get("opens")
            if not isinstance(opens, str) or not COMMAND.fullmatch(opens):
                self.problem(f"{b_where}.opens", "wa_bad_opens", value=opens)
            if title is not None and title in [b.title for b in buttons]:
                self.problem(f"{b_where}.title", "wa_duplicate", what="title", value=title)
            buttons.append(QuickReply(title or "", opens if isinstance(opens, str) else ""))
        return tuple(buttons)
