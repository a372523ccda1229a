"""The systemd units and the shared settings file in deploy/ (README, "Production") stay true to the code: each
Procfile process has a unit, each unit starts a command the CLI has, and the example settings are settings."""

import configparser
import shlex
from pathlib import Path

import typer

from bot.cli.app import app
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(path)
    return parser


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_every_procfile_process_has_a_unit_running_the_same_command():
    started = {}
    for path in UNITS:
        exec_start = shlex.split(unit(path)["Service"]["ExecStart"])
        assert Path(exec_start[0]).name == "kampung-bahagia", path
        started[exec_start[1]] = path.name
    assert set(started) == {command.split()[1] for command in procfile().values()}


def test_each_unit_starts_a_command_the_cli_has_and_reads_the_shared_settings():
    commands = set(typer.main.get_command(app).commands)
    for path in UNITS:
        service = unit(path)["Service"]
        assert shlex.split(service["ExecStart"])[1] in commands, path
        assert service["EnvironmentFile"] == "/etc/kampung-bahagia/env", path
        assert service["Restart"] == "always" and service["UMask"] == "0077", path
        assert "WantedBy" in unit(path)["Install"], path


def test_the_example_settings_are_settings_and_give_every_secret():
    given = {
        line.split("=", 1)[0]
        for line in (ROOT / "deploy" / "env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    known = {name.upper() for name in Settings.model_fields}
    assert given <= known, given - known
    # Several processes (and machines) must agree on these: none may be left to be generated per machine.
    assert {"DATABASE_URL", "SECRET_KEY", "TELEGRAM_WEBHOOK_SECRET", "MEDIA_DIR"} <= given
