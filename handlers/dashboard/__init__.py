"""The dashboard's pages as HTML: Jinja2 templates whose every word goes through the same gettext catalogs as the
chat. Routes (bot/dashboard/) call these; nothing here knows HTTP."""
