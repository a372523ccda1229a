"""Fixtures for conversation tests: a roster, an engine with every flow, and chats with invited people."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from handlers.engine import Engine
from handlers.flows import all_flows
from services import invitations, roster, wilayah
from services.db import Database
from services.media import MediaStore
from services.models import RT, Person, Role
from services.program import Program
from tests.handlers.chat import Chat

ROSTER = [
    # kode_kelurahan, rt, kelompok, jumlah_kk, pilot, pendamping
    ("15.71.01.1001", "1", "A", "87", "ya", "Dewi Lubis"),
    ("15.71.01.1001", "2", "A", "", "tidak", "Dewi Lubis"),
    ("15.71.01.1002", "3", "B", "120", "tidak", "Rudi Saputra"),
]


@dataclass
class World:
    db: Database
    program: Program
    pepper: bytes
    engine: Engine
    media_root: Path
    counter: int = 0

    async def invite(
        self,
        role: Role,
        rt_kode: str | None = None,
        person: Person | None = None,
        rts: list[str] | None = None,
        nama: str | None = None,
    ) -> str:
        async with self.db.unit_of_work() as session:
            from sqlalchemy import select

            rt = await session.scalar(select(RT).where(RT.kode == rt_kode)) if rt_kode else None
            rt_rows = list(await session.scalars(select(RT).where(RT.kode.in_(rts or []))))
            issued = await invitations.create_invitation(
                session, self.pepper, role=role, created_by="test", rt=rt, rts=rt_rows, person=person, nama=nama
            )
            return issued.code

    async def chat(self, role: Role | None = None, rt_kode: str | None = None, **kwargs) -> Chat:
        """A new person; registered with a fresh invitation when `role` is given.

        The invitation carries the chat's name, so registering asks no name (tests/handlers/flows/test_nama.py does).
        """
        self.counter += 1
        chat = Chat(self.engine, user_id=f"u{self.counter}")
        if role is not None:
            kwargs.setdefault("nama", chat.display_name)
            code = await self.invite(role, rt_kode, **kwargs)
            replies = await chat.send(f"/start {code}")
            assert "registered" in chat.texts(replies).lower() or "terdaftar" in chat.texts(replies).lower()
        return chat


async def load_roster(db: Database, program: Program) -> None:
    table = [dict(zip(roster.COLUMNS, row, strict=True)) for row in ROSTER]
    async with db.unit_of_work() as session:
        await wilayah.ensure_wilayah(session)
        rows = roster.validate_rows(table, await roster.known_kelurahan(session), program)
        await roster.import_rows(session, rows, actor="test")


@pytest.fixture
async def world(db: Database, program: Program, pepper: bytes, tmp_path: Path) -> World:
    await load_roster(db, program)
    store = MediaStore(tmp_path / "media")
    engine = Engine(db, program, pepper, store, all_flows())
    return World(db, program, pepper, engine, tmp_path / "media")
