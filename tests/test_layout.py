"""The package's shape holds: the import contracts of pyproject.toml (no
cycles, each step of the data flow above the ones it uses; ``lint-imports``)
with no exception, no module much over 500 lines, and a command line that
starts without loading the data stack (``cxaudit --help`` stays instant)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_the_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Contracts: 2 kept, 0 broken." in run.stdout
    assert "ignore_imports" not in (REPO / "pyproject.toml").read_text()  # no exception


def test_importing_the_command_line_loads_no_data_libraries() -> None:
    code = (
        "import sys, cxaudit.cli.main\n"
        "heavy = ('pandas', 'pyarrow', 'numpy', 'dask', 'jinja2', 'phonenumbers')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "[]\n"


def test_no_module_is_much_over_500_lines() -> None:
    sizes = {
        str(p.relative_to(REPO)): len(p.read_text().splitlines())
        for p in (REPO / "cxaudit").rglob("*.py")
    }
    assert {path: n for path, n in sizes.items() if n > 520} == {}
