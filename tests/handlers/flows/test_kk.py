"""/kk end to end through the engine, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import select

from handlers.engine import Engine
from handlers.flow import action_choice_id
from handlers.messages import Expect, Incoming, Kind
from services.models import RT, AuditLog, ConversationState, KKChangeRequest, Role
from tests.handlers.chat import Chat, outbox_for
from tests.handlers.flows.ketua_setup import (
    RT_A,
    RT_A_NO_KK,
    add_funds,
    count,
    ketua,
    kk_history,
    pendamping,
    photo,
    rows,
    rt_row,
    send_sticker,
    text_of,
)
from tests.handlers.flows.pendamping import person_of

ASK = "Ada berapa KK (kepala keluarga) di RT ini?"


async def test_first_registration_shows_tier_and_saves_with_history_and_audit(world):
    chat = await ketua(world, RT_A_NO_KK)
    replies = await chat.send("/kk")
    assert "Jumlah KK RT 002 Kel. Simpang IV Sipin belum terdaftar." in text_of(replies)
    assert ASK in text_of(replies) and replies[-1].expect == Expect.NUMBER
    replies = await chat.send("87")
    assert "87 KK, alokasi Rp70.000.000" in text_of(replies)
    assert [c.label for c in replies[-1].choices] == ["Simpan", "Ubah"]
    assert await kk_history(world, RT_A_NO_KK) == []  # nothing before the confirmation
    replies = await chat.press("save")
    saved = "Terima kasih, Bapak/Ibu. RT 002 Kel. Simpang IV Sipin sekarang: 87 KK, alokasi Rp70.000.000"
    assert saved in text_of(replies)
    assert "/jadwal" in text_of(replies)
    assert (await rt_row(world, RT_A_NO_KK)).jumlah_kk == 87
    [history] = await kk_history(world, RT_A_NO_KK)
    assert (history.old, history.new, history.source) == (None, 87, "bot")
    assert history.changed_by_id is not None
    audit = await rows(world, AuditLog, AuditLog.action == "rt.jumlah_kk")
    assert len(audit) == 1 and audit[0].actor == f"test:{chat.user_id}"


@pytest.mark.parametrize("typed", ["87", "87 KK", " 87 ", "87kk", "87 kk"])
async def test_the_ways_people_type_a_count(world, typed):
    chat = await ketua(world, RT_A_NO_KK)
    await chat.send("/kk")
    replies = await chat.send(typed)
    assert "87 KK, alokasi Rp70.000.000" in text_of(replies)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("0", "Jumlah KK paling sedikit 1."),
        ("-5", "Jumlah KK paling sedikit 1."),
        ("87,5", "Ketik jumlah KK tanpa koma."),
        ("delapan puluh", "Itu bukan angka."),
        ("5001", "5.001 KK terlalu banyak untuk satu RT (paling banyak 5.000)"),
        ("99999999", "Itu bukan angka."),
        ("   ", "Di sini perlu jumlah KK dalam angka"),
        ("🙂", "Itu bukan angka."),
        ("x" * 5000, "Itu bukan angka."),
        ("1; DROP TABLE rt;--", "Itu bukan angka."),
    ],
)
async def test_refused_counts_say_why_and_ask_again(world, typed, reason):
    chat = await ketua(world, RT_A_NO_KK)
    await chat.send("/kk")
    replies = await chat.send(typed)
    assert reason in text_of(replies)
    assert ASK in replies[-1].text and replies[-1].expect == Expect.NUMBER
    assert (await rt_row(world, RT_A_NO_KK)).jumlah_kk is None
    assert await kk_history(world, RT_A_NO_KK) == []


async def test_sticker_photo_and_button_are_refused_at_the_number(world):
    chat = await ketua(world, RT_A_NO_KK)
    await chat.send("/kk")
    replies = await send_sticker(chat)
    assert "Di sini perlu jumlah KK dalam angka" in text_of(replies)
    replies = await chat.send_media(photo(1))
    assert "Di sini perlu jumlah KK dalam angka" in text_of(replies)
    replies = await chat.press("save", token=chat.last.token)
    assert "Di sini perlu jumlah KK dalam angka" in text_of(replies)
    replies = await chat.send("70")
    assert "70 KK, alokasi Rp70.000.000" in text_of(replies)


async def test_above_the_usual_limit_asks_first_and_change_goes_back(world):
    chat = await ketua(world, RT_A_NO_KK)
    await chat.send("/kk")
    replies = await chat.send("450")
    assert "450 KK cukup banyak untuk satu RT. Apakah angka ini benar?" in text_of(replies)
    assert [c.label for c in replies[-1].choices] == ["Ya, benar", "Ubah"]
    replies = await chat.send("mungkin")
    assert "Tekan Ya, benar atau Ubah." in text_of(replies)
    replies = await chat.press("change")
    assert ASK in text_of(replies)
    await chat.send("450")
    replies = await chat.press("yes")
    assert "450 KK, alokasi Rp100.000.000" in text_of(replies)
    await chat.press("save")
    assert (await rt_row(world, RT_A_NO_KK)).jumlah_kk == 450


async def test_exactly_the_usual_limit_needs_no_extra_question(world):
    chat = await ketua(world, RT_A_NO_KK)
    await chat.send("/kk")
    replies = await chat.send("400")
    assert "400 KK, alokasi Rp100.000.000" in text_of(replies)


async def test_change_shows_before_and_after_and_typed_simpan_saves(world):
    chat = await ketua(world, RT_A)
    replies = await chat.send("/kk")
    assert "Saat ini RT 001 Kel. Simpang IV Sipin: 87 KK, alokasi Rp70.000.000" in text_of(replies)
    replies = await chat.send("120")
    assert "Sebelumnya: 87 KK, alokasi Rp70.000.000" in text_of(replies)
    assert "Baru: 120 KK, alokasi Rp100.000.000" in text_of(replies)
    await chat.send("simpan")
    history = await kk_history(world, RT_A)
    assert [(h.old, h.new, h.source) for h in history] == [(87, 120, "bot")]


async def test_same_number_changes_nothing(world):
    chat = await ketua(world, RT_A)
    await chat.send("/kk")
    replies = await chat.send("87")
    assert "RT ini sudah terdaftar dengan 87 KK. Tidak ada yang diubah." in text_of(replies)
    assert await kk_history(world, RT_A) == []


async def test_change_button_at_confirmation_asks_again(world):
    chat = await ketua(world, RT_A_NO_KK)
    await chat.send("/kk")
    await chat.send("87")
    replies = await chat.send("hmm")
    assert "Tekan Simpan" in text_of(replies)
    replies = await chat.press("change")
    assert ASK in text_of(replies)
    await chat.send("59")
    replies = await chat.press("save")
    assert "59 KK, alokasi Rp50.000.000" in text_of(replies)


async def test_cancel_midway_saves_nothing(world):
    chat = await ketua(world, RT_A_NO_KK)
    await chat.send("/kk")
    await chat.send("87")
    await chat.send("/batal")
    assert (await rt_row(world, RT_A_NO_KK)).jumlah_kk is None
    assert await kk_history(world, RT_A_NO_KK) == []


async def test_restart_in_the_middle_continues_on_a_new_engine(world):
    chat = await ketua(world, RT_A_NO_KK)
    await chat.send("/kk")
    await chat.send("87")
    old = world.engine
    restarted = Engine(old.db, old.program, old.pepper, old.media, old.flows)
    again = Chat(restarted, chat.user_id, history=list(chat.history))
    replies = await again.press("save")
    assert "Terima kasih, Bapak/Ibu." in text_of(replies)
    assert (await rt_row(world, RT_A_NO_KK)).jumlah_kk == 87


@pytest.mark.parametrize("role", [Role.BENDAHARA, Role.PENDAMPING])
async def test_other_roles_cannot_use_kk(world, role):
    chat = await world.chat(role, RT_A if role == Role.BENDAHARA else None)
    replies = await chat.send("/kk")
    assert "/kk" in text_of(replies)
    assert ASK not in text_of(replies)
    async with world.db.unit_of_work() as session:
        state = await session.get(ConversationState, ("test", chat.user_id))
        assert state.flow is None


async def test_after_funds_a_change_becomes_a_request_for_the_pendamping(world):
    dewi = await pendamping(world, RT_A)
    await add_funds(world, RT_A)
    chat = await ketua(world, RT_A)
    await chat.send("/kk")
    replies = await chat.send("120")
    assert "Dana sudah masuk, jadi perubahan ini harus disetujui pendamping." in text_of(replies)
    assert "Kirim perubahan ini ke pendamping?" in text_of(replies)
    assert [c.label for c in replies[-1].choices] == ["Kirim ke pendamping", "Ubah"]
    replies = await chat.press("save")
    assert "Sudah dikirim kepada pendamping, Dewi Lubis, untuk disetujui" in text_of(replies)
    assert "RT ini tetap 87 KK" in text_of(replies)

    assert (await rt_row(world, RT_A)).jumlah_kk == 87
    assert await kk_history(world, RT_A) == []
    [request] = await rows(world, KKChangeRequest)
    assert (request.status, request.old, request.new) == ("pending", 87, 120)
    [message] = await outbox_for(world.engine, dewi.user_id)
    assert "meminta perubahan jumlah KK setelah dana masuk" in message.payload["text"]
    assert "Baru: 120 KK, alokasi Rp100.000.000" in message.payload["text"]
    assert [c["id"] for c in message.payload["choices"]] == [
        action_choice_id("kk_ok", request.id),
        action_choice_id("kk_no", request.id),
    ]

    replies = await chat.send("/kk")
    assert "Pendamping belum memutuskan" in text_of(replies)
    assert await count(world, KKChangeRequest) == 1


async def test_request_without_a_pendamping_is_kept_for_the_admin(world):
    await add_funds(world, RT_A)
    async with world.db.unit_of_work() as session:
        rt = await session.scalar(select(RT).where(RT.kode == RT_A))
        rt.pendamping_id = None
    chat = await ketua(world, RT_A)
    await chat.send("/kk")
    await chat.send("120")
    replies = await chat.press("save")
    assert "admin DPMPPA yang akan memutuskan" in text_of(replies)
    assert await count(world, KKChangeRequest) == 1


async def test_location_at_the_number_is_refused(world):
    chat = await ketua(world, RT_A_NO_KK)
    await chat.send("/kk")
    replies = await chat.deliver(Incoming("test", chat.user_id, Kind.LOCATION, latitude=-1.6, longitude=103.6))
    assert "Di sini perlu jumlah KK dalam angka" in text_of(replies)


async def test_a_request_made_meanwhile_from_another_phone_is_not_doubled(world):
    await add_funds(world, RT_A)
    first = await ketua(world, RT_A)
    # The same Ketua RT on a second phone: another identity of the same person (an RT has one Ketua RT).
    second = await world.chat(Role.KETUA_RT, RT_A, person=await person_of(world, first))
    await first.send("/kk")
    await first.send("120")
    await second.send("/kk")
    await second.send("130")
    await first.press("save")
    replies = await second.press("save")
    assert "Sudah ada perubahan jumlah KK yang menunggu keputusan pendamping." in text_of(replies)
    [request] = await rows(world, KKChangeRequest)
    assert request.new == 120
