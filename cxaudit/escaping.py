"""One escaping function per output format.

Case subjects, names and file contents are written by people cxaudit does
not trust, and its summaries land in CI logs, pull-request comments, JUnit
reports, spreadsheets and terminals. Each renderer passes every piece of
data through the function for the format it writes, at the place it writes
it, so that no data can change the structure of the output: start a GitHub
workflow command, break an XML document, open an HTML comment or a table
cell in Markdown, run as a spreadsheet formula, or rewrite a terminal line.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that are invisible or that change how the text around them is
# shown: C0/C1 controls, bidirectional overrides and isolates (U+202E turns
# "exe.txt" around), zero-width characters, line and paragraph separators.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufeff\ufff9-\ufffb\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f]"
)
_FORMULA_START = ("=", "+", "-", "@")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """Every invisible or direction-changing character as an escape
    (``\\x0b``, ``\\u202e``), so what is shown is what is there."""
    return _INVISIBLE.sub(_shown, text)


def _strip_leading_space(text: str) -> str:
    """Leading white space of any kind (no-break, ideographic, line breaks)."""
    i = 0
    while i < len(text) and (text[i].isspace() or unicodedata.category(text[i]) == "Zs"):
        i += 1
    return text[i:]


def spreadsheet(text: str) -> str:
    """A cell a spreadsheet will not run: text whose first non-space
    character starts a formula (``=`` ``+`` ``-`` ``@``, tab, CR) gains a
    leading ``'`` (spreadsheets trim the spaces before they look); so does
    text starting with a tab or CR, which some read as a cell separator."""
    risky = text.startswith(("\t", "\r")) or _strip_leading_space(text).startswith(_FORMULA_START)
    return "'" + text if risky else text


def terminal(text: str) -> str:
    """One line on a terminal or in a log: line breaks, controls and
    direction overrides shown as escapes, so a value cannot start a line of
    its own (a fake ``::error::`` or "0 failed")."""
    return visible(text)


def github_message(text: str) -> str:
    """The message of a GitHub Actions workflow command: ``%``, CR and LF
    encoded as GitHub documents, so data cannot start a new command."""
    return visible(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def github_property(text: str) -> str:
    """A property (``file=``, ``title=``) of a workflow command: as a message,
    and ``:`` and ``,`` encoded too."""
    return github_message(text).replace(":", "%3A").replace(",", "%2C")


# Code points XML 1.0 forbids anywhere, even as character references.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text for an XML 1.0 attribute or element (JUnit): forbidden
    characters replaced by their escape (``\\x0b``); ElementTree escapes
    ``&``, ``<``, ``>`` and quotes when it writes."""
    return _XML_FORBIDDEN.sub(_shown, text)


# Structure, not style: a pipe ends a cell, a backtick opens code, brackets
# make links and images ([pay here](https://…)). Emphasis characters are
# left alone: masks like a***@example.com stay readable in the raw file.
_MARKDOWN_SPECIAL = re.compile(r"([\\`|\[\]])")


# What GitHub turns into a notification or a link in Markdown it renders
# (a PR comment, a job summary): @people and @org/teams, #123 and GH-123
# issue references, autolinked URLs (scheme://, www.) and emails. A zero-width
# space after the trigger (as Renovate and Dependabot write it) keeps the text
# as it reads and makes none of them fire.
_ZWSP = "&#8203;"
_LIVE = re.compile(
    r"(@)(?=\w)|(#)(?=\w)|\b(gh)(?=-\d)|\b([a-z][a-z0-9+.-]*:)(?=//)|\b(www)(?=\.)", re.I
)


def _inert(match: re.Match[str]) -> str:
    return match.group() + _ZWSP


def markdown(text: str) -> str:
    """Text for a Markdown table cell or heading (report.md, PR comments,
    job summaries): all white space folded to single spaces (a line break
    would end the table row), a formula defused after the leading space is
    gone, HTML escaped (``<!--`` would hide the rest of the report, ``<img
    onerror=…>`` would run), pipes, backticks and link brackets
    backslash-escaped, mentions, issue references and autolinks made
    inert (:data:`_LIVE`), invisible characters shown."""
    folded = " ".join(text.split())
    folded = spreadsheet(folded)
    escaped = folded.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)
    return visible(_LIVE.sub(_inert, escaped))


def html_text(text: str) -> str:
    """Data in report.html, before Jinja's autoescaping (which turns ``<``,
    ``>``, ``&`` and quotes into entities, so ``<!--`` or ``<script>`` in a
    case subject are shown, not obeyed): white space folded to single
    spaces, a formula defused (a table pasted into a spreadsheet), invisible
    and direction-changing characters shown as escapes (``\\u202e``), as in
    report.md."""
    return visible(spreadsheet(" ".join(text.split())))
