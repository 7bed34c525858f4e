"""Per-campaign settings kept beside the list: ``spring.csv`` may have a
``spring.campaign.yaml`` with its type, channel and offer, so a CI job that
checks many campaign files evaluates each with the right rules."""

from __future__ import annotations

from pathlib import Path

from cxaudit.dates import parse_instant
from cxaudit.errors import CxauditError
from cxaudit.inputs.files import check_regular, read_bytes
from cxaudit.inputs.locations import Url
from cxaudit.inputs.parts import is_partitioned, list_parts
from cxaudit.rules import CAMPAIGN_FIELDS
from cxaudit.rules.yamlsafe import check_size, load_yaml

# What a list's file name ends with, longest first: stripped to name its sidecar.
_SUFFIXES = tuple(
    sorted(
        [f"{kind}{gz}" for kind in (".csv", ".tsv", ".txt") for gz in ("", ".gz")]
        + [".parquet", ".pq"],
        key=len,
        reverse=True,
    )
)


def sidecar_path(campaign: Path) -> Path:
    """``spring.csv``, ``spring.csv.gz``, ``spring.parquet`` and the folder
    of parts ``spring/`` all take ``spring.campaign.yaml`` beside them."""
    name = campaign.name
    for suffix in _SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return campaign.with_name(f"{name}.campaign.yaml")


def read_sidecar(campaign: Path) -> tuple[Path | None, dict[str, str | None]]:
    """The sidecar's path and settings, or ``(None, {})`` when there is none.
    Every form of list goes through here: a file, a folder of parts, and a
    glob, whose files are one list and so must agree on their settings."""
    if isinstance(campaign, Url):
        campaign.filesystem()  # a missing backend is named with the list's URL, not the sidecar's
    if not campaign.name:
        return None, {}  # "/" or "s3://": nothing beside it (reading it says what is wrong)
    if is_partitioned(campaign) and not campaign.is_dir():
        return _glob_sidecar(campaign)
    path = sidecar_path(campaign)
    if not path.exists():
        return None, {}
    return path, _read(path)


def _glob_sidecar(pattern: Path) -> tuple[Path | None, dict[str, str | None]]:
    """The settings of a glob's files, read as one list: the same in every
    file's sidecar (or none has one); anything else cannot apply, so it is
    an error rather than a guess."""
    found = [(part, sidecar_path(part)) for part in list_parts(pattern)]
    have = [(part, path) for part, path in found if path.exists()]
    if not have:
        return None, {}
    lacking = [part for part, path in found if not path.exists()]
    if lacking:
        raise CxauditError(
            f"{lacking[0]}: has no campaign settings file, but {have[0][1]} sets them for "
            f"{have[0][0]}; the files of {pattern} are read as one list, so give each the same "
            "settings, or check them one by one (cxaudit check FILE FILE...)"
        )
    first_path = have[0][1]
    first = _read(first_path)
    for _part, path in have[1:]:
        mine = _read(path)
        if _meaning(mine) != _meaning(first):
            a, b = _meaning(first), _meaning(mine)
            key = next(k for k in sorted({*a, *b}) if a.get(k) != b.get(k))

            raise CxauditError(
                f"{path}: {_says(mine, key)}, but {first_path} {_says(first, key)}; the files "
                f"of {pattern} are read as one list with one "
                "campaign's settings: make them agree, or check them one by one "
                "(cxaudit check FILE FILE...)"
            )
    return first_path, first


def _meaning(settings: dict[str, str | None]) -> dict[str, object]:
    """Settings as they act: a key set to null is not set, and send_at is
    the moment it names (09:00Z and 10:00+01:00 agree)."""
    out: dict[str, object] = {k: v for k, v in settings.items() if v is not None}
    if "send_at" in out:
        out["send_at"] = parse_instant(str(out["send_at"]))
    return out


def _says(settings: dict[str, str | None], key: str) -> str:
    value = settings.get(key)
    return f"sets {key} {value!r}" if value is not None else f"does not set {key}"


def _read(path: Path) -> dict[str, str | None]:
    """One sidecar's settings, each checked."""
    check_regular(path)  # a folder or a FIFO in its place is named, not skipped or waited on
    check_size(path)
    try:
        text = read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CxauditError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    data, lines = load_yaml(text, path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CxauditError(f"{path}: must be a mapping like `type: promotional`")
    settings: dict[str, str | None] = {}
    for key, value in data.items():
        line = lines.line((key,))
        if key not in (*CAMPAIGN_FIELDS, "send_at"):
            raise CxauditError(
                f"{path}:{line}: unknown key {key!r}; a campaign file takes type, channel, "
                "offer, send_at"
            )
        if value is not None and not isinstance(value, str):
            raise CxauditError(f"{path}:{line}: {key} must be text")
        if key == "send_at" and value is not None:
            try:
                parse_instant(value)
            except ValueError:
                raise CxauditError(
                    f"{path}:{line}: send_at {value!r} is not a date; use 2026-11-20T09:00:00Z"
                ) from None
        settings[key] = value
    return settings
