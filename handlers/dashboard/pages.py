"""What every dashboard page shares: the menu (by role) and the frame values the base template reads."""

from contextlib import AbstractContextManager
from typing import Any

from handlers.dashboard.render import render
from handlers.i18n import _, use_locale
from services.models import Role
from services.web_sessions import SignedIn


def nav(viewer: SignedIn) -> list[tuple[str, str, str]]:
    """(key, address, label) of each menu entry this person may open."""
    entries = [
        ("ringkasan", "/", _("Overview")),
        ("rt", "/rt", _("RT list")),
        ("tinjauan", "/tinjauan", _("Review")),
        ("siaran", "/siaran", _("Broadcasts")),
        ("undangan", "/undangan", _("Invitations")),
        ("simulator", "/simulator", _("Simulator")),
    ]
    if viewer.person.role == Role.ADMIN:
        entries.insert(4, ("roster", "/roster", _("Roster")))
    return entries


def speaking(viewer: SignedIn | None) -> AbstractContextManager[None]:
    """Build a page's sentences inside this: they come out in the signed-in person's language."""
    return use_locale(viewer.person.locale if viewer else None)


def page(template: str, viewer: SignedIn | None, *, title: str, active: str = "", **values: Any) -> str:
    """A signed-in page (or, with viewer None, a sign-in or error page without the menu). Compute `title` and
    other sentences under `speaking(viewer)`."""
    with speaking(viewer):
        menu = nav(viewer) if viewer else []
    return render(
        template,
        locale=viewer.person.locale if viewer else None,
        viewer=viewer,
        nav=menu,
        title=title,
        active=active,
        **values,
    )


def message_page(viewer: SignedIn | None, title: str, text: str) -> str:
    """An error or notice page; title and text already in the person's language."""
    return page("message.html", viewer, title=title, text=text)


def refused(viewer: SignedIn | None) -> str:
    with speaking(viewer):
        return message_page(viewer, _("Not allowed"), _("This page or file is not for your account."))


def not_found(viewer: SignedIn | None) -> str:
    with speaking(viewer):
        return message_page(viewer, _("Not found"), _("There is nothing at this address."))
