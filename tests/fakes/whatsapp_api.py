"""In-process fake of the WhatsApp Cloud API (Graph API) for end-to-end tests, over real HTTP on 127.0.0.1.

Speaks the URL scheme the client uses with `api_url=server.api_url` (``{base}/{version}``):
``POST /{version}/{phone_number_id}/messages`` (send, mark read), ``POST /{version}/{phone_number_id}/media``
(multipart upload), ``GET /{version}/{media_id}`` (media URL), and ``GET /_media/{media_id}`` (the download, which
like Meta's wants the bearer token). It enforces what Meta enforces and the bot must respect — the bearer token,
≤ 3 reply buttons (titles ≤ 20, unique), ≤ 10 list rows (title ≤ 24, description ≤ 72), body ≤ 1,024 for
interactive messages and ≤ 4,096 for text (error 131009), free-form messages only within 24 h of the person's last
message (error 131047; templates pass) — and it posts signed webhooks (text, button reply, image, status) to a URL.

Pure aiohttp on purpose: the fake must not share code with the client (httpx) or the signature module it tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import aiohttp
from aiohttp import web

DEFAULT_TOKEN = "EAAG-test-access-token"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_DISPLAY_NUMBER = "6281100001111"
DEFAULT_APP_SECRET = "test-app-secret"
VERSION = "v23.0"
WINDOW_SECONDS = 24 * 3600
IMAGE_LIMIT = 5 * 1024 * 1024
DOCUMENT_LIMIT = 100 * 1024 * 1024
# fmt: off
LIMITS = {
    "text": 4096, "interactive_body": 1024, "buttons": 3, "button_title": 20, "button_id": 256, "rows": 10,
    "row_title": 24, "row_description": 72, "row_id": 200, "list_button": 20, "section_title": 24,
}
# fmt: on


class Call(NamedTuple):
    method: str  # "messages", "read", "media", "media_info", "download"
    params: dict[str, Any]  # the JSON body, or the form fields (the upload's bytes under "content")
    timestamp: float
    error_code: int | None = None  # Graph error code when refused
    answer: Any = None  # the JSON answered when accepted (a sent message's wamid is in it)


class GraphError(Exception):
    def __init__(self, code: int, message: str, details: str = "", status: int = 400, title: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.details, self.status, self.title = code, message, details, status, title

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": f"(#{self.code}) {self.message}",
            "type": "OAuthException",
            "code": self.code,
            "fbtrace_id": "AbCdEfFakeTrace",
        }
        if self.details:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.title:
            error["error_user_title"] = self.title
        return {"error": error}


def invalid(details: str) -> GraphError:
    return GraphError(131009, "Parameter value is not valid", details)


@dataclass
class Medium:
    content: bytes
    mime_type: str
    filename: str | None = None
    declared_size: int | None = None  # what `GET /<id>` says the size is, when a test wants it to differ

    @property
    def file_size(self) -> int:
        return len(self.content) if self.declared_size is None else self.declared_size

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Delay:
    """The next `count` calls of a method answered only after `seconds` (a stalled Meta, for timeouts)."""

    seconds: float
    count: int = 1
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class FakeWhatsAppServer:
    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
        display_number: str = DEFAULT_DISPLAY_NUMBER,
        app_secret: str = DEFAULT_APP_SECRET,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token, self.phone_number_id, self.display_number = token, phone_number_id, display_number
        self.app_secret, self.host, self.port, self.clock = app_secret, host, port, clock
        self.calls: list[Call] = []
        self.media: dict[str, Medium] = {}
        self.last_inbound: dict[str, float] = {}  # wa_id (or user id) → time of their last message to us
        self.read: list[str] = []
        self.templates: set[str] | None = None  # approved template names; None accepts any name
        # Downloads sent chunked, without Content-Length: the client must cap what it reads, not trust a header.
        self.chunked_downloads = False
        self._ids = itertools.count(1)
        self._fail: dict[str, deque[GraphError]] = defaultdict(deque)
        self._spared: dict[str, int] = defaultdict(int)  # calls answered normally before the failures start
        self._fail_to: dict[str, deque[GraphError]] = defaultdict(deque)  # next messages to one number refused
        self._delays: dict[str, Delay] = {}
        self._call_event = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # ---- lifecycle -------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What the client takes as `api_url` (Graph API base including the version)."""
        return f"{self.base_url}/{VERSION}"

    async def start(self) -> FakeWhatsAppServer:
        app = web.Application(client_max_size=DOCUMENT_LIMIT + 1024 * 1024)
        app.router.add_post("/{version}/{node}/messages", self._handle_messages)
        app.router.add_post("/{version}/{node}/media", self._handle_upload)
        app.router.add_get("/_media/{media_id}", self._handle_download)
        app.router.add_get("/{version}/{media_id}", self._handle_media_info)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeWhatsAppServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- test controls ---------------------------------------------------------------------------------
    def inbound(self, wa_id: str, at: float | None = None) -> None:
        """The person wrote to us at `at` (default now): free-form messages to them are allowed for 24 h."""
        self.last_inbound[wa_id] = self.clock() if at is None else at

    def add_media(
        self,
        content: bytes,
        mime_type: str = "image/jpeg",
        media_id: str | None = None,
        *,
        declared_size: int | None = None,
    ) -> str:
        """Media a person 'sent': served by `GET /<id>` then the download URL. Returns the media id.
        `declared_size`: the size `GET /<id>` announces instead of the real one (a 150 MB document, without the
        test holding 150 MB)."""
        media_id = media_id or f"{next(self._ids):016d}"
        self.media[media_id] = Medium(content, mime_type, declared_size=declared_size)
        return media_id

    def fail_next(
        self,
        method: str,
        code: int,
        message: str = "Error",
        *,
        status: int = 400,
        count: int = 1,
        title: str = "",
        after: int = 0,
    ) -> None:
        """Answer the next `count` calls of `method` ("messages", "media", "media_info", "download", "*") so,
        once `after` more calls of it have been answered normally (a reply failing at its second message)."""
        self._spared[method] = after
        for _ in range(count):
            self._fail[method].append(GraphError(code, message, status=status, title=title))

    def fail_next_to(self, to: str, code: int, message: str = "Error", *, status: int = 400, count: int = 1) -> None:
        """Refuse the next `count` messages to one number (whatever else goes meanwhile passes): a broadcast whose
        one recipient is held back while the others' messages go."""
        for _ in range(count):
            self._fail_to[to].append(GraphError(code, message, status=status))

    def delay_next(self, method: str, seconds: float, count: int = 1) -> Delay:
        self._delays[method] = delay = Delay(seconds, count)
        return delay

    def sent(self, to: str | None = None) -> list[dict[str, Any]]:
        """Bodies of accepted messages (not read receipts), optionally to one person, oldest first."""
        return [
            c.params
            for c in self.calls
            if c.method == "messages"
            and c.error_code is None
            and c.params.get("status") != "read"
            and (to is None or c.params.get("to") == to)
        ]

    def wamids(self, to: str | None = None) -> list[str]:
        """The message ids given to accepted messages (in the order of `sent`)."""
        return [
            c.answer["messages"][0]["id"]
            for c in self.calls
            if c.method == "messages"
            and c.error_code is None
            and c.answer
            and "messages" in c.answer
            and (to is None or c.params.get("to") == to)
        ]

    def refused(self) -> list[Call]:
        return [c for c in self.calls if c.error_code is not None]

    async def wait_for_sent(self, count: int = 1, timeout: float = 5.0, to: str | None = None) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(found := self.sent(to)) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(found)} of {count} messages within {timeout}s")
            self._call_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._call_event.wait(), remaining)
        return found

    # ---- webhooks (Meta → the bot) ----------------------------------------------------------------------
    def signature(self, body: bytes, secret: str | None = None) -> str:
        key = (self.app_secret if secret is None else secret).encode()
        return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()

    def envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": self.display_number, "phone_number_id": self.phone_number_id},
            **value,
        }
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
        }

    def message_webhook(
        self,
        wa_id: str | None,
        message: dict[str, Any],
        *,
        name: str = "Warga",
        user_id: str | None = None,
    ) -> dict[str, Any]:
        """A payload with one message from a person (`wa_id` None: a username user known only by `user_id`)."""
        contact: dict[str, Any] = {"profile": {"name": name}}
        sender: dict[str, Any] = {}
        if wa_id is not None:
            contact["wa_id"] = sender["from"] = wa_id
        if user_id is not None:
            contact["user_id"] = sender["from_user_id"] = user_id
        body = {**sender, "id": f"wamid.FAKE{next(self._ids):012d}", "timestamp": str(int(self.clock())), **message}
        return self.envelope({"contacts": [contact], "messages": [body]})

    def text_webhook(self, wa_id: str | None, text: str, **kw: Any) -> dict[str, Any]:
        return self.message_webhook(wa_id, {"type": "text", "text": {"body": text}}, **kw)

    def button_reply_webhook(self, wa_id: str | None, reply_id: str, title: str = "", **kw: Any) -> dict[str, Any]:
        interactive = {"type": "button_reply", "button_reply": {"id": reply_id, "title": title or reply_id}}
        return self.message_webhook(wa_id, {"type": "interactive", "interactive": interactive}, **kw)

    def list_reply_webhook(self, wa_id: str | None, reply_id: str, title: str = "", **kw: Any) -> dict[str, Any]:
        interactive = {"type": "list_reply", "list_reply": {"id": reply_id, "title": title or reply_id}}
        return self.message_webhook(wa_id, {"type": "interactive", "interactive": interactive}, **kw)

    def quick_reply_webhook(
        self, wa_id: str | None, template: dict[str, Any], index: int, text: str, **kw: Any
    ) -> dict[str, Any]:
        """The quick-reply button at `index` of a template we sent (`template`: its body) pressed, titled `text` as
        the approved template shows it: Meta echoes the payload the template was sent with for that button."""
        for component in template.get("components") or []:
            if component.get("sub_type") == "quick_reply" and int(component.get("index", -1)) == index:
                button = {"payload": component["parameters"][0]["payload"], "text": text}
                return self.message_webhook(wa_id, {"type": "button", "button": button}, **kw)
        raise AssertionError(f"no quick reply {index} on template {template.get('name')}")

    def image_webhook(
        self, wa_id: str | None, content: bytes, *, mime_type: str = "image/jpeg", caption: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        """A photo from a person: its bytes become downloadable media, the payload refers to its id."""
        media_id = self.add_media(content, mime_type)
        image = {"id": media_id, "mime_type": mime_type, "sha256": self.media[media_id].sha256}
        if caption is not None:
            image["caption"] = caption
        return self.message_webhook(wa_id, {"type": "image", "image": image}, **kw)

    def document_webhook(
        self,
        wa_id: str | None,
        content: bytes,
        *,
        filename: str = "bukti.pdf",
        mime_type: str = "application/pdf",
        file_size: int | None = None,
        caption: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """A file from a person; `file_size` as the webhook announces it (Meta sends it for documents)."""
        media_id = self.add_media(content, mime_type, declared_size=file_size)
        document = {"id": media_id, "mime_type": mime_type, "sha256": self.media[media_id].sha256, "filename": filename}
        document["file_size"] = self.media[media_id].file_size
        if caption is not None:
            document["caption"] = caption
        return self.message_webhook(wa_id, {"type": "document", "document": document}, **kw)

    def status_webhook(
        self, message_id: str, status: str, recipient: str, errors: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": message_id,
            "status": status,
            "timestamp": str(int(self.clock())),
            "recipient_id": recipient,
        }
        if errors:
            item["errors"] = errors
        return self.envelope({"statuses": [item]})

    async def post_webhook(
        self, url: str, payload: dict[str, Any], *, signature: str | None = "right", secret: str | None = None
    ) -> tuple[int, str]:
        """POST a payload as Meta does. `signature`: "right", "wrong" (another secret), None (no header) or a
        literal header value. A message payload counts as the person's inbound message (opens their window)."""
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "right":
            headers["X-Hub-Signature-256"] = self.signature(body, secret)
        elif signature == "wrong":
            headers["X-Hub-Signature-256"] = self.signature(body, "not-the-app-secret")
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        for entry in payload.get("entry", []):
            for change in entry.get("changes", []):
                value = change.get("value", {})
                for message in value.get("messages", []):
                    self.inbound(message.get("from") or message.get("from_user_id"))
        async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
            return response.status, await response.text()

    # ---- HTTP ------------------------------------------------------------------------------------------
    async def _guard(self, request: web.Request, method: str) -> None:
        """Token, injected failures and delays, in the order Meta would meet them."""
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise GraphError(190, "Invalid OAuth access token - Cannot parse access token", status=401)
        if (delay := self._delays.get(method)) is not None and delay.count > 0:
            delay.count -= 1
            delay.arrived.set()
            await asyncio.sleep(delay.seconds)
        for key in (method, "*"):
            if self._fail[key]:
                if self._spared[key] > 0:
                    self._spared[key] -= 1
                    continue
                raise self._fail[key].popleft()

    def _record(self, method: str, params: dict[str, Any], error: GraphError | None = None, answer: Any = None) -> None:
        self.calls.append(Call(method, params, time.monotonic(), error.code if error else None, answer))
        self._call_event.set()

    async def _answer(self, request: web.Request, method: str, work: Callable[[dict], Any]) -> web.Response:
        params: dict[str, Any] = {}  # filled by `work` as soon as it has read the request: recorded either way
        if request.content_type == "application/json":
            # Meta has the whole request before it stalls: a client timing out after sending still sent it.
            await request.read()
        try:
            await self._guard(request, method)
            result = await work(params)
        except GraphError as error:
            self._record(method, params, error)
            return web.json_response(error.body(), status=error.status)
        self._record(method, params, answer=result if isinstance(result, dict) else None)
        return result if isinstance(result, web.StreamResponse) else web.json_response(result)

    async def _handle_messages(self, request: web.Request) -> web.Response:
        async def work(params: dict[str, Any]) -> Any:
            try:
                body = await request.json()
            except ValueError:
                raise invalid("request body is not JSON") from None
            params.update(body)
            if request.match_info["node"] != self.phone_number_id:
                raise GraphError(100, "Unsupported post request. Object does not exist", status=400)
            if body.get("messaging_product") != "whatsapp":
                raise GraphError(100, "Invalid parameter", "messaging_product must be whatsapp")
            if body.get("status") == "read":
                self.read.append(str(body.get("message_id")))
                return {"success": True}
            if body.get("status") != "read" and self._fail_to.get(str(body.get("to"))):
                raise self._fail_to[str(body["to"])].popleft()
            self._check_message(body)
            wamid = f"wamid.OUT{next(self._ids):012d}"
            to = str(body["to"])
            return {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            }

        return await self._answer(request, "messages", work)

    def _check_message(self, body: dict[str, Any]) -> None:
        to = body.get("to")
        if not isinstance(to, str) or not to:
            raise invalid("to is required")
        kind = body.get("type", "text")
        content = body.get(kind)
        if not isinstance(content, dict):
            raise invalid(f"{kind} object is required")
        if kind == "template":
            self._check_template(content)
            return  # templates are what may be sent outside the window
        last = self.last_inbound.get(to)
        if last is None or self.clock() - last > WINDOW_SECONDS:
            raise GraphError(
                131047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the customer last replied",
            )
        if kind == "text":
            text = content.get("body")
            if not isinstance(text, str) or not text.strip():
                raise invalid("text.body is required")
            _limit(text, LIMITS["text"], "text.body")
        elif kind == "interactive":
            self._check_interactive(content)
        elif kind in ("image", "document"):
            media_id = content.get("id")
            if media_id is None and not content.get("link"):
                raise invalid(f"{kind}.id or {kind}.link is required")
            if media_id is not None and media_id not in self.media:
                raise GraphError(131053, "Media upload error", f"unknown media id {media_id}")
        else:
            raise invalid(f"message type {kind} not supported by this fake")

    def _check_template(self, content: dict[str, Any]) -> None:
        name = content.get("name")
        if not name or not (content.get("language") or {}).get("code"):
            raise invalid("template.name and template.language.code are required")
        if self.templates is not None and name not in self.templates:
            raise GraphError(132001, "Template name does not exist in the translation", f"template {name}")
        for component in content.get("components") or []:
            for parameter in component.get("parameters") or []:
                text = parameter.get("text") if parameter.get("type") == "text" else None
                if text is not None and ("\n" in text or "\t" in text or "     " in text or not text.strip()):
                    raise GraphError(
                        132018,
                        "There was an issue with the parameters in your template.",
                        "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
                    )

    def _check_interactive(self, content: dict[str, Any]) -> None:
        text = (content.get("body") or {}).get("text")
        if not isinstance(text, str) or not text.strip():
            raise invalid("interactive.body.text is required")
        _limit(text, LIMITS["interactive_body"], "interactive.body.text")
        action = content.get("action") or {}
        if content.get("type") == "button":
            buttons = action.get("buttons") or []
            if not 1 <= len(buttons) <= LIMITS["buttons"]:
                raise invalid(f"buttons: {len(buttons)} given, 1 to {LIMITS['buttons']} allowed")
            replies = [b.get("reply") or {} for b in buttons]
            for reply in replies:
                _limit(reply.get("title"), LIMITS["button_title"], "button title")
                _limit(reply.get("id"), LIMITS["button_id"], "button id")
            _unique([r["title"].casefold() for r in replies], "button titles")
            _unique([r["id"] for r in replies], "button ids")
        elif content.get("type") == "list":
            _limit(action.get("button"), LIMITS["list_button"], "list button")
            sections = action.get("sections") or []
            rows = [row for section in sections for row in section.get("rows") or []]
            if not sections or not 1 <= len(rows) <= LIMITS["rows"]:
                raise invalid(f"rows: {len(rows)} given, 1 to {LIMITS['rows']} allowed")
            for section in sections:
                if len(sections) > 1 or "title" in section:
                    _limit(section.get("title"), LIMITS["section_title"], "section title")
            for row in rows:
                _limit(row.get("title"), LIMITS["row_title"], "row title")
                _limit(row.get("id"), LIMITS["row_id"], "row id")
                if "description" in row:
                    _limit(row["description"], LIMITS["row_description"], "row description")
            _unique([row["id"] for row in rows], "row ids")
        else:
            raise invalid(f"interactive type {content.get('type')} not supported by this fake")

    async def _handle_upload(self, request: web.Request) -> web.Response:
        async def work(params: dict[str, Any]) -> Any:
            if request.content_type != "multipart/form-data":
                raise invalid("upload must be multipart/form-data")
            form = await request.post()
            upload = form.get("file")
            if not isinstance(upload, web.FileField):
                raise invalid("file is required")
            content = upload.file.read()
            mime_type = str(form.get("type") or upload.content_type)
            params.update(
                messaging_product=form.get("messaging_product"),
                type=mime_type,
                filename=upload.filename,
                content=content,
            )
            if form.get("messaging_product") != "whatsapp":
                raise invalid("messaging_product must be whatsapp")
            limit = IMAGE_LIMIT if mime_type.startswith("image/") else DOCUMENT_LIMIT
            if len(content) > limit:
                raise GraphError(131052, "Media upload error", f"file of {len(content)} bytes over {limit}")
            media_id = self.add_media(content, mime_type)
            self.media[media_id].filename = upload.filename
            return {"id": media_id}

        return await self._answer(request, "media", work)

    async def _handle_media_info(self, request: web.Request) -> web.Response:
        async def work(params: dict[str, Any]) -> Any:
            media_id = params["media_id"] = request.match_info["media_id"]
            medium = self.media.get(media_id)
            if medium is None:
                raise GraphError(100, "Invalid parameter", f"unknown media id {media_id}")
            return {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/_media/{media_id}?ext=1&hash=fake",
                "mime_type": medium.mime_type,
                "sha256": medium.sha256,
                "file_size": medium.file_size,
                "id": media_id,
            }

        return await self._answer(request, "media_info", work)

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        async def work(params: dict[str, Any]) -> Any:
            media_id = params["media_id"] = request.match_info["media_id"]
            medium = self.media.get(media_id)
            if medium is None:
                raise GraphError(100, "Invalid parameter", status=404)
            if not self.chunked_downloads:
                return web.Response(body=medium.content, content_type=medium.mime_type)
            response = web.StreamResponse(headers={"Content-Type": medium.mime_type})
            response.enable_chunked_encoding()
            await response.prepare(request)
            with contextlib.suppress(ConnectionError):  # the client may stop reading once it has enough
                for start in range(0, len(medium.content), 64 * 1024):
                    await response.write(medium.content[start : start + 64 * 1024])
                await response.write_eof()
            return response

        return await self._answer(request, "download", work)


def _limit(value: Any, limit: int, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise invalid(f"{what} is required")
    if len(value) > limit:
        raise invalid(f"{what} is {len(value)} characters, at most {limit} allowed")


def _unique(values: list[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise invalid(f"{what} must be unique")
