"""Problems found in input, as data: a code and its parameters. `handlers/` turns them into sentences.

Services never hold user-facing text; they say *what* is wrong and the conversation or CLI layer says it in the
person's language.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    # Where it was found: a roster row number, a program-file path like "tahap[3].bulan.A".
    where: str | None = None


class ProblemError(Exception):
    """Raised with one or more problems; nothing was changed when it is raised."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.where or ''} {p.code} {p.params}".strip() for p in problems))

    @classmethod
    def one(cls, code: str, where: str | None = None, **params: Any) -> "ProblemError":
        return cls([Problem(code, params, where)])


class ProblemCollector:
    """For validating a file as a whole: every problem is collected instead of stopping at the first, so the file
    is fixed in one pass (the program file, the WhatsApp templates)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, where: str, code: str, **params: Any) -> None:
        self.problems.append(Problem(code, params, where))

    def text(self, table: dict, key: str, where: str) -> str | None:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{where}.{key}", "program_missing_text", value=value)
            return None
        return value.strip()
