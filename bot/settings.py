"""Settings from the environment, then `.env`, then defaults. One object, passed down; secrets as SecretStr."""

import contextlib
import os
import secrets
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from bot.redaction import remember
from services.private_paths import private_dir

DEFAULT_DATA_DIR = Path("data")
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR / 'kampung_bahagia.db'}"
TIME_ZONE = "Asia/Jakarta"
# Meta's Graph API with the version the WhatsApp client was written against (bot/channels/whatsapp/client.py).
DEFAULT_WHATSAPP_API_URL = "https://graph.facebook.com/v23.0"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    data_dir: Path = DEFAULT_DATA_DIR
    media_dir: Path = DEFAULT_DATA_DIR / "media"
    # None: the program file shipped with the code (services/data/program.toml).
    program_file: Path | None = None
    # Keys the hash of invitation codes. Generated once and kept in DATA_DIR when not given.
    secret_key: SecretStr | None = None
    log_level: str = "INFO"

    telegram_bot_token: SecretStr | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str | None = None
    # For invitation links (t.me/<username>?start=CODE); asked from Telegram (getMe) when not given.
    telegram_bot_username: str | None = None
    telegram_rate_per_second: float = 30.0
    telegram_rate_per_chat_per_second: float = 1.0

    # WhatsApp Cloud API. On when the access token and the phone number id are both set.
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    # Signs every webhook POST (X-Hub-Signature-256) and answers the GET handshake.
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_url: str = DEFAULT_WHATSAPP_API_URL
    # The business number people write to, in international form (+62 …): for wa.me invitation links.
    whatsapp_display_number: str | None = None
    # People reachable outside their 24-hour window per moving 24 h (Meta's messaging limit; a new business: 250).
    whatsapp_daily_limit: int = Field(default=250, ge=1)

    web_host: str = "127.0.0.1"
    web_port: int = 8080
    # The address people open the dashboard at, as their browser sees it (behind a proxy: https://kampung…): the
    # sign-in links sent by /masuk start with it, and an https address makes the session cookie Secure.
    web_public_url: str | None = None
    # How long a webhook update taken up by one process is its alone; a process that died holding it gives it up
    # after this (bot/channels/stored.py). Renewed while the work goes on, so a long download is not cut short.
    inbound_lease_seconds: float = Field(default=30.0, gt=0)
    # How many people's stored updates one process works on at once. Few, on purpose: the conversations share the
    # event loop with the webhook routes, and each one in flight lengthens every turn of the loop a route waits
    # for (bench/updates.py --channel whatsapp: 32 → 4 took the p99 to answer 200 from ~460 ms to ~10 ms and
    # handled more updates per second, the work being CPU-bound). Raise it on PostgreSQL when the database is far.
    inbound_concurrency: int = Field(default=4, ge=1)
    # How long an answer recorded with its work is left to the process that made it before the worker sends it
    # instead (services/outbox.py): after a crash, the longest a person waits for the answer the crash held back.
    # Well above a direct send's few seconds, so a live process is never passed over.
    reply_grace_seconds: float = Field(default=30.0, gt=0)

    # Training and demos only: the program's date and time as the bot starts (ISO 8601, WIB when no offset is
    # given); conversations and reminders then run as from that moment. Never set in production.
    simulated_start: datetime | None = None

    @field_validator("simulated_start")
    @classmethod
    def _wib_when_no_offset(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=ZoneInfo(TIME_ZONE))
        return value

    @field_validator("whatsapp_display_number")
    @classmethod
    def _international_number(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        digits = international_digits(value)
        if digits is None:
            raise ValueError("write the business number in international form, e.g. +62 812-3456-7890")
        return value.strip()

    @property
    def whatsapp_on(self) -> bool:
        return self.whatsapp_access_token is not None and bool(self.whatsapp_phone_number_id)

    @property
    def time_zone(self) -> str:
        # Fixed on purpose: every schedule and date of the program is in WIB, whatever the server's TZ says.
        return TIME_ZONE

    @property
    def is_embedded_default(self) -> bool:
        """True on the SQLite file under ./data/ — the only place demo data may ever be loaded."""
        return self.database_url == DEFAULT_DATABASE_URL

    def secret(self, name: str, given: SecretStr | None) -> str:
        """A secret from the environment, else one generated once and persisted in DATA_DIR. Whichever it is, the
        redactor learns it before anyone can log it."""
        value = self._secret(name, given)
        remember([value])
        return value

    def known_secrets(self) -> list[str]:
        """Every secret this configuration holds: each `SecretStr` field (found by its type, so a secret added to
        the settings later is covered without touching this), the ones already generated into DATA_DIR under the
        field's name, and the password of DATABASE_URL."""
        values: list[str] = []
        for name, field in type(self).model_fields.items():
            if not _is_secret(field.annotation):
                continue
            given = getattr(self, name)
            if isinstance(given, SecretStr):
                values.append(given.get_secret_value())
            path = self.data_dir / f".{name}"
            if path.is_file():
                values.append(path.read_text().strip())
        with contextlib.suppress(Exception):  # a malformed URL fails loudly where it is used, not here
            values.append(make_url(self.database_url).password or "")
        return [value for value in values if value]

    def _secret(self, name: str, given: SecretStr | None) -> str:
        if given is not None:
            return given.get_secret_value()
        path = self.data_dir / f".{name}"
        if path.exists():
            return _written_by_the_other(path)
        private_dir(self.data_dir)
        value = secrets.token_urlsafe(32)
        try:
            # Created readable by the owner only from its first byte, and only if no other process made it first:
            # two processes starting together must end up with the same secret.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _written_by_the_other(path)
        with os.fdopen(descriptor, "w") as file:
            file.write(value)
        return value

    def public_web_url(self) -> str:
        """WEB_PUBLIC_URL, else the address the web app listens on (a single machine, opened on itself)."""
        return (self.web_public_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")

    def invitation_pepper(self) -> bytes:
        return self.secret("secret_key", self.secret_key).encode()


def international_digits(number: str) -> str | None:
    """The digits wa.me wants (`6281234567890`) from `+62 812-3456-7890`; None for a national form (`0812…`) or
    anything that is not a phone number: a link with a wrong number would open a chat with a stranger."""
    text = number.strip()
    for separator in " -().":
        text = text.replace(separator, "")
    if text.startswith("+"):
        text = text[1:]
    elif text.startswith("00"):
        text = text[2:]
    if not text.isdigit() or not text.isascii() or text.startswith("0") or not 8 <= len(text) <= 15:
        return None
    return text


def _is_secret(annotation: object) -> bool:
    return annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ())


def _written_by_the_other(path: Path) -> str:
    # The other process created the file a moment ago: its secret may still be on its way in.
    for _attempt in range(50):
        if value := path.read_text().strip():
            return value
        time.sleep(0.02)
    raise RuntimeError(f"{path} stays empty: delete it and start again")
