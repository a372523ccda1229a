"""`Reply` → Cloud API bodies: Meta's limits always kept, every choice reachable once, no text lost."""

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.whatsapp.incoming import choice_of
from bot.channels.whatsapp.render import (
    Rendered,
    Words,
    attachment_path,
    render,
    split_text,
    unique_titles,
    with_media_id,
)
from handlers.messages import Choice, Expect, Reply

WORDS = Words(list_button="Pilih", menu_hint="Ketik nomor pilihan")
# Meta's limits, written out here rather than taken from the module under test.
TEXT, BODY, BUTTONS, BUTTON_TITLE, ROWS, ROW_TITLE, DESCRIPTION, LIST_BUTTON, SECTION_TITLE = (
    4096,
    1024,
    3,
    20,
    10,
    24,
    72,
    20,
    24,
)


def choices(*labels: str) -> tuple[Choice, ...]:
    return tuple(Choice(f"c{at}", label) for at, label in enumerate(labels))


def check_limits(body: dict) -> None:
    """What the Cloud API refuses with 131009, asserted body by body."""
    kind = body["type"]
    if kind == "text":
        assert 0 < len(body["text"]["body"]) <= TEXT and body["text"]["body"].strip()
        return
    if kind in ("image", "document"):
        return
    interactive = body["interactive"]
    text = interactive["body"]["text"]
    assert 0 < len(text) <= BODY and text.strip()
    action = interactive["action"]
    if interactive["type"] == "button":
        titles = [b["reply"]["title"] for b in action["buttons"]]
        assert 1 <= len(titles) <= BUTTONS
        assert all(0 < len(t) <= BUTTON_TITLE and t.strip() for t in titles), titles
        assert len({t.casefold() for t in titles}) == len(titles), titles
        assert all(len(b["reply"]["id"]) <= 256 for b in action["buttons"])
    else:
        assert interactive["type"] == "list"
        assert 0 < len(action["button"]) <= LIST_BUTTON
        [section] = action["sections"]
        assert len(section.get("title", "")) <= SECTION_TITLE
        rows = section["rows"]
        assert 1 <= len(rows) <= ROWS
        assert all(0 < len(r["title"]) <= ROW_TITLE and r["title"].strip() for r in rows)
        assert all(0 < len(r.get("description", "x")) <= DESCRIPTION for r in rows)
        assert len({r["title"].casefold() for r in rows}) == len(rows)
        assert all(len(r["id"]) <= 200 for r in rows)


def offered_ids(rendered: Rendered) -> list[tuple[int | None, str]]:
    """(token, choice id) of every button or row, as a press would bring them back."""
    found = []
    for body in rendered.bodies:
        if body["type"] != "interactive":
            continue
        action = body["interactive"]["action"]
        ids = [b["reply"]["id"] for b in action.get("buttons", [])]
        ids += [r["id"] for s in action.get("sections", []) for r in s["rows"]]
        found += [choice_of(i) for i in ids]
    return found


def shown_text(rendered: Rendered) -> str:
    parts = []
    for body in rendered.bodies:
        if body["type"] == "text":
            parts.append(body["text"]["body"])
        elif body["type"] == "interactive":
            parts.append(body["interactive"]["body"]["text"])
    return "\n".join(parts)


def ink(text: str) -> str:
    return "".join(text.split())


# ---- examples ---------------------------------------------------------------------------------------------
def test_plain_text() -> None:
    assert render(Reply("Terima kasih, Pak."), WORDS).bodies == (
        {"type": "text", "text": {"body": "Terima kasih, Pak.", "preview_url": False}},
    )


def test_empty_reply_still_says_something() -> None:
    assert render(Reply(""), WORDS).bodies[0]["text"]["body"] == "…"


def test_two_choices_are_buttons_with_versioned_ids() -> None:
    rendered = render(Reply("Lanjut?", choices("Ya", "Tidak"), Expect.CHOICE, token=7), WORDS)
    assert rendered.bodies == (
        {
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "Lanjut?"},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": "7:c0", "title": "Ya"}},
                        {"type": "reply", "reply": {"id": "7:c1", "title": "Tidak"}},
                    ]
                },
            },
        },
    )
    assert rendered.menu == ()


def test_long_button_labels_are_shortened_yet_told_apart() -> None:
    rendered = render(
        Reply("Tahap?", choices("Laporan kegiatan tahap 1", "Laporan kegiatan tahap 2", "Batal"), token=1), WORDS
    )
    titles = [b["reply"]["title"] for b in rendered.bodies[0]["interactive"]["action"]["buttons"]]
    assert titles == ["Laporan kegi…tahap 1", "Laporan kegi…tahap 2", "Batal"]


def test_five_choices_are_a_list_whose_descriptions_carry_the_rest() -> None:
    labels = ("Tahap 1: Rembuk warga dan pembentukan panitia", "Tahap 2", "Tahap 3", "Tahap 4", "Tahap 5")
    rendered = render(Reply("Pilih tahap:", choices(*labels), token=3), Words("Pilih", "x", "Tahap"))
    interactive = rendered.bodies[0]["interactive"]
    assert interactive["type"] == "list"
    assert interactive["action"]["button"] == "Pilih"
    [section] = interactive["action"]["sections"]
    assert section["title"] == "Tahap"
    first = section["rows"][0]
    assert first == {
        "id": "3:c0",
        "title": "Tahap 1: Rembuk warga…",
        "description": "…dan pembentukan panitia",
    }
    assert section["rows"][1] == {"id": "3:c1", "title": "Tahap 2"}


def test_twelve_stages_are_a_numbered_menu_answered_by_number() -> None:
    stages = choices(*(f"Tahap {n}" for n in range(1, 13)))
    rendered = render(Reply("Pilih tahap:", stages, Expect.CHOICE, token=9), WORDS)
    [body] = rendered.bodies
    text = body["text"]["body"]
    assert text.startswith("Pilih tahap:\n\n1. Tahap 1\n2. Tahap 2\n")
    assert text.endswith("12. Tahap 12\n\nKetik nomor pilihan")
    assert rendered.menu == stages
    assert rendered.pick("7") == (9, "c6")
    assert rendered.pick(" 12. ") == (9, "c11")
    assert rendered.pick("٧") == (9, "c6")  # Arabic-Indic seven
    assert rendered.pick("0") is None
    assert rendered.pick("13") is None
    assert rendered.pick("tujuh") is None


def test_buttons_never_answer_a_typed_number() -> None:
    assert render(Reply("?", choices("Ya", "Tidak")), WORDS).pick("1") is None


def test_long_text_is_split_on_lines_and_the_buttons_ride_on_the_last_part() -> None:
    lines = [f"Baris {n:04d} " + "x" * 40 for n in range(120)]  # about 6,000 characters
    rendered = render(Reply("\n".join(lines), choices("Ya", "Tidak"), token=2), WORDS)
    *texts, last = rendered.bodies
    assert [b["type"] for b in texts] == ["text"] * len(texts)
    assert last["type"] == "interactive"
    assert len(last["interactive"]["body"]["text"]) <= BODY
    assert shown_text(rendered).split("\n") == lines  # cut only between lines, nothing lost or reordered


def test_attachments_come_first_and_wait_for_their_upload() -> None:
    reply = Reply(
        "Laporan RT 03",
        attachments=(("photo", "ab/cd.jpg"), ("photo", "ef/gh.heic"), ("document", "ij/kl.pdf")),
    )
    bodies = render(reply, WORDS).bodies
    assert bodies[:3] == (
        {"type": "image", "image": {"path": "ab/cd.jpg"}},
        {"type": "document", "document": {"path": "ef/gh.heic", "filename": "gh.heic"}},  # not a WhatsApp image
        {"type": "document", "document": {"path": "ij/kl.pdf", "filename": "kl.pdf"}},
    )
    assert bodies[3]["text"]["body"] == "Laporan RT 03"
    assert [attachment_path(b) for b in bodies] == ["ab/cd.jpg", "ef/gh.heic", "ij/kl.pdf", None]
    assert with_media_id(bodies[0], "777") == {"type": "image", "image": {"id": "777"}}
    assert with_media_id(bodies[2], "778") == {"type": "document", "document": {"filename": "kl.pdf", "id": "778"}}


def test_attachments_alone_send_no_empty_text() -> None:
    assert [b["type"] for b in render(Reply("", attachments=(("photo", "a.jpg"),)), WORDS).bodies] == ["image"]


@pytest.mark.parametrize(
    ("labels", "limit", "expected"),
    [
        (["Ya", "Tidak"], 20, ["Ya", "Tidak"]),
        (["Ya", "ya"], 20, ["1. Ya", "2. ya"]),  # look the same: numbered
        (["Setuju", "Setuju"], 20, ["1. Setuju", "2. Setuju"]),
        (["", "  "], 20, ["1", "2"]),
        (["Sudah\nselesai", "Belum"], 20, ["Sudah selesai", "Belum"]),
        (["Konfirmasi dana tahap pertama"], 20, ["Konfirmasi dana…"]),
    ],
)
def test_unique_titles(labels: list[str], limit: int, expected: list[str]) -> None:
    assert unique_titles(labels, limit) == expected


def test_split_text_cuts_an_overlong_line() -> None:
    assert split_text("a" * 10 + "\n" + "b" * 3, 4) == ["aaaa", "aaaa", "aa", "bbb"]


# ---- properties -------------------------------------------------------------------------------------------
labels = st.text(max_size=120) | st.sampled_from(["Ya", "ya", "YA", "Laporan kegiatan tahap 1", "…", "1. Ya"])
choice_lists = st.lists(
    st.text(alphabet=string.ascii_letters + string.digits + "_:-", min_size=1, max_size=40),
    max_size=30,
    unique=True,
).flatmap(lambda ids: st.tuples(*(labels.map(lambda label, i=i: Choice(i, label)) for i in ids)))
texts = st.text(max_size=300) | st.builds(
    lambda line, n: "\n".join([line] * n), st.text(max_size=200), st.integers(0, 60)
)


@settings(max_examples=300, deadline=None)
@given(text=texts, offered=choice_lists, token=st.none() | st.integers(1, 2**31 - 1))
def test_any_reply_fits_metas_limits_and_loses_nothing(text: str, offered: tuple, token: int | None) -> None:
    reply = Reply(text, offered, Expect.CHOICE if offered else Expect.NOTHING, token=token)
    rendered = render(reply, WORDS)
    for body in rendered.bodies:
        check_limits(body)
    ids = [c.id for c in offered]
    if len(offered) > 10:
        assert rendered.menu == offered
        assert offered_ids(rendered) == []
        assert [rendered.pick(str(n)) for n in range(1, len(ids) + 1)] == [(token, i) for i in ids]
        assert ink(shown_text(rendered)).startswith(ink(text))
    else:
        assert rendered.menu == ()
        assert offered_ids(rendered) == [(token, i) for i in ids]
        assert ink(shown_text(rendered)) == (ink(text) or "…")
    if offered:
        assert rendered.bodies[-1]["type"] == ("text" if len(offered) > 10 else "interactive")
