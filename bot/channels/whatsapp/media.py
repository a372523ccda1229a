"""Fetching the bytes of a WhatsApp media: `GET /<media id>` for a URL that lives minutes, then the download with the
bearer token. Meta hands over images up to 5 MB and documents up to 100 MB.

A size the webhook (or the media answer) already gives is checked before anything is downloaded. Whatever else goes
wrong ends as `MediaUnavailable` with a plain description, never the URL: the flow asks the person again.
"""

import asyncio
import logging

from bot.channels.whatsapp.client import (
    DownloadTooLarge,
    FateUnknown,
    GraphApiError,
    NotSent,
    WhatsAppClient,
)
from handlers.context import MediaFetcher, MediaUnavailable
from handlers.messages import MediaItem

log = logging.getLogger(__name__)

IMAGE_MB, DOCUMENT_MB = 5, 100
MB = 1024 * 1024
ATTEMPTS = 3


def limit_of(item: MediaItem) -> int:
    """Bytes Meta hands over for this kind: a photo is an `image`, anything sent as a file a `document`."""
    return (IMAGE_MB if item.kind == "photo" else DOCUMENT_MB) * MB


def item_too_large(item: MediaItem) -> bool:
    return item.size is not None and item.size > limit_of(item)


def whatsapp_fetcher(client: WhatsAppClient, backoff: float = 0.5, attempts: int = ATTEMPTS) -> MediaFetcher:
    async def fetch(item: MediaItem) -> bytes:
        limit = limit_of(item)
        if item.size is not None and item.size > limit:
            raise DownloadTooLarge(f"media {item.ref} of {item.size} bytes, over {limit}")
        problem = "not tried"
        for attempt in range(attempts):
            step = "media URL"
            try:
                info = await client.media_info(item.ref)
                if info.file_size is not None and info.file_size > limit:
                    raise DownloadTooLarge(f"media {item.ref} of {info.file_size} bytes, over {limit}")
                step = "download"
                return await client.download(info.url, limit)
            except DownloadTooLarge:
                raise
            except GraphApiError as error:
                problem = f"the {step} was answered with HTTP {error.status} (code {error.code})"
                if step == "media URL" and 400 <= error.status < 500 and error.status != 429:
                    break  # the media id is unknown or gone (Meta keeps media 30 days): asking again changes nothing
                # A download refused (401/403/404/410: the URL expired, it lives minutes) or a 5xx / 429: a fresh
                # URL from the next round, after a short wait.
            except (NotSent, FateUnknown) as error:
                problem = f"no answer for the {step} ({type(error).__name__})"
            if attempt < attempts - 1:
                log.info("whatsapp media %s: %s, retrying", item.ref, problem)
                await asyncio.sleep(backoff * 2**attempt)
        log.warning("WhatsApp did not hand over media %s: %s", item.ref, problem)
        raise MediaUnavailable(f"WhatsApp did not hand over media {item.ref}: {problem}") from None

    return fetch
