"""How a rules-file problem is worded: where it is (file, line, rule id,
key) and what to write instead, collected so that one run reports them all."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from cxaudit.errors import CxauditError
from cxaudit.rules.yamlsafe import LineMap, Path_


@dataclass
class _Problems:
    filename: str
    lines: LineMap
    items: list[str] = field(default_factory=list)

    def add(self, path: Path_, message: str, rule_id: str | None = None) -> None:
        line = self.lines.line(path)
        where = f"{self.filename}:{line}" if line else self.filename
        if rule_id is not None and path[:1] == ("rules",):
            key = _key_text(path[2:])
            who = f"rule {rule_id!r}" + (f", {key}" if key else "")
        else:
            who = _key_text(path)
        self.items.append(f"{where}: {who}: {message}" if who else f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise CxauditError(self.items[0], details=self.items)


def _key_text(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
