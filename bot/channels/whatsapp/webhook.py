"""WhatsApp's webhook routes, served by the process's web app (bot/web.py). Thin: guard, store, answer.

- GET: Meta's subscription handshake (`hub.mode=subscribe`, our `WHATSAPP_VERIFY_TOKEN`) answered with
  `hub.challenge`; anything else 403.
- POST: no `X-Hub-Signature-256` → 401 at once; a body over 1 MB → 413 before it is read whole; a signature that is
  not the HMAC-SHA256 of the raw body with `WHATSAPP_APP_SECRET` → 403, before anything of the body is parsed.
  A signed body is split into its messages and statuses, stored in one insert (bot/channels/stored.py) and answered
  200; the conversations run after, from the database. Meta's redelivery of a message id adds nothing.
"""

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError

from bot.channels.stored import StoredInbound
from bot.channels.whatsapp import items, payload, signature
from bot.webhook_body import BodyTooLarge, read_body
from services.inbound_queue import Received

log = logging.getLogger(__name__)

PATH = "/webhook/whatsapp"


def webhook_router(inbound: StoredInbound, app_secret: str, verify_token: str | None) -> APIRouter:
    if not app_secret:
        raise ValueError("the WhatsApp webhook needs WHATSAPP_APP_SECRET to check Meta's signatures")
    router = APIRouter()

    @router.get(PATH)
    async def whatsapp_handshake(request: Request) -> Response:
        challenge = signature.handshake(dict(request.query_params), verify_token or "")
        if challenge is None:
            return Response(status_code=403)
        return PlainTextResponse(challenge)

    @router.post(PATH)
    async def whatsapp_webhook(request: Request) -> Response:
        header = request.headers.get(signature.SIGNATURE_HEADER)
        if not header:
            return Response(status_code=401)
        try:
            body = await read_body(request)
        except BodyTooLarge as error:
            log.warning("whatsapp webhook body refused: %s", error)
            return Response(status_code=413)
        if not signature.verify(body, header, app_secret):
            return Response(status_code=403)
        try:
            received = items.split(payload.parse(body))
        except (ValidationError, ValueError, RecursionError) as error:
            # Signed by Meta, yet not a webhook payload: nothing in it can be handled; sending it again would not help.
            log.warning("whatsapp webhook body is not a payload (%s)", type(error).__name__)
            return Response(status_code=400)
        try:
            await inbound.accept([Received(i.update_id, i.person, i.item) for i in received])
        except Exception:
            # The database could not take it: Meta delivers it again later (it retries for days).
            log.exception("whatsapp webhook: %s updates could not be stored", len(received))
            return Response(status_code=503)
        return Response(status_code=200)

    return router
