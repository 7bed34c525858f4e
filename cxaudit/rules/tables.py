"""A table's part of the rules file (``recipients:`` or one of ``sources:``)
compiled into a :class:`~cxaudit.rules.model.TableConfig`: its preset applied,
its keys, columns, dates, derived fields and personal fields checked."""

from __future__ import annotations

import re
from pathlib import Path

from cxaudit.identity import KEY_NAMES
from cxaudit.inputs.encodings import encoding_problem
from cxaudit.inputs.locations import location
from cxaudit.rules.model import RECIPIENTS, TableConfig
from cxaudit.rules.presets import PRESETS
from cxaudit.rules.problems import _Problems, _suggest
from cxaudit.rules.shape import TableSpec
from cxaudit.rules.yamlsafe import Path_

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _table(
    name: str, spec: TableSpec, raw_path: str | None, base: Path, problems: _Problems
) -> TableConfig:
    prefix: Path_ = (RECIPIENTS,) if name == RECIPIENTS else ("sources", name)
    preset = None
    if spec.preset is not None:
        kind = "recipients" if name == RECIPIENTS else "source"
        choices = sorted(p.name for p in PRESETS.values() if p.kind == kind)
        preset = PRESETS.get(spec.preset)
        if preset is None or preset.kind != kind:
            problems.add(
                (*prefix, "preset"),
                f"unknown {kind} preset {spec.preset!r}{_suggest(spec.preset, choices)}; "
                f"presets are {', '.join(choices)}",
            )
            preset = None
    keys: dict[str, str] | None = dict(spec.keys) if spec.keys is not None else None
    columns = dict(spec.columns)
    alternatives: dict[str, tuple[str, ...]] = {}
    optional: set[str] = set()
    dates = list(spec.dates)
    derive: dict[str, tuple[str, dict[str, str]]] = {}
    derive_first: dict[str, tuple[str, dict[str, str]]] = {}
    if preset is not None:
        keys = keys if keys is not None else {}
        for kname, candidates in preset.keys.items():
            if kname not in keys:
                keys[kname] = candidates[0]
                alternatives[kname] = candidates[1:]
                optional.add(kname)
        for fname, candidates in preset.columns.items():
            if fname not in columns:
                columns[fname] = candidates[0]
                alternatives[fname] = candidates[1:]
                optional.add(fname)
        dates = [d for d in preset.dates if d in columns and d not in dates] + dates
        derive = {k: (d.source, dict(d.values)) for k, d in preset.derive.items()}
        derive_first = {
            k: (d.prefer.source, dict(d.prefer.values))
            for k, d in preset.derive.items()
            if d.prefer is not None
        }
    for dname, dspec in spec.derive.items():
        if dspec.source is not None:
            derive_first.pop(dname, None)  # the rules file's own source decides alone
        src, values = derive.get(dname, (None, {}))
        src = dspec.source or src
        if src is None:
            problems.add((*prefix, "derive", dname), "needs `from: FIELD`")
            continue
        derive[dname] = (src, {**values, **dspec.map})
    if name != RECIPIENTS and not keys:
        problems.add(
            (*prefix, "keys"), "needs at least one of customer_id, email, phone (or a preset)"
        )
    elif keys is not None and not keys:
        problems.add((*prefix, "keys"), "needs at least one of customer_id, email, phone")
    for d in spec.dates:
        if d not in columns:
            problems.add(
                (*prefix, "dates"),
                f"{d!r} is listed in dates but not mapped under columns"
                f"{_suggest(d, tuple(columns))}",
            )
    clash = set(columns) & set(KEY_NAMES) & set(keys or {})
    for c in sorted(clash):
        problems.add((*prefix, "columns", c), f"{c!r} is already an identity key; rename it")
    for fname in [*spec.columns, *spec.derive]:
        if not _NAME.match(fname) or fname == "any":
            problems.add(
                (*prefix, "columns", fname),
                f"field name {fname!r} must be a plain identifier (letters, digits, _), not 'any'",
            )
    for i, pname in enumerate(spec.pii):
        if pname not in columns and pname not in (keys or {}):
            problems.add(
                (*prefix, "pii", i),
                f"{pname!r} is listed in pii but is not a field of this table"
                f"{_suggest(pname, (*columns, *(keys or {})))}",
            )
    for dname, (src, _values) in derive.items():
        if src not in columns and src not in (keys or {}):
            problems.add((*prefix, "derive", dname), f"derives from unknown field {src!r}")
    if spec.encoding is not None:
        problem = encoding_problem(spec.encoding)
        if problem is not None:
            problems.add((*prefix, "encoding"), problem)
    if spec.delimiter is not None and len(spec.delimiter) != 1:
        problems.add((*prefix, "delimiter"), "must be one character, e.g. ',' ';' or '\\t'")
    path = None
    if raw_path is not None:
        p = location(raw_path)  # a local path, relative to the rules file, or a URL
        path = p if p.is_absolute() else base / p
    return TableConfig(
        name=name,
        path=path,
        keys=keys,
        columns=columns,
        dates=tuple(dates),
        date_format=spec.date_format or (preset.date_format if preset else None),
        encoding=spec.encoding or (preset.encoding if preset else None) or "utf-8",
        delimiter=spec.delimiter,
        line=problems.lines.line(prefix),
        preset=preset.name if preset else None,
        alternatives={k: v for k, v in alternatives.items() if v},
        optional=frozenset(optional),
        derive=derive,
        derive_first=derive_first,
        footer=preset.footer if preset else (),
        pii=tuple(spec.pii),
        encoding_forced=spec.encoding is not None,
        date_format_forced=spec.date_format is not None,
    )
