"""The sign-in pages' sentences: why a link did not open a session, and what to do instead."""

from handlers.i18n import _
from services.problems import ProblemError


def link_problem(error: ProblemError) -> str:
    code = error.problems[0].code
    return {
        "web_link_unknown": _(
            "This sign-in link is not valid. Check that the whole link was copied, or ask the bot for a new one "
            "with /masuk."
        ),
        "web_link_used": _("This sign-in link has already been used. Ask the bot for a new one with /masuk."),
        "web_link_expired": _(
            "This sign-in link has expired (it is valid for 10 minutes). Send /masuk to the bot for a new one."
        ),
        "web_not_allowed": _("The dashboard is for pendamping and DPMPPA admins only."),
    }.get(code, _("This sign-in link cannot be used. Send /masuk to the bot for a new one."))
