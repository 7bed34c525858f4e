"""How a preset writes an export's layout down: a field's column names
(the first one a file has wins), a status word's state, and the layouts of one
export in several UI languages merged into one map."""

from __future__ import annotations

OPEN, CLOSED = "open", "closed"


def names(**columns: str | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {k: (v,) if isinstance(v, str) else v for k, v in columns.items()}


def states(open_: list[str], closed: list[str]) -> dict[str, str]:
    return {**dict.fromkeys(open_, OPEN), **dict.fromkeys(closed, CLOSED)}


def merged(*layouts: dict[str, str | tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """One field -> candidates map from several layouts of the same export
    (UI languages): each field's names in layout order, without repeats."""
    out: dict[str, tuple[str, ...]] = {}
    for layout in layouts:
        for name, columns in names(**layout).items():
            out[name] = tuple(dict.fromkeys((*out.get(name, ()), *columns)))
    return out
