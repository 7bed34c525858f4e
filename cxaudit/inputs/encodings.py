"""Which encoding a file is in, and reading any of them as UTF-8.

A byte order mark decides; without one, a file that is valid UTF-8 is read
as UTF-8 and anything else in the configured default. Every encoding is
transcoded to UTF-8 for reading, and the file's own codec, byte order and
BOM are kept so outputs are written back in them.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from pathlib import Path

from cxaudit.errors import CxauditError
from cxaudit.inputs.table import Dialect, Position

_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook or a zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file; name it .csv.gz to read it as such"),
    (b"PAR1", "a Parquet file; name it .parquet to read it as such"),
)


def _not_csv(raw: bytes) -> str | None:
    """What a file is, when it is clearly not CSV text (so we can say so)."""
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            return kind
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")):
        return "an HTML or XML page (a login page saved instead of the export?)"
    if head.startswith((b"{", b"[{")):
        return "JSON"
    return None


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


# Text codecs Python has that no file is written in: they turn text into
# other text (a host name, a Python literal), not into a file's bytes.
_NOT_FILE_CODECS = frozenset(
    {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"}
)


def encoding_problem(encoding: str) -> str | None:
    """Why ``encoding`` cannot read a file (None when it can): unknown, or a
    codec that is not a text encoding (rot13, base64, hex, zlib…)."""
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        return (
            f"unknown encoding {encoding!r}; use a Python codec name such as "
            "utf-8, cp1252 or latin-1"
        )
    if not getattr(codec, "_is_text_encoding", True) or codec.name in _NOT_FILE_CODECS:
        return (
            f"{encoding!r} is not a text encoding a file is written in; use one such as "
            "utf-8, cp1252 or latin-1"
        )
    return None


def _codec(path: Path, encoding: str) -> codecs.CodecInfo:
    problem = encoding_problem(encoding)
    if problem is not None:
        raise CxauditError(f"{path}: {problem}")
    return codecs.lookup(encoding)


def bom_bytes(dialect: Dialect) -> bytes:
    """The byte order mark a file in ``dialect`` starts with ("" without one)."""
    if not dialect.bom:
        return b""
    return next((mark for mark, name in _BOMS if name == dialect.encoding), b"")


def _byte_order(path: Path, raw: bytes, codec: codecs.CodecInfo, setting: str) -> tuple[str, int]:
    """The exact codec to read and write the file with, and the length of its
    byte order mark: a UTF-16 file with a big-endian BOM is written back
    big-endian (Python's plain ``utf-16`` would write the machine's order)."""
    name = codec.name
    for family in ("utf-32", "utf-16"):
        if name.startswith(family):
            for mark, exact in _BOMS:
                if exact.startswith(family) and raw.startswith(mark) and name in (family, exact):
                    return exact, len(mark)
            return (f"{family}-le" if name == family else name), 0  # Python's reading without a BOM
    if name.replace("-sig", "") == "utf-8":
        if raw.startswith(codecs.BOM_UTF8):
            return "utf-8", len(codecs.BOM_UTF8)
        if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            raise CxauditError(
                f"{path}: is UTF-16 encoded, not UTF-8; set {setting} utf-16 or save the "
                "file as UTF-8"
            )
        return "utf-8", 0
    return name, 0


def marked_encoding(start: bytes) -> str | None:
    """The encoding a byte order mark at ``start`` names, if any."""
    return next((name for mark, name in _BOMS if start.startswith(mark)), None)


def is_utf8(encoding: str) -> bool:
    """Whether ``encoding`` is UTF-8 under any of its names (an unknown
    name is not: the reader names it)."""
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")


def decide_encoding(start: bytes, first_run: Callable[[], bytes], default: str) -> tuple[str, bool]:
    """The encoding of a file when ``default`` is only a default, and
    whether the file said so (False: plain ASCII, which every accepted
    encoding reads alike): a byte order mark at ``start`` decides; with a
    default of UTF-8 nothing else is looked at; else the file's first run of
    non-ASCII bytes (``first_run``, read only when needed): valid UTF-8 is
    UTF-8, anything else the default. One decision for a file read whole
    (:func:`data_encoding`) and one read in chunks
    (:func:`cxaudit.inputs.chunks.file_encoding`), so both readings agree."""
    marked = marked_encoding(start)
    if marked is not None:
        return marked, True
    if is_utf8(default):
        return default, False
    run = first_run()
    if not run:
        return "utf-8", False
    return sniff_encoding(run, default, complete=True), True


def data_encoding(data: bytes, default: str) -> str:
    """The encoding of a whole file's bytes (see :func:`decide_encoding`)."""
    found = NON_ASCII_RUN.search(data)
    return decide_encoding(data, lambda: found.group() if found else b"", default)[0]


def sniff_encoding(head: bytes, default: str, complete: bool) -> str:
    """The encoding to read a file with when ``default`` is only a default
    (a preset's cp1252 for ServiceNow, say): a byte order mark decides; else
    text that is valid UTF-8 is UTF-8 (a real UTF-8 export must not turn
    "Saldaña" into "SaldaÃ±a" and match nobody); else the default. ``head``
    is the file's start (all of it when ``complete``)."""
    marked = marked_encoding(head)
    if marked is not None:
        return marked
    if is_utf8(default):
        return default
    try:
        codecs.lookup(default)
    except LookupError:
        return default  # the reader names the unknown encoding
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        return default
    return "utf-8"


def not_valid(
    path: Path, raw: bytes, start: int, encoding: str, setting: str, at: Position
) -> CxauditError:
    line = raw.count(b"\n", 0, start) + 1 + at.lines
    bad = raw[start : start + 1].hex()
    return CxauditError(
        f"{path}: line {line} (byte offset {start + at.bytes}) is not valid {encoding} "
        f"(byte 0x{bad}); set {setting} to the file's real encoding, "
        "e.g. cp1252 for Windows or ServiceNow exports"
    )


def as_utf8(
    path: Path, raw: bytes, encoding: str, setting: str, at: Position
) -> tuple[bytes, Dialect, int]:
    """The file's bytes as UTF-8 (the same object for a UTF-8 file: no copy),
    the encoding, BOM and format it is written back in, and where its header
    starts (after a UTF-8 BOM). Every record is found and copied in these
    bytes; outputs are encoded back to the file's own encoding."""
    codec = _codec(path, encoding)
    kind = _not_csv(raw)
    if kind:
        raise CxauditError(f"{path}: is not a CSV file (it looks like {kind}); export it as CSV")
    exact, mark = _byte_order(path, raw, codec, setting)
    dialect = Dialect(encoding=exact, bom=mark > 0)
    if exact == "utf-8":
        data, start = raw, mark
    else:
        try:
            text = raw[mark:].decode(exact)
        except UnicodeDecodeError as exc:
            raise not_valid(path, raw, exc.start + mark, encoding, setting, at) from None
        if text.encode(exact) != raw[mark:]:
            raise CxauditError(
                f"{path}: some {encoding} bytes would not be written back as they are; "
                "save the file as UTF-8"
            )
        data, start = text.encode("utf-8"), 0
    if b"\x00" in data[:65536]:
        raise CxauditError(
            f"{path}: contains NUL bytes, so it is not a CSV text file "
            f"(or not {encoding}); export it as CSV or set {setting}"
        )
    return data, dialect, start


def utf8_problem(path: Path, data: bytes, encoding: str, setting: str, at: Position) -> None:
    """Name the first byte that is not UTF-8 (only UTF-8 input can have one:
    other encodings were transcoded)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_valid(path, data, exc.start, encoding, setting, at) from None
