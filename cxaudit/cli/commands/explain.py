"""``cxaudit explain``: every rule evaluated for one recipient."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from cxaudit.cli.console import _err_console
from cxaudit.cli.exit_codes import guard
from cxaudit.cli.options import (
    AsOfOpt,
    ChannelOpt,
    DebugOpt,
    EncodingOpt,
    Format,
    FormatOpt,
    OfferOpt,
    PresetOpt,
    RulesOpt,
    ShowPiiOpt,
    SourceOpt,
    TypeOpt,
    audit_request,
)
from cxaudit.escaping import terminal


def explain(
    campaign: Annotated[
        str, typer.Argument(help="The campaign recipient list (CSV, .csv.gz, Parquet, a URL).")
    ],
    recipient: Annotated[
        str,
        typer.Option(
            "--recipient", "-R", metavar="EMAIL_OR_ID", help="Email, customer id or phone."
        ),
    ],
    rules: RulesOpt = None,
    source: SourceOpt = None,
    preset: PresetOpt = None,
    as_of: AsOfOpt = None,
    campaign_type: TypeOpt = None,
    channel: ChannelOpt = None,
    offer: OfferOpt = None,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = Format.text,
    show_pii: ShowPiiOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Show every rule evaluated for one recipient and the source rows behind each match.

    Emails, phones, ids and other personal fields are masked unless --show-pii.

    Example:

        cxaudit explain sample_data/campaign.csv --recipient ann@example.com --offer "Aurora X2"
    """
    from cxaudit.explain import as_dict, to_text
    from cxaudit.explain import explain as explain_recipient
    from cxaudit.run import run_audit

    def work() -> tuple[Any, Any]:
        request = audit_request(
            campaign, rules, source, preset, as_of, campaign_type, channel, offer, encoding
        )
        result = run_audit(request, evidence_for=recipient)
        result.unchanged()
        return result, explain_recipient(result, recipient, show_pii)

    result, items = guard(debug, work)
    from cxaudit.reports.build import run_warnings

    for warning in result.warnings + run_warnings(result):
        _err_console().print(f"cxaudit: warning: {terminal(warning)}")
    if fmt is Format.json:
        typer.echo(json.dumps(as_dict(items), indent=2, ensure_ascii=False))
    else:
        typer.echo(to_text(result, items), nl=False)
