"""One escaping function per output format: no data changes the output's
structure, whatever a customer typed into a case subject."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from cxaudit.escaping import (
    github_message,
    github_property,
    markdown,
    spreadsheet,
    terminal,
    visible,
    xml_text,
)

SPACES = (" ", "\u00a0", "\u3000", "\n", "\r\n", "\t", "\u2003")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20", "'+44 20"),
        ("-5 days", "'-5 days"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("open case 1", "open case 1"),
        ("", ""),
    ],
)
def test_spreadsheet(text: str, expected: str) -> None:
    assert spreadsheet(text) == expected


@pytest.mark.parametrize("space", SPACES)
@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_formulas_after_any_leading_space_are_defused(space: str, start: str) -> None:
    assert spreadsheet(f"{space}{start}1+1") == f"'{space}{start}1+1"
    inert = "&#8203;" if start == "@" else ""  # @1 could be a GitHub mention
    assert markdown(f"{space}{start}1+1") == f"'{start}{inert}1+1"


def test_github_commands_cannot_start_a_new_command() -> None:
    assert github_message("a\n::error file=x::0 failed 100%\r\n") == (
        "a%0A::error file=x::0 failed 100%25%0D%0A"
    )
    assert github_property("a:b,c\n") == "a%3Ab%2Cc%0A"


def test_xml_text_drops_what_xml_forbids_and_the_document_parses() -> None:
    value = "a\x0b\x01b\x00c\ufffe<&>\"'"
    assert xml_text(value) == "a\\x0b\\x01b\\x00c\\ufffe<&>\"'"
    element = ET.Element("failure", message=xml_text(value))
    element.text = xml_text(value)
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))
    assert parsed.text == parsed.get("message") == "a\\x0b\\x01b\\x00c\\ufffe<&>\"'"


def test_markdown_escapes_html_pipes_backticks_links_and_line_breaks() -> None:
    assert markdown("<!-- x | `y` [pay](https://e.example) <img onerror=alert(1)>\nz") == (
        "&lt;!-- x \\| \\`y\\` \\[pay\\](https:&#8203;//e.example) &lt;img onerror=alert(1)&gt; z"
    )


def test_terminal_shows_controls_and_direction_overrides_as_escapes() -> None:
    assert terminal("x\n::error::y\u202ez\u200b\x1b[31m") == (
        "x\\x0a::error::y\\u202ez\\u200b\\x1b[31m"
    )


def test_visible_leaves_ordinary_text_alone() -> None:
    text = "Zoë Saldaña, 東京, émoji 🎉, tab-free"
    assert visible(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ping @octocat", "ping @&#8203;octocat"),
        ("cc @acme/security", "cc @&#8203;acme/security"),
        ("see #123 and acme/app#7", "see #&#8203;123 and acme/app#&#8203;7"),
        ("GH-45 again", "GH&#8203;-45 again"),
        ("pay at https://evil.example/pay", "pay at https:&#8203;//evil.example/pay"),
        ("HTTP://X.Y and ftp://z", "HTTP:&#8203;//X.Y and ftp:&#8203;//z"),
        ("www.evil.example", "www&#8203;.evil.example"),
        ("a***@example.com", "a***@&#8203;example.com"),  # no mention of @example, no mailto
        ("100% sure, C# 7, a # alone", "100% sure, C# 7, a # alone"),
    ],
)
def test_markdown_makes_mentions_references_and_autolinks_inert(text: str, expected: str) -> None:
    assert markdown(text) == expected
