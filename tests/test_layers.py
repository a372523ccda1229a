"""The direction bot → handlers → services is a contract (import-linter, configured in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_user_facing_text_is_not_in_services():
    # A cheap guard beside the contract: services/ never calls gettext.
    for path in (ROOT / "services").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "gettext" not in source and "from handlers" not in source, path
