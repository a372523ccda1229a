"""/lapor: a number that looks wrong is asked about ("Ya, benar" or the right number), never refused."""

from services.models import StageReport
from tests.handlers.flows.ketua_setup import FEB_10, RT_A, RT_A_NO_KK, at, ketua, photo, rows, seed_reports, text_of

ASK_KK = "Pertanyaan 2 dari 2: Jumlah KK yang hadir"


async def at_kk_question(world, rt_kode: str = RT_A, people: str = "200"):
    at(world, FEB_10)
    await seed_reports(world, rt_kode, ["sosialisasi"])
    chat = await ketua(world, rt_kode)
    await chat.send("/lapor")
    await chat.press("s:rembuk_warga")
    await chat.press("today")
    replies = await chat.send(people)
    assert ASK_KK in text_of(replies)
    return chat


async def sent_answers(world, chat) -> dict:
    await chat.send_media(photo(1), photo(2))
    await chat.press("done")
    await chat.press("send")
    [report] = await rows(world, StageReport, StageReport.stage_key == "rembuk_warga")
    return report.answers


async def test_more_kk_present_than_the_rt_has_is_asked_and_yes_keeps_it(world):
    chat = await at_kk_question(world)  # RT 001 has 87 KK
    replies = await chat.send("120 KK")
    question = text_of(replies)
    assert "Bapak/Ibu menulis 120 KK hadir, padahal RT 001 Kel. Simpang IV Sipin tercatat 87 KK." in question
    assert "Apakah 120 sudah benar?" in question and "ketik angka yang benar" in question
    assert [c.label for c in replies[-1].choices] == ["Ya, benar"]
    replies = await chat.press_label("Ya, benar")
    assert "Sekarang kirim bukti Rembuk Warga" in text_of(replies)
    assert await sent_answers(world, chat) == {"jumlah_hadir": 200, "jumlah_kk_hadir": 120}


async def test_a_corrected_number_replaces_the_doubtful_one(world):
    chat = await at_kk_question(world)
    await chat.send("800")
    replies = await chat.send("80")
    assert "Sekarang kirim bukti Rembuk Warga" in text_of(replies)
    assert await sent_answers(world, chat) == {"jumlah_hadir": 200, "jumlah_kk_hadir": 80}


async def test_the_same_number_typed_again_is_taken_as_meant(world):
    chat = await at_kk_question(world)
    await chat.send("120")
    replies = await chat.send("120")
    assert "Sekarang kirim bukti Rembuk Warga" in text_of(replies)


async def test_a_corrected_number_that_still_looks_wrong_is_asked_again(world):
    chat = await at_kk_question(world, people="45")
    await chat.send("120")
    replies = await chat.send("60")  # under the RT's 87 KK, but more than the 45 people present
    assert "padahal warga yang hadir 45 orang" in text_of(replies)
    replies = await chat.send("huruf")
    assert "Itu bukan angka." in text_of(replies)
    replies = await chat.send("40")
    assert "Sekarang kirim bukti Rembuk Warga" in text_of(replies)


async def test_more_kk_than_people_present_is_asked_even_without_a_kk_count(world):
    chat = await at_kk_question(world, RT_A_NO_KK, people="30 orang")
    replies = await chat.send("45")
    assert "Bapak/Ibu menulis 45 KK hadir, padahal warga yang hadir 30 orang." in text_of(replies)
    await chat.send("ya")
    assert await sent_answers(world, chat) == {"jumlah_hadir": 30, "jumlah_kk_hadir": 45}


async def test_plausible_numbers_are_not_asked_about(world):
    chat = await at_kk_question(world, people="45 orang")
    replies = await chat.send("30 KK")
    assert "Sekarang kirim bukti Rembuk Warga" in text_of(replies)


async def test_both_doubts_are_asked_in_one_question(world):
    chat = await at_kk_question(world, people="45")
    replies = await chat.send("120")
    assert "tercatat 87 KK dan warga yang hadir hanya 45 orang. Apakah 120 sudah benar?" in text_of(replies)
