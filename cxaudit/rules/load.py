"""Loading a rules file: read it, apply the command line's --source and
--preset, check its shape, then compile its tables and rules into a
:class:`~cxaudit.rules.model.RuleSet`, raising every problem at once."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import phonenumbers
from pydantic import ValidationError

from cxaudit.dates import parse_instant
from cxaudit.errors import CxauditError
from cxaudit.inputs.files import check_regular
from cxaudit.inputs.locations import refuse_url
from cxaudit.rules.model import (
    CHANNELS,
    RECIPIENTS,
    TYPES,
    Campaign,
    PendingColumn,
    Rule,
    RuleSet,
    TableConfig,
    Vocabulary,
)
from cxaudit.rules.problems import _Problems, _suggest
from cxaudit.rules.shape import RuleSpec, VocabularySpec, _shape_problems, _validated_shape
from cxaudit.rules.tables import _NAME, _table
from cxaudit.rules.templates import _check_template
from cxaudit.rules.where import _parse_where, _RuleContext
from cxaudit.rules.yamlsafe import LineMap, Path_, check_size, load_yaml

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _vocabulary(spec: VocabularySpec) -> Vocabulary:
    """The built-in vocabulary, replaced or extended by the rules file's."""
    types = spec.types if spec.types is not None else list(TYPES)
    channels = spec.channels if spec.channels is not None else list(CHANNELS)
    return Vocabulary(
        frozenset(v.strip().lower() for v in [*types, *spec.add_types]),
        frozenset(v.strip().lower() for v in [*channels, *spec.add_channels]),
    )


def load_rules(
    path: Path,
    source_paths: dict[str, Path] | None = None,
    presets: dict[str, str] | None = None,
) -> RuleSet:
    """Read, validate and compile the rules file at ``path``.

    ``source_paths`` and ``presets`` come from the command line (``--source
    NAME=PATH``, ``--preset NAME=VENDOR``). They are applied before
    validation, so a source can be defined there entirely: its path and a
    preset. Paths given there are used as given (relative to the current
    folder), not relative to the rules file.
    """
    refuse_url(path, "rules file")  # the command line made s3://b/rules.yaml a path s3:/b/…
    if path.exists() and not path.is_dir():
        check_regular(path)  # a FIFO would block the run forever
        check_size(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CxauditError(
            f"{path}: rules file not found; pass --rules PATH or create rules.yaml"
        ) from None
    except IsADirectoryError:
        raise CxauditError(f"{path}: is a folder, expected a rules YAML file") from None
    except UnicodeDecodeError as exc:
        raise CxauditError(
            f"{path}: byte offset {exc.start} is not UTF-8; save the rules file as UTF-8"
        ) from None
    except OSError as exc:
        raise CxauditError(f"{path}: cannot be read ({exc.strerror})") from None
    data, lines = load_yaml(text, path)
    source_paths, presets = source_paths or {}, presets or {}
    if isinstance(data, dict) and (source_paths or presets):
        data = _with_overrides(data, source_paths, presets)
    rules = compile_rules(data, lines, path)
    if source_paths:
        sources = {
            name: replace(cfg, path=source_paths.get(name, cfg.path))
            for name, cfg in rules.sources.items()
        }
        rules = replace(rules, sources=sources)
    return rules


def _with_overrides(
    data: dict[str, Any], source_paths: dict[str, Path], presets: dict[str, str]
) -> dict[str, Any]:
    data = dict(data)
    sources = dict(data.get("sources") or {})
    for name, vendor in presets.items():
        if name == RECIPIENTS:
            # the command line says what this list is: its preset's keys, not the file's
            listed = {k: v for k, v in (data.get(RECIPIENTS) or {}).items() if k != "keys"}
            data[RECIPIENTS] = {**listed, "preset": vendor}
        elif name in sources:
            sources[name] = {**sources[name], "preset": vendor}
        elif name in source_paths:
            sources[name] = {"path": str(source_paths[name]), "preset": vendor}
        else:
            raise CxauditError(
                f"--preset {name}={vendor}: the rules file has no source {name!r}; "
                f"define it with --source {name}=PATH as well"
            )
    for name, spath in source_paths.items():
        if name not in sources:
            known = ", ".join(sorted(sources)) or "none"
            raise CxauditError(
                f"--source {name}={spath}: the rules file has no source {name!r} "
                f"(its sources: {known}); add --preset {name}=VENDOR to define it here"
            )
        sources[name] = {**sources[name], "path": str(spath)}
    data["sources"] = sources
    return data


def compile_rules(data: Any, lines: LineMap, path: Path) -> RuleSet:
    problems = _Problems(str(path), lines)
    if not isinstance(data, dict):
        raise CxauditError(
            f"{path}: a rules file must be a YAML mapping with `version: 1`, `sources:` and "
            "`rules:`; see rules.yaml and docs/rules.md in cxaudit's repository"
        )
    spec = _validated_shape(data, problems)

    if spec.phone_region not in phonenumbers.SUPPORTED_REGIONS:
        problems.add(
            ("phone_region",),
            f"{spec.phone_region!r} is not a region code; use a two-letter code such as US, GB, DE",
        )
    vocabulary = _vocabulary(spec.vocabulary)
    for attr in ("type", "channel"):
        value = getattr(spec.campaign, attr)
        problem = vocabulary.problem(attr, value) if value is not None else None
        if problem:
            problems.add(("campaign", attr), problem)
    if spec.campaign.send_at is not None:
        try:
            parse_instant(spec.campaign.send_at)
        except ValueError:
            problems.add(
                ("campaign", "send_at"),
                f"{spec.campaign.send_at!r} is not a date; use 2026-11-20T09:00:00Z",
            )
    base = path.parent
    recipients = _table(RECIPIENTS, spec.recipients, None, base, problems)
    sources: dict[str, TableConfig] = {}
    for name, src in spec.sources.items():
        if not _NAME.match(name) or name == RECIPIENTS:
            problems.add(
                ("sources", name),
                f"source name {name!r} must be a plain identifier other than 'recipients'",
            )
        sources[name] = _table(name, src, src.path, base, problems)

    rules: list[Rule] = []
    pending: list[PendingColumn] = []
    seen: dict[str, int] = {}
    for i, raw_rule in enumerate(spec.rules):
        rpath: Path_ = ("rules", i)
        try:
            rspec = RuleSpec.model_validate(raw_rule)
        except ValidationError as exc:
            _shape_problems(exc, data, problems, rpath)
            continue
        if not _ID.match(rspec.id):
            problems.add(
                (*rpath, "id"),
                f"id {rspec.id!r} must start with a letter or digit and use only letters, "
                "digits, '-', '_' and '.'",
                rspec.id,
            )
        if rspec.id in seen:
            problems.add(
                (*rpath, "id"),
                f"duplicate rule id {rspec.id!r} (also rules[{seen[rspec.id]}]); "
                "ids must be unique",
                rspec.id,
            )
        seen.setdefault(rspec.id, i)
        rule = _compile_rule(i, rspec, recipients, sources, problems, pending, vocabulary)
        if rule is not None:
            rules.append(rule)
    problems.raise_if_any()
    return RuleSet(
        path=path,
        phone_region=spec.phone_region,
        campaign=Campaign(**spec.campaign.model_dump()),
        recipients=recipients,
        sources=sources,
        rules=tuple(rules),
        lines=lines,
        pending_columns=tuple(pending),
        vocabulary=vocabulary,
        max_suppressed=spec.max_suppressed,
        strict=spec.strict,
        placeholders=tuple(spec.placeholders),
        campaign_files=tuple(spec.campaign_files) if spec.campaign_files is not None else None,
        origins={k: str(path) for k, v in spec.campaign.model_dump().items() if v is not None},
    )


def _compile_rule(
    index: int,
    spec: RuleSpec,
    recipients: TableConfig,
    sources: dict[str, TableConfig],
    problems: _Problems,
    pending: list[PendingColumn],
    vocabulary: Vocabulary,
) -> Rule | None:
    rpath: Path_ = ("rules", index)
    before = len(problems.items)
    if spec.source == RECIPIENTS:
        table = recipients
    elif spec.source in sources:
        table = sources[spec.source]
    else:
        known = [RECIPIENTS, *sources]
        problems.add(
            (*rpath, "source"),
            f"unknown source {spec.source!r}{_suggest(spec.source, known)}; "
            f"sources are {', '.join(known)}",
            spec.id,
        )
        return None
    ctx = _RuleContext(spec.id, table, recipients, problems, pending)
    where = _parse_where(spec.where, (*rpath, "where"), ctx)
    if table.name == RECIPIENTS and (spec.min_count or 1) > 1:
        problems.add(
            (*rpath, "min_count"),
            "a recipients rule sees one row per recipient, so min_count above 1 never holds",
            spec.id,
        )
    if spec.match == "none" and spec.min_count is not None:
        problems.add(
            (*rpath, "min_count"), "min_count applies to `match: any` only; remove it", spec.id
        )
    applies: dict[str, frozenset[str]] = {}
    for attr, allowed in spec.applies_to.items():
        values = [allowed] if isinstance(allowed, str) else allowed
        if not values:
            problems.add((*rpath, "applies_to", attr), "needs at least one value", spec.id)
        for value in values:
            problem = vocabulary.problem(attr, value)
            if problem:
                problems.add((*rpath, "applies_to", attr), problem, spec.id)
        applies[attr] = frozenset(v.strip().lower() for v in values)
    if spec.reason is not None:
        _check_template(spec, ctx, (*rpath, "reason"))
    if len(problems.items) > before:
        return None
    return Rule(
        id=spec.id,
        order=index,
        action=spec.action,
        source=spec.source,
        where=where,
        match=spec.match,
        min_count=spec.min_count or 1,
        applies_to=applies,
        reason=spec.reason,
        line=problems.lines.line(rpath),
        description=spec.description,
    )
