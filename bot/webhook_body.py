"""Reading a webhook's body without trusting it: bounded in size before it is read whole, and in nesting before
anything walks it. Shared by every channel's webhook (Telegram now, WhatsApp next)."""

import json

from starlette.requests import ClientDisconnect, Request

# A Telegram update is a few kilobytes (a message is at most 4,096 characters; files come as ids, not bytes), and a
# WhatsApp notification is of the same order. 1 MB leaves room for any real one and none for a flood.
MAX_BODY_BYTES = 1024 * 1024
# A real update nests about ten levels (a reply's message inside a message). Python's JSON parser recurses, and at
# about 990 levels it raises RecursionError; anything past this limit is refused before any code walks it.
MAX_DEPTH = 64


class BodyTooLarge(Exception):
    """Over MAX_BODY_BYTES, by its Content-Length or by what actually arrived."""


class NotJson(Exception):
    """Not JSON, not UTF-8, nested deeper than MAX_DEPTH, or cut off by the sender."""


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, read only as long as it stays within `limit` (a chunked body has no Content-Length)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isascii() or not declared.strip().isdigit():
            raise NotJson("malformed Content-Length")
        if int(declared) > limit:
            raise BodyTooLarge(f"Content-Length {declared}")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(f"more than {limit} bytes arrived")
            chunks.append(chunk)
    except ClientDisconnect as error:
        raise NotJson("the sender went away mid-body") from error
    return b"".join(chunks)


def parse_json(raw: bytes, max_depth: int = MAX_DEPTH) -> object:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise NotJson(type(error).__name__) from None
    if depth(value) > max_depth:
        raise NotJson(f"nested deeper than {max_depth}")
    return value


def depth(value: object) -> int:
    """How deeply lists and objects nest (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest
