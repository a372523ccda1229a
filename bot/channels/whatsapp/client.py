"""A thin async client of our own for the few WhatsApp Cloud API (Graph API) calls the bot needs, over httpx.

Why not pywa: its base URL is fixed to Meta's host, so tests and a staging fake could not be reached over real
HTTP (see ARCHITECTURE.md). The client never retries nor sleeps: the caller decides from what went wrong —

- `GraphApiError`: Meta answered with an error (`code` 131047, 130429, 131056, …; `status` the HTTP status);
- `NotSent`: the request never reached Meta (connection refused, DNS, no free connection): safe to send again;
- `FateUnknown`: the request went out but no answer came (timeout, connection dropped): it may have been sent.

The access token travels only in the Authorization header; no exception text or log line ever shows it.
"""

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from bot.settings import DEFAULT_WHATSAPP_API_URL
from handlers.context import MediaTooLarge

log = logging.getLogger(__name__)

DEFAULT_API_URL = DEFAULT_WHATSAPP_API_URL  # one default, shared with WHATSAPP_API_URL
DEFAULT_TIMEOUT = 5.0
# A 100 MB document on a slow link takes a while; the per-read timeout still catches a stalled download.
DOWNLOAD_TIMEOUT = 60.0
_CHUNK = 64 * 1024


class GraphApiError(Exception):
    """Meta's answer to a call was an error: its `code` (e.g. 131047), title/message, details, and HTTP status."""

    def __init__(
        self,
        status: int,
        code: int | None,
        message: str,
        title: str | None = None,
        details: str | None = None,
        subcode: int | None = None,
    ) -> None:
        self.status, self.code, self.message = status, code, message
        self.title, self.details, self.subcode = title, details, subcode
        text = f"Graph API {status} (code {code}): {title + ': ' if title else ''}{message}"
        super().__init__(f"{text} — {details}" if details else text)


class TransportError(Exception):
    """No answer from the Graph API. `sent` tells whether the request may have reached Meta."""

    sent: bool | None = None


class NotSent(TransportError):
    """The connection was never made: nothing reached Meta, sending again cannot duplicate anything."""

    sent = False


class FateUnknown(TransportError):
    """The request went out but the answer did not come: Meta may or may not have acted on it."""

    sent = None


class DownloadTooLarge(MediaTooLarge):
    """The media is bigger than we take for its kind; refused before or while downloading, nothing kept."""


@dataclass(frozen=True)
class MediaInfo:
    url: str  # valid for about five minutes; downloaded with the bearer token
    mime_type: str | None = None
    sha256: str | None = None
    file_size: int | None = None


class WhatsAppClient:
    def __init__(
        self,
        access_token: str,
        phone_number_id: str,
        api_url: str = DEFAULT_API_URL,
        timeout: float = DEFAULT_TIMEOUT,
        download_timeout: float = DOWNLOAD_TIMEOUT,
    ) -> None:
        self._token = access_token
        self.phone_number_id = phone_number_id
        self.download_timeout = download_timeout
        self._http = httpx.AsyncClient(
            base_url=api_url.rstrip("/") + "/",
            timeout=timeout,
            headers={"Authorization": f"Bearer {access_token}"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:  # never the token, even in a traceback's locals
        return f"WhatsAppClient(phone_number_id={self.phone_number_id!r}, api_url={str(self._http.base_url)!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "WhatsAppClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---- calls ------------------------------------------------------------------------------------------
    async def send(self, to: str, body: dict[str, Any]) -> str:
        """Send one message body (as `render` makes it) to a WhatsApp id; returns Meta's message id (`wamid…`)."""
        payload = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **body}
        answer = await self._call("POST", f"{self.phone_number_id}/messages", json=payload)
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as error:
            raise GraphApiError(200, None, "answer without a message id") from error

    async def upload_media(self, content: bytes, mime_type: str, filename: str) -> str:
        """Upload a file (multipart) to send by id; returns the media id."""
        answer = await self._call(
            "POST",
            f"{self.phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, content, mime_type)},
        )
        if not isinstance(answer.get("id"), str | int):
            raise GraphApiError(200, None, "upload answer without a media id")
        return str(answer["id"])

    async def media_info(self, media_id: str) -> MediaInfo:
        """Where a received media can be downloaded (for a few minutes), with what Meta knows of it."""
        answer = await self._call("GET", media_id)
        if not isinstance(answer.get("url"), str):
            raise GraphApiError(200, None, "media answer without a URL")
        size = answer.get("file_size")
        return MediaInfo(
            url=answer["url"],
            mime_type=answer.get("mime_type"),
            sha256=answer.get("sha256"),
            file_size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
        )

    async def download(self, url: str, max_bytes: int) -> bytes:
        """The bytes behind a media URL, fetched with the bearer token; `DownloadTooLarge` past `max_bytes`.

        Streamed: a file bigger than announced (or announced too big) is cut off without being held in memory.
        """
        timeout = httpx.Timeout(self._http.timeout.connect, read=self.download_timeout)
        try:
            async with self._http.stream("GET", url, timeout=timeout) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise self._error_of(response)
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise DownloadTooLarge(f"media of {declared} bytes, over {max_bytes}")
                chunks, total = [], 0
                async for chunk in response.aiter_bytes(_CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise DownloadTooLarge(f"media over {max_bytes} bytes")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.TransportError as error:
            raise self._transport_error(error) from None

    async def mark_read(self, message_id: str) -> None:
        """The blue ticks for a message we received (and handled)."""
        body = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
        await self._call("POST", f"{self.phone_number_id}/messages", json=body)

    # ---- plumbing ---------------------------------------------------------------------------------------
    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise self._transport_error(error) from None
        if response.status_code >= 400:
            raise self._error_of(response)
        try:
            answer = response.json()
        except ValueError:
            raise GraphApiError(response.status_code, None, "answer is not JSON") from None
        return answer if isinstance(answer, dict) else {}

    def _scrub(self, text: str) -> str:
        """Meta may echo a malformed token in its message: it never leaves this client."""
        return text.replace(self._token, "***") if self._token else text

    def _error_of(self, response: httpx.Response) -> GraphApiError:
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        if not isinstance(error, dict):
            error = {}
        code = error.get("code")
        subcode = error.get("error_subcode")
        data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
        details = data.get("details")
        message = error.get("message") or response.reason_phrase or "error"
        title = error.get("error_user_title") or error.get("type")
        result = GraphApiError(
            response.status_code,
            code if isinstance(code, int) else None,
            self._scrub(str(message))[:500],
            self._scrub(str(title))[:200] if title else None,
            self._scrub(str(details))[:500] if details else None,
            subcode if isinstance(subcode, int) else None,
        )
        log.info("whatsapp %s %s: %s", response.request.method, response.request.url.path, result)
        return result

    def _transport_error(self, error: httpx.TransportError) -> TransportError:
        # Connect errors (refused, DNS, TLS handshake) and waiting for a pool slot happen before a byte is sent.
        kind = NotSent if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout) else None
        kind = kind or FateUnknown
        result = kind(f"{type(error).__name__}: {self._scrub(str(error))}")
        log.info("whatsapp transport error (%s): %s", kind.__name__, result)
        return result
