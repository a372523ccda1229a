"""What `run` (and `chat`, which prepares the database the same way) tell the operator, and the database URL as it
may be shown. Shared by both commands, so neither imports the other."""

from bot.runner import RunTexts
from handlers.i18n import _


class OperatorTexts(RunTexts):
    def demo_loaded(self, count: int) -> str:
        return _(
            "Empty database on the embedded default: loaded the DEMO roster ({count} RTs). "
            "Do not use it for real data; set DATABASE_URL for production.",
            count=count,
        )

    def empty_roster(self) -> str:
        return _("The roster is empty: import it with `kampung-bahagia roster import FILE`.")


def safe_url(url: str) -> str:
    # Never print a password from DATABASE_URL.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
