"""In-process fake of the Telegram Bot API server for end-to-end tests and benchmarks.

Speaks the same URL scheme as ``aiogram.client.telegram.TelegramAPIServer.from_base(base_url)``:
``POST {base}/bot{token}/{method}`` and ``GET {base}/file/bot{token}/{file_path}``.
Pure aiohttp on purpose: the fake must not share code with the client it is testing.

Standalone (benchmarks): ``python -m tests.fakes.telegram_api --port 8081`` prints ``READY <url>`` and
exposes a small JSON control API under ``/_fake/`` (push updates, read stats, set rate limits).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

DEFAULT_TOKEN = "123456:TEST-TOKEN"
# aiogram sends every non-string value JSON-encoded in multipart forms, but plain strings raw; these
# fields are free text, so "123" or "true" typed by a user must stay a string.
# fmt: off
_RAW_FIELDS = frozenset({
    "text", "caption", "parse_mode", "callback_query_id", "file_id", "url", "secret_token", "data", "query",
    "inline_message_id", "business_connection_id", "message_effect_id", "emoji", "title", "description",
    "short_description", "name",
})
SEND_METHODS = frozenset({
    "sendmessage", "sendphoto", "senddocument", "sendmediagroup", "sendlocation", "sendcontact", "sendvideo",
    "sendaudio", "sendvoice", "sendsticker", "sendanimation", "copymessage", "forwardmessage",
})
EDIT_METHODS = frozenset({"editmessagetext", "editmessagereplymarkup", "editmessagecaption", "editmessagemedia"})
# fmt: on
CHAT_METHODS = SEND_METHODS | EDIT_METHODS  # subject to block_chat() and enforce_rate()


class Call(NamedTuple):
    method: str  # as sent by the client, e.g. "sendMessage"
    params: dict[str, Any]  # decoded; uploads become {"filename", "content_type", "content": bytes}
    timestamp: float  # time.monotonic() when the answer was decided
    error_code: int | None = None  # None when answered ok:true


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _RAW_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # e.g. chat_id="@channel" or a file_id


@dataclass
class Hold:
    """Calls of one method kept waiting, as if the network or Telegram stalled, until `release()`."""

    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()


# What a stalled server does with a request it has accepted (see `FakeTelegramServer.stall`).
DOES_IT_AT_ONCE = "at_once"  # Telegram did it; only its answer is stuck until the stall ends
DOES_IT_LATER = "later"  # nothing happens until the stall ends, then it is done even if the client has gone
DROPS_IT = "drops"  # done when the stall ends only if the client is still waiting for the answer; else lost


@dataclass
class Stall(Hold):
    mode: str = DOES_IT_LATER
    held: int = 0  # requests that arrived during the stall


class FakeTelegramServer:
    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "kampung_bahagia_bot",
        max_poll_timeout: float = 1.0,  # caps getUpdates long-poll so tests and shutdown stay fast
    ) -> None:
        self.token, self.host, self.port = token, host, port
        self.max_poll_timeout = max_poll_timeout
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": "Kampung Bahagia", "username": bot_username}
        self.calls: list[Call] = []
        self.files: dict[str, dict[str, Any]] = {}  # file_id -> {"file_path", "content"}
        self.chats: dict[int | str, dict[int, dict[str, Any]]] = defaultdict(dict)  # chat -> msg_id -> msg
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook_url = ""
        self.blocked: set[int | str] = set()
        self.download_errors: dict[str, int] = {}  # file_id -> HTTP status its download answers (getFile still works)
        self.count_429 = 0
        self._updates: deque[dict[str, Any]] = deque()
        self._last_update_id = 0
        self._ids = itertools.count(1)  # callback query ids, uploaded file ids
        self._msg_ids: dict[int | str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._fail: dict[str, deque[tuple[int, int, str | None]]] = defaultdict(deque)
        self._holds: dict[str, Hold] = {}
        self._stall: Stall | None = None
        self._rate: tuple[float, float | None] | None = None
        self._buckets: dict[Any, tuple[float, float]] = {}
        self._update_event = asyncio.Event()
        self._call_event = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None

    # ---- lifecycle -------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> FakeTelegramServer:
        app = web.Application(client_max_size=50 * 1024 * 1024)  # Bot API accepts 50 MB uploads
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post("/_fake/updates", self._ctl_updates)
        app.router.add_get("/_fake/stats", self._ctl_stats)
        app.router.add_post("/_fake/rate", self._ctl_rate)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]  # resolves port=0 to the real one
        return self

    async def stop(self) -> None:
        self._closing = True
        self._update_event.set()  # release pending long-polls so cleanup does not wait for them
        for hold in self._holds.values():
            hold.release()
        if self._stall is not None:
            self._stall.release()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegramServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- test controls ---------------------------------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        update.setdefault("update_id", self._last_update_id + 1)
        self._last_update_id = max(self._last_update_id, update["update_id"])  # explicit ids stay monotonic
        self._updates.append(update)
        # Swap in a fresh Event so every poller waiting on the old one wakes exactly once.
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()
        return update

    def fail_next(
        self, method: str, count: int = 1, error_code: int = 429, retry_after: int = 1, description: str = ""
    ) -> None:
        """Answer the next `count` calls of `method` ("*" = any method) with an error."""
        for _ in range(count):
            self._fail[method.lower()].append((error_code, retry_after, description or None))

    def hold(self, method: str) -> Hold:
        """Keep every call of `method` waiting until the returned hold is released; `arrived` tells one came."""
        self._holds[method.lower()] = hold = Hold()
        return hold

    def stall(self, mode: str = DOES_IT_LATER) -> Stall:
        """Every API call is accepted and then answered only when the returned stall is released (`resume()`);
        `mode` says what Telegram does with it meanwhile. File downloads are not stalled."""
        self._stall = stall = Stall(mode=mode)
        return stall

    def resume(self) -> None:
        if self._stall is not None:
            stall, self._stall = self._stall, None
            stall.release()

    def enforce_rate(self, per_second: float | None, per_chat_per_second: float | None = None) -> None:
        """Token buckets (burst = one second's worth, min 1) on send/edit methods; None disables."""
        self._rate = None if per_second is None else (per_second, per_chat_per_second)
        self._buckets.clear()

    def block_chat(self, chat_id: int | str) -> None:
        self.blocked.add(chat_id)

    def unblock_chat(self, chat_id: int | str) -> None:
        self.blocked.discard(chat_id)

    def add_file(self, file_id: str, content: bytes, file_path: str | None = None) -> dict[str, Any]:
        path = file_path or f"files/{file_id}"
        self.files[file_id] = {"file_path": path, "content": content}
        return self._file_obj(file_id)

    def fail_download(self, file_id: str, status: int = 404) -> None:
        """getFile knows the file, but downloading it answers `status` (an expired path, a storage hiccup)."""
        self.download_errors[file_id] = status

    def sent_messages(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """Params of successful send* calls (with "_method" added), optionally for one chat."""
        return [
            {**c.params, "_method": c.method}
            for c in self.calls
            if c.error_code is None
            and c.method.lower() in SEND_METHODS
            and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def chat_log(self, chat_id: int | str) -> list[dict[str, Any]]:
        """Current state of every message in a chat (incoming and bot's, edits applied), oldest first."""
        return list(self.chats[chat_id].values())

    async def wait_for(self, predicate: Callable[[Call], bool] | str, timeout: float = 5.0, *, after: int = 0) -> Call:
        """First successful call (index >= after) matching predicate or method name; TimeoutError if none."""
        match = (lambda c: c.method.lower() == predicate.lower()) if isinstance(predicate, str) else predicate
        deadline = time.monotonic() + timeout
        i = after
        while True:
            while i < len(self.calls):  # resume scanning where the previous wake-up stopped
                if self.calls[i].error_code is None and match(self.calls[i]):
                    return self.calls[i]
                i += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = [(c.method, c.error_code) for c in self.calls[-10:]]
                raise TimeoutError(f"no matching call within {timeout}s; last calls: {recent}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._call_event.wait(), remaining)

    # ---- update builders (return the update; pass it to push_update) ------------------------------------
    def _user(self, user_id: int, first_name: str) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "id"}

    def _chat(self, chat_id: int | str, first_name: str = "Warga") -> dict[str, Any]:
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": first_name}
        return {"id": chat_id, "type": "supergroup", "title": "Grup"}

    def _store(self, chat_id: int | str, sender: dict[str, Any], **content: Any) -> dict[str, Any]:
        msg_id = next(self._msg_ids[chat_id])
        msg = {"message_id": msg_id, "date": int(time.time()), "chat": self._chat(chat_id), "from": sender}
        msg.update({k: v for k, v in content.items() if v is not None})
        self.chats[chat_id][msg_id] = msg
        return msg

    def message_update(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
        first_name: str = "Warga",
        **extra: Any,
    ) -> dict[str, Any]:
        """`extra` goes into the message verbatim, e.g. contact={...} or location={...}."""
        if text and text.startswith("/"):
            extra.setdefault("entities", [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}])
        sender = self._user(user_id or chat_id, first_name)
        return {"message": dict(self._store(chat_id, sender, text=text, **extra))}  # snapshot, not live

    def callback_update(
        self, chat_id: int, data: str, message_id: int, *, user_id: int | None = None
    ) -> dict[str, Any]:
        message = dict(
            self.chats[chat_id].get(message_id)
            or {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(chat_id),
                "from": self.bot_user,
                "text": "",
            }
        )
        query = {
            "id": str(next(self._ids)),
            "from": self._user(user_id or chat_id, "Warga"),
            "chat_instance": str(chat_id),
            "data": data,
            "message": message,
        }
        return {"callback_query": query}

    def photo_update(
        self, chat_id: int, file_id: str, media_group_id: str | None = None, caption: str | None = None
    ) -> dict[str, Any]:
        return self.message_update(
            chat_id, photo=self._photo_sizes(file_id), media_group_id=media_group_id, caption=caption
        )

    def document_update(
        self,
        chat_id: int,
        file_id: str,
        file_name: str = "dokumen.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> dict[str, Any]:
        doc = {**self._file_obj(file_id), "file_name": file_name, "mime_type": mime_type}
        doc.pop("file_path", None)
        return self.message_update(chat_id, document=doc, caption=caption)

    def _file_obj(self, file_id: str) -> dict[str, Any]:
        obj: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u-{file_id}"}
        if f := self.files.get(file_id):
            obj.update(file_size=len(f["content"]), file_path=f["file_path"])
        return obj

    def _photo_sizes(self, file_id: str) -> list[dict[str, Any]]:
        size = {k: v for k, v in self._file_obj(file_id).items() if k != "file_path"}
        return [{**size, "width": 1280, "height": 960}]

    # ---- HTTP ------------------------------------------------------------------------------------------
    async def _parse(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {k: _decode(k, v) for k, v in request.query.items()}
        if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            uploads: dict[str, dict[str, Any]] = {}
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    uploads[key] = {
                        "filename": value.filename,
                        "content_type": value.content_type,
                        "content": value.file.read(),
                    }
                else:
                    params[key] = _decode(key, value)
            attached: set[str] = set()

            def resolve(v: Any) -> Any:  # aiogram uploads as "attach://<random>", also inside media lists
                if isinstance(v, str) and v.startswith("attach://") and v[9:] in uploads:
                    attached.add(v[9:])
                    return uploads[v[9:]]
                if isinstance(v, list):
                    return [resolve(x) for x in v]
                return {k: resolve(x) for k, x in v.items()} if isinstance(v, dict) else v

            params = {k: resolve(v) for k, v in params.items()}
            # Other clients upload directly under the parameter name (photo=<file>).
            params.update({k: v for k, v in uploads.items() if k not in attached})
        elif request.can_read_body and (raw := await request.text()).strip():
            body = json.loads(raw)
            params.update({k: _decode(k, v) if isinstance(v, str) and v[:1] in "[{" else v for k, v in body.items()})
        return params

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        try:
            try:
                params = await self._parse(request)
            except ValueError as e:  # malformed JSON body
                raise ApiError(400, f"Bad Request: {e}") from e
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if (stall := self._stall) is not None:
                stall.held += 1
                stall.arrived.set()
                if stall.mode == DOES_IT_AT_ONCE:
                    response = await self._answer(method, params)
                    await stall.released.wait()
                    return response
                await stall.released.wait()
                if stall.mode == DROPS_IT and (request.transport is None or request.transport.is_closing()):
                    return web.Response(status=499)  # nobody waits for it any more: never done
            if (hold := self._holds.get(method.lower())) is not None:
                hold.arrived.set()
                await hold.released.wait()
                self._holds.pop(method.lower(), None)
        except ApiError as e:
            return self._error(method, params, e)
        return await self._answer(method, params)

    async def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        try:
            self._check_injected(method.lower(), params)
            result = await self._dispatch(method.lower(), params)
        except ApiError as e:
            return self._error(method, params, e)
        self._record(method, params, None)
        return web.json_response({"ok": True, "result": result})

    def _error(self, method: str, params: dict[str, Any], e: ApiError) -> web.Response:
        self._record(method, params, e.code)
        body: dict[str, Any] = {"ok": False, "error_code": e.code, "description": e.description}
        if e.retry_after is not None:
            self.count_429 += 1
            body["parameters"] = {"retry_after": e.retry_after}
        return web.json_response(body, status=e.code)

    def _record(self, method: str, params: dict[str, Any], error_code: int | None) -> None:
        self.calls.append(Call(method, params, time.monotonic(), error_code))
        event, self._call_event = self._call_event, asyncio.Event()
        event.set()

    def _check_injected(self, m: str, params: dict[str, Any]) -> None:
        for key in (m, "*"):
            if self._fail[key]:
                code, retry_after, desc = self._fail[key].popleft()
                if code == 429:
                    raise ApiError(429, desc or f"Too Many Requests: retry after {retry_after}", retry_after)
                raise ApiError(
                    code,
                    desc
                    or {403: "Forbidden: bot was blocked by the user"}.get(code, f"Bad Request: injected error {code}"),
                )
        if m not in CHAT_METHODS:
            return
        chat_id = params.get("chat_id")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if self._rate is not None:
            now = time.monotonic()
            limits = [("*", self._rate[0])] + ([(chat_id, self._rate[1])] if self._rate[1] else [])
            tokens = {key: self._refill(key, rate, now) for key, rate in limits}
            waits = [(1 - tokens[key]) / rate for key, rate in limits if tokens[key] < 1]
            if waits:  # nothing is consumed when refused, like Telegram's flood control
                wait = max(1, math.ceil(max(waits)))
                raise ApiError(429, f"Too Many Requests: retry after {wait}", wait)
            for key, _ in limits:
                self._buckets[key] = (tokens[key] - 1, now)

    def _refill(self, key: Any, rate: float, now: float) -> float:
        cap = max(1.0, rate)
        tokens, last = self._buckets.get(key, (cap, now))
        tokens = min(cap, tokens + (now - last) * rate)
        self._buckets[key] = (tokens, now)
        return tokens

    async def _dispatch(self, m: str, p: dict[str, Any]) -> Any:
        if m == "getme":
            return self.bot_user
        if m == "getupdates":
            return await self._get_updates(p)
        if m in SEND_METHODS:
            return self._send(m, p)
        if m in EDIT_METHODS:
            if "inline_message_id" in p:
                return True
            msg = self.chats.get(p.get("chat_id"), {}).get(p.get("message_id"))  # type: ignore[arg-type]
            if msg is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            new = {k: p[k] for k in ("text", "caption") if k in p}
            markup = p.get("reply_markup")
            if markup and "inline_keyboard" in markup:
                new["reply_markup"] = markup
            if all(msg.get(k) == v for k, v in new.items()) and ("reply_markup" in new or "reply_markup" not in msg):
                # Real Telegram refuses no-op edits; bots must tolerate this error.
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content "
                    "and reply markup are exactly the same as a current content and reply "
                    "markup of the message",
                )
            msg.update(new, edit_date=int(time.time()))
            if "reply_markup" not in new:  # Telegram drops the keyboard when an edit omits it
                msg.pop("reply_markup", None)
            return msg
        if m == "getfile":
            if p.get("file_id") not in self.files:
                raise ApiError(400, "Bad Request: invalid file_id")
            return self._file_obj(p["file_id"])
        if m == "setmycommands":
            self.commands[p.get("language_code", "")] = p.get("commands", [])
        elif m == "deletemycommands":
            self.commands.pop(p.get("language_code", ""), None)
        elif m == "getmycommands":
            return self.commands.get(p.get("language_code", ""), [])
        elif m == "setwebhook":
            self.webhook_url = p.get("url", "")
        elif m == "deletewebhook":
            self.webhook_url = ""
            if p.get("drop_pending_updates"):
                self._updates.clear()
        elif m == "getwebhookinfo":
            return {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
        return True  # answerCallbackQuery, deleteMessage, sendChatAction and anything unknown

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.get("offset")
        if isinstance(offset, int) and offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()
        elif isinstance(offset, int):  # confirms (forgets) everything before offset
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        timeout = min(float(p.get("timeout") or 0), self.max_poll_timeout)
        if not self._updates and timeout > 0 and not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_event.wait(), timeout)
        return list(itertools.islice(self._updates, int(p.get("limit") or 100)))

    def _send(self, m: str, p: dict[str, Any]) -> Any:
        chat_id = p.get("chat_id")
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat not found")
        if m == "sendmediagroup":
            return [
                self._send(
                    "send" + item.get("type", "photo"),
                    {"chat_id": chat_id, **item, item.get("type", "photo"): item.get("media")},
                )
                for item in p.get("media", [])
            ]
        content: dict[str, Any] = {"text": p.get("text"), "caption": p.get("caption")}
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:  # only inline markup is echoed back
            content["reply_markup"] = markup
        if m == "sendphoto" and isinstance(p.get("photo"), dict):
            _check_photo_upload(p["photo"].get("content", b""))
        for kind in ("photo", "document", "video", "audio", "voice", "sticker", "animation"):
            if kind in p:
                file_id = self._register_upload(kind, p[kind])
                content[kind] = self._photo_sizes(file_id) if kind == "photo" else self._file_obj(file_id)
        if m == "sendmessage" and not p.get("text"):
            raise ApiError(400, "Bad Request: message text is empty")
        return self._store(chat_id, self.bot_user, **content)

    def _register_upload(self, kind: str, value: Any) -> str:
        if isinstance(value, str):  # an existing file_id or a URL
            return value
        file_id = f"{kind}-{next(self._ids)}"
        self.add_file(file_id, value.get("content", b""), f"{kind}s/{value.get('filename') or file_id}")
        return file_id

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        for file_id, f in self.files.items():
            if f["file_path"] == request.match_info["path"]:
                if status := self.download_errors.get(file_id):
                    body = {"ok": False, "error_code": status, "description": "Failed"}
                    return web.json_response(body, status=status)
                return web.Response(body=f["content"], content_type="application/octet-stream")
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    # ---- control API for the standalone process ---------------------------------------------------------
    async def _ctl_updates(self, request: web.Request) -> web.Response:
        """Body: an update dict, a list of them, or shorthand {"chat_id": 1, "text": "hi"}."""
        body = await request.json()
        ids = []
        for item in body if isinstance(body, list) else [body]:
            update = self.message_update(item["chat_id"], item.get("text")) if "chat_id" in item else item
            ids.append(self.push_update(update)["update_id"])
        return web.json_response({"update_ids": ids})

    async def _ctl_stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "calls": Counter(c.method for c in self.calls),
                "count_429": self.count_429,
                "errors": Counter(str(c.error_code) for c in self.calls if c.error_code),
                "sent": len(self.sent_messages()),
                "pending_updates": len(self._updates),
            }
        )

    async def _ctl_rate(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.enforce_rate(body.get("per_second"), body.get("per_chat_per_second"))
        return web.json_response({"ok": True})


async def _serve(args: argparse.Namespace) -> None:
    server = FakeTelegramServer(args.token, host=args.host, port=args.port, max_poll_timeout=args.poll_cap)
    if args.rate:
        server.enforce_rate(args.rate, args.per_chat_rate)
    await server.start()
    print(f"READY {server.base_url}", flush=True)  # the parent process waits for this line
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--rate", type=float, default=None, help="overall sends/s before 429")
    parser.add_argument("--per-chat-rate", type=float, default=None, help="per-chat sends/s before 429")
    parser.add_argument("--poll-cap", type=float, default=10.0, help="max getUpdates long-poll seconds")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()


PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024  # sendPhoto's documented limit
_IMAGE_MAGIC = (b"\xff\xd8", b"\x89PNG", b"RIFF")


def _check_photo_upload(content: bytes) -> None:
    """Telegram turns an upload into a photo only when it can: too big or not an image (HEIC, PDF) → 400."""
    if len(content) > PHOTO_UPLOAD_LIMIT:
        raise ApiError(400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
    if not content.startswith(_IMAGE_MAGIC):
        raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
