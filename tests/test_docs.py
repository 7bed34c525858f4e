"""The docs say what the code does: their generated parts (every command's
``--help``, the exit codes, the preset tables) match the code, every command
has its section, every link resolves, every module the development page
names exists. Regenerate with ``python -m cogapp -r README.md docs/*.md``."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from cxaudit.rules.preset_docs import EVIDENCE, NOTES
from cxaudit.rules.presets import PRESETS
from tests.conftest import REPO

DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [REPO / "README.md", *DOCS, REPO / "benchmarks" / "RESULTS.md", REPO / "CHANGELOG.md"]


def test_the_docs_are_what_cog_generates_from_the_code() -> None:
    files = [str(p.relative_to(REPO)) for p in [REPO / "README.md", *DOCS]]
    run = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "--diff", *files],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def _commands() -> list[str]:
    from cxaudit.cli.main import COMMANDS

    return [name for name, _ in COMMANDS]


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_its_section_with_its_help(command: str) -> None:
    page = (REPO / "docs" / "commands.md").read_text()
    section = page.split(f"\n## `cxaudit {command}`\n")[1].split("\n## ")[0]
    assert f"Usage: cxaudit {command} [OPTIONS]" in section


def _anchors(page) -> set[str]:
    """The anchors GitHub gives a page's headings (lower case, punctuation
    dropped, spaces as hyphens)."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
    heads = re.findall(r"^#+ (.*)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_and_anchor_resolves(page) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
    for target in re.findall(r"\]\(([^)\s]*)\)", text):
        assert target, f"{page.name}: a link without a target"
        if re.match(r"^(https?:|mailto:)", target):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        assert path.exists(), f"{page.name}: {target}"
        if anchor:
            assert anchor in _anchors(path), f"{page.name}: {target}"


def test_every_path_the_development_page_names_exists_and_every_package_is_named() -> None:
    page = (REPO / "docs" / "development.md").read_text()
    named = set(re.findall(r"`(cxaudit/[\w/.]+|tests/[\w/.]+)`", page))
    named = {path for path in named if "NAME" not in path}  # a file to write, not one to find
    assert len(named) > 30
    for path in named:
        assert (REPO / path).exists(), path
    packages = {p.parent.name for p in (REPO / "cxaudit").glob("*/__init__.py")}
    for package in packages:
        assert f"`cxaudit/{package}/`" in page, package


def test_the_readme_stays_short_and_keeps_its_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    assert (
        "$ python3 -m venv .venv && . .venv/bin/activate && pip install . && cxaudit audit "
        in readme
    )
    assert (
        "$ python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && "
        "ruff check && pytest" in readme
    )
    assert ".[test]' && ruff check && pytest\n" in (REPO / ".ci" / "run").read_text()


def test_every_preset_says_what_it_reads_and_where_its_layout_comes_from() -> None:
    assert set(NOTES) == set(PRESETS)
    assert set(EVIDENCE) == set(PRESETS)
    assert all(EVIDENCE[name] for name in PRESETS)


def test_the_presets_table_lists_each_preset_with_its_fields() -> None:
    page = (REPO / "docs" / "presets.md").read_text()
    row = next(line for line in page.splitlines() if line.startswith("| `shopify_customers` |"))
    assert "`accepts_email_marketing`, `accepts_sms_marketing`" in row
    assert "[buttondown/roadmap#2700]" in page
