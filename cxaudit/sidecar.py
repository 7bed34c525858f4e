"""Per-campaign settings kept beside the list: ``spring.csv`` may have a
``spring.campaign.yaml`` with its type, channel and offer, so a CI job that
checks many campaign files evaluates each with the right rules."""

from __future__ import annotations

from pathlib import Path

from cxaudit.dates import parse_instant
from cxaudit.errors import CxauditError
from cxaudit.files import check_regular, read_bytes
from cxaudit.locations import Url
from cxaudit.rules import CAMPAIGN_FIELDS
from cxaudit.yamlsafe import check_size, load_yaml


def sidecar_path(campaign: Path) -> Path:
    name = campaign.name
    for suffix in (".csv.gz", ".csv", ".tsv", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return campaign.with_name(f"{name}.campaign.yaml")


def read_sidecar(campaign: Path) -> tuple[Path | None, dict[str, str | None]]:
    """The sidecar's path and settings, or ``(None, {})`` when there is none."""
    if isinstance(campaign, Url):
        campaign.filesystem()  # a missing backend is named with the list's URL, not the sidecar's
    if not campaign.name:
        return None, {}  # "/" or "s3://": nothing beside it (reading it says what is wrong)
    path = sidecar_path(campaign)
    if not path.exists():
        return None, {}
    check_regular(path)  # a folder or a FIFO in its place is named, not skipped or waited on
    check_size(path)
    try:
        text = read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CxauditError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    data, lines = load_yaml(text, path)
    if data is None:
        return path, {}
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
    return path, settings
