"""``junit``: JUnit XML for CI test reports, one test suite per campaign file
and one test case per (file, rule)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from cxaudit.check.formats.common import (
    CEILING,
    MAX_ROWS_SHOWN,
    _rule_rows,
    error_text,
    warnings_of,
)
from cxaudit.check.run import CampaignCheck, CheckRun
from cxaudit.escaping import xml_text
from cxaudit.reports.build import ceiling_message


class JunitRenderer:
    """One test suite per campaign file, one test case per (file, rule); an
    unreadable file is a suite with one ``<error>``."""

    def render(self, run: CheckRun) -> str:
        suites = ET.Element("testsuites", name="cxaudit check")
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for check in run.checks:
            path = xml_text(str(check.path))
            suite = ET.SubElement(suites, "testsuite", name=path)
            counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
            if check.error is not None:
                counts["tests"] += 1
                counts["errors"] += 1
                case = ET.SubElement(
                    suite, "testcase", classname=path, name="read campaign file", file=path
                )
                error = ET.SubElement(
                    case, "error", message=xml_text(error_text(check)), type="unreadable"
                )
                error.text = xml_text(check.error)
            else:
                self._judged(run, check, suite, path, counts)
                found = warnings_of(check)
                if found:
                    ET.SubElement(suite, "system-err").text = xml_text(
                        "\n".join(f"warning: {w}" for w in found)
                    )
            for key, value in counts.items():
                suite.set(key, str(value))
                totals[key] += value
        for key, value in totals.items():
            suites.set(key, str(value))
        ET.indent(suites)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(suites, encoding="unicode")
            + "\n"
        )

    def _judged(
        self, run: CheckRun, check: CampaignCheck, suite: ET.Element, path: str, counts: dict
    ) -> None:
        assert check.result is not None and check.report is not None
        inert = {item["id"]: item["why"] for item in check.report.get("inert_rules", [])}
        for rule_id, action, found in _rule_rows(check):
            counts["tests"] += 1
            case = ET.SubElement(
                suite, "testcase", classname=path, name=xml_text(rule_id), file=path
            )
            if rule_id in inert:  # it could not run as written: not a pass
                counts["skipped"] += 1
                why = f"inert, cannot match anyone: {inert[rule_id]}"
                ET.SubElement(case, "skipped", message=xml_text(why))
                continue
            kind = "flag" if action == "flag" else "suppress"
            rows = [v for v in found if v.effect != "allow"]
            if action == "allow" or not rows:
                continue
            listing = "\n".join(
                f"row {v.row}: {v.recipient}: {v.reason}" for v in rows[:MAX_ROWS_SHOWN]
            )
            if len(rows) > MAX_ROWS_SHOWN:
                listing += f"\n… and {len(rows) - MAX_ROWS_SHOWN} more"
            verb = "would be suppressed" if kind == "suppress" else "flagged"
            if kind in run.fail_on:
                counts["failures"] += 1
                failure = ET.SubElement(
                    case, "failure", message=f"{len(rows)} recipient(s) {verb}", type=kind
                )
                failure.text = xml_text(listing)
            else:
                ET.SubElement(case, "system-out").text = xml_text(listing)
        for rule in check.result.skipped:
            counts["tests"] += 1
            counts["skipped"] += 1
            case = ET.SubElement(
                suite, "testcase", classname=path, name=xml_text(rule.id), file=path
            )
            why = check.result.rules.skip_reason(rule) or ""
            ET.SubElement(case, "skipped", message=xml_text(why))
        if "ceiling" in check.report:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=path, name=CEILING, file=path)
            if check.exceeded:
                counts["failures"] += 1
                ET.SubElement(
                    case, "failure", message=xml_text(ceiling_message(check.report)), type="ceiling"
                )
