"""Why a backup or a restore was refused: a code and the name it concerns; bot/cli/backup.py words it."""


class BackupRefused(Exception):
    def __init__(self, code: str, name: str = "", detail: str = "") -> None:
        super().__init__(f"{code}: {name} {detail}".strip())
        self.code = code
        self.name = name
        self.detail = detail
