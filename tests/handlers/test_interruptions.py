"""A command in the middle of a flow: read-only ones answer and ask again, others ask before leaving it."""

from sqlalchemy import select

from services.models import ConversationState, ReportDraft
from tests.handlers.chat import Chat
from tests.handlers.flows.ketua_setup import FEB_10, RT_A, at, count, ketua, pendamping, seed_reports, text_of

QUESTION_2 = "Pertanyaan 2 dari 2"


async def state_of(world, chat: Chat) -> ConversationState:
    async with world.db.unit_of_work() as session:
        return await session.scalar(
            select(ConversationState).where(
                ConversationState.channel == chat.channel, ConversationState.user_id == chat.user_id
            )
        )


async def rembuk_warga_after_one_answer(world) -> Chat:
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi"])
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    await chat.press("s:rembuk_warga")
    await chat.press("today")
    replies = await chat.send("45")
    assert QUESTION_2 in text_of(replies)
    return chat


async def test_a_read_only_command_answers_then_asks_the_open_question_again(world):
    chat = await rembuk_warga_after_one_answer(world)
    replies = await chat.send("/jadwal")
    assert replies[0].text.startswith("Jadwal RT")
    assert QUESTION_2 in replies[-1].text
    # The flow goes on where it was: the second answer leads to the evidence.
    replies = await chat.send("30")
    assert "Sekarang kirim bukti Rembuk Warga" in text_of(replies)
    assert (await state_of(world, chat)).data["answers"] == {"jumlah_hadir": 45, "jumlah_kk_hadir": 30}


async def test_menu_is_a_list_without_buttons_and_bantuan_answers_inside_a_flow(world):
    chat = await rembuk_warga_after_one_answer(world)
    menu, question = await chat.send("/menu")
    assert menu.text.startswith("Apa yang ingin dilakukan?") and "/jadwal" in menu.text
    assert not menu.choices  # a menu button here would be read as the answer to the question
    assert QUESTION_2 in question.text
    replies = await chat.send("/bantuan")
    assert "/lapor" in replies[0].text and QUESTION_2 in replies[-1].text
    assert (await state_of(world, chat)).step == "field"
    # Telegram's Start button in the middle of a report: the menu as a list, and the report goes on.
    menu, question = await chat.send("/start")
    assert menu.text.startswith("Apa yang ingin dilakukan?") and not menu.choices
    assert QUESTION_2 in question.text and (await state_of(world, chat)).step == "field"


async def test_another_flow_asks_first_and_continue_keeps_the_report(world):
    chat = await rembuk_warga_after_one_answer(world)
    (ask,) = await chat.send("/kk")
    assert ask.text == (
        "Laporan Rembuk Warga belum selesai (tanggal, 1 jawaban sudah diisi). Tinggalkan dan mulai /kk?"
    )
    assert [(c.id, c.label) for c in ask.choices] == [("stay:continue", "Lanjutkan"), ("stay:leave", "Tinggalkan")]
    # Anything else is answered with the same question.
    replies = await chat.send("30")
    assert "Tekan Lanjutkan" in replies[0].text and replies[-1].text == ask.text
    replies = await chat.press("stay:continue")
    assert QUESTION_2 in text_of(replies)
    replies = await chat.send("30")
    assert "Sekarang kirim bukti Rembuk Warga" in text_of(replies)
    assert await count(world, ReportDraft) == 0


async def test_leave_keeps_a_draft_and_starts_the_other_flow(world):
    chat = await rembuk_warga_after_one_answer(world)
    await chat.send("/kk")
    replies = await chat.press_label("Tinggalkan")
    assert "Laporan Rembuk Warga belum dikirim. Laporan disimpan sebagai draf selama 7 hari" in replies[0].text
    assert "Ada berapa KK" in replies[-1].text
    state = await state_of(world, chat)
    assert (state.flow, state.step) == ("kk", "number")
    [draft] = await _drafts(world)
    assert (draft.stage_key, draft.step, draft.data["answers"]) == ("rembuk_warga", "field", {"jumlah_hadir": 45})


async def test_nothing_typed_yet_switches_without_asking(world):
    at(world, FEB_10)
    chat = await ketua(world, RT_A)
    await chat.send("/lapor")
    replies = await chat.send("/kk")
    assert "Ada berapa KK" in replies[-1].text
    assert await count(world, ReportDraft) == 0


async def test_a_flow_without_its_own_description_is_named_by_its_command(world):
    at(world, FEB_10)
    chat = await ketua(world, RT_A)
    await chat.send("/kk")
    await chat.send("90")
    replies = await chat.send("/lapor")
    assert replies[0].text == "/kk belum selesai. Tinggalkan dan mulai /lapor?"
    replies = await chat.press("stay:leave")
    assert "Tahap mana" in text_of(replies)


async def test_batal_while_asked_leaves_and_keeps_the_draft(world):
    chat = await rembuk_warga_after_one_answer(world)
    await chat.send("/kk")
    replies = await chat.send("/batal")
    assert "disimpan sebagai draf" in replies[0].text
    assert (await state_of(world, chat)).flow is None
    assert await count(world, ReportDraft) == 1


async def test_a_command_of_another_role_keeps_the_flow(world):
    chat = await rembuk_warga_after_one_answer(world)
    replies = await chat.send("/tinjau")
    assert replies[0].text.startswith("/tinjau bukan untuk peran Bapak/Ibu.")
    replies = await chat.send("30")
    assert "Sekarang kirim bukti Rembuk Warga" in text_of(replies)


async def _drafts(world) -> list[ReportDraft]:
    async with world.db.unit_of_work() as session:
        return list(await session.scalars(select(ReportDraft)))


async def test_pendamping_inside_tinjau_gets_rt_then_the_card_again(world):
    at(world, FEB_10)
    await seed_reports(world, RT_A, ["sosialisasi"], status="menunggu_tinjauan")
    dewi = await pendamping(world, RT_A)
    card = (await dewi.send("/tinjau"))[-1]
    replies = await dewi.send("/rt")
    assert len(replies) >= 2 and replies[-1].text == card.text
    assert [c.id for c in replies[-1].choices] == [c.id for c in card.choices]
