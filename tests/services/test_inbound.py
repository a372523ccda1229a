import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services import inbound
from services.db import Database
from services.models import AlbumItem, ProcessedUpdate, utcnow


async def test_an_update_is_claimed_once(db: Database) -> None:
    async with db.unit_of_work() as session:
        assert await inbound.claim_update(session, "telegram", 100)
        assert not await inbound.claim_update(session, "telegram", 100)
        assert await inbound.claim_update(session, "whatsapp", 100)  # ids are per channel
    async with db.unit_of_work() as session:
        assert not await inbound.claim_update(session, "telegram", "100")


async def test_concurrent_claims_let_exactly_one_win(db: Database) -> None:
    async def claim() -> bool:
        async with db.unit_of_work() as session:
            return await inbound.claim_update(session, "telegram", 7)

    results = await asyncio.gather(*(claim() for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_album_is_flushed_once_after_a_quiet_moment(db: Database) -> None:
    start = utcnow()
    async with db.unit_of_work() as session:
        for i in range(3):
            item = {"ref": f"f{i}"}
            await inbound.add_album_item(session, "telegram", "g1", "42", item, start + timedelta(seconds=i * 0.2))
        await inbound.add_album_item(session, "telegram", "g2", "43", {"ref": "x"}, start + timedelta(seconds=2))
    async with db.unit_of_work() as session:
        assert await inbound.quiet_albums(session, "telegram", start + timedelta(seconds=0.3)) == []
        assert await inbound.quiet_albums(session, "telegram", start + timedelta(seconds=1.5)) == ["g1"]
        items = await inbound.waiting_album(session, "telegram", "g1")
        assert [i.item["ref"] for i in items] == ["f0", "f1", "f2"]
        assert await inbound.claim_album_items(session, "telegram", [i.id for i in items])
    async with db.unit_of_work() as session:
        assert await inbound.waiting_album(session, "telegram", "g1") == []
        assert await inbound.quiet_albums(session, "telegram", start + timedelta(seconds=9)) == ["g2"]


async def test_a_rolled_back_claim_leaves_the_album_waiting(db: Database) -> None:
    async with db.unit_of_work() as session:
        await inbound.add_album_item(session, "telegram", "g", "42", {"ref": "a"})
    async with db.sessions() as session:  # the handling fails (or the process dies) before its commit
        items = await inbound.waiting_album(session, "telegram", "g")
        assert await inbound.claim_album_items(session, "telegram", [i.id for i in items])
        await session.rollback()
    async with db.unit_of_work() as session:
        assert len(await inbound.waiting_album(session, "telegram", "g")) == 1


async def test_two_workers_never_claim_the_same_album(db: Database) -> None:
    async with db.unit_of_work() as session:
        for i in range(4):
            await inbound.add_album_item(session, "telegram", "g", "42", {"ref": i})
        ids = [i.id for i in await inbound.waiting_album(session, "telegram", "g")]

    async def claim() -> bool:
        async with db.unit_of_work() as session:
            return await inbound.claim_album_items(session, "telegram", ids)

    assert sorted(await asyncio.gather(claim(), claim(), claim())) == [False, False, True]


async def test_people_with_an_album_gathering(db: Database) -> None:
    async with db.unit_of_work() as session:
        await inbound.add_album_item(session, "telegram", "g1", "42", {"ref": "a"})
        await inbound.add_album_item(session, "telegram", "g2", "42", {"ref": "b"})
        await inbound.add_album_item(session, "telegram", "g3", "43", {"ref": "c"})
        done = await inbound.waiting_album(session, "telegram", "g3")
        await inbound.claim_album_items(session, "telegram", [i.id for i in done])
    async with db.unit_of_work() as session:
        assert await inbound.albums_waiting_for(session, "telegram", ["42", "43", "44"]) == {"42"}
        assert await inbound.waiting_albums_of(session, "telegram", "42") == ["g1", "g2"]


async def test_prune_forgets_old_rows_only(db: Database) -> None:
    old = utcnow() - timedelta(days=3)
    async with db.unit_of_work() as session:
        await inbound.claim_update(session, "telegram", 1, now=old)
        await inbound.claim_update(session, "telegram", 2)
        await inbound.add_album_item(session, "telegram", "old", "1", {}, old)
        [item] = await inbound.waiting_album(session, "telegram", "old")
        await inbound.claim_album_items(session, "telegram", [item.id], now=old)
        await inbound.add_album_item(session, "telegram", "new", "1", {})
    async with db.unit_of_work() as session:
        await inbound.prune(session, timedelta(days=2))
    async with db.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1
        assert list(await session.scalars(select(AlbumItem.media_group_id))) == ["new"]


async def test_a_batch_is_checked_in_one_read(db: Database) -> None:
    async with db.unit_of_work() as session:
        assert await inbound.claim_update(session, "telegram", 2)
        assert await inbound.claim_update(session, "whatsapp", 3)
        assert await inbound.handled_among(session, "telegram", [1, 2, 3, 3]) == {"2"}
        assert await inbound.handled_among(session, "telegram", []) == set()


async def test_a_claim_rolled_back_with_its_work_leaves_the_update_to_handle_again(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as session:
            assert await inbound.claim_update(session, "telegram", 5)
            raise RuntimeError("the process died before the commit")
    async with db.unit_of_work() as session:
        assert await inbound.handled_among(session, "telegram", [5]) == set()
        assert await inbound.claim_update(session, "telegram", 5)
