"""The dashboard in the web app: sign-in, pages, photos and exports for DPMPPA admins and pendamping.

`install(web)` adds it to the FastAPI app (bot/web.py). Every route goes through `bot.dashboard.auth`: no page,
photo or export without a session, every form checked against CSRF, and what a person may see asked of
services/assignments.py as in the chat. Pages are rendered by handlers/dashboard (the words, in gettext).
"""
