"""A campaign list on standard input: ``cxaudit audit -``, ``cxaudit check -``.

The rest of cxaudit reads only regular files (a pipe could be read once,
and a list is read more than once; outputs are compared with inputs by
inode), so what arrives on standard input is copied to a regular file in a
private temporary folder first, and removed when the command ends. That file
is named ``<stdin>`` wherever a path is shown (messages, reports, check
formats): its path object prints as ``<stdin>`` but opens the real file.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from cxaudit.errors import CxauditError

STDIN = "-"
SHOWN_AS = "<stdin>"


class _StdinPath(type(Path())):  # type: ignore[misc]
    """The temporary file: ``str()`` is ``<stdin>``, the file system sees the
    real path (``os.fspath``). Paths derived from it (its folder, a sidecar
    beside it) are ordinary paths."""

    def __str__(self) -> str:
        shown = self.__dict__.get("_shown")
        return shown if shown is not None else super().__str__()

    def __fspath__(self) -> str:
        return super().__str__()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({super().__str__()!r}, shown as {str(self)!r})"


def is_stdin(path: Path) -> bool:
    return str(path) == STDIN


def _suffix(head: bytes) -> str:
    """The list's format from its first bytes, as its name would tell it."""
    if head.startswith(b"\x1f\x8b"):
        return ".csv.gz"
    if head.startswith(b"PAR1"):
        return ".parquet"
    return ".csv"


def _copy(stream: IO[bytes], folder: Path) -> Path:
    head = stream.read(4)
    target = folder / f"stdin{_suffix(head)}"
    with open(target, "xb") as fh:
        fh.write(head)
        shutil.copyfileobj(stream, fh, 1 << 20)
    path = _StdinPath(target)
    path.__dict__["_shown"] = SHOWN_AS
    return path


@contextmanager
def campaign_inputs(paths: list[Path], stream: IO[bytes] | None = None) -> Iterator[list[Path]]:
    """``paths`` with ``-`` replaced by a regular file holding standard input
    (``stream``, by default the process's), removed on the way out."""
    from cxaudit.inputs.locations import location

    paths = [p if is_stdin(p) else location(p) for p in paths]
    wanted = [p for p in paths if is_stdin(p)]
    if not wanted:
        yield list(paths)
        return
    if len(wanted) > 1:
        raise CxauditError("- (standard input) can be given once; pass the other lists as files")
    if stream is None:
        stream = getattr(sys.stdin, "buffer", sys.stdin)
    if stream.isatty():
        raise CxauditError(
            "- reads the campaign list from standard input, which is a terminal; pipe the "
            "list in (cxaudit check - < list.csv) or pass the file"
        )
    folder = Path(tempfile.mkdtemp(prefix="cxaudit-stdin-"))  # mode 0700: this user's only
    try:
        try:
            copy = _copy(stream, folder)
        except OSError as exc:
            raise CxauditError(
                f"{SHOWN_AS}: cannot be copied to a temporary file in {folder.parent} "
                f"({exc.strerror or exc}); set TMPDIR to a folder with space"
            ) from None
        yield [copy if is_stdin(p) else p for p in paths]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
