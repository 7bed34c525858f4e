"""Where CSV records end, found once for parsing, chunking and copying.

cleaned.csv is made of the input's own record bytes, so the bytes copied for
a row must be, by construction, the bytes of the record that was parsed and
decided. One scanner finds the record ends (used to cut chunks, to parse and
to copy), and one check guarantees that the parsers (pyarrow, or the csv
module on the careful path) see exactly those records:

- a record ends at LF, CRLF or a lone CR (classic Mac, some Excel exports),
  in any mix, wherever an even number of quotes precede it;
- quotes must be CSV's own: a quote opens a value at its start, closes it at
  its end, or is doubled inside it. A stray quote in an unquoted value
  (``5" tv``) is refused with its row and line: the csv module would read it
  as a literal character, quote counting would not, and a file that two
  readers read differently must not be copied by one and decided by the
  other. Refusing is also what keeps a chunk boundary where it belongs.

Everything here works on UTF-8 bytes (other encodings are transcoded first)
with NumPy over whole buffers: no per-byte Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LF, CR, QUOTE = 10, 13, 34
# No real record is this long; one that is has a quote left open, and the
# rest of the file would be read as its value (and into memory).
LONGEST_RECORD = 64 << 20


@dataclass(frozen=True)
class Scan:
    """Record ends in a piece of bytes, relative to its start."""

    ends: np.ndarray  # the first byte after each record's terminator
    in_quotes: bool  # whether the piece ends inside a quoted value
    scanned: int  # bytes of the piece judged (a CR at its very end waits for what follows)
    lines: int  # physical line breaks (LF, CRLF or lone CR) in the judged bytes


def _view(data: bytes | bytearray | memoryview, start: int, end: int) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)


def line_breaks(
    body: np.ndarray, final: bool, has_cr: bool | None = None
) -> tuple[np.ndarray, int]:
    """Positions of the last byte of every line break (LF, the LF of CRLF,
    a lone CR), and how many bytes could be judged: a CR at the very end of
    a piece that is not the last may yet be followed by its LF. ``has_cr``,
    when the caller knows it (``bytes.find`` is far cheaper than a pass),
    saves looking for CRs in the common LF-only file."""
    size = len(body)
    lf = np.flatnonzero(body == LF)
    if has_cr is None:
        has_cr = bool(size) and bool((body == CR).any())
    if not size or not has_cr:
        return lf, size
    cr = np.flatnonzero(body == CR)
    following = body[np.minimum(cr + 1, size - 1)]
    lone = cr[(cr + 1 < size) & (following != LF)]
    judged = size
    if cr[-1] == size - 1:
        if final:
            lone = np.append(lone, size - 1)
        else:
            judged = size - 1
    breaks = np.sort(np.concatenate([lf, lone]))
    return breaks, judged


def scan(
    data: bytes | bytearray | memoryview,
    start: int = 0,
    end: int | None = None,
    in_quotes: bool = False,
    final: bool = True,
) -> Scan:
    """Record ends in ``data[start:end]``, which begins inside a quoted value
    when ``in_quotes``; with ``final`` the piece is the end of the file."""
    end = len(data) if end is None else end
    body = _view(data, start, end)
    has_cr = data.find(b"\r", start, end) != -1 if not isinstance(data, memoryview) else None
    breaks, judged = line_breaks(body, final, has_cr)
    quotes = np.flatnonzero(body[:judged] == QUOTE)
    outside = (np.searchsorted(quotes, breaks) + int(in_quotes)) % 2 == 0
    ends = breaks[outside].astype(np.int64) + 1
    return Scan(ends, bool((len(quotes) + int(in_quotes)) % 2), judged, len(breaks))


def bad_quote(
    data: bytes | bytearray | memoryview, start: int, end: int, delimiter: str
) -> tuple[int, str] | None:
    """The first quote (offset from ``start``) that is not where CSV puts
    quotes, with what is wrong; None when every quote opens a value at its
    start, closes it at its end or is doubled inside it. Exactly then the
    csv module (strict), pyarrow and :func:`scan` read the same records."""
    body = _view(data, start, end)
    quotes = np.flatnonzero(body == QUOTE)
    if not len(quotes):
        return None
    sep = ord(delimiter) if len(delimiter) == 1 else -1
    size = len(body)
    opening, closing = quotes[0::2], quotes[1::2]
    before = body[np.maximum(opening - 1, 0)]
    starts_field = (opening == 0) | (before == sep) | (before == LF) | (before == CR)
    doubled_open = np.zeros(len(opening), dtype=bool)
    doubled_open[1:] = opening[1 : len(closing) + 1] == closing[: len(opening) - 1] + 1
    after = body[np.minimum(closing + 1, size - 1)]
    ends_field = (closing + 1 >= size) | (after == sep) | (after == LF) | (after == CR)
    doubled_close = np.zeros(len(closing), dtype=bool)
    doubled_close[: len(opening) - 1] = closing[: len(opening) - 1] + 1 == opening[1:]
    wrong = np.zeros(len(quotes), dtype=bool)
    wrong[0::2] = ~(starts_field | doubled_open)
    wrong[1::2] = ~(ends_field | doubled_close)
    first = np.flatnonzero(wrong)
    if len(first):
        at = int(quotes[first[0]])
        if first[0] % 2 == 0:
            return at, "a quote inside a value that is not quoted"
        return at, "text after the closing quote of a value"
    if len(quotes) % 2:
        return int(quotes[-1]), "a quoted value that is never closed"
    return None


def blank(data: bytes | bytearray | memoryview, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Which records are blank lines (nothing but their terminator)."""
    length = ends - starts
    if not len(length):
        return np.zeros(0, dtype=bool)
    body = np.frombuffer(data, dtype=np.uint8)
    last = len(body) - 1
    first = body[np.minimum(starts, last)]
    second = body[np.minimum(starts + 1, last)]
    crlf = (length == 2) & (first == CR) & (second == LF)
    return (length == 0) | ((length == 1) & ((first == LF) | (first == CR))) | crlf


def terminator_lengths(
    data: bytes | bytearray | memoryview, ends: np.ndarray, starts: np.ndarray
) -> np.ndarray:
    """The length (0, 1 or 2) of each record's own line ending."""
    if not len(ends):
        return np.zeros(0, dtype=np.int64)
    body = np.frombuffer(data, dtype=np.uint8)
    last = body[np.maximum(ends - 1, 0)]
    before = body[np.maximum(ends - 2, 0)]
    has_one = (ends > starts) & ((last == LF) | (last == CR))
    crlf = has_one & (last == LF) & (ends - 2 >= starts) & (before == CR)
    return has_one.astype(np.int64) + crlf
