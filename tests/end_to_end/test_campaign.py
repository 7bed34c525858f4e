"""Campaign facts are checked, never silently switch a rule off: a
vocabulary of types and channels, rules needing an unset fact reported as
skipped, and the planned send moment as the default --as-of."""

from __future__ import annotations

import json

from tests.conftest import CAMPAIGN, CASES_HEADER, Workspace

# Ann (C1) has an open case about the Aurora X2; Bob unsubscribed from email.
CASES = CASES_HEADER + "\n1,C1,,open,low,Aurora X2,S,,2026-11-01,\n"
SOURCES = """
cases:
  path: cases.csv
  keys: {customer_id: "Customer ID"}
  columns: {status: Status, product: Product}
"""
RULES = """
- id: offer-complaint
  description: "Never promote the product someone has an open complaint about."
  source: cases
  where:
    status: {equals: open}
    product: {equals: $campaign.offer}
  action: suppress
- id: email-only
  applies_to: {channel: [email]}
  where: {email: {equals: bob@example.com}}
  action: suppress
"""
HEAD = "campaign: {type: promotional, channel: email}\n"
CHANNELS = "direct_mail, email, in_app, phone, push, sms, whatsapp"


def _setup(ws: Workspace, rules: str = RULES, head: str = HEAD) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    ws.rules(rules, sources=SOURCES, head=head)


def test_a_misspelt_channel_is_refused_not_a_silently_skipped_rule(ws: Workspace) -> None:
    _setup(ws)
    run = ws.audit("-q", "--channel", "emial")
    assert run.code == 2
    assert run.stderr == (
        "cxaudit: error: --channel: channel 'emial' is not a campaign channel cxaudit knows "
        f"(did you mean 'email'?); channels are {CHANNELS} (add one under "
        "vocabulary.add_channels in the rules file)\n"
    )
    assert not run.out.exists()


def test_a_type_written_differently_gets_a_did_you_mean(ws: Workspace) -> None:
    _setup(ws)
    run = ws.audit("-q", "--campaign-type", "win-back")
    assert run.code == 2
    assert "type 'win-back' is not a campaign type cxaudit knows (did you mean 'winback'?)" in (
        run.stderr
    )


def test_applies_to_outside_the_vocabulary_is_a_load_error_with_its_line(ws: Workspace) -> None:
    _setup(ws, RULES.replace("channel: [email]", "channel: [smss]"))
    result = ws.cli("validate")
    assert result.exit_code == 2
    assert result.stderr == (
        "cxaudit: error: rules.yaml:18: rule 'email-only', applies_to.channel: 'smss' is not a "
        f"campaign channel cxaudit knows (did you mean 'sms'?); channels are {CHANNELS} (add "
        "one under vocabulary.add_channels in the rules file)\n"
    )


def test_a_sidecar_value_outside_the_vocabulary_names_the_sidecar(ws: Workspace) -> None:
    _setup(ws)
    ws.write("campaign.campaign.yaml", "channel: e-mail\n")
    run = ws.audit("-q")
    assert run.code == 2
    assert run.stderr.startswith(
        "cxaudit: error: campaign.campaign.yaml: channel 'e-mail' is not a campaign channel "
        "cxaudit knows (did you mean 'email'?)"
    )


def test_the_rules_file_extends_or_replaces_the_vocabulary(ws: Workspace) -> None:
    _setup(ws, head=HEAD + "vocabulary: {add_channels: [fax], types: [spring_sale, promotional]}\n")
    assert ws.audit("-q", "--channel", "fax", out="fax").code == 0
    assert ws.audit("-q", "--campaign-type", "spring_sale", out="spring").code == 0
    upsell = ws.audit("-q", "--campaign-type", "upsell", out="upsell")
    assert upsell.code == 2
    assert "types are promotional, spring_sale (add one" in upsell.stderr


def test_a_rule_needing_an_unset_offer_is_reported_skipped(ws: Workspace) -> None:
    _setup(ws)
    run = ws.audit()
    assert run.code == 0
    why = "needs --offer (it compares with $campaign.offer, which is not set)"
    report = run.report()
    assert report["skipped_rules"] == [{"id": "offer-complaint", "why": why}]
    assert "offer-complaint" not in report["by_rule"]
    warning = f"rule 'offer-complaint' was skipped: it {why}"
    assert report["warnings"] == [warning]
    assert f"cxaudit: warning: {warning}" in run.stderr
    assert f"- offer-complaint: {why}" in (run.out / "report.md").read_text()
    assert run.suppressed() == {"bob@example.com": "email-only"}
    with_offer = ws.audit("-q", "--offer", "aurora x2", out="offer")
    assert with_offer.suppressed() == {
        "ann@example.com": "offer-complaint",
        "bob@example.com": "email-only",
    }
    assert with_offer.report()["skipped_rules"] == []


def test_send_at_is_the_default_moment_and_as_of_overrides_it(ws: Workspace) -> None:
    _setup(ws)
    ws.write(
        "campaign.campaign.yaml",
        "type: promotional\nchannel: email\noffer: Aurora X2\nsend_at: 2026-12-01T09:00:00Z\n",
    )
    result = ws.cli("audit", "campaign.csv", "--out", "planned")
    assert result.exit_code == 0, result.stderr
    report = json.loads((ws.root / "planned" / "report.json").read_text())
    assert report["as_of"] == "2026-12-01T09:00:00Z"
    assert report["campaign"]["send_at"] == "2026-12-01T09:00:00Z"
    assert report["campaign_settings_file"] == "campaign.campaign.yaml"
    assert result.stdout.splitlines()[0] == (
        "cxaudit: 4 recipients: 2 kept (50%), 2 suppressed (50%), 0 flagged (0%); campaign type "
        "promotional, channel email, offer Aurora X2; as of 2026-12-01T09:00:00Z; settings from "
        "campaign.campaign.yaml"
    )
    explicit = ws.audit("-q")  # --as-of 2026-11-20
    assert explicit.report()["as_of"] == "2026-11-20T00:00:00Z"


def test_a_bad_send_at_is_an_error_with_its_line(ws: Workspace) -> None:
    _setup(ws)
    ws.write("campaign.campaign.yaml", "channel: email\nsend_at: next tuesday\n")
    run = ws.audit("-q")
    assert run.code == 2
    assert run.stderr == (
        "cxaudit: error: campaign.campaign.yaml:2: send_at 'next tuesday' is not a date; use "
        "2026-11-20T09:00:00Z\n"
    )


def _offer_applies(run) -> bool:
    """Ann is held only when the sidecar's offer (Aurora X2) was read."""
    return run.report()["by_rule"].get("offer-complaint") == 1


def _list_forms(ws: Workspace) -> dict[str, str]:
    """The campaign list written as each form cxaudit reads, each with its
    sidecar beside it under the name that form takes."""
    import gzip

    import pandas as pd

    frame = pd.read_csv(ws.root / "campaign.csv", dtype=str, keep_default_na=False)
    ws.write("forms/plain.csv", CAMPAIGN)
    ws.write("forms/zipped.csv.gz", gzip.compress(CAMPAIGN.encode()))
    (ws.root / "forms").mkdir(exist_ok=True)
    frame.to_parquet(ws.root / "forms" / "typed.parquet")
    ws.write("forms/split/part-0.csv", "".join(CAMPAIGN.splitlines(True)[:3]))
    ws.write(
        "forms/split/part-1.csv",
        CAMPAIGN.splitlines(True)[0] + "".join(CAMPAIGN.splitlines(True)[3:]),
    )
    sidecar = "offer: Aurora X2\n"
    for name in ("plain", "zipped", "typed", "split"):
        ws.write(f"forms/{name}.campaign.yaml", sidecar)
    return {
        "plain": "forms/plain.csv",
        "zipped": "forms/zipped.csv.gz",
        "typed": "forms/typed.parquet",
        "split": "forms/split",
    }


def test_every_list_form_reads_its_sidecar(ws: Workspace) -> None:
    _setup(ws)
    for name, given in _list_forms(ws).items():
        run = ws.audit("-q", campaign=given, out=f"out-{name}")
        assert run.code == 0, (name, run.stderr)
        assert run.report()["campaign_settings_file"] == f"forms/{name}.campaign.yaml", name
        assert _offer_applies(run), name


def test_a_glob_reads_the_sidecar_its_files_share_and_refuses_a_mismatch(ws: Workspace) -> None:
    _setup(ws)
    lines = CAMPAIGN.splitlines(True)
    ws.write("glob/a.csv", "".join(lines[:3]))
    ws.write("glob/b.csv", lines[0] + "".join(lines[3:]))
    ws.write("glob/a.campaign.yaml", "offer: Aurora X2\n")
    alone = ws.audit("-q", campaign="glob/*.csv", out="one")
    assert alone.code == 2
    assert alone.stderr == (
        "cxaudit: error: glob/b.csv: has no campaign settings file, but glob/a.campaign.yaml "
        "sets them for glob/a.csv; the files of glob/*.csv are read as one list, so give each "
        "the same settings, or check them one by one (cxaudit check FILE FILE...)\n"
    )
    assert not (ws.root / "one").exists()
    ws.write("glob/b.campaign.yaml", "offer: Nimbus\n")
    differ = ws.audit("-q", campaign="glob/*.csv", out="two")
    assert differ.code == 2
    assert differ.stderr.startswith(
        "cxaudit: error: glob/b.campaign.yaml: sets offer 'Nimbus', but glob/a.campaign.yaml "
        "sets offer 'Aurora X2'; the files of glob/*.csv are read as one list"
    )
    ws.write("glob/b.campaign.yaml", "offer: Aurora X2\n")
    same = ws.audit("-q", campaign="glob/*.csv", out="three")
    assert same.code == 0
    assert same.report()["campaign_settings_file"] == "glob/a.campaign.yaml"
    assert _offer_applies(same)


def test_check_judges_each_file_of_a_quoted_glob_with_its_own_sidecar(ws: Workspace) -> None:
    _setup(ws)
    ws.write("campaigns/a.csv", CAMPAIGN)
    ws.write("campaigns/b.csv", CAMPAIGN)
    ws.write("campaigns/a.campaign.yaml", "offer: Aurora X2\n")
    quoted = ws.cli("check", "campaigns/*.csv", "--as-of", "2026-11-20", "--format", "json")
    listed = ws.cli(
        "check", "campaigns/a.csv", "campaigns/b.csv", "--as-of", "2026-11-20", "--format", "json"
    )
    assert quoted.exit_code == listed.exit_code == 1
    assert quoted.stdout == listed.stdout
    files = json.loads(quoted.stdout)["campaigns"]
    assert [(f["path"], f["report"]["campaign"]["offer"]) for f in files] == [
        ("campaigns/a.csv", "Aurora X2"),
        ("campaigns/b.csv", None),
    ]


def test_a_globs_sidecars_agree_when_they_mean_the_same(ws: Workspace) -> None:
    _setup(ws)
    lines = CAMPAIGN.splitlines(True)
    ws.write("glob/a.csv", "".join(lines[:3]))
    ws.write("glob/b.csv", lines[0] + "".join(lines[3:]))
    ws.write(
        "glob/a.campaign.yaml", 'offer: Aurora X2\nchannel: null\nsend_at: "2026-11-20T09:00:00Z"\n'
    )
    ws.write("glob/b.campaign.yaml", 'offer: Aurora X2\nsend_at: "2026-11-20T10:00:00+01:00"\n')
    run = ws.cli("audit", "glob/*.csv", "--out", "out", "-q")
    assert run.exit_code == 0, run.stderr
    assert json.loads((ws.root / "out" / "report.json").read_text())["as_of"] == (
        "2026-11-20T09:00:00Z"
    )


def test_check_expands_a_quoted_glob_as_the_shell_would(ws: Workspace) -> None:
    """Every match is judged on its own: a name starting with _, a .csv.gz
    beside a .csv, a folder of parts; sidecars are settings, not lists."""
    import gzip

    _setup(ws)
    ws.write("c/_hot.csv", CAMPAIGN)
    ws.write("c/clean.csv", "customer_id,email\nC4,dev@example.com\n")
    ws.write("c/zipped.csv.gz", gzip.compress(CAMPAIGN.encode()))
    ws.write("c/parts/part-0.csv", CAMPAIGN)
    ws.write("c/clean.campaign.yaml", "offer: Aurora X2\n")
    result = ws.cli("check", "c/*", "--as-of", "2026-11-20", "--format", "json")
    judged = [(c["path"], c["status"]) for c in json.loads(result.stdout)["campaigns"]]
    assert judged == [
        ("c/_hot.csv", "fail"),
        ("c/clean.csv", "pass"),
        ("c/parts", "fail"),
        ("c/zipped.csv.gz", "fail"),
    ]
    assert result.exit_code == 1
