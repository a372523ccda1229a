from bot.redaction import MASK, MIN_SECRET_LENGTH, Redactor


def test_every_known_secret_is_masked_longest_first_and_url_encoded_too() -> None:
    redactor = Redactor()
    redactor.add("abc/def+secret", "abc/def+secret-longer", None, "")
    assert redactor("x abc/def+secret-longer y") == f"x {MASK} y"
    assert redactor("in a URL: abc%2Fdef%2Bsecret") == f"in a URL: {MASK}"
    assert redactor.hides_something("abc/def+secret") and not redactor.hides_something("nothing here")


def test_values_too_short_to_be_secrets_are_left_alone() -> None:
    redactor = Redactor()
    redactor.add("a" * (MIN_SECRET_LENGTH - 1))
    assert redactor("aaaaa bbb") == "aaaaa bbb"


def test_any_telegram_token_shape_is_masked_even_if_never_told() -> None:
    redactor = Redactor()
    token = "1234567890:AAHk-q3W_e8rT5yU1iO9pA2sD4fG6hJ8kL0"
    assert token not in redactor(f"https://api.telegram.org/file/bot{token}/photos/x.jpg")
    assert token not in redactor(f"token={token}")
    assert redactor("http://x/bot42:abc/getMe") == f"http://x/{MASK}/getMe"
    assert redactor("12:30 on 2026-04-10, RT 15.71.01.1001-003") == "12:30 on 2026-04-10, RT 15.71.01.1001-003"
