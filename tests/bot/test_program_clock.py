"""SIMULATED_START: the program's time for a training session, moving on with the real clock."""

from datetime import UTC, datetime, timedelta

from bot.bootstrap import bootstrap
from bot.program_clock import program_clock, running_from
from bot.settings import Settings
from services.models import utcnow

APRIL_10 = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)  # 10:00 WIB


class RealClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_starts_at_the_chosen_moment_and_moves_with_real_time() -> None:
    real = RealClock()
    clock = running_from(APRIL_10, real)
    assert clock() == APRIL_10
    real.now += timedelta(minutes=90)
    assert clock() == APRIL_10 + timedelta(minutes=90)


def test_without_a_simulated_start_it_is_the_real_clock() -> None:
    assert program_clock(None) is utcnow


def test_a_time_without_offset_is_wib() -> None:
    settings = Settings(_env_file=None, simulated_start="2026-04-10T10:00")
    assert settings.simulated_start == APRIL_10
    assert Settings(_env_file=None, simulated_start="2026-04-10T10:00+00:00").simulated_start.hour == 10


def test_bootstrap_gives_every_part_the_simulated_clock(tmp_path) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        data_dir=tmp_path,
        secret_key="k",
        simulated_start="2026-04-10T10:00",
    )
    app = bootstrap(settings)
    assert abs(app.clock() - APRIL_10) < timedelta(seconds=5)
    assert app.engine().clock is app.clock
