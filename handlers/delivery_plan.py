"""What a broadcast's sender is told before confirming: how many messages go now, and how many wait for WhatsApp's
daily quota and over how many days (services.whatsapp_quota decides; this words it)."""

from handlers.formatting import number
from handlers.i18n import _
from services.whatsapp_quota import QuotaPlan


def plan_summary(plan: QuotaPlan) -> str:
    """One sentence; the WhatsApp days are mentioned only when some messages need a template."""
    if not plan.templates:
        return _("This broadcast goes to {total} people, all of them now.", total=number(plan.total))
    now = _(
        "This broadcast goes to {total} people: {now} sent now (Telegram and WhatsApp active in the last 24 hours)",
        total=number(plan.total),
        now=number(plan.now),
    )
    if plan.template_days == 1:
        later = _(
            "{count} by WhatsApp template today (at most {limit} a day).",
            count=number(plan.templates),
            limit=number(plan.limit),
        )
    else:
        later = _(
            "{count} by WhatsApp template over the next {days} days (at most {limit} a day).",
            count=number(plan.templates),
            days=number(plan.template_days),
            limit=number(plan.limit),
        )
    return f"{now}, {later}"
