"""Signing in to the dashboard with a one-time link, the session cookie, CSRF, and who may sign in at all —
over real HTTP against the web app served by uvicorn, on SQLite and PostgreSQL."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.dashboard.auth import COOKIE
from services import web_sessions
from services.models import Person, Role, WebLoginLink, WebSession
from services.problems import ProblemError
from tests.bot.dashboard.running import Dashboard, csrf_of, running


async def test_without_a_session_every_page_sends_to_the_sign_in_page(dashboard: Dashboard) -> None:
    browser = dashboard.browser()
    for path in ("/", "/media/1"):
        response = await browser.get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/masuk"), path
    page = await browser.get("/masuk")
    assert page.status_code == 200 and "Kirim /masuk ke bot Kampung Bahagia" in page.text


async def test_a_link_opens_a_session_once(dashboard: Dashboard) -> None:
    dewi = await dashboard.person("Dewi Lubis")
    link = await dashboard.link_for(dewi)
    browser = dashboard.browser()
    opened = await browser.get(link)
    assert (opened.status_code, opened.headers["location"]) == (303, "/")
    overview = await browser.get("/")
    assert overview.status_code == 200 and "Dewi Lubis" in overview.text and "Pendamping" in overview.text
    again = await dashboard.browser().get(link)
    assert again.status_code == 400 and "sudah dipakai" in again.text and COOKIE not in again.cookies


async def test_the_same_link_opened_twice_at_once_opens_one_session(dashboard: Dashboard) -> None:
    link = await dashboard.link_for(await dashboard.person("Dewi Lubis"))
    first, second = await asyncio.gather(dashboard.browser().get(link), dashboard.browser().get(link))
    assert sorted([first.status_code, second.status_code]) == [303, 400]
    async with dashboard.app.db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(WebSession)) == 1


async def test_an_expired_link_is_refused(dashboard: Dashboard) -> None:
    link = await dashboard.link_for(await dashboard.person("Dewi Lubis"))
    async with dashboard.app.db.unit_of_work() as session:
        await session.execute(update(WebLoginLink).values(expires_at=dashboard.app.clock() - timedelta(seconds=1)))
    response = await dashboard.browser().get(link)
    assert response.status_code == 400 and "kedaluwarsa" in response.text


async def test_a_forged_link_or_cookie_opens_nothing(dashboard: Dashboard) -> None:
    response = await dashboard.browser().get("/masuk/not-a-real-token-but-long-enough-to-look-like-one")
    assert response.status_code == 400 and "tidak berlaku" in response.text
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    token, _signature = browser.cookies[COOKIE].rsplit(".", 1)
    forged = dashboard.browser()
    forged.cookies.set(COOKIE, f"{token}.{'0' * 32}")
    assert (await forged.get("/")).status_code == 303
    unsigned = dashboard.browser()
    unsigned.cookies.set(COOKIE, token)
    assert (await unsigned.get("/")).status_code == 303


async def test_only_hashes_of_the_tokens_are_stored(dashboard: Dashboard) -> None:
    link = await dashboard.link_for(await dashboard.person("Dewi Lubis"))
    browser = dashboard.browser()
    await browser.get(link)
    token = link.rsplit("/", 1)[1]
    cookie_token = browser.cookies[COOKIE].rsplit(".", 1)[0]
    async with dashboard.app.db.unit_of_work() as session:
        stored = [*await session.scalars(select(WebLoginLink.token_hash))]
        stored += [*await session.scalars(select(WebSession.token_hash))]
    assert token not in stored and cookie_token not in stored
    assert web_sessions.token_hash(token, dashboard.app.pepper) in stored


async def test_the_cookie_is_httponly_and_samesite_lax(dashboard: Dashboard) -> None:
    link = await dashboard.link_for(await dashboard.person("Dewi Lubis"))
    response = await dashboard.browser().get(link)
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header and "secure" not in header


async def test_the_cookie_is_secure_when_the_dashboard_is_served_over_https(
    database_url, tmp_path, program, pepper
) -> None:
    async with running(
        database_url, tmp_path, program, pepper, web_public_url="https://kampung.jambikota.go.id"
    ) as dashboard:
        link = await dashboard.link_for(await dashboard.person("Dewi Lubis"))
        response = await dashboard.browser().get(link)
        assert "secure" in response.headers["set-cookie"].lower()


async def test_a_ketua_rt_or_bendahara_cannot_get_a_link(dashboard: Dashboard) -> None:
    ketua = await dashboard.add_person("Pak Ketua", Role.KETUA_RT, "15.71.01.1001-001")
    async with dashboard.app.db.unit_of_work() as session:
        with pytest.raises(ProblemError) as refused:
            await web_sessions.issue_link(session, ketua, dashboard.app.pepper, now=dashboard.app.clock(), actor="t")
    assert refused.value.problems[0].code == "web_not_allowed"


async def test_a_pendamping_who_is_no_longer_one_is_out_at_the_next_request(dashboard: Dashboard) -> None:
    dewi = await dashboard.person("Dewi Lubis")
    browser = await dashboard.signed_in(dewi)
    assert (await browser.get("/")).status_code == 200
    async with dashboard.app.db.unit_of_work() as session:
        await session.execute(update(Person).where(Person.id == dewi.id).values(role=Role.KETUA_RT))
    assert (await browser.get("/")).status_code == 303


async def test_a_session_ends_after_twelve_idle_hours(dashboard: Dashboard) -> None:
    browser = await dashboard.signed_in(await dashboard.person("Dewi Lubis"))
    async with dashboard.app.db.unit_of_work() as session:
        idle = dashboard.app.clock() - web_sessions.IDLE_LIMIT - timedelta(minutes=1)
        await session.execute(update(WebSession).values(last_seen_at=idle))
    assert (await browser.get("/")).status_code == 303


async def test_signing_out_needs_the_csrf_token_and_then_ends_the_session(dashboard: Dashboard) -> None:
    browser = await dashboard.signed_in(await dashboard.person("Ani Admin"))
    page = await browser.get("/")
    missing = await browser.post("/keluar", data={})
    wrong = await browser.post("/keluar", data={"csrf": "x" * 43})
    assert missing.status_code == wrong.status_code == 403
    assert (await browser.get("/")).status_code == 200  # nothing was done
    out = await browser.post("/keluar", data={"csrf": csrf_of(page.text)})
    assert (out.status_code, out.headers["location"]) == (303, "/masuk")
    assert (await browser.get("/")).status_code == 303
    async with dashboard.app.db.unit_of_work() as session:
        assert (await session.scalar(select(WebSession))).ended_at is not None


async def test_pages_forbid_framing_and_foreign_scripts(dashboard: Dashboard) -> None:
    browser = await dashboard.signed_in(await dashboard.person("Ani Admin"))
    response = await browser.get("/")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert response.headers["referrer-policy"] == "no-referrer"
