"""Meta's GET handshake and the X-Hub-Signature-256 of every webhook POST."""

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.whatsapp.signature import handshake, sign, verify

SECRET = "app-secret-123"
TOKEN = "verify-me"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def meta_signature(body: bytes, secret: str = SECRET) -> str:
    # Written out here, not taken from the module: the test must not trust the code it checks.
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444"}, "1158201444"),
        ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}, None),
        ({"hub.mode": "subscribe", "hub.verify_token": TOKEN + "x", "hub.challenge": "1"}, None),
        ({"hub.mode": "unsubscribe", "hub.verify_token": TOKEN, "hub.challenge": "1"}, None),
        ({"hub.verify_token": TOKEN, "hub.challenge": "1"}, None),
        ({"hub.mode": "subscribe", "hub.challenge": "1"}, None),
        ({"hub.mode": "subscribe", "hub.verify_token": TOKEN}, None),
        ({"hub.mode": "subscribe", "hub.verify_token": "tökén", "hub.challenge": "1"}, None),
        ({}, None),
    ],
)
def test_handshake(params: dict, expected: str | None) -> None:
    assert handshake(params, TOKEN) == expected


def test_handshake_with_no_token_configured_never_succeeds() -> None:
    assert handshake({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, "") is None


def test_sign_is_metas_format() -> None:
    assert sign(BODY, SECRET) == meta_signature(BODY)


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (meta_signature(BODY), True),
        (meta_signature(BODY).upper().replace("SHA256=", "sha256="), True),  # hex case does not matter
        (meta_signature(BODY, "other-secret"), False),
        (meta_signature(BODY + b" "), False),
        (meta_signature(BODY).removeprefix("sha256="), False),  # no scheme
        ("sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(), False),  # old X-Hub-Signature
        ("sha256=", False),
        ("sha256=zz" + meta_signature(BODY)[9:], False),  # not hex
        (meta_signature(BODY)[:-2], False),  # too short
        (meta_signature(BODY) + "00", False),  # too long
        ("sha256=" + "é" * 64, False),
        ("", False),
        (None, False),
    ],
)
def test_verify(header: str | None, ok: bool) -> None:
    assert verify(BODY, header, SECRET) is ok


def test_verify_without_a_secret_configured_refuses_everything() -> None:
    assert verify(BODY, meta_signature(BODY, ""), "") is False


@given(body=st.binary(max_size=2000), secret=st.text(min_size=1, max_size=40), other=st.binary(max_size=2000))
def test_only_the_exact_body_and_secret_verify(body: bytes, secret: str, other: bytes) -> None:
    header = meta_signature(body, secret)
    assert verify(body, header, secret)
    assert verify(other, header, secret) is (other == body)
