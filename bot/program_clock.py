"""The program's "now": the real time, or in a training session a moment the trainer chose, with time running on.

Pendamping and RT chairs learn the bot before their Kelompok starts (a December workshop rehearsing February's
rembuk warga); SIMULATED_START makes the conversations and the reminder clock behave as on that day. Only what the
program decides by date follows it: rate limits, leases and album gathering keep the real clock.
"""

from collections.abc import Callable
from datetime import datetime

from services.models import utcnow

Clock = Callable[[], datetime]


def running_from(start: datetime, real_now: Clock = utcnow) -> Clock:
    """A clock that reads `start` now and moves on with the real one."""
    offset = start - real_now()
    return lambda: real_now() + offset


def program_clock(simulated_start: datetime | None) -> Clock:
    return utcnow if simulated_start is None else running_from(simulated_start)
