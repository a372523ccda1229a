"""Typer's own words in `--help` and errors ("Usage:", "Options", "Show this message and exit.") in Indonesian, like
everything else the CLI prints.

Typer words them three ways: a few through the standard library's gettext in the domain "messages" (the name of our
catalogs too: `install()` points it at locales/ and asks for Indonesian), the panel titles as constants read once at
import (set again here), and two plain English strings in its copy of Click (the help option and the usage prefix:
set here where Typer lets us, skipped silently if a later Typer moves them). Every word goes through `_()`, so
`make extract` keeps it in the catalog.
"""

import functools
import gettext
import os

from typer import rich_utils

from handlers.i18n import DEFAULT_LOCALE, DOMAIN, LOCALES_DIR, _


def _gettext_words() -> tuple[str, ...]:
    # Never shown from here: listed so the catalog keeps them (typer.core asks gettext for them at run time).
    return (
        _("Missing command."),
        _("No such command {name!r}."),
        _("Aborted!"),
        _("default: {default}"),
        _("required"),
        _("env var: {var}"),
    )


def install() -> None:
    gettext.bindtextdomain(DOMAIN, str(LOCALES_DIR))
    # The CLI speaks one language whatever the operator's LANG: Indonesian, like the bot.
    os.environ["LANGUAGE"] = DEFAULT_LOCALE
    rich_utils.ARGUMENTS_PANEL_TITLE = _("Arguments")
    rich_utils.OPTIONS_PANEL_TITLE = _("Options")
    rich_utils.COMMANDS_PANEL_TITLE = _("Commands")
    rich_utils.ERRORS_PANEL_TITLE = _("Error")
    rich_utils.ABORTED_TEXT = _("Aborted.")
    rich_utils.DEFAULT_STRING = _("[default: {}]")
    rich_utils.REQUIRED_LONG_STRING = _("[required]")
    rich_utils.RICH_HELP = _("Try [blue]'{command_path} {help_option}'[/] for help.")
    _vendored_click()


def _vendored_click() -> None:
    try:
        from typer._click import core, formatting
    except ImportError:  # another Typer: its own words stay
        return
    help_text = _("Show this message and exit.")
    usage = _("Usage:") + " "
    get_help_option = getattr(core.Command, "get_help_option", None)
    write_usage = getattr(formatting.HelpFormatter, "write_usage", None)
    if get_help_option is not None and not hasattr(get_help_option, "__wrapped__"):

        @functools.wraps(get_help_option)
        def translated_help_option(self, ctx):
            option = get_help_option(self, ctx)
            if option is not None:
                option.help = help_text
            return option

        core.Command.get_help_option = translated_help_option
    if write_usage is not None and not hasattr(write_usage, "__wrapped__"):

        @functools.wraps(write_usage)
        def translated_usage(self, prog, args="", prefix=None):
            return write_usage(self, prog, args, usage if prefix is None else prefix)

        formatting.HelpFormatter.write_usage = translated_usage
