"""The sentence a broadcast's sender reads before confirming: now, later, over how many days."""

from datetime import UTC, datetime, timedelta

from handlers.delivery_plan import plan_summary
from handlers.i18n import use_locale
from services.whatsapp_quota import Recipient, plan

START = datetime(2026, 3, 15, 3, 0, tzinfo=UTC)


def _people(telegram: int, active: int, silent: int) -> list[Recipient]:
    people = [Recipient(i, "telegram", str(i)) for i in range(telegram)]
    people += [Recipient(10_000 + i, "whatsapp", f"a{i}", START - timedelta(hours=2)) for i in range(active)]
    people += [Recipient(20_000 + i, "whatsapp", f"s{i}", None) for i in range(silent)]
    return people


def test_the_issues_example_in_indonesian_with_dot_thousands():
    with use_locale("id"):
        text = plan_summary(plan(_people(1000, 120, 463), START, 250))
    assert text == (
        "Siaran ini untuk 1.583 orang: 1.120 terkirim sekarang (Telegram dan WhatsApp yang aktif 24 jam terakhir), "
        "463 lewat templat WhatsApp selama 2 hari berikutnya (batas 250 per hari)."
    )


def test_templates_that_fit_today_say_today():
    with use_locale("id"):
        text = plan_summary(plan(_people(3, 0, 40), START, 250))
    assert text.endswith(", 40 lewat templat WhatsApp hari ini (batas 250 per hari).")


def test_no_whatsapp_days_when_none_need_a_template():
    with use_locale("id"):
        assert plan_summary(plan(_people(1200, 383, 0), START, 250)) == (
            "Siaran ini untuk 1.583 orang, semuanya terkirim sekarang."
        )
    with use_locale("en"):
        assert plan_summary(plan(_people(2, 0, 3), START, 1)) == (
            "This broadcast goes to 5 people: 2 sent now (Telegram and WhatsApp active in the last 24 hours), "
            "3 by WhatsApp template over the next 3 days (at most 1 a day)."
        )


def test_no_anda_in_the_new_sentences():
    with use_locale("id"):
        for people in (_people(1, 1, 0), _people(1, 1, 1), _people(1, 1, 3)):
            assert "Anda" not in plan_summary(plan(people, START, 1))
