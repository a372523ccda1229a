"""From a template in services/data/whatsapp_templates.toml to what the Graph API takes, and back from a press.

A quick reply carries `cmd:<command>` (the menu's own choice id, handlers/menu.py): pressed hours or days later it
comes back as a CHOICE without a conversation version and opens that command exactly as the menu button would
(`Lapor sekarang` → /lapor). Like any message from the person, the press also reopens the 24-hour window.
"""

from bot.channels.whatsapp.render import Body, template_body
from handlers.menu import MENU_PREFIX
from services.whatsapp_templates import QuickReply, Template


def quick_reply_choice(button: QuickReply) -> str:
    return f"{MENU_PREFIX}{button.opens}"


def command_of_choice(choice: str | None) -> str | None:
    """The command a pressed quick reply opens (None: not one of ours)."""
    if choice and choice.startswith(MENU_PREFIX) and len(choice) > len(MENU_PREFIX):
        return choice[len(MENU_PREFIX) :]
    return None


def template_message(template: Template, values: tuple[str, ...]) -> Body:
    """The `template` message body for one person; exactly one value per parameter, else nothing is sent."""
    if len(values) != len(template.parameters):
        raise ValueError(f"{template.name} takes {len(template.parameters)} parameters, got {len(values)}")
    return template_body(
        template.name,
        values,
        language=template.language,
        quick_replies=tuple(quick_reply_choice(b) for b in template.buttons),
    )


def meta_submission(template: Template) -> dict:
    """The template in the shape of Meta's create-template call (POST /<WABA id>/message_templates)."""
    body: dict = {"type": "BODY", "text": template.body}
    if template.parameters:
        body["example"] = {"body_text": [[p.contoh for p in template.parameters]]}
    components = [body]
    if template.buttons:
        buttons = [{"type": "QUICK_REPLY", "text": b.title} for b in template.buttons]
        components.append({"type": "BUTTONS", "buttons": buttons})
    return {
        "name": template.name,
        "language": template.language,
        "category": template.category.upper(),
        "components": components,
    }
