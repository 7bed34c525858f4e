"""Writing the run's files into ``--out``, atomically.

Each file is written to a temporary name in the same folder, flushed to disk,
and renamed over the final name only after all of them were written, so a
crash or Ctrl-C leaves either the previous run's files or the new ones,
never a half-written cleaned.csv that someone might upload.
"""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxaudit.audit import AuditResult
from cxaudit.csvfile import Dialect, RawRows, render_csv
from cxaudit.dates import iso
from cxaudit.errors import CxauditError
from cxaudit.report import report_json

OUTPUT_FILES = ("cleaned.csv", "suppressed.csv", "report.json", "report.md")


def check_out_dir(out: Path) -> None:
    """Fail before any work if ``out`` cannot become the output folder."""
    if out.exists() and not out.is_dir():
        raise CxauditError(f"--out {out}: is a file, not a folder; choose a folder path")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise CxauditError(f"--out {out}: {probe} is a file, so the folder cannot be created")
    if not os.access(probe, os.W_OK):
        raise CxauditError(f"--out {out}: {probe} is not writable; choose another --out")


def csv_outputs(result: AuditResult) -> tuple[bytes, bytes]:
    """The bytes of cleaned.csv and suppressed.csv, in the campaign's dialect."""
    table = result.recipients.table
    out = result.outcome
    if table.raw is not None and table.rows:
        return _copied_outputs(table.raw, table.dialect, out.kept, out.rules_cell, out.reasons_cell)
    columns = [table.frame[i] for i in range(len(table.header))]
    kept = [c[out.kept] for c in columns]
    gone = [c[out.suppressed] for c in columns]
    gone += [
        pd.Series(out.rules_cell[out.suppressed], dtype=object),
        pd.Series(out.reasons_cell[out.suppressed], dtype=object),
    ]
    cleaned = render_csv(table.header, kept, table.dialect)
    suppressed = render_csv(
        [*table.header, "cxaudit_rules", "cxaudit_reasons"], gone, table.dialect
    )
    return cleaned, suppressed


def _quote(value: str, delimiter: str) -> str:
    if any(c in value for c in (delimiter, '"', "\r", "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


def _copied_outputs(
    raw: RawRows,
    dialect: Dialect,
    kept: np.ndarray,
    rules_cell: np.ndarray,
    reasons_cell: np.ndarray,
) -> tuple[bytes, bytes]:
    """cleaned.csv and suppressed.csv made of the input's own row bytes: every
    value, quote and line ending exactly as it came."""
    data, start, end = raw.data, raw.header_end, int(raw.ends[-1])
    newline = dialect.newline.encode()
    lengths = raw.ends - raw.starts
    body = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
    cleaned = data[:start] + body[np.repeat(kept, lengths)].tobytes()
    last_unterminated = data[end - 1] != 10
    if last_unterminated and kept[-1]:
        cleaned += newline

    d = dialect.delimiter
    header = data[:start].rstrip(b"\r\n")
    extra_header = f"{d}cxaudit_rules{d}cxaudit_reasons".encode(dialect.encoding, "replace")
    lines = [header + extra_header + newline]
    crlf = dialect.newline == "\r\n"
    for i in np.flatnonzero(~kept).tolist():
        row = data[raw.starts[i] : raw.ends[i]]
        if row.endswith(b"\n"):
            row = row[:-2] if crlf and row.endswith(b"\r\n") else row[:-1]
        cells = f"{d}{_quote(rules_cell[i], d)}{d}{_quote(reasons_cell[i], d)}"
        lines.append(row + cells.encode(dialect.encoding, "replace") + newline)
    return cleaned, b"".join(lines)


def write_outputs(
    out: Path, result: AuditResult, report: dict[str, Any], markdown: str
) -> list[Path]:
    fmt = result.recipients.table.dialect.format
    if fmt == "parquet":
        cleaned, suppressed = parquet_outputs(result)
    else:
        cleaned, suppressed = csv_outputs(result)
        if fmt == "csv.gz":
            cleaned, suppressed = (
                gzip.compress(cleaned, mtime=0),
                gzip.compress(suppressed, mtime=0),
            )
    suffix = {"csv": ".csv", "csv.gz": ".csv.gz", "parquet": ".parquet"}[fmt]
    payload = {
        f"cleaned{suffix}": cleaned,
        f"suppressed{suffix}": suppressed,
        "report.json": report_json(report).encode(),
        "report.md": markdown.encode(),
    }
    return write_atomically(out, payload)


def parquet_outputs(result: AuditResult) -> tuple[bytes, bytes]:
    """A Parquet list comes back as Parquet: the original typed columns, rows
    filtered, plus the two cxaudit columns on the suppressed file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = result.recipients.table.arrow
    out = result.outcome

    def encode(t: Any) -> bytes:
        sink = pa.BufferOutputStream()
        pq.write_table(t, sink)
        return sink.getvalue().to_pybytes()

    gone = table.filter(pa.array(out.suppressed))
    gone = gone.append_column(
        "cxaudit_rules", pa.array(out.rules_cell[out.suppressed].tolist(), pa.string())
    )
    gone = gone.append_column(
        "cxaudit_reasons", pa.array(out.reasons_cell[out.suppressed].tolist(), pa.string())
    )
    return encode(table.filter(pa.array(out.kept))), encode(gone)


def write_atomically(out: Path, files: dict[str, bytes]) -> list[Path]:
    """Write every file under a temporary name, then rename them all into
    place. Temporary files a killed run left behind are removed first (the
    caller holds the folder's lock, so no other run is writing them)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in files:
            for stale in out.glob(f".{name}.*.tmp"):
                stale.unlink()
    except OSError as exc:
        raise CxauditError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    temps: dict[Path, Path] = {}
    try:
        for name, data in files.items():
            final = out / name
            temp = out / f".{name}.{os.getpid()}.tmp"
            temps[final] = temp
            with open(temp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for final, temp in temps.items():
            os.replace(temp, final)
    except OSError as exc:
        raise CxauditError(f"--out {out}: cannot write ({exc.strerror})") from None
    finally:
        for temp in temps.values():
            if temp.exists():
                temp.unlink()
    return list(temps)


def expand_out(out: Path, as_of: pd.Timestamp) -> Path:
    """Fill ``{date}`` and ``{datetime}`` in ``--out`` from the run's as-of
    moment, for dated run folders (``runs/{date}``)."""
    text = str(out)
    if "{" not in text:
        return out
    stamp = iso(as_of)
    values = {"date": stamp[:10], "datetime": stamp[:19].replace(":", "") + "Z"}
    try:
        return Path(text.format(**values))
    except (KeyError, IndexError, ValueError) as exc:
        raise CxauditError(
            f"--out {text}: unknown placeholder {exc}; use {{date}} or {{datetime}}"
        ) from None


@contextmanager
def output_lock(out: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold an exclusive lock on the output folder for the whole run, so two
    runs (a slow nightly job and a manual one) never interleave their files.

    The lock is on the folder itself (no lock file is left behind). A folder
    created here is removed again if the run fails before writing into it.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: run unlocked
        yield
        return
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out, os.O_RDONLY)
    except OSError as exc:
        raise CxauditError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CxauditError(
                        f"--out {out}: another cxaudit run is writing there; wait for it to "
                        "finish or pass --wait SECONDS"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        except BaseException:
            if created and not any(out.iterdir()):
                out.rmdir()
            raise
    finally:
        os.close(fd)
