"""manifest.json: what a backup holds and the SHA-256 of every file, checked whole before anything is restored."""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.backup.problems import BackupRefused

NAME = "manifest.json"
FORMAT = 1


@dataclass
class Manifest:
    created_at: str  # ISO 8601, UTC
    database_kind: str  # sqlite | postgresql
    schema_revision: str | None
    database_file: str
    files: dict[str, str] = field(default_factory=dict)  # path inside the backup -> sha256
    missing_media: list[str] = field(default_factory=list)  # named by a row, not found on disk when backed up
    format: int = FORMAT

    def write(self, folder: Path) -> None:
        (folder / NAME).write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, folder: Path) -> "Manifest":
        try:
            data = json.loads((folder / NAME).read_text())
            return cls(**data)
        except FileNotFoundError:
            raise BackupRefused("no_manifest", str(folder / NAME)) from None
        except (ValueError, TypeError) as error:
            raise BackupRefused("bad_manifest", str(folder / NAME), str(error)) from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify(folder: Path, manifest: Manifest) -> None:
    """Every file there and whole; refused naming the first that is not, before a single byte is restored."""
    if manifest.database_file not in manifest.files:
        raise BackupRefused("bad_manifest", str(folder / NAME), "database file not listed")
    for name, expected in sorted(manifest.files.items()):
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise BackupRefused("bad_manifest", name, "path outside the backup")
        path = folder / name
        if not path.is_file():
            raise BackupRefused("file_missing", name)
        if sha256_of(path) != expected:
            raise BackupRefused("file_damaged", name)
