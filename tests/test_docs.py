"""The README's generated parts match the code: ``cog --check`` fails when a
preset, its fields or its sources changed and the README was not
regenerated (``python -m cogapp -r README.md``)."""

from __future__ import annotations

import subprocess
import sys

from cxaudit.rules.preset_docs import EVIDENCE, NOTES
from cxaudit.rules.presets import PRESETS
from tests.conftest import REPO


def test_the_readme_is_what_cog_generates_from_the_code() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "--diff", "README.md"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_preset_says_what_it_reads_and_where_its_layout_comes_from() -> None:
    assert set(NOTES) == set(PRESETS)
    assert set(EVIDENCE) == set(PRESETS)
    assert all(EVIDENCE[name] for name in PRESETS)


def test_the_presets_table_lists_each_preset_with_its_fields() -> None:
    readme = (REPO / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `shopify_customers` |"))
    assert "`accepts_email_marketing`, `accepts_sms_marketing`" in row
    assert "[buttondown/roadmap#2700]" in readme
