"""`/masuk`: a one-time link to the dashboard, for pendamping and admins (valid 10 minutes, usable once)."""

from handlers.context import Context
from handlers.flow import Data, Finish, Flow, Outcome
from handlers.i18n import _
from handlers.messages import Reply
from services import web_sessions
from services.models import Role


async def start(ctx: Context, data: Data) -> Outcome:
    token = await web_sessions.issue_link(ctx.session, ctx.person, ctx.pepper, now=ctx.now, actor=ctx.actor)
    base_url = ctx.settings.get("web_url") or ""
    text = _(
        "Bapak/Ibu's link to the dashboard:\n{link}\n\nOpen it on a computer within 10 minutes; it works once. "
        "Do not share it: whoever opens it is signed in as Bapak/Ibu. Send /masuk again for a new link.",
        link=web_sessions.link_url(base_url, token),
    )
    return Finish((Reply(text),))


FLOW = Flow(name="masuk", roles=frozenset({Role.PENDAMPING, Role.ADMIN}), start=start)
