"""The fixed words around a WhatsApp list or menu, in the person's language (Indonesian by default)."""

from handlers.whatsapp_words import fixed_words


def test_indonesian_by_default() -> None:
    words = fixed_words(None)
    assert (words.list_button, words.menu_hint) == ("Pilih", "Ketik nomor pilihan, misalnya 2.")


def test_english_for_who_chose_it() -> None:
    words = fixed_words("en")
    assert (words.list_button, words.menu_hint) == ("Choose", "Type the number of your choice, for example 2.")
