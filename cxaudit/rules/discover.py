"""Which rules file a command uses when ``--rules`` is not given.

As ruff finds its settings: the current folder, then each parent up to the
repository's top folder (the one holding ``.git``), and in each, a
``pyproject.toml`` naming one (``[tool.cxaudit] rules = "…"``, relative to
that file) before a ``rules.yaml``. Outside a repository only the current
folder is looked at, so a stray rules.yaml in a home folder is never picked
up. An explicit ``--rules`` always wins.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from cxaudit.errors import CxauditError

DEFAULT = "rules.yaml"


def _folders(start: Path) -> list[Path]:
    """``start`` and its parents up to the repository's top folder (only
    ``start`` outside a repository)."""
    chain = [start, *start.parents]
    for i, folder in enumerate(chain):
        if (folder / ".git").exists():
            return chain[: i + 1]
    return [start]


def _named_in(pyproject: Path) -> Path | None:
    """The rules file a pyproject.toml names under [tool.cxaudit], if any."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CxauditError(f"{pyproject}: cannot be read as TOML ({exc}); fix it") from None
    tools = data.get("tool")
    tool = tools.get("cxaudit") if isinstance(tools, dict) else None
    if tool is None:
        return None
    rules = tool.get("rules") if isinstance(tool, dict) else None
    if not isinstance(rules, str) or not rules.strip():
        raise CxauditError(
            f'{pyproject}: [tool.cxaudit] needs rules = "PATH" (the rules file, relative to '
            "this pyproject.toml)"
        )
    path = pyproject.parent / rules
    if not path.is_file():
        raise CxauditError(
            f"{pyproject}: [tool.cxaudit] rules = {rules!r}, but {path} is not a file; fix the "
            "path (it is relative to this pyproject.toml)"
        )
    return path


def find_rules(start: Path) -> Path:
    """The rules file for a run started in ``start``, as a path from it."""
    here = start.resolve()
    folders = _folders(here)
    for folder in folders:
        pyproject = folder / "pyproject.toml"
        found = _named_in(pyproject) if pyproject.is_file() else None
        if found is None and (folder / DEFAULT).is_file():
            found = folder / DEFAULT
        if found is not None:
            return Path(os.path.relpath(found, here))
    where = (
        f"{start} and each folder above it up to the repository's top {folders[-1]}"
        if len(folders) > 1
        else f"{start}"
    )
    raise CxauditError(
        f"{DEFAULT}: rules file not found (looked in {where}, for a rules.yaml or a "
        'pyproject.toml with [tool.cxaudit] rules = "…"); pass --rules PATH'
    )
