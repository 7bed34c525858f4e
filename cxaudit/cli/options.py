"""The options the commands share, each defined once (frictionless'
``console/common.py`` habit), and the core's request built from them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cxaudit.errors import CxauditError


class Format(StrEnum):
    text = "text"
    json = "json"


# Options shared by the commands, defined once.
RulesOpt = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        "-r",
        help="Rules file. Default: rules.yaml here or in a folder above it up to the "
        'repository\'s top, or the file [tool.cxaudit] rules = "…" in a pyproject.toml names.',
        show_default=False,
    ),
]


def rules_file(given: Path | None) -> Path:
    """``--rules``, else the rules file found from the current folder
    (:mod:`cxaudit.rules.discover`)."""
    if given is not None:
        return given
    from cxaudit.rules.discover import find_rules

    return find_rules(Path.cwd())


SourceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--source",
        "-s",
        metavar="NAME=PATH",
        help="Use PATH for the rules file's source NAME (repeatable).",
    ),
]


def _complete_preset(incomplete: str) -> list[str]:
    """NAME=VENDOR: after the =, the presets cxaudit knows."""
    from cxaudit.rules.presets import PRESETS

    name, sep, vendor = incomplete.partition("=")
    if not sep:
        return []
    return [f"{name}={p}" for p in sorted(PRESETS) if p.startswith(vendor)]


def _complete_engine(incomplete: str) -> list[str]:
    from cxaudit.engine import ENGINES

    return [e for e in ENGINES if e.startswith(incomplete)]


PresetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--preset",
        "-p",
        metavar="NAME=VENDOR",
        autocompletion=_complete_preset,
        help="Read source NAME (or recipients) as VENDOR's export, e.g. cases=zendesk "
        "(repeatable; see `cxaudit presets`).",
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Evaluate date rules at this moment (2026-11-20 = midnight UTC). Default: now.",
    ),
]
TypeOpt = Annotated[
    str | None, typer.Option("--campaign-type", help="Campaign type (overrides the rules file).")
]
ChannelOpt = Annotated[
    str | None, typer.Option("--channel", help="Campaign channel: email, sms, phone, ...")
]
OfferOpt = Annotated[
    str | None, typer.Option("--offer", metavar="PRODUCT", help="Product the campaign promotes.")
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", metavar="ENC", help="Encoding of the campaign file (e.g. cp1252)."),
]
FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", help="text: a summary table; json: report.json.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
ShowPiiOpt = Annotated[
    bool,
    typer.Option(
        "--show-pii", help="Show full emails/phones in summaries (default: a***@example.com)."
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        metavar="NAME",
        autocompletion=_complete_engine,
        help="local: this process; dask: a Dask cluster (the dask extra: pip install "
        "'.[dask]'), the one at --scheduler or one started here with a worker process per core.",
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="A Dask scheduler's address (tcp://host:8786) for --engine dask.",
    ),
]
MaxSuppressedOpt = Annotated[
    float | None,
    typer.Option(
        "--max-suppressed",
        metavar="PERCENT",
        min=0,
        max=100,
        help="Exit 3 when more than PERCENT of the list would be suppressed (audit writes "
        "the reports, not the lists). Default: the rules file's max_suppressed, else none.",
    ),
]
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Exit 4 when the run is degraded: any warning (a header-only export, a rule "
        "skipped for a missing --offer, a shared key...). audit then writes the reports, not "
        "the lists. Also: strict: true in the rules file.",
    ),
]


def audit_request(
    campaign: Path,
    rules: Path | None,
    source: list[str] | None,
    preset: list[str] | None,
    as_of: str | None,
    campaign_type: str | None,
    channel: str | None,
    offer: str | None,
    encoding: str | None,
) -> Any:
    """The core's request from the options audit, check and explain share."""
    from cxaudit.audit.plan import AuditRequest
    from cxaudit.inputs.locations import location

    return AuditRequest(
        campaign=location(campaign),
        rules=rules_file(rules),
        sources=parse_sources(source),
        presets=parse_presets(preset),
        as_of=as_of,
        campaign_type=campaign_type,
        channel=channel,
        offer=offer,
        encoding=encoding,
    )


def parse_presets(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        name, sep, vendor = item.partition("=")
        if not sep or not name.strip() or not vendor.strip():
            raise CxauditError(f"--preset {item!r}: write it as NAME=VENDOR, e.g. cases=zendesk")
        out[name.strip()] = vendor.strip()
    return out


def parse_sources(values: list[str] | None) -> dict[str, Path]:
    from cxaudit.inputs.locations import location, shown

    out: dict[str, Path] = {}
    for item in values or []:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise CxauditError(
                f"--source {shown(item)!r}: write it as NAME=PATH, e.g. cases=cases.csv"
            )
        out[name.strip()] = location(path.strip())
    return out
