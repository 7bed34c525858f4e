"""report.html: one self-contained page written with the other reports.

- golden files of the sample run and of the hostile-text run
  (tests/golden/html/); to accept a deliberate change:
  CXAUDIT_UPDATE_GOLDEN=1 pytest tests/reports/test_html.py, and review the diff;
- customer-written text is shown, never obeyed, and personal data is masked
  unless --show-pii;
- the numbers on the page are report.json's;
- nothing on the page would be fetched from the network;
- a real browser (headless Chromium, driven over the DevTools protocol on a
  pipe, network emulated offline) renders it: the numbers and the chart are
  in the DOM, no request leaves file://, no console error, no script runs;
  readable at phone width, in dark mode and in print. The screenshot is kept
  in the test's tmp_path and copied to tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import html
import json
import os
import re
import select
import shutil
import subprocess
import time
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cxaudit.escaping import html_text
from cxaudit.inputs.table import Dialect
from cxaudit.reports.build import Tally
from cxaudit.reports.html import render_html
from tests.conftest import CAMPAIGN, CASES_HEADER, REPO, Workspace
from tests.end_to_end.test_hostile import (
    EMAIL,
    HOSTILE,
    RULES,
    SOURCE,
    _campaign,
    _cases,
    _no_personal_data,
)


def _shared(subject: str) -> str:
    """A subject as shared outputs quote it: an email or phone inside masked."""
    import numpy as np

    from cxaudit.privacy import mask_inside_many

    return str(mask_inside_many(np.array([subject], dtype=object), "US")[0])


GOLDEN = REPO / "tests" / "golden" / "html"
ARTIFACTS = REPO / "tests" / "artifacts"
SAMPLE_ARGS = ["--offer", "Aurora X2"]  # the promotional-email golden scenario


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("CXAUDIT_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert text == path.read_bytes().decode("utf-8"), f"{name} differs from {path}"


def _sample(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "out"
    result = Workspace(REPO).cli(
        "audit", "sample_data/campaign.csv", "--as-of", "2026-11-20", "--out", str(out), "-q",
        *SAMPLE_ARGS, *args,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def hostile(ws: Workspace) -> Workspace:
    ws.write("campaign.csv", _campaign())
    ws.write("cases.csv", _cases())
    ws.rules(RULES, sources=SOURCE, head="campaign: {type: promotional, channel: email}\n")
    return ws


# --------------------------------------------------------------------------
# Reading the page back: its elements, attributes and text


VOID = {"meta", "br", "hr", "img", "input", "link", "source", "wbr", "col", "area", "base"}


class Page(HTMLParser):
    """The page's tags and attributes, the text of every element, and a
    check that every element is closed in order (no data opened one)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.comments: list[str] = []
        self.texts: list[tuple[str, str]] = []  # (innermost tag, text)
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"never closed: {self.stack}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        self.texts.append((self.stack[-1] if self.stack else "", data))

    def attr(self, name: str) -> list[str]:
        """The values of one attribute, in document order."""
        return [a[name] for _, a in self.tags if name in a]

    def text(self) -> str:
        return "".join(t for _, t in self.texts)


def _by_attr(text: str, attr: str) -> dict[str, str]:
    """The text of each element that carries ``attr``, keyed by its value."""
    found = re.findall(rf'<(\w+) [^>]*{attr}="([^"]*)"[^>]*>(.*?)</\1>', text, re.S)
    return {key: html.unescape(re.sub(r"<[^>]+>", "", inner)) for _, key, inner in found}


def _structure(text: str) -> Page:
    page = Page(text)
    assert page.errors == []
    assert page.comments == []  # the template has none, and data cannot open one
    assert text.startswith("<!DOCTYPE html>\n")
    return page


# --------------------------------------------------------------------------
# The sample


def test_sample_report_html_matches_golden_and_is_well_formed(tmp_path: Path) -> None:
    out = _sample(tmp_path)
    text = (out / "report.html").read_text(encoding="utf-8")
    _golden("promotional-email.html", text)
    page = _structure(text)
    tags = {tag for tag, _ in page.tags}
    assert {"svg", "rect", "table", "style"} <= tags
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "base", "form"}
    sections = [a["id"] for tag, a in page.tags if tag == "section"]
    assert sections == ["headline", "identity", "rules-chart", "rules", "flags", "inputs"]


def test_numbers_on_the_page_are_report_json_s(tmp_path: Path) -> None:
    out = _sample(tmp_path)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    text = (out / "report.html").read_text(encoding="utf-8")
    page = _structure(text)

    headline = _by_attr(text, "data-key")
    rows = report["input_rows"]
    for key in ("input_rows", "kept", "suppressed", "flagged"):
        assert headline[key] == f"{report[key]:,}"
    shares = _by_attr(text, "data-share")
    assert shares["suppressed"] == f"{100 * report['suppressed'] / rows:.1f}%"
    assert shares["kept"] == f"{100 * report['kept'] / rows:.1f}%"

    bars = {a["data-rule"]: a for tag, a in page.tags if tag == "g" and "data-rule" in a}
    assert {k: int(a["data-count"]) for k, a in bars.items()} == report["by_rule"]
    assert {a["data-action"] for a in bars.values()} == {"suppress", "flag", "allow"}
    assert bars["open-minor-case"]["data-action"] == "flag"
    assert bars["internal-seed-list"]["data-action"] == "allow"

    # held by two or more suppress rules: the rows of suppressed.csv listing two or more
    suppressed = (out / "suppressed.csv").read_text(encoding="utf-8").splitlines()[1:]
    multi = sum(1 for line in suppressed if re.search(r",[^,]*;[^,]*,[^,]*$", line))
    assert headline["multi_rule"] == str(multi) and multi > 0

    skipped = [s if isinstance(s, str) else s["id"] for s in report["skipped_rules"]]
    assert page.attr("data-skipped") == skipped
    flagged_rows = re.findall(r'<section id="flags">.*?</section>', text, re.S)[0]
    assert flagged_rows.count("<tr><td") == len(report["flags"])
    for item in report["inputs"]:
        row = re.search(rf'<tr data-input="{item["name"]}">(.*?)</tr>', text).group(1)
        assert f">{item['rows']:,}<" in row and item["sha256"] in row
        assert f">{item['encoding']}<" in row
    assert report["rules_file"]["sha256"] in text
    facts = _by_attr(text, "data-fact")
    assert facts["type"] == report["campaign"]["type"]
    assert facts["offer"] == "Aurora X2"
    assert facts["as_of"] == "2026-11-20 00:00 UTC"


def test_a_page_with_no_network_address_to_load(tmp_path: Path, hostile: Workspace) -> None:
    sample = (_sample(tmp_path) / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"https?:", sample)  # not even the SVG namespace: HTML does not need it
    run = hostile.audit("-q")
    for text in (sample, (run.out / "report.html").read_text(encoding="utf-8")):
        page = _structure(text)
        for tag, attrs in page.tags:
            fetched = {"src", "href", "xlink:href", "srcset", "action", "poster", "data"}
            assert not fetched & set(attrs), (tag, attrs)
        style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
        assert "url(" not in style and "@import" not in style and "@font-face" not in style
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text).group(1)
        assert csp.startswith("default-src 'none';")


def test_thousands_separators_shares_and_descriptions() -> None:
    """A list of millions reads with separators; a rule's optional
    description is shown; a rule without one is not given one."""
    report = {
        "cxaudit_version": "0",
        "as_of": "2026-11-20T09:30:00Z",
        "campaign": {"type": "upsell", "channel": "sms", "offer": None},
        "input_rows": 1_234_567,
        "kept": 1_200_000,
        "suppressed": 34_567,
        "flagged": 5,
        "by_rule": {"severe": 35_001, "note": 5, "cxaudit:unverifiable": 560,
                    "cxaudit:duplicate": 7},
        "skipped_rules": ["survey-only"],
        "warnings": ["cases.csv: 12 rows without a key"],
        "flags": [],
        "campaign_settings_file": None,
        "rules_file": {"path": "rules.yaml", "sha256": "ab" * 32},
        "inputs": [{"name": "campaign", "path": "list.csv", "rows": 1_234_567,
                    "sha256": "cd" * 32, "encoding": "utf-8"}],
        "ceiling": {"max_suppressed_percent": 5.0, "suppressed_percent": 2.8, "exceeded": False},
    }  # fmt: skip
    severe = SimpleNamespace(id="severe", action="suppress", description="Urgent <cases> first")
    note = SimpleNamespace(id="note", action="flag")  # a Rule from before descriptions
    survey = SimpleNamespace(id="survey-only", action="suppress", applies_to={"type": {"survey"}})
    recipients = SimpleNamespace(table=SimpleNamespace(dialect=Dialect()))
    result = SimpleNamespace(applicable=[severe, note], skipped=[survey], recipients=recipients)
    totals = Tally(multi_rule=1_001)
    text = render_html(result, report, totals)  # type: ignore[arg-type]
    _structure(text)
    headline = _by_attr(text, "data-key")
    assert headline["input_rows"] == "1,234,567"
    assert headline["suppressed"] == "34,567"
    assert headline["multi_rule"] == "1,001"
    assert _by_attr(text, "data-share")["flagged"] == "<0.1%"
    assert "Urgent &lt;cases&gt; first" in text
    assert text.count('class="description"') == 3  # severe and the two cxaudit: ids
    assert "survey-only</span>: applies to type: survey" in text
    assert "2026-11-20 09:30 UTC" in text and ">—</dd>" in text  # no offer
    assert "2.8% suppressed, within the ceiling of 5%" in text
    assert "cases.csv: 12 rows without a key" in text
    # 1,001 people held by two rules: the suppress bars add up to 35,001 + 560 + 7
    assert (
        ">1,001</strong> of the 34,567 suppressed people were held by more than one rule, so "
        "the suppress bars add up to 35,568, not 34,567;"
    ) in text
    assert '<span class="count">35,001 suppressed (2.8%)</span>' in text
    assert '<span class="count">5 kept, flagged (&lt;0.1%)</span>' in text


def test_html_text_is_report_md_s_reading() -> None:
    assert html_text("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert html_text(" a\n b\tc ") == "a b c"
    assert html_text("evil\u202egnp.exe") == "evil\\u202egnp.exe"
    assert html_text("<b>") == "<b>"  # Jinja's autoescape does the entities


# --------------------------------------------------------------------------
# Hostile text, masking


def test_hostile_text_is_shown_not_obeyed_and_masked(hostile: Workspace) -> None:
    run = hostile.audit("-q")
    assert run.code == 0, run.stderr
    text = (run.out / "report.html").read_text(encoding="utf-8")
    _golden("hostile.html", text)
    page = _structure(text)
    _no_personal_data(text)
    assert "<script" not in text and "<img" not in text and "<!--" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in text
    assert "\x1b" not in text and "\\x1b[31mred" in text
    # each subject is one table row: nothing in the data opened or closed an element
    rows = re.findall(r'<section id="flags">.*?</section>', text, re.S)[0]
    assert rows.count("<tr><td") == run.report()["flagged"] == len(HOSTILE) // 2
    assert {tag for tag, _ in page.tags} <= {
        "html", "head", "meta", "title", "style", "body", "main", "header", "p", "h1",
        "h2", "h3", "dl", "div", "dt", "dd", "time", "section", "svg", "rect",
        "g", "text", "ul", "li", "span", "strong", "article", "table", "thead", "tbody",
        "tr", "th", "td", "footer",
    }  # fmt: skip
    # a formula is defused as in report.md; the cells hold text only
    assert "'=HYPERLINK(1)" in page.text()
    assert "Personal data is masked" in text


@pytest.fixture
def all_flagged(ws: Workspace) -> Workspace:
    """The hostile cases with both rules flagging, so every subject is a
    row of the flagged table."""
    ws.write("campaign.csv", _campaign())
    ws.write("cases.csv", _cases())
    rules = RULES.replace("action: suppress", "action: flag")
    ws.rules(rules, sources=SOURCE, head="campaign: {type: promotional, channel: email}\n")
    return ws


def _flag_cells(text: str) -> list[list[str]]:
    """The flagged table's cells as a reader sees them."""
    section = re.search(r'<section id="flags">(.*?)</section>', text, re.S).group(1)
    rows = re.findall(r"<tr><td.*?</tr>", section)
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows]


def test_every_hostile_subject_is_one_cell_of_text(all_flagged: Workspace) -> None:
    run = all_flagged.audit("-q")
    assert run.code == 0, run.stderr
    text = (run.out / "report.html").read_text(encoding="utf-8")
    _structure(text)
    _no_personal_data(text)
    assert "<script" not in text and "<img" not in text and "<!--" not in text
    assert "\u202e" not in text and "\u200b" not in text
    cells = _flag_cells(text)
    assert len(cells) == len(HOSTILE)
    for subject, (row, _who, _rules, reason) in zip(HOSTILE, cells, strict=True):
        assert reason.startswith(html_text(_shared(subject))), (row, subject, reason)
    assert "&lt;!-- the rest of the report is hidden" in text
    assert "evil\\u202egnp.exe zero\\u200bwidth\\u2060joiner" in text
    assert "[pay here](https://phish.example)" in text  # text, not a link


def test_show_pii_shows_everything_and_says_so(hostile: Workspace) -> None:
    run = hostile.audit("-q", "--show-pii")
    text = (run.out / "report.html").read_text(encoding="utf-8")
    assert EMAIL in text and "p1.secret@private.example" in text
    assert "This report shows personal data (--show-pii)" in text
    assert "&lt;script&gt;" in text and "<script" not in text


# --------------------------------------------------------------------------
# Written with the others: ceiling, baseline


CASES = CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n2,C3,,open,urgent,X,S,,2026-11-01,\n"
SEVERE = """
- id: severe
  source: cases
  where: {priority: {equals: urgent}}
  action: suppress
"""


def test_above_the_ceiling_report_html_is_written_and_says_why(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    ws.rules(SEVERE)
    ws.write("out/cleaned.csv", "previous\n")
    run = ws.audit("-q", "--max-suppressed", "20")
    assert run.code == 3
    assert not (run.out / "cleaned.csv").exists()  # the previous run's list left with the swap
    text = (run.out / "report.html").read_text(encoding="utf-8")
    _structure(text)
    alert = re.search(
        r'<section class="alert" id="ceiling" role="alert">(.*?)</section>', text, re.S
    )
    assert alert is not None
    assert "cleaned.csv, suppressed.csv and flagged.csv were not written" in alert.group(1)
    assert "2 of 4 recipients (50%) would be suppressed, above the ceiling of 20%" in alert.group(1)
    assert text.index('id="ceiling"') < text.index('id="headline"')  # the first thing read
    assert "send to these" not in text
    assert "cleaned.csv was not written: withheld" in text


def test_a_second_run_with_the_same_files_replaces_report_html(ws: Workspace) -> None:
    """report.html goes through the all-or-nothing commit with the others:
    a folder where it goes fails the run and leaves every file as it was."""
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES)
    ws.rules(SEVERE)
    first = ws.audit("-q")
    before = {p.name: p.read_bytes() for p in first.out.iterdir()}
    assert sorted(before) == [
        "cleaned.csv", "flagged.csv", "flagged.xlsx", "report.html", "report.json", "report.md",
        "suppressed.csv", "suppressed.xlsx",
    ]  # fmt: skip
    (first.out / "report.html").unlink()
    (first.out / "report.html").mkdir()
    second = ws.audit("-q", "--offer", "X")
    assert second.code == 2
    assert "report.html: is a folder" in second.stderr
    for name, data in before.items():
        if name != "report.html":
            assert (first.out / name).read_bytes() == data


def test_changes_since_the_baseline(ws: Workspace) -> None:
    ws.write("campaign.csv", CAMPAIGN)
    ws.write("cases.csv", CASES_HEADER + "\n1,C1,,open,urgent,X,S,,2026-11-01,\n")
    ws.rules(SEVERE)
    assert ws.audit("-q", out="before").code == 0
    ws.write("cases.csv", CASES_HEADER + "\n2,C3,,open,urgent,X,S,,2026-11-01,\n")
    run = ws.audit("-q", "--baseline", "before")
    assert run.code == 0, run.stderr
    change = run.report()["baseline"]
    text = (run.out / "report.html").read_text(encoding="utf-8")
    _structure(text)
    section = re.search(r'<section id="baseline">(.*?)</section>', text, re.S).group(1)
    numbers = _by_attr(section, "data-key")
    assert numbers == {
        "newly_suppressed": str(len(change["newly_suppressed"])),
        "released": str(len(change["released"])),
    }
    assert numbers == {"newly_suppressed": "1", "released": "1"}
    assert "c***@example.com" in section and "a***@example.com" in section


def test_templates_are_package_data() -> None:
    """A non-editable install (a wheel) carries the templates."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["cxaudit.reports"]
    templates = sorted(p.name for p in (REPO / "cxaudit" / "reports" / "templates").iterdir())
    assert templates == ["report.css", "report.html.j2"]
    for name in templates:
        assert any(Path("templates", name).match(p) for p in patterns), name
    assert any(d.lower().startswith("jinja2") for d in config["project"]["dependencies"])


# --------------------------------------------------------------------------
# A real browser


FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing could be fetched
    "--remote-debugging-pipe",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed: .ci/run installs it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs and runs it")


class DevTools:
    """Chromium driven over the DevTools protocol on a pipe (fds 3 and 4 in
    the browser): no port, no websocket library."""

    def __init__(self, exe: str, profile: Path) -> None:
        to_browser, self._in = os.pipe()  # we write self._in; the browser reads fd 3
        self._out, from_browser = os.pipe()  # the browser writes fd 4; we read self._out

        def pipes() -> None:  # in the child, before exec (out of the way of 3 and 4 first)
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser, from_browser)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(3, 4),
            preexec_fn=pipes,
        )
        os.close(to_browser)
        os.close(from_browser)
        self.buffer = b""
        self.events: list[dict[str, Any]] = []
        self.next_id = 0
        self.session: str | None = None

    def send(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._in, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive(timeout)
            if reply.get("id") == self.next_id:
                assert "error" not in reply, (method, reply["error"])
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, *methods: str, timeout: float = 30) -> dict[str, Any]:
        """The first event of any of ``methods`` (seen already or next)."""
        for event in self.events:
            if event.get("method") in methods:
                return event
        while True:
            event = self._receive(timeout)
            self.events.append(event)
            if event.get("method") in methods:
                return event

    def _receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._out], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._out, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium exited: " + self.proc.stderr.read().decode()[-2000:])
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(raw)

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def close(self) -> None:
        with contextlib.suppress(TimeoutError, RuntimeError, OSError):
            self.send("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._in)
        os.close(self._out)
        if self.proc.stderr:
            self.proc.stderr.close()


def _open(exe: str, tmp_path: Path, page: Path, width: int, height: int) -> DevTools:
    browser = DevTools(exe, tmp_path / "profile")
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        attached = browser.send("Target.attachToTarget", targetId=target, flatten=True)
        browser.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable")
        browser.send(
            "Network.emulateNetworkConditions",
            offline=True, latency=0, downloadThroughput=-1, uploadThroughput=-1,
        )  # fmt: skip
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            width=width, height=height, deviceScaleFactor=1, mobile=width < 600,
        )  # fmt: skip
        browser.send("Page.navigate", url=page.resolve().as_uri())
        loaded = browser.wait_for("Page.loadEventFired", "Page.javascriptDialogOpening")
        assert loaded["method"] == "Page.loadEventFired", f"the page ran a script: {loaded}"
    except BaseException:
        browser.close()
        raise
    return browser


def _problems(browser: DevTools) -> list[Any]:
    """Requests that left file://, console errors, exceptions, dialogs."""
    out: list[Any] = []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file://", "data:")):
                out.append(("request", url))
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            out.append(("log", params["entry"]["text"]))
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "warning"):
            out.append(("console", params["args"]))
        elif method in ("Runtime.exceptionThrown", "Page.javascriptDialogOpening"):
            out.append((method, params))
    return out


def _save_screenshot(browser: DevTools, path: Path) -> Path:
    shot = browser.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)
    path.write_bytes(base64.b64decode(shot["data"]))
    assert path.read_bytes().startswith(b"\x89PNG")
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / path.name)
    print(f"screenshot: {path} (copied to {ARTIFACTS / path.name})")
    return path


def test_chromium_renders_the_sample_offline(tmp_path: Path) -> None:
    exe = _chromium()
    out = _sample(tmp_path)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    browser = _open(exe, tmp_path, out / "report.html", 1200, 2000)
    try:
        dom = browser.evaluate("document.documentElement.outerHTML")
        headline = _by_attr(dom, "data-key")
        for key in ("input_rows", "kept", "suppressed", "flagged"):
            assert headline[key] == f"{report[key]:,}"
        widths = browser.evaluate(
            "[...document.querySelectorAll('svg.chart g.bar-row')].map(g => "
            "[g.dataset.rule, +g.dataset.count, g.querySelector('rect.bar').getBBox().width])"
        )
        assert {rule: count for rule, count, _ in widths} == report["by_rule"]
        drawn = {rule: width for rule, _, width in widths}
        top = max(report["by_rule"], key=report["by_rule"].get)
        assert drawn[top] > 600  # the longest bar spans the chart
        assert all((w > 0) == (report["by_rule"][r] > 0) for r, w in drawn.items())
        counts = sorted(report["by_rule"].items(), key=lambda kv: kv[1])
        assert drawn[counts[0][0]] <= drawn[counts[-1][0]]
        colours = browser.evaluate(
            "[...new Set([...document.querySelectorAll('svg.chart rect.bar')]"
            ".map(r => getComputedStyle(r).fill))]"
        )
        assert len(colours) == 3  # suppress, flag, allow
        light = browser.evaluate("getComputedStyle(document.body).backgroundColor")
        _save_screenshot(browser, tmp_path / "report-html-desktop.png")

        browser.send(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-color-scheme", "value": "dark"}],
        )
        dark = browser.evaluate("getComputedStyle(document.body).backgroundColor")
        assert dark != light and _luminance(dark) < 0.2 < _luminance(light)
        _save_screenshot(browser, tmp_path / "report-html-dark.png")

        browser.send("Emulation.setEmulatedMedia", media="print", features=[])
        assert _luminance(browser.evaluate("getComputedStyle(document.body).backgroundColor")) > 0.9
        browser.send("Emulation.setEmulatedMedia", media="", features=[])

        browser.send(
            "Emulation.setDeviceMetricsOverride",
            width=390, height=1600, deviceScaleFactor=1, mobile=True,
        )  # fmt: skip
        fits = browser.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth + 1"
        )  # tables scroll inside their own box; the page does not
        assert fits
        _save_screenshot(browser, tmp_path / "report-html-phone.png")
        assert _problems(browser) == []
    finally:
        browser.close()


def test_chromium_shows_hostile_text_without_running_it(
    tmp_path: Path, all_flagged: Workspace
) -> None:
    exe = _chromium()
    run = all_flagged.audit("-q")
    browser = _open(exe, tmp_path, run.out / "report.html", 1200, 2000)
    try:
        assert browser.evaluate("document.querySelectorAll('script, img, iframe, a').length") == 0
        reasons = browser.evaluate(
            "[...document.querySelectorAll('#flags tbody tr')].map(tr => tr.cells[3].textContent)"
        )
        assert len(reasons) == len(HOSTILE)
        for subject, reason in zip(HOSTILE, reasons, strict=True):
            assert reason.startswith(html_text(_shared(subject))), (subject, reason)
        shown = browser.evaluate("document.body.innerText")
        assert "<script>alert(1)</script><img src=x onerror=alert(2)>" in shown
        assert "<!-- the rest of the report is hidden" in shown
        _no_personal_data(shown)
        _save_screenshot(browser, tmp_path / "report-html-hostile.png")
        assert _problems(browser) == []
    finally:
        browser.close()


def _luminance(css: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", css)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
