"""The few fixed words WhatsApp needs around a question, in the person's language: the button that opens a list,
and the hint under a numbered menu (a question with more choices than a list holds)."""

from dataclasses import dataclass

from handlers.i18n import _, use_locale


@dataclass(frozen=True)
class FixedWords:
    list_button: str  # on the button that opens a list of 4–10 choices
    menu_hint: str  # the last line of a numbered menu: what to type, with an example


def fixed_words(locale: str | None) -> FixedWords:
    """`locale` None: Indonesian, the default of everyone the bot writes to."""
    with use_locale(locale):
        return FixedWords(
            list_button=_("Choose"),
            menu_hint=_("Type the number of your choice, for example {example}.", example=2),
        )
