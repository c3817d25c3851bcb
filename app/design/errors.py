"""Why a brand kit or a design was refused: every problem at once, each naming its field."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.errors import StoreflowError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with what the merchant entered: where (``block`` 0-based, or None for the
    message or the brand kit itself), which field, and what to do about it in plain words."""

    field: str
    message: str
    block: int | None = None

    def __str__(self) -> str:
        where = f"block {self.block + 1}, " if self.block is not None else ""
        return f"{where}{self.field}: {self.message}"


class DesignError(StoreflowError, ValueError):
    """A design or brand kit that cannot be stored or rendered; ``problems`` lists every reason."""

    reason = "INVALID_DESIGN"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems
