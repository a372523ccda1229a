"""KK changes after funds, decided by the pendamping with the buttons of the notification (and /kk_approval)."""

from handlers.flow import action_choice_id
from services.models import AuditLog, KKChangeRequest, Role
from tests.handlers.chat import outbox_for
from tests.handlers.flows.ketua_setup import (
    RT_A,
    RT_B,
    add_funds,
    ketua,
    kk_history,
    pendamping,
    rows,
    rt_row,
    text_of,
)


async def asked_change(world, new: str = "120"):
    """Funds received for RT A, its Ketua asks for a new count: (ketua chat, pendamping chat, request)."""
    dewi = await pendamping(world, RT_A)
    await add_funds(world, RT_A)
    chat = await ketua(world, RT_A)
    await chat.send("/kk")
    await chat.send(new)
    await chat.press("save")
    [request] = await rows(world, KKChangeRequest)
    return chat, dewi, request


async def test_pendamping_approves_and_the_ketua_is_told(world):
    chat, dewi, request = await asked_change(world)
    replies = await dewi.press(action_choice_id("kk_ok", request.id))
    assert "Disetujui. RT 001 Kel. Simpang IV Sipin sekarang: 120 KK, alokasi Rp100.000.000." in text_of(replies)

    assert (await rt_row(world, RT_A)).jumlah_kk == 120
    [history] = await kk_history(world, RT_A)
    assert (history.old, history.new, history.source) == (87, 120, "kk_change")
    [decided] = await rows(world, KKChangeRequest)
    assert decided.status == "approved" and decided.decided_by_id is not None and decided.decided_at is not None
    assert await rows(world, AuditLog, AuditLog.action == "kk_change.approve")
    [message] = await outbox_for(world.engine, chat.user_id)
    assert "menyetujui perubahan. RT ini sekarang: 120 KK, alokasi Rp100.000.000" in message.payload["text"]


async def test_pendamping_rejects_and_nothing_changes(world):
    chat, dewi, request = await asked_change(world)
    replies = await dewi.press(action_choice_id("kk_no", request.id))
    assert "Ditolak. RT 001 Kel. Simpang IV Sipin tetap 87 KK." in text_of(replies)
    assert (await rt_row(world, RT_A)).jumlah_kk == 87
    assert await kk_history(world, RT_A) == []
    [decided] = await rows(world, KKChangeRequest)
    assert decided.status == "rejected"
    [message] = await outbox_for(world.engine, chat.user_id)
    assert "menolak perubahan menjadi 120 KK. RT ini tetap 87 KK." in message.payload["text"]
    # The Ketua may ask again once the first request is decided.
    replies = await chat.send("/kk")
    assert "Ada berapa KK" in text_of(replies)


async def test_deciding_twice_says_already_decided(world):
    _chat, dewi, request = await asked_change(world)
    await dewi.press(action_choice_id("kk_ok", request.id))
    replies = await dewi.press(action_choice_id("kk_no", request.id))
    assert "Permintaan ini sudah diputuskan: disetujui." in text_of(replies)
    assert (await rt_row(world, RT_A)).jumlah_kk == 120
    assert len(await kk_history(world, RT_A)) == 1


async def test_another_rts_pendamping_cannot_decide(world):
    _chat, _dewi, request = await asked_change(world)
    rudi = await pendamping(world, RT_B)
    replies = await rudi.press(action_choice_id("kk_ok", request.id))
    assert "bukan dampingan Bapak/Ibu" in text_of(replies)
    [still] = await rows(world, KKChangeRequest)
    assert still.status == "pending"
    assert (await rt_row(world, RT_A)).jumlah_kk == 87


async def test_admin_may_decide_any_rt(world):
    _chat, _dewi, request = await asked_change(world)
    admin = await world.chat(Role.ADMIN)
    replies = await admin.press(action_choice_id("kk_ok", request.id))
    assert "Disetujui." in text_of(replies)
    assert (await rt_row(world, RT_A)).jumlah_kk == 120


async def test_the_ketua_cannot_press_the_pendamping_button(world):
    chat, _dewi, request = await asked_change(world)
    replies = await chat.press(action_choice_id("kk_ok", request.id))
    assert "Disetujui" not in text_of(replies)
    assert (await rt_row(world, RT_A)).jumlah_kk == 87


async def test_broken_or_unknown_button_arguments(world):
    _chat, dewi, _request = await asked_change(world)
    for argument in ("abc", "999", ""):
        replies = await dewi.press(action_choice_id("kk_ok", argument))
        assert "Tombol itu sudah tidak berlaku." in text_of(replies)
    [still] = await rows(world, KKChangeRequest)
    assert still.status == "pending"


async def test_the_command_lists_open_requests_with_buttons(world):
    _chat, dewi, request = await asked_change(world)
    replies = await dewi.send("/kk_approval")
    assert "Perubahan jumlah KK yang menunggu keputusan: 1" in text_of(replies)
    assert "Sebelumnya: 87 KK, alokasi Rp70.000.000\nBaru: 120 KK, alokasi Rp100.000.000" in text_of(replies)
    assert [c.id for c in replies[-1].choices] == [
        action_choice_id("kk_ok", request.id),
        action_choice_id("kk_no", request.id),
    ]
    await dewi.press(action_choice_id("kk_ok", request.id))
    replies = await dewi.send("/kk_approval")
    assert "Tidak ada perubahan jumlah KK yang menunggu keputusan." in text_of(replies)


async def test_the_command_shows_only_the_pendampings_own_rts(world):
    await asked_change(world)
    rudi = await pendamping(world, RT_B)
    replies = await rudi.send("/kk_approval")
    assert "Tidak ada perubahan jumlah KK yang menunggu keputusan." in text_of(replies)


async def test_deciding_in_the_middle_of_another_question_asks_it_again(world):
    _chat, dewi, request = await asked_change(world)
    await dewi.send("/bahasa")
    replies = await dewi.press(action_choice_id("kk_ok", request.id))
    assert "Disetujui." in replies[0].text
    assert [c.id for c in replies[-1].choices] == ["lang:id", "lang:en"]
