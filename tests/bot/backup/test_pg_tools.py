"""pg_dump and pg_restore get the password through PGPASSWORD only: never in their arguments."""

from bot.backup import pg_tools

URL = "postgresql+asyncpg://kampung:rahasia-sekali@db.example:6543/kampung_bahagia"


def test_the_password_is_in_the_environment_never_on_the_command_line(monkeypatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "an-older-one")
    options, environment = pg_tools.connection(URL)
    assert options == ["--host", "db.example", "--port", "6543", "--username", "kampung"]
    assert not any("rahasia" in option for option in options)
    assert environment["PGPASSWORD"] == "rahasia-sekali"
    assert environment["PGDATABASE"] == "kampung_bahagia"


def test_without_a_password_none_is_inherited(monkeypatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "someone-elses")
    _options, environment = pg_tools.connection("postgresql+asyncpg://postgres@127.0.0.1/kb")
    assert "PGPASSWORD" not in environment


def test_the_programs_are_found_on_this_machine() -> None:
    assert pg_tools.program("pg_dump").endswith("pg_dump")
    assert pg_tools.program("pg_restore").endswith("pg_restore")
