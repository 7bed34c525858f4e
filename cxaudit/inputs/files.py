"""The user's files and folders as the operating system sees them.

Only regular files are read: a FIFO would block the run forever and
``/dev/zero`` would fill memory, so both are refused before they are opened.
Every operating-system failure (a full disk, a read-only folder, a file that
vanished) becomes one line naming the path and what to do, never an
"internal error". And no path the run replaces may be one of its inputs:
``cxaudit audit cxaudit-out/cleaned.csv`` must not overwrite its own list.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cxaudit.errors import CxauditError
from cxaudit.inputs.locations import Url

_WHAT_TO_DO = {
    errno.ENOSPC: "free some space or choose another folder",
    errno.EDQUOT: "free some space or choose another folder",
    errno.EROFS: "the file system is read-only; choose another folder",
    errno.EACCES: "check the permissions, or choose another folder",
    errno.EPERM: "check the permissions, or choose another folder",
    errno.EISDIR: "a folder is in the way; move it, or choose another folder",
    errno.ENOENT: "it vanished while cxaudit was working; check what else uses it",
    errno.ENOTDIR: "a file stands where a folder is needed; choose another path",
    errno.EMFILE: "too many files are open; close other programs or raise the limit",
}


def unreadable(path: Path, exc: OSError) -> CxauditError:
    """The user-facing error for a file that cannot be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return CxauditError(f"{path}: file not found; check the path")
    if isinstance(exc, IsADirectoryError):
        return CxauditError(f"{path}: is a folder, expected a file")
    if isinstance(exc, PermissionError):
        return CxauditError(f"{path}: permission denied; check the file's permissions")
    return CxauditError(f"{path}: cannot be read ({exc.strerror or exc})")


def unwritable(path: Path | str, exc: OSError) -> CxauditError:
    """The user-facing error for a file or folder that cannot be written."""
    reason = exc.strerror or type(exc).__name__
    todo = _WHAT_TO_DO.get(exc.errno or 0, "check the disk and the folder's permissions")
    return CxauditError(f"{path}: cannot write ({reason}); {todo}")


def check_regular(path: Path) -> os.stat_result:
    """``path``'s status, refusing anything but a regular file (without
    opening it: opening a FIFO blocks until someone writes to it). A URL
    (:class:`~cxaudit.inputs.locations.Url`) is asked through fsspec."""
    try:
        info = path.stat() if isinstance(path, Url) else os.stat(path)
    except OSError as exc:
        raise unreadable(path, exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise CxauditError(f"{path}: is a folder, expected a file")
    if not stat.S_ISREG(info.st_mode):
        raise CxauditError(
            f"{path}: is not a regular file (a pipe, socket or device); save the data to a "
            "file and pass that file"
        )
    return info


def open_input(path: Path) -> IO[bytes]:
    """A regular file, opened for reading."""
    check_regular(path)
    try:
        return path.open() if isinstance(path, Url) else open(path, "rb")
    except OSError as exc:
        raise unreadable(path, exc) from None


def read_bytes(path: Path) -> bytes:
    """The whole of a regular file."""
    with open_input(path) as fh:
        try:
            return fh.read()
        except OSError as exc:
            raise unreadable(path, exc) from None


def read_text(path: Path, encoding: str = "utf-8-sig") -> str:
    """A regular text file (a rules file, a sidecar)."""
    data = read_bytes(path)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise CxauditError(
            f"{path}: byte offset {exc.start} is not valid {encoding}; save the file as UTF-8"
        ) from None


def remove_quietly(paths: Iterable[Path]) -> None:
    """Remove every path that exists (a temporary folder with what is in
    it), going on past failures: cleaning up after an error must not hide
    that error or leave the rest behind."""
    import shutil

    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)


@dataclass(frozen=True)
class Stamp:
    """A local input's size and modification time when a run began."""

    path: Path
    size: int
    mtime_ns: int


def stamp(paths: Iterable[Path]) -> tuple[Stamp, ...]:
    """Stamps of the local regular files among ``paths`` (a URL's object is
    judged by the SHA-256 of the bytes read, not here)."""
    out = []
    for path in paths:
        if isinstance(path, Url):
            continue
        try:
            st = os.stat(path)
        except OSError:
            continue  # reading it reports what is wrong
        if stat.S_ISREG(st.st_mode):
            out.append(Stamp(path, st.st_size, st.st_mtime_ns))
    return tuple(out)


def check_unchanged(stamps: Iterable[Stamp]) -> None:
    """Exit 2 when an input changed (or went) while the run read it: its
    answer could mix two versions of the file, so nothing may be written."""
    for was in stamps:
        try:
            st = os.stat(was.path)
        except OSError:
            raise CxauditError(
                f"{was.path}: was removed while cxaudit was reading it; nothing was written; "
                "run again once the file is complete"
            ) from None
        if (st.st_size, st.st_mtime_ns) == (was.size, was.mtime_ns):
            continue
        how = f"{was.size:,} bytes when the run began, {st.st_size:,} now"
        if st.st_size == was.size:
            how = "modified after the run began"
        raise CxauditError(
            f"{was.path}: changed while cxaudit was reading it ({how}), so the run may mix two "
            "versions of it; nothing was written; run again once the file is complete"
        )
