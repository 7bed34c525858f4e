"""The campaign files a change touched, from git: what ``check
--changed-since REF`` judges.

git is asked with NUL-separated output (``-z``), so any file name comes
through as it is (spaces, non-ASCII, even a newline), and with rename
detection, so a file renamed and edited in one commit is judged under its
new name. Deleted files are not judged. Which files are campaign files is a
glob list (the rules file's ``campaign_files:``; by default every CSV,
.csv.gz and Parquet file that is not one of the rules' own sources).
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from cxaudit.errors import CxauditError

DEFAULT_CAMPAIGN_FILES = ("*.csv", "*.csv.gz", "*.parquet")


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise CxauditError(
            "--changed-since: git is not installed here; install it, or name the campaign "
            "files instead"
        ) from None


def repository_root(cwd: Path) -> Path | None:
    """The work tree's top folder, or None outside a git repository."""
    found = _git(["rev-parse", "--show-toplevel"], cwd)
    if found.returncode != 0:
        return None
    return Path(os.fsdecode(found.stdout.rstrip(b"\n")))


def _pattern(glob: str) -> re.Pattern[str]:
    """A campaign_files glob as .gitignore reads one, in any case (``.CSV``
    is a CSV): with a ``/`` (a leading one only anchors) it matches the
    path from the repository's top, without one any file's name; ``*`` and
    ``?`` stay inside a folder, ``**/`` spans any number of folders."""
    anchored = "/" in glob.rstrip("/")
    glob = glob.lstrip("/") if anchored else glob
    out, i = "", 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif glob.startswith("**", i):
            out, i = out + ".*", i + 2
        elif glob[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif glob[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(glob[i]), i + 1
    return re.compile(out if anchored else f"(?:.*/)?{out}", re.IGNORECASE | re.DOTALL)


def is_campaign_file(path: str, patterns: Iterable[str]) -> bool:
    """Whether ``path`` (relative to the repository, ``/``-separated) matches
    one of ``patterns`` (see :func:`_pattern`)."""
    return any(_pattern(p).fullmatch(path) for p in patterns)


def changed_files(ref: str, cwd: Path) -> list[str]:
    """The paths (relative to the repository's top folder) that were added,
    modified, copied or renamed between the merge base of ``ref`` and HEAD,
    and HEAD: what a pull request against ``ref`` changes."""
    if repository_root(cwd) is None:
        raise CxauditError(
            f"--changed-since {ref!r}: {cwd} is not in a git repository; run check inside the "
            "repository's checkout, or name the campaign files"
        )
    known = _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], cwd)
    if known.returncode != 0 or not known.stdout.strip():
        raise CxauditError(
            f"--changed-since {ref!r}: git knows no such commit, branch or tag here; fetch it "
            "first (in GitHub Actions: actions/checkout with fetch-depth: 0)"
        )
    commit = known.stdout.decode().strip()  # a SHA: nothing the ref says reaches git as an option
    diff = _git(
        [
            "diff",
            "-z",
            "--no-relative",  # paths from the top, whatever diff.relative says
            "--name-status",
            "-M",
            "--diff-filter=ACMRT",  # T: a symlink that became the file
            f"{commit}...HEAD",
            "--",
        ],
        cwd,
    )
    if diff.returncode != 0:
        said = diff.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        raise CxauditError(
            f"--changed-since {ref!r}: git diff failed ({said[-1]}); check that the ref shares "
            "history with HEAD"
        )
    fields = diff.stdout.split(b"\0")
    out: list[str] = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i].decode()
        if status[0] in "RC":  # renamed or copied: old path, new path
            out.append(os.fsdecode(fields[i + 2]))
            i += 3
        else:
            out.append(os.fsdecode(fields[i + 1]))
            i += 2
    return out


def changed_campaigns(
    ref: str, cwd: Path, patterns: Iterable[str], not_campaigns: Iterable[Path]
) -> list[Path]:
    """The campaign files changed since ``ref``, as paths from ``cwd``, in
    git's order: a changed sidecar (``X.campaign.yaml``) stands for its
    list, a changed part of a folder of parts for the folder; files at or
    under ``not_campaigns`` (the rules' sources, the rules file) are left out."""
    from cxaudit.rules.sidecar import sidecar_path

    files = changed_files(ref, cwd)
    root = repository_root(cwd)
    assert root is not None
    here = cwd.resolve()
    patterns = list(patterns)
    skip = [Path(os.path.realpath(p)) for p in not_campaigns]
    found: dict[Path, None] = {}
    for name in files:
        path = root / name
        if path.name.endswith(".campaign.yaml"):  # its list's settings changed
            lists = [p for p in path.parent.iterdir() if p != path and sidecar_path(p) == path]
        elif is_campaign_file(name, patterns):
            lists = [_list_of(path)]
        else:
            continue
        for listed in lists:
            real = Path(os.path.realpath(listed))
            if any(
                real == s or s in real.parents or fnmatch.fnmatchcase(str(real), str(s))
                for s in skip
            ):
                continue  # one of the rules' sources (a file, a folder of parts, a glob)
            found[Path(os.path.relpath(listed, here))] = None
    return list(found)


def _list_of(path: Path) -> Path:
    """The list a changed file belongs to: its folder when the folder is a
    list of parts (its files are named part-…, or the folder has a sidecar
    of its own), else the file itself."""
    from cxaudit.rules.sidecar import sidecar_path

    folder = path.parent
    if path.name.lower().startswith("part-") or sidecar_path(folder).exists():
        return folder
    return path
