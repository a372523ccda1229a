"""Ringkasan, the overview page."""

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.dashboard.pages import page, speaking
from handlers.i18n import _
from services.assignments import rts_for
from services.web_sessions import SignedIn


async def ringkasan_page(session: AsyncSession, viewer: SignedIn) -> str:
    rts = await rts_for(session, viewer.person)
    with speaking(viewer):
        title = _("Overview")
    return page("ringkasan.html", viewer, title=title, active="ringkasan", rt_count=len(rts))
