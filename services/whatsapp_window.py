"""WhatsApp's customer-service window: free-form messages only within 24 hours of the person's last message to us;
outside it, only approved templates (PLATFORM_LIMITS.md). Measured from `ChannelIdentity.last_inbound_at`, which
the engine keeps (to the minute) for every message a person sends."""

from datetime import datetime, timedelta

WINDOW = timedelta(hours=24)
# A free-form send planned this close to the window's end may arrive after it closed: treat it as closed.
CLOSING_MARGIN = timedelta(minutes=5)


def inside_window(last_inbound_at: datetime | None, now: datetime) -> bool:
    """True when a free-form message sent now still falls in the person's window."""
    return last_inbound_at is not None and now < last_inbound_at + WINDOW - CLOSING_MARGIN


def window_closes_at(last_inbound_at: datetime | None) -> datetime | None:
    return None if last_inbound_at is None else last_inbound_at + WINDOW - CLOSING_MARGIN
