"""Rendering a dashboard page: one Jinja2 environment, autoescaped, with `_()` and the chat's formatters.

Templates live in `handlers/dashboard/templates/`; `make extract` reads their `_("...")` calls into the same
catalog as the chat (babel.cfg), so a page speaks the signed-in person's language like a reply does.
"""

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from handlers import formatting
from handlers.i18n import current_locale, gettext, use_locale
from handlers.menu import role_name

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a missing value is a bug to see in the tests, not an empty cell on the page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        _=gettext,
        locale=current_locale,
        role_name=role_name,
        rupiah=formatting.rupiah,
        angka=formatting.number,
        tanggal=formatting.tanggal,
        waktu=formatting.waktu,
        rt_nama=formatting.rt_nama_dari_kode,
    )
    return env


def render(template: str, *, locale: str | None, **values: Any) -> str:
    """The page in the person's language (Indonesian unless they chose English)."""
    with use_locale(locale):
        return environment().get_template(template).render(**values)
