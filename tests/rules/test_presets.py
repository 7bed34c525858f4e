"""Presets: each desk's documented export read with no hand-written mapping,
and one rules file (on canonical state/severity) giving the same answer for
all of them."""

from __future__ import annotations

import csv
import io
import shutil

import pandas as pd
import pytest

from cxaudit.errors import CxauditError
from cxaudit.inputs.read import read_table
from cxaudit.rules.presets import PRESETS, accepted_columns
from tests.conftest import REPO, Run, Workspace

EXPORTS = REPO / "tests" / "fixtures" / "exports"
DESKS = sorted(p.name for p in PRESETS.values() if p.kind == "source")
LISTS = sorted(p.name for p in PRESETS.values() if p.kind == "recipients")

CANONICAL_RULES = """\
version: 1
sources:
  cases: {path: cases.csv}
rules:
  - id: open-severe
    source: cases
    where: {state: {equals: open}, severity: {in: [high, urgent]}}
    action: suppress
    reason: "open {severity} case {case_id}"
  - id: recently-closed
    source: cases
    where: {state: {equals: closed}, closed_at: {within_days: 14}}
    action: suppress
    reason: "case {case_id} closed {closed_at:%Y-%m-%d}"
  - id: open-minor
    source: cases
    where: {state: {equals: open}, severity: {in: [low, normal]}}
    action: flag
    reason: "open {severity} case {case_id}"
"""
CAMPAIGN = "customer_id,email\nC1,ann@example.com\nC2,bob@example.com\nC3,cara@example.com\nC4,dev@example.com\n"

# One expectation file beside each desk export (tests/fixtures/exports/*.yml):
# its preset and the cases Ann, Bob and Cara are held back or flagged for.
DESK_LAYOUTS = sorted(p.stem for p in EXPORTS.glob("*.yml"))


def _expected(layout: str) -> dict[str, str]:
    import yaml

    return yaml.safe_load((EXPORTS / f"{layout}.yml").read_text())


def test_every_desk_preset_has_an_export_and_its_expectation() -> None:
    assert set(DESKS) <= {_expected(layout)["preset"] for layout in DESK_LAYOUTS}


@pytest.mark.parametrize("layout", DESK_LAYOUTS)
def test_one_rules_file_reads_every_desk_layout(ws: Workspace, layout: str) -> None:
    expected = _expected(layout)
    ws.write("rules.yaml", CANONICAL_RULES)
    shutil.copy(EXPORTS / f"{layout}.csv", ws.root / "cases.csv")
    ws.write("campaign.csv", CAMPAIGN)
    run = ws.audit("--preset", f"cases={expected['preset']}")
    assert run.code == 0, run.stderr
    assert [
        (r["email"], r["cxaudit_rules"], r["cxaudit_reasons"]) for r in run.rows("suppressed.csv")
    ] == [
        ("ann@example.com", "open-severe", expected["ann"]),
        ("bob@example.com", "recently-closed", f"case {expected['bob']} closed 2026-11-12"),
    ]
    report = run.report()
    assert report["flags"] == [
        {
            "row": 4,
            "recipient": "c***@example.com",
            "rules": ["open-minor"],
            "reasons": [f"open low case {expected['cara']}"],
        }
    ]
    assert report["warnings"] == []
    assert run.kept() == ["cara@example.com", "dev@example.com"]


def test_preset_in_the_rules_file_and_explicit_mapping_wins(ws: Workspace) -> None:
    shutil.copy(EXPORTS / "zendesk.csv", ws.root / "cases.csv")
    ws.write("campaign.csv", CAMPAIGN)
    ws.write(
        "rules.yaml",
        CANONICAL_RULES.replace(
            "cases: {path: cases.csv}",
            "cases:\n    path: cases.csv\n    preset: zendesk\n"
            "    columns: {case_id: Requester}\n"  # explicit beats the preset's Id
            "    derive: {severity: {map: {normal: high}}}",  # and extends its map
        ),
    )
    run = ws.audit()
    assert run.code == 0, run.stderr
    assert run.column("suppressed.csv", "cxaudit_reasons") == [
        "open urgent case Ann Smith",
        "case Bob Jones closed 2026-11-12",
    ]


def test_salesforce_footer_is_skipped_and_its_count_checked(ws: Workspace) -> None:
    text = (EXPORTS / "salesforce.csv").read_text()
    ws.write("rules.yaml", CANONICAL_RULES)
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("sf.csv", text.replace("Grand Totals (3 records)", "Grand Totals (4 records)"))
    run = ws.audit("--source", "cases=sf.csv", "--preset", "cases=salesforce")
    assert run.code == 2
    assert run.stderr.splitlines()[-1] == (
        "cxaudit: error: sf.csv: the footer says 4 records but the file has 3 rows; the export "
        "looks truncated or edited: export it again"
    )
    ws.write("plain.csv", text)
    with pytest.raises(CxauditError, match="row 6 has 1 fields but the header has 12"):
        read_table(ws.root / "plain.csv")  # without the preset the footer is not data


def test_servicenow_is_read_as_windows_1252(ws: Workspace) -> None:
    ws.write(
        "rules.yaml",
        CANONICAL_RULES.replace(
            'case {case_id}"\n  - id: open-minor', 'case {case_id}"\n  - id: open-minor'
        ).replace(
            'reason: "open {severity} case {case_id}"\n  - id: recently',
            'reason: "{subject} ({caller})"\n  - id: recently',
        ),
    )
    shutil.copy(EXPORTS / "servicenow.csv", ws.root / "sn.csv")
    ws.write("campaign.csv", CAMPAIGN)
    run = ws.audit("--source", "cases=sn.csv", "--preset", "cases=servicenow")
    assert run.code == 0, run.stderr
    assert run.column("suppressed.csv", "cxaudit_reasons")[0] == "Handset dead – urgent (Ann Smith)"


def test_unmapped_vendor_status_is_kept_and_reported(ws: Workspace) -> None:
    text = (EXPORTS / "freshdesk.csv").read_text().replace(",Pending,", ",Waiting on Finance,")
    ws.write("fd.csv", text)
    ws.write("rules.yaml", CANONICAL_RULES)
    ws.write("campaign.csv", CAMPAIGN)
    run = ws.audit("--source", "cases=fd.csv", "--preset", "cases=freshdesk")
    assert run.code == 0
    assert run.report()["warnings"] == [
        "fd.csv: state has no mapping for Status value(s) 'Waiting on Finance' (1); they are kept "
        "as written. Map them under sources.cases.derive.state.map"
    ]
    assert run.report()["flags"] == []  # Cara's case is not known to be open
    assert "cxaudit: warning: fd.csv: state has no mapping" in run.stderr


def test_a_rule_needing_a_column_the_export_lacks_is_an_error(ws: Workspace) -> None:
    # ServiceNow's default list has no resolution time; the cooling-off rule needs one.
    rows = list(csv.reader(io.StringIO((EXPORTS / "servicenow.csv").read_bytes().decode("cp1252"))))
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL).writerows([r[:7] + r[8:] for r in rows])
    ws.write("sn.csv", out.getvalue().encode("cp1252"))
    ws.write("rules.yaml", CANONICAL_RULES)
    ws.write("campaign.csv", CAMPAIGN)
    run = ws.audit("--source", "cases=sn.csv", "--preset", "cases=servicenow")
    assert run.code == 2
    assert run.stderr.splitlines()[-1].startswith(
        "cxaudit: error: sn.csv: the rules use field 'closed_at' of source 'cases', but the file "
        "has none of its columns 'closed_at' or 'resolved_at' (preset servicenow); add the "
        "column to the export or map closed_at under sources.cases.columns"
    )
    only_state = CANONICAL_RULES.split("  - id: recently-closed")[0]
    ws.write("rules.yaml", only_state)
    assert ws.audit("--source", "cases=sn.csv", "--preset", "cases=servicenow").code == 0


@pytest.mark.parametrize("vendor", LISTS)
def test_recipient_list_presets_fill_the_identity_keys(ws: Workspace, vendor: str) -> None:
    shutil.copy(EXPORTS / f"{vendor}.csv", ws.root / "list.csv")
    shutil.copy(EXPORTS / "zendesk.csv", ws.root / "cases.csv")
    ws.write(
        "rules.yaml",
        CANONICAL_RULES.replace(
            "cases: {path: cases.csv}", "cases: {path: cases.csv, preset: zendesk}"
        ),
    )
    run = ws.audit("--preset", f"recipients={vendor}", campaign="list.csv")
    assert run.code == 0, run.stderr
    original = (ws.root / "list.csv").read_bytes()
    email = PRESETS[vendor].keys["email"][0]
    gone = [r[email] for r in run.rows("suppressed.csv")]
    # Bob's case matches by email everywhere; Ann's urgent case is keyed by
    # customer id C1 only, so only lists that carry that id find it.
    expected = (
        ["ann@example.com", "bob@example.com"]
        if vendor in ("braze", "hubspot_contacts")
        else ["bob@example.com"]
    )
    assert gone == expected
    assert (ws.root / "list.csv").read_bytes() == original


def test_mailchimp_tags_cell_comes_back_exactly(ws: Workspace) -> None:
    shutil.copy(EXPORTS / "mailchimp.csv", ws.root / "list.csv")
    ws.write("cases.csv", (EXPORTS / "zendesk.csv").read_text().splitlines()[0] + "\n")
    ws.write(
        "rules.yaml",
        CANONICAL_RULES.replace(
            "cases: {path: cases.csv}", "cases: {path: cases.csv, preset: zendesk}"
        ),
    )
    run = ws.audit("--preset", "recipients=mailchimp", campaign="list.csv")
    assert run.code == 0, run.stderr
    assert run.column("cleaned.csv", "TAGS") == ['"VIP","Blog"', "", '"Blog"']
    assert b'"""VIP"",""Blog"""' in (run.out / "cleaned.csv").read_bytes()


def test_campaign_with_repeated_column_names_comes_out_the_same(ws: Workspace) -> None:
    data = b"email,Labels,Labels,Comment,Comment\r\nann@example.com,a,b,first,second\r\n"
    ws.write("campaign.csv", data)
    ws.write("cases.csv", (EXPORTS / "zendesk.csv").read_text().splitlines()[0] + "\n")
    ws.write(
        "rules.yaml",
        CANONICAL_RULES.replace(
            "cases: {path: cases.csv}", "cases: {path: cases.csv, preset: zendesk}"
        ),
    )
    run = ws.audit()
    assert run.code == 0, run.stderr
    assert (run.out / "cleaned.csv").read_bytes() == data


def test_unknown_preset_is_a_rules_error(ws: Workspace) -> None:
    ws.write(
        "rules.yaml",
        CANONICAL_RULES.replace(
            "cases: {path: cases.csv}", "cases: {path: cases.csv, preset: zendsk}"
        ),
    )
    ws.write("campaign.csv", CAMPAIGN)
    run = ws.audit()
    assert run.code == 2
    assert run.stderr.splitlines()[-1].startswith(
        "cxaudit: error: rules.yaml:3: sources.cases.preset: unknown source preset 'zendsk' (did you mean 'zendesk'?)"
    )


def test_presets_command_lists_them() -> None:
    out = Workspace(REPO).cli("presets").stdout
    for name in PRESETS:
        assert f"  {name} " in out


def test_freshdesk_contact_id_that_holds_no_address_is_an_error(ws: Workspace) -> None:
    # Contact ID is the email only when it holds addresses; numbers are no key.
    text = (EXPORTS / "freshdesk_contact_id.csv").read_text()
    for n, address in enumerate(["ann@example.com", "BOB@example.com", "cara@example.com"]):
        text = text.replace(f",{address},", f",4300{n},")
    ws.write("cases.csv", text)
    ws.write("rules.yaml", CANONICAL_RULES)
    ws.write("campaign.csv", CAMPAIGN)
    run = ws.audit("--preset", "cases=freshdesk")
    assert run.code == 2
    assert run.stderr.splitlines()[-1] == (
        "cxaudit: error: cases.csv: no row has a usable customer_id, email or phone, so no rule "
        "on source 'cases' could match anyone: 'Unique External ID' (customer_id) holds "
        "nothing; 'Contact ID' (email) holds values like '99999'; 'Mobile phone' (phone) holds "
        "nothing; map a column of emails, customer ids or phones under sources.cases.keys (or "
        "add one to the export)"
    )
    assert not (ws.root / "out").exists()


def test_explore_report_without_the_requester_email_is_an_error(ws: Workspace) -> None:
    rows = list(csv.reader(io.StringIO((EXPORTS / "zendesk_explore.csv").read_text())))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:8] + r[9:] for r in rows])
    ws.write("cases.csv", out.getvalue())
    ws.write("rules.yaml", CANONICAL_RULES)
    ws.write("campaign.csv", CAMPAIGN)
    run = ws.audit("--preset", "cases=zendesk")
    assert run.code == 2
    assert run.stderr.splitlines()[-1] == (
        "cxaudit: error: cases.csv: has none of the identity columns looked for (preset "
        "zendesk): customer_id: 'Requester external id'; email: 'Requester email'; map a column "
        "of the file under sources.cases.keys (an Explore report names the requester only by "
        "'Requester ID', a Zendesk user id: add the attribute Requester email to the report, or "
        'map customer_id: "Requester ID" under keys if the campaign list carries Zendesk user '
        "ids); its columns are 'Ticket ID', 'Ticket subject', "
        "'Ticket status', 'Ticket priority', 'Ticket type', 'Ticket group', 'Requester ID', "
        "'Requester name', 'Ticket created - Timestamp', 'Ticket updated - Timestamp', "
        "'Ticket solved - Timestamp'"
    )
    assert not (ws.root / "out").exists()


# Jira Cloud names the reporter by display name and account id only.
ANN_ID = "712020:5b6c0d1e-1111-4a4a-8a8a-0000000000a1"
BOB_ID = "712020:5b6c0d1e-2222-4b4b-8b8b-0000000000b2"
CARA_ID = "712020:5b6c0d1e-3333-4c4c-8c8c-0000000000c3"
ACCOUNTS = (
    "customer_id,email\n"
    f"{ANN_ID},ann@example.com\n{BOB_ID},bob@example.com\n{CARA_ID},cara@example.com\n"
    "712020:5b6c0d1e-4444-4d4d-8d8d-0000000000d4,dev@example.com\n"
)


def test_jira_cloud_export_without_an_email_is_an_error_not_an_empty_run(
    ws: Workspace,
) -> None:
    # No 'Reporter Email'; 'Reporter', the fallback, holds "Sumit Sarkar" and
    # 'Reporter Id' an account id: no row has a key the campaign's emails could
    # match, so the run stops.
    shutil.copy(EXPORTS / "jira_cloud.csv", ws.root / "cases.csv")
    ws.write("rules.yaml", CANONICAL_RULES)
    ws.write("campaign.csv", CAMPAIGN)
    run = ws.audit("--preset", "cases=jira")
    assert run.code == 2
    assert run.stderr.splitlines()[-1] == (
        "cxaudit: error: cases.csv: no row has a usable customer_id, email or phone, so no rule "
        "on source 'cases' could match anyone: 'Reporter' (email) holds values like "
        "'aaaaa aaaaaa'; map a column of emails, customer ids or phones under "
        "sources.cases.keys (or add one to the export) (Jira Cloud exports name the reporter "
        "only by name and by account id (Reporter Id): add the reporter's "
        "email to the export as a column 'Reporter Email', or map customer_id: \"Reporter Id\" "
        "under keys if the campaign list carries Jira account ids)"
    )
    assert not (ws.root / "out").exists()


def _jira_by_account(key_column: str) -> str:
    return CANONICAL_RULES.replace(
        "cases: {path: cases.csv}",
        f'cases: {{path: cases.csv, preset: jira, keys: {{customer_id: "{key_column}"}}}}',
    )


# Jira exports in other UI languages: (reporter-id column, Ann's, Bob's, Cara's issue).
JIRA_LANGUAGES = {
    "jira_cloud": ("Reporter Id", "SUP-201", "SUP-202", "SUP-203"),
    "jira_es": ("ID del informador", "SOP-11", "SOP-12", "SOP-13"),
    "jira_de": ("ID des Autors", "SUP-21", "SUP-22", "SUP-23"),
    "jira_fr": ("ID de rapporteur", "SUP-31", "SUP-32", "SUP-33"),
    "jira_pt": ("ID do relator", "SUP-41", "SUP-42", "SUP-43"),
}


@pytest.mark.parametrize("layout", sorted(JIRA_LANGUAGES))
def test_jira_in_any_ui_language_keyed_by_reporter_account(ws: Workspace, layout: str) -> None:
    # Translated headers (Clave de incidencia, Vorgangsschlüssel, Clé de ticket,
    # Chave da item...) and statuses (En curso/Resuelta/Abierta, In Arbeit/
    # Erledigt/Zu erledigen, En cours/Terminé(e)/À faire, Em andamento/
    # Concluído/Itens Pendentes) give the same answer as the English export.
    key_column, ann, bob, cara = JIRA_LANGUAGES[layout]
    shutil.copy(EXPORTS / f"{layout}.csv", ws.root / "cases.csv")
    ws.write("rules.yaml", _jira_by_account(key_column))
    ws.write("campaign.csv", ACCOUNTS)
    run = ws.audit()
    assert run.code == 0, run.stderr
    assert [
        (r["email"], r["cxaudit_rules"], r["cxaudit_reasons"]) for r in run.rows("suppressed.csv")
    ] == [
        ("ann@example.com", "open-severe", f"open urgent case {ann}"),
        ("bob@example.com", "recently-closed", f"case {bob} closed 2026-11-12"),
    ]
    report = run.report()
    assert report["flags"] == [
        {
            "row": 4,
            "recipient": "c***@example.com",
            "rules": ["open-minor"],
            "reasons": [f"open low case {cara}"],
        }
    ]
    assert report["warnings"] == []
    assert run.kept() == ["cara@example.com", "dev@example.com"]


def test_translated_month_names_are_read(ws: Workspace) -> None:
    # A Portuguese export writes August as 'ago' (05/ago/26 10:33 AM), a German
    # one December as 'Dez': strptime's %b reads English names only, so they are
    # translated first (whatever the machine's locale).
    text = (EXPORTS / "jira_pt.csv").read_text(encoding="utf-8-sig")
    ws.write("cases.csv", text.replace("12/nov/26 04:30 PM", "05/ago/26 10:33 AM"))
    ws.write("rules.yaml", _jira_by_account("ID do relator"))
    ws.write("campaign.csv", ACCOUNTS)
    run = ws.audit("-q")
    assert run.code == 0, run.stderr


def test_english_months() -> None:
    from cxaudit.dates import english_months

    values = pd.Series(["05/ago/26", "12/Dez/26", "3 janv. 2026", "01/set/26", "12/nov/26"])
    assert english_months(values).tolist() == [
        "05/Aug/26",
        "12/Dec/26",
        "3 Jan 2026",
        "01/Sep/26",
        "12/nov/26",
    ]


def test_accepted_columns_lists_every_name_a_preset_reads() -> None:
    assert accepted_columns("freshdesk", "email") == ("Email", "Contact ID")
    assert accepted_columns("servicenow", "priority") == ("priority", "severity")
    assert accepted_columns("servicenow", "opened_at") == ("opened_at", "created", "sys_created_on")
    assert accepted_columns("zendesk", "case_id") == ("Id", "Ticket ID")
    assert accepted_columns("jira", "email") == (
        "Reporter Email",
        "Reporter",
        "Informador",
        "Autor",
        "Rapporteur",
        "Relator",
    )
    assert accepted_columns("jira", "case_id") == (
        "Issue key",
        "Work item key",
        "Clave de incidencia",
        "Vorgangsschlüssel",
        "Clé de ticket",
        "Chave da item",
    )
    assert accepted_columns("jira", "closed_at") == (
        "Resolved",
        "Resuelta",
        "Erledigt",
        "Résolue",
        "Résolu",  # a real French export
        "Resolvido",
    )
    assert accepted_columns("jira", "severity") == ()  # derived, not read


def _jira(ws: Workspace, cases: str, where: str) -> Run:
    """A Jira export as cases.csv (preset jira) and one suppress rule."""
    ws.write("cases.csv", cases)
    ws.write("campaign.csv", CAMPAIGN)
    ws.write(
        "rules.yaml",
        "version: 1\nsources:\n  cases: {path: cases.csv, preset: jira}\nrules:\n"
        f"  - {{id: s, source: cases, where: {where}, action: suppress}}\n",
    )
    return ws.audit("-q")


def test_jira_state_comes_from_the_status_category_in_any_language(ws: Workspace) -> None:
    """A Portuguese Jira Cloud export: 'Tarefas pendentes' (a default to-do
    status the status map does not know) and a custom status are open by
    their category; a row without a category falls back to its status."""
    run = _jira(
        ws,
        "Resumo,Chave da item,Status,Categoria do status,Prioridade,Reporter Email,Criado,Resolvido\n"
        "Tela,SD-1,Tarefas pendentes,Itens Pendentes,High,ann@example.com,01/Nov/26 9:00 AM,\n"
        "Wifi,SD-2,Aguardando QA,Em andamento,High,bob@example.com,02/Nov/26 9:00 AM,\n"
        "Fatura,SD-3,Concluído,Itens concluídos,High,cara@example.com,03/Nov/26 9:00 AM,"
        "04/Nov/26 9:00 AM\n"
        "Velho,SD-4,Done,,High,dev@example.com,03/Nov/26 9:00 AM,04/Nov/26 9:00 AM\n",
        "{state: {equals: open}}",
    )
    assert run.code == 0, run.stderr
    assert run.suppressed() == {"ann@example.com": "s", "bob@example.com": "s"}
    assert run.report()["warnings"] == []  # every status was placed by its category


def test_a_french_jira_export_reads_its_resolved_column(ws: Workspace) -> None:
    run = _jira(
        ws,
        "Résumé,Clé de ticket,État,Priorité,Reporter Email,Création,Résolu\n"
        "Écran,SD-1,Terminé,High,ann@example.com,01/Nov/26 9:00 AM,15/Nov/26 9:00 AM\n",
        "{closed_at: {within_days: 14}}",
    )
    assert run.code == 0, run.stderr
    assert run.suppressed() == {"ann@example.com": "s"}


def test_the_jira_hint_names_the_reporter_id_column_the_file_has(ws: Workspace) -> None:
    run = _jira(
        ws,
        "Resumo,Chave da item,Status,Relator,ID do relator,Criado\n"
        "Tela,SD-1,Aberto,Ana Souza,5b10ac8d82e05b22cc7d4ef5,01/Nov/26 9:00 AM\n",
        "{state: {equals: open}}",
    )
    assert run.code == 2
    assert 'map customer_id: "ID do relator" under keys' in run.stderr
    assert "by account id (ID do relator)" in run.stderr


@pytest.mark.parametrize(
    "footer",
    [
        # as quoted in public code handling Salesforce report exports
        '"Copyright © 2000-2026 salesforce.com, inc. All rights reserved."\n'
        '"Confidential Information - Do Not Distribute"\n'
        '"Generated By:  Jane Admin  11/20/2026 9:00 AM"\n'
        '"Acme, Inc."\n',
        '"Grand Totals (3 records)"\n\n"Copyright (c) 2000-2026 salesforce.com, inc. All rights '
        'reserved."\n"Generated By:  Jane Admin  11/20/2026 9:00 AM"\n"Acme Inc"\n',
        "Grand Totals (3 records)\nConfidential Information - Do Not Distribute\n"
        "Generated By:  Jane Admin  11/20/2026 9:00 AM\nAcme Inc\n",
    ],
)
def test_every_salesforce_footer_shape_is_dropped_and_counted(ws: Workspace, footer: str) -> None:
    data = (EXPORTS / "salesforce.csv").read_text().split("\n\n")[0] + "\n\n" + footer
    ws.write("rules.yaml", CANONICAL_RULES)
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("sf.csv", data)
    run = ws.audit("--source", "cases=sf.csv", "--preset", "cases=salesforce", "-q")
    assert run.code == 0, run.stderr
    (cases,) = [i for i in run.report()["inputs"] if i["name"] == "cases"]
    assert cases["rows"] == 3
    assert cases["footer_lines_dropped"] == len([ln for ln in footer.splitlines() if ln])
    ws.write("shipped.csv", (EXPORTS / "salesforce.csv").read_text())
    shipped = ws.audit("--source", "cases=shipped.csv", "--preset", "cases=salesforce", out="o2")
    assert (run.out / "suppressed.csv").read_bytes() == (
        shipped.out / "suppressed.csv"
    ).read_bytes()


def test_a_one_column_report_keeps_its_rows_above_the_footer(tmp_path) -> None:
    from cxaudit.inputs.csvfile import _drop_footer

    body = [["Case Number"], ["00001"], ["00002"], [], ["Grand Totals (2 records)"], ["Acme"]]
    kept, dropped = _drop_footer(
        tmp_path / "x.csv", body[1:], (r"^Grand Totals \((\d+) records?\)$",)
    )
    assert kept == [["00001"], ["00002"]] and dropped == 2


# A list platform's own consent or status columns, used by a `source:
# recipients` rule: (preset, rule's where, who it holds back, the reason).
LIST_RULES = {
    # Bob said no to email marketing in Shopify; Ann and Cara said yes.
    "shopify_customers": (
        "{accepts_email_marketing: {equals: 'no'}}",
        "bob@example.com",
        "did not accept: no",
    ),
    # Cara turned email off in Substack.
    "substack": ("{email_disabled: {equals: 'true'}}", "cara@example.com", "did not accept: true"),
    # Cara's beehiiv subscription is inactive (she unsubscribed on 2026-11-18).
    "beehiiv": (
        "{status: {not_equals: active}, unsubscribed_at: {within_days: 7}}",
        "cara@example.com",
        "did not accept: inactive",
    ),
}


@pytest.mark.parametrize("vendor", sorted(LIST_RULES))
def test_a_list_platforms_own_columns_can_hold_people_back(ws: Workspace, vendor: str) -> None:
    where, who, reason = LIST_RULES[vendor]
    shutil.copy(EXPORTS / f"{vendor}.csv", ws.root / "list.csv")
    field = where.strip("{").split(":")[0]
    ws.write(
        "rules.yaml",
        f"version: 1\nrecipients: {{preset: {vendor}}}\nrules:\n"
        f"  - {{id: consent, source: recipients, where: {where}, action: suppress, "
        f"reason: 'did not accept: {{{field}}}'}}\n",
    )
    run = ws.audit(campaign="list.csv")
    assert run.code == 0, run.stderr
    email = PRESETS[vendor].keys["email"][0]
    assert [(r[email], r["cxaudit_reasons"]) for r in run.rows("suppressed.csv")] == [(who, reason)]
    assert len(run.rows("cleaned.csv")) == 2
    original = (EXPORTS / f"{vendor}.csv").read_bytes()
    kept = (run.out / "cleaned.csv").read_bytes().splitlines(keepends=True)
    assert kept[0] == original.splitlines(keepends=True)[0]  # the header, byte for byte


# The list's dates, read without any date_format: (who subscribed before
# 2024-01-02 09:00 UTC, the formats report.json names). Substack writes ISO
# 8601 with milliseconds (Ann 2025-01-05, Bob 2024-03-01, Cara 2023-06-10);
# beehiiv `2023-03-24 10:23:10 UTC` (Ann 2023-03-24, Bob 2024-01-02 08:00,
# an hour before the cut, Cara 2023-05-01).
LIST_DATES = {
    "substack": (["cara@example.com"], None),
    "beehiiv": (
        ["ann@example.com", "bob@example.com", "cara@example.com"],
        {"created_at": "%Y-%m-%d %H:%M:%S UTC", "unsubscribed_at": "%Y-%m-%d %H:%M:%S UTC"},
    ),
}


@pytest.mark.parametrize("vendor", sorted(LIST_DATES))
def test_a_list_platforms_dates_are_read_as_written(ws: Workspace, vendor: str) -> None:
    early, formats = LIST_DATES[vendor]
    shutil.copy(EXPORTS / f"{vendor}.csv", ws.root / "list.csv")
    ws.write(
        "rules.yaml",
        f"version: 1\nrecipients: {{preset: {vendor}}}\nrules:\n"
        "  - {id: early, source: recipients, "
        "where: {subscribed_at: {before: '2024-01-02T09:00:00Z'}}, action: flag}\n",
    )
    run = ws.audit(campaign="list.csv")
    assert run.code == 0, run.stderr
    assert run.column("flagged.csv", "email") == early
    assert run.report()["inputs"][0].get("date_formats") == formats


def test_shopify_customer_ids_match_without_their_apostrophe(ws: Workspace) -> None:
    """Shopify writes '7210448301124 so Excel keeps the digits; the desk
    that holds Cara's id writes it plainly."""
    shutil.copy(EXPORTS / "shopify_customers.csv", ws.root / "list.csv")
    ws.write("cases.csv", "External ID,Status\n7210448301124,open\n")
    ws.write(
        "rules.yaml",
        "version: 1\nrecipients: {preset: shopify_customers}\nsources:\n"
        "  cases: {path: cases.csv, keys: {customer_id: External ID}, columns: {status: Status}}\n"
        "rules:\n  - {id: open, source: cases, where: {status: {equals: open}}, "
        "action: suppress}\n",
    )
    run = ws.audit(campaign="list.csv")
    assert run.code == 0, run.stderr
    assert run.column("suppressed.csv", "Customer ID") == ["'7210448301124"]


def test_shopifys_older_accepts_marketing_column_is_read(ws: Workspace) -> None:
    ws.write(
        "list.csv",
        "First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,"
        "Country,Country Code,Zip,Phone,Accepts Marketing,Total Spent,Total Orders,Tags,Note,"
        "Tax Exempt\nAnn,Smith,ann@example.com,,,,,,,,,,,yes,0,0,,,no\n"
        "Bob,Jones,bob@example.com,,,,,,,,,,,no,0,0,,,no\n",
    )
    ws.write(
        "rules.yaml",
        "version: 1\nrecipients: {preset: shopify_customers}\nrules:\n"
        "  - {id: consent, source: recipients, "
        "where: {accepts_email_marketing: {equals: 'no'}}, action: suppress}\n",
    )
    run = ws.audit(campaign="list.csv")
    assert run.code == 0, run.stderr
    assert run.column("suppressed.csv", "Email") == ["bob@example.com"]
