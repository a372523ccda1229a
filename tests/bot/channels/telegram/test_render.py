from bot.channels.telegram.render import MAX_TEXT, callback_data, keyboard, render, split_text
from handlers.messages import Choice, Expect, Reply


def test_plain_text_is_html_escaped() -> None:
    assert render(Reply("Rp<5> & <b>")) == [
        ("send_message", {"text": "Rp&lt;5&gt; &amp; &lt;b&gt;", "parse_mode": "HTML"})
    ]


def test_long_text_splits_on_lines_under_the_limit() -> None:
    lines = [f"RT {i:03d} " + "x" * 90 for i in range(200)]
    chunks = split_text("\n".join(lines))
    assert len(chunks) > 1
    assert all(len(c) <= MAX_TEXT for c in chunks)
    assert "\n".join(chunks) == "\n".join(lines)  # cut only between lines, nothing lost


def test_one_huge_line_is_cut_without_breaking_an_escape() -> None:
    chunks = split_text("&" * 5000)
    assert all(len(c) <= MAX_TEXT for c in chunks)
    assert all(c.count("&") == c.count("&amp;") for c in chunks)
    assert "".join(chunks) == "&amp;" * 5000


def test_choices_become_inline_keyboard_on_the_last_message() -> None:
    reply = Reply("a\n" * 3000, (Choice("ya", "Ya"), Choice("tidak", "Tidak"), Choice("x", "Lain")), Expect.CHOICE, 7)
    calls = render(reply)
    assert len(calls) == 2 and "reply_markup" not in calls[0][1]
    rows = calls[-1][1]["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in rows] == [["7:ya", "7:tidak"], ["7:x"]]


def test_long_labels_get_one_row_each() -> None:
    rows = keyboard(None, (Choice("a", "Sudah menerima dana tahap pertama"), Choice("b", "Belum")))["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in rows] == [["0:a"], ["0:b"]]


def test_callback_data_never_exceeds_64_bytes() -> None:
    assert callback_data(12, "x" * 40) == "12:" + "x" * 40
    data = callback_data(123456789, "é" * 40)
    assert len(data.encode()) <= 64
    data.encode().decode()  # still valid UTF-8


def test_attachments_go_before_the_text() -> None:
    reply = Reply("Laporan", attachments=(("ab/cd/1.jpg", "photo"), ("document", "ab/cd/2.pdf")))
    assert [m for m, _ in render(reply)] == ["send_photo", "send_document", "send_message"]
    assert render(reply)[0][1] == {"path": "ab/cd/1.jpg"}
    assert render(reply)[1][1] == {"path": "ab/cd/2.pdf"}


def test_empty_text_still_sends_something() -> None:
    assert render(Reply(""))[0][1]["text"]
