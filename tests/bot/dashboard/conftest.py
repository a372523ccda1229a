from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.program import Program
from tests.bot.dashboard.running import Dashboard, running


@pytest.fixture
async def dashboard(database_url: str, tmp_path: Path, program: Program, pepper: bytes) -> AsyncIterator[Dashboard]:
    async with running(database_url, tmp_path, program, pepper) as served:
        yield served
