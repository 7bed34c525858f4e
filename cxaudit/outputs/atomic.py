"""A run's files put in place all at once, or not at all.

Each file is written under a temporary name in ``--out`` and flushed; only
when every one is complete are they renamed over the previous run's, with
backups to undo a rename that fails half-way. A crash or Ctrl-C leaves
either the previous run's files or the new ones, never a half-written
cleaned.csv someone might upload, nor a mix of two runs.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from cxaudit.errors import CxauditError
from cxaudit.inputs.files import remove_quietly, unwritable


def prepare(out: Path, names: list[str]) -> None:
    """Create ``out`` and remove temporary files a killed run left behind
    (the caller holds the folder's lock, so no other run is writing them)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unwritable(out, exc) from None
    for name in names:
        remove_quietly(out.glob(f".{name}.*.tmp"))
        remove_quietly(out.glob(f".{name}.*.old"))


def write_atomically(
    out: Path,
    files: dict[str, bytes],
    ready: dict[str, Path] | None = None,
    stale: list[Path] | None = None,
) -> list[Path]:
    """Write every file under a temporary name, then put them all (and the
    ``ready`` temporary files, already complete) in place and take the
    ``stale`` ones away (a previous run's lists in another format, which
    would otherwise sit beside this run's report): all of it or, whatever
    fails, none (see :func:`_swap_in`)."""
    prepare(out, list(files))
    temps: dict[Path, Path] = {out / name: temp for name, temp in (ready or {}).items()}
    try:
        for name, data in files.items():
            final = out / name
            temp = out / f".{name}.{os.getpid()}.tmp"
            temps[final] = temp
            try:
                with open(temp, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise unwritable(final, exc) from None
        _swap_in(temps, [p for p in stale or [] if p.exists() or p.is_symlink()])
    finally:
        remove_quietly(temps.values())
    return list(temps)


def _swap_in(temps: dict[Path, Path], stale: list[Path] | None = None) -> None:
    """Rename each temporary file over its final name, all or nothing.

    What can be checked is checked before the first rename (no folder in
    the way). Each file being replaced is first hard-linked to a backup
    name; if a rename fails, the renames already made are undone from the
    backups (renames need no disk space, so undoing does not fail for the
    reason the rename did). A folder of parts (``--out-format
    parquet-parts``) is swapped the same way, its previous folder renamed
    aside as the backup. What remains is a machine dying in the
    microseconds between two renames."""
    for final, temp in temps.items():
        if temp.is_dir():
            if final.exists() and not final.is_dir():
                raise CxauditError(
                    f"{final}: is a file where this run's folder of parts goes; move it or "
                    "choose another --out"
                )
        elif final.is_dir():
            raise CxauditError(
                f"{final}: is a folder, so this run's files cannot be put in place; move it "
                "or choose another --out"
            )
    folders = {final for final, temp in temps.items() if temp.is_dir()}
    stale = stale or []
    backups: dict[Path, Path | None] = {}
    removed: list[Path] = []
    try:
        for final in temps:
            if final in folders:
                continue  # a folder is moved aside when it is swapped
            backup = final.with_name(f".{final.name}.{os.getpid()}.old")
            try:
                os.link(final, backup)
                backups[final] = backup
            except FileNotFoundError:
                backups[final] = None  # nothing to keep: the file is new
            except OSError as exc:
                raise unwritable(final, exc) from None
        done: list[Path] = []
        try:
            for final, temp in temps.items():
                if final in folders and final.exists():
                    aside = final.with_name(f".{final.name}.{os.getpid()}.old")
                    os.rename(final, aside)
                    backups[final] = aside
                os.replace(temp, final)
                done.append(final)
            for path in stale:  # moved aside like a backup, removed below
                aside = path.with_name(f".{path.name}.{os.getpid()}.old")
                os.rename(path, aside)
                backups[path] = aside
                removed.append(path)
        except BaseException as exc:
            for path in reversed(removed):
                with suppress(OSError):
                    os.rename(backups[path], path)  # type: ignore[arg-type]
                    backups[path] = None
            for final in reversed(done):
                backup = backups.get(final)
                with suppress(OSError):
                    if final in folders:
                        os.rename(final, temps[final])  # the new folder back aside
                    elif backup is None:
                        os.unlink(final)
                    else:
                        os.replace(backup, final)
            for final in folders:  # the previous folders back in place
                backup = backups.get(final)
                if backup is not None:
                    with suppress(OSError):
                        os.rename(backup, final)
                        backups[final] = None
            if isinstance(exc, OSError):
                failed = next((f for f in temps if f not in done), None)
                failed = failed or next(p for p in stale if p not in removed)
                raise unwritable(failed, exc) from None
            raise
    finally:
        remove_quietly(b for b in backups.values() if b is not None)
