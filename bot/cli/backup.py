"""`kampung-bahagia backup DIR` and `kampung-bahagia restore DIR` (bot/backup/)."""

import asyncio
from pathlib import Path

import typer

from bot.backup.archive import create_backup, restore_backup
from bot.backup.problems import BackupRefused
from bot.cli.common import console, errors
from bot.settings import Settings
from handlers.formatting import number
from handlers.i18n import _


def _refusal(problem: BackupRefused) -> str:
    name = problem.name
    words = {
        "backup_folder_not_empty": _("The folder {name} is not empty: choose a new, empty folder for the backup."),
        "no_manifest": _("{name} is missing: this folder is not a backup."),
        "bad_manifest": _("{name} cannot be read: the backup is damaged."),
        "file_missing": _("The backup is damaged: the file {name} is missing. Nothing was restored."),
        "file_damaged": _("The backup is damaged: the file {name} does not match its hash. Nothing was restored."),
        "other_kind": _("This backup is of a {name} database; restore it into a database of the same kind."),
        "database_not_empty": _("The database {name} is not empty: restore only into an empty database."),
        "media_not_empty": _("The media folder {name} is not empty: restore only into an empty folder."),
        "no_database_file": _("No database file at {name}."),
        "program_missing": _("The program {name} is not installed (PostgreSQL's client programs are needed)."),
        "program_failed": _("{name} failed: {detail}"),
    }[problem.code]
    return words.format(name=name, detail=problem.detail)


def _refused(problem: BackupRefused) -> None:
    errors.print(f"[red]✗[/red] {_refusal(problem)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def backup(
    folder: Path = typer.Argument(..., help=_("A new, empty folder (best on another disk or machine).")),
) -> None:
    settings = Settings()
    try:
        manifest = asyncio.run(create_backup(settings.database_url, settings.media_dir, folder))
    except BackupRefused as problem:
        _refused(problem)
    media = sum(1 for name in manifest.files if name != manifest.database_file)
    console.print(
        _(
            "Backup written to {folder}: the database ({kind}, revision {revision}) and {count} media files.",
            folder=str(folder),
            kind=manifest.database_kind,
            revision=manifest.schema_revision or "-",
            count=number(media),
        ),
        highlight=False,
        soft_wrap=True,
    )
    for name in manifest.missing_media:
        warning = _("{name} is named in the database but was not in the media folder.", name=name)
        errors.print(f"[yellow]![/yellow] {warning}", highlight=False, soft_wrap=True)


def restore(folder: Path = typer.Argument(..., help=_("The folder `backup` wrote."))) -> None:
    settings = Settings()
    try:
        restored = asyncio.run(restore_backup(settings.database_url, settings.media_dir, folder))
    except BackupRefused as problem:
        _refused(problem)
    console.print(
        _(
            "Restored the backup of {time}: the database (revision {revision}) and {count} media files."
            " Run `kampung-bahagia db upgrade` before starting the bot.",
            time=restored.manifest.created_at,
            revision=restored.manifest.schema_revision or "-",
            count=number(restored.media_files),
        ),
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.command(
        "backup",
        help=_("Copy the database and the media files it names into a new folder, with a manifest of hashes."),
    )(backup)
    app.command(
        "restore",
        help=_("Restore a backup into an empty database and an empty media folder (the same database kind)."),
    )(restore)
