"""`kampung-bahagia web-login --person NAME`: a one-time dashboard link, printed (the first admin has no chat yet).

With `--admin-baru` a person of that name is created as the first DPMPPA admin when nobody matches; without it a
typo never creates anyone.
"""

import typer

from bot.bootstrap import App
from bot.cli.chat import find_people, people_listing
from bot.cli.common import Refused, console, run_with_app
from handlers.i18n import _
from services import audit, web_sessions
from services.models import Person, Role


def register(app: typer.Typer) -> None:
    @app.command("web-login", help=_("Print a one-time sign-in link to the dashboard (valid 10 minutes)."))
    def web_login(
        person: str = typer.Option(..., "--person", help=_("The person's name, phone number or id.")),
        admin_baru: bool = typer.Option(
            False, "--admin-baru", help=_("Create this person as a DPMPPA admin when nobody matches.")
        ),
    ) -> None:
        async def work(app_: App) -> str:
            async with app_.db.unit_of_work() as session:
                people = [p for p in await find_people(session, person) if p.active]
                if not people and admin_baru:
                    created = Person(nama=person.strip(), role=Role.ADMIN)
                    session.add(created)
                    await session.flush()
                    audit.record(
                        session, actor="cli", action="person.admin_baru", entity="person", entity_id=created.id
                    )
                    people = [created]
                if not people:
                    raise Refused(
                        _("Nobody matches {reference}. For the first admin, add --admin-baru.", reference=person)
                    )
                if len(people) > 1:
                    raise Refused(
                        _(
                            "Several people match {reference}:\n{people}\nUse the number.",
                            reference=person,
                            people=people_listing(people),
                        )
                    )
                [chosen] = people
                if not web_sessions.may_sign_in(chosen):
                    raise Refused(_("The dashboard is for pendamping and DPMPPA admins only."))
                token = await web_sessions.issue_link(session, chosen, app_.pepper, now=app_.clock(), actor="cli")
                return web_sessions.link_url(app_.settings.public_web_url(), token)

        link = run_with_app(work)
        console.print(_("Open within 10 minutes, once:"), highlight=False)
        console.print(link, highlight=False, soft_wrap=True)
