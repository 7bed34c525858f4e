"""suppressed.xlsx and flagged.xlsx: the lists people open by hand.

A CSV double-clicked in Excel is guessed at: ``02134`` becomes the number
2134, a long id ``4111111111111111`` becomes ``4.11111E+15``, ``+1 555 0100``
a formula, and a UTF-8 file without a byte order mark is read in the
computer's code page (``RenÃ©e``). cleaned.csv, suppressed.csv and
flagged.csv keep the input's exact bytes, so they cannot carry the hints that
would prevent it (a BOM would change the file). A workbook beside each list
of people says what every cell is: the input's cells and cxaudit's
``cxaudit_rules`` and ``cxaudit_reasons`` are text (shown as they are, accents
and leading zeros included, never run as a formula), ``cxaudit_row`` is a
number (so sorting by it sorts 9 before 10).

Written by XlsxWriter in its constant-memory mode: each row goes to a
temporary file as it is added and the workbook is zipped when the run
commits, so memory does not grow with the list. XlsxWriter's cost is per cell
(a few microseconds: 0.9 s for two full workbooks, most of a 100k-row run),
so the rows of people are rendered here a column at a time with Arrow
kernels, as the very XML XlsxWriter writes for each cell (tests compare the
two byte for byte), and handed to its row file; XlsxWriter writes everything
else. A workbook holds at most :data:`MAX_ROWS` rows; a longer list ends
with a row saying how many more are in the CSV file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, BinaryIO

import numpy as np

MAX_ROWS = 20_000  # rows of people per workbook (Excel's own limit is 1,048,575)
MAX_COLUMNS = 16_384  # Excel's limit (column XFD)
_WIDTH_SAMPLE = 200  # rows whose lengths set the column widths
_MIN_WIDTH, _MAX_WIDTH = 6, 60

# What XML 1.0 cannot hold, written as Excel's own _xHHHH_ escape; a text
# that already looks like an escape has its underscore escaped, so Excel
# shows it as it is.
_LOOKS_ESCAPED = re.compile("_x[0-9a-fA-F]{4}_")
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
# The same, for Arrow's RE2 (which holds no surrogates: such a value takes
# the cell-by-cell path), plus strings long enough to be cut at Excel's limit.
_NEEDS_PYTHON = r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\x{fffe}\x{ffff}]"
_STRMAX = 32767  # UTF-16 units in a cell
# Python's \s (what XlsxWriter tests for leading or trailing whitespace), for RE2.
_SPACE = "".join(f"\\x{{{ord(c):x}}}" for c in map(chr, range(0x3001)) if re.match(r"\s", c))
_PRESERVE = f"^[{_SPACE}]|[{_SPACE}]$"
_KEEP = ' xml:space="preserve"'


def _escape(text: str) -> str:
    if "_x" in text:
        text = _LOOKS_ESCAPED.sub(r"_x005F\g<0>", text)
    if _NOT_XML.search(text) is None:
        return text
    return _NOT_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _cut(text: str) -> str:
    """A cell's text as XlsxWriter stores it: cut at Excel's limit, then
    escaped (:func:`_escape`)."""
    from xlsxwriter.worksheet import _utf16_len, _utf16_truncate

    if len(text) > _STRMAX // 2 and _utf16_len(text) > _STRMAX:
        text = _utf16_truncate(text, _STRMAX)
    return _escape(text)


def _join(*pieces: Any) -> Any:
    """Arrow's element-wise concatenation; plain ``str`` pieces are the same
    for every row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    scalars = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in pieces]
    return pc.binary_join_element_wise(*scalars, pa.scalar("", pa.large_string()))


def _string_cells(values: Sequence[str], ref: Any) -> Any:
    """Each value's ``<c>`` element, as XlsxWriter writes an inline string
    in constant-memory mode (``ref``: the cells' A1 names); an empty value
    has none. None when Arrow cannot hold the values (a lone surrogate)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        text = pc.fill_null(pa.array(values, pa.large_string()), "")
    except (pa.ArrowException, UnicodeError):
        return None
    odd = pc.or_(
        pc.match_substring_regex(text, _NEEDS_PYTHON),
        pc.greater(pc.utf8_length(text), _STRMAX // 2),
    )
    if pc.any(odd).as_py():
        where = np.flatnonzero(odd.to_numpy(zero_copy_only=False))
        fixed = [_cut(v) for v in text.take(pa.array(where)).to_pylist()]
        text = pc.replace_with_mask(text, odd, pa.array(fixed, pa.large_string()))
    rich = pc.and_(pc.starts_with(text, "<r>"), pc.ends_with(text, "</r>"))
    preserve = pc.or_(rich, pc.match_substring_regex(text, _PRESERVE))
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, raw, entity)
    space = pc.if_else(preserve, *(pa.scalar(v, pa.large_string()) for v in (_KEEP, "")))
    cells = _join('<c r="', ref, '" t="inlineStr"><is><t', space, ">", text, "</t></is></c>")
    return pc.if_else(pc.equal(pc.utf8_length(text), 0), pa.scalar("", pa.large_string()), cells)


def _too_long(values: Sequence[str]) -> int:
    """How many of ``values`` are longer than a cell holds (UTF-16 units)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from xlsxwriter.worksheet import _utf16_len

    try:
        text = pc.fill_null(pa.array(values, pa.large_string()), "")
    except (pa.ArrowException, UnicodeError):  # a lone surrogate: the slow way
        return sum(_utf16_len(v) > _STRMAX for v in values if v and len(v) > _STRMAX // 2)
    long = pc.greater(pc.utf8_length(text), _STRMAX // 2)
    if not pc.any(long).as_py():
        return 0
    return sum(_utf16_len(v) > _STRMAX for v in text.filter(long).to_pylist())


def _worksheet_class() -> type:
    from xlsxwriter.worksheet import Worksheet

    class TextSheet(Worksheet):  # type: ignore[misc]
        """XlsxWriter writes a string that starts with ``<r>`` and ends with
        ``</r>`` into the file unescaped, as rich text; this module writes no
        rich text, so such a cell (a customer can type it) is plain text like
        any other. Characters XML cannot hold (U+FFFF, say) are escaped as
        control characters are."""

        @staticmethod
        def _escape_control_characters(data: str) -> str:
            return _escape(data)

        def _xml_rich_inline_string(self, string: str, attributes: Any = ()) -> None:
            self._xml_inline_string(string, True, list(attributes))

    return TextSheet


class Spreadsheet:
    """One workbook of one sheet: the header, then rows added chunk by chunk
    (the input's cells, ``cxaudit_row``, ``cxaudit_rules``,
    ``cxaudit_reasons``), written into ``fh`` by :meth:`close`."""

    def __init__(
        self, fh: BinaryIO, title: str, header: Sequence[str], csv_name: str, created: datetime
    ) -> None:
        import xlsxwriter

        self.book = xlsxwriter.Workbook(
            fh,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        self.book.use_zip64()
        self.book.set_properties({"created": created, "title": f"cxaudit: {title}"})
        self.sheet = self.book.add_worksheet(title, worksheet_class=_worksheet_class())
        self.text = self.book.add_format({"num_format": 49})  # Excel's built-in "@": text
        self.bold = self.book.add_format({"bold": True, "bottom": 1})
        self.note = self.book.add_format({"italic": True})
        self.header = list(header)
        self.csv_name = csv_name
        self.title = title
        self.rows = 0  # people written
        self.more = 0  # people beyond MAX_ROWS, in the CSV only
        self.columns_cut = 0  # the list's columns past MAX_COLUMNS, in the CSV only
        self.cells_cut: dict[str, int] = {}  # column -> cells cut at Excel's 32,767
        self.longest = [0] * (len(self.header) - 1)  # in the first rows, per text column
        for col, name in enumerate(self.header):
            self.sheet.write_string(0, col, name, self.bold)
        self.sheet.freeze_panes(1, 0)

    @property
    def room(self) -> int:
        """How many more rows the workbook takes."""
        return max(MAX_ROWS - self.rows, 0)

    def skip(self, n: int) -> None:
        """Count ``n`` rows that are only in the CSV file."""
        self.more += n

    def add(self, cells: Sequence[Sequence[str]], numbers: np.ndarray) -> None:
        """Append rows: ``cells`` holds one sequence per text column (the
        input's columns, then the rules and the reasons), ``numbers`` each
        row's ``cxaudit_row``; rows beyond :attr:`room` are only counted."""
        n = len(numbers)
        room = self.room
        self.skip(max(n - room, 0))
        n = min(n, room)
        if not n:
            return
        columns = [list(c[:n]) for c in cells]
        for col, values in enumerate(columns):
            cut = _too_long(values)
            if cut:
                name = self.header[col if col < len(columns) - 2 else col + 1]
                self.cells_cut[name] = self.cells_cut.get(name, 0) + cut
        sample = max(_WIDTH_SAMPLE - self.rows, 0)
        if sample:
            for col, values in enumerate(columns):
                longest = max((len(v) for v in values[:sample]), default=0)
                self.longest[col] = max(self.longest[col], longest)
        first = self.rows + 1
        # All rows but the last rendered; the last is written cell by cell
        # and stays pending in XlsxWriter, as it would have: the workbook's
        # last row is written at close, with the columns' text format.
        done = n - 1 if n > 1 and self._add_rendered(columns, numbers[: n - 1], first) else 0
        rest = [c[done:] for c in columns]
        self._add_cell_by_cell(rest, numbers[done:n].tolist(), first + done)
        self.rows += n

    def warnings(self) -> list[str]:
        """What this workbook could not hold, said out loud: the CSV file
        beside it holds every row, column and character."""
        book = f"{self.title}.xlsx"
        out = []
        if self.columns_cut and (self.rows or self.more):  # an empty workbook lost nothing
            kept = len(self.header) - 3
            out.append(
                f"{book}: the list has {kept + self.columns_cut:,} columns, more than a workbook "
                f"holds ({MAX_COLUMNS:,}): it shows the first {kept:,} and cxaudit_row, "
                f"cxaudit_rules, cxaudit_reasons; {self.csv_name} holds them all"
            )
        for name, n in self.cells_cut.items():
            out.append(
                f"{book}: {n:,} cell(s) of column {name!r} hold more than {_STRMAX:,} "
                f"characters, Excel's limit, and are cut there; {self.csv_name} holds them whole"
            )
        if self.more:
            out.append(
                f"{book}: holds the first {self.rows:,} rows of people (a workbook's cap); the "
                f"other {self.more:,} are in {self.csv_name}"
            )
        return out

    def _add_rendered(self, columns: list[list[str]], numbers: np.ndarray, first: int) -> bool:
        """Rows ``first``… rendered column by column into XlsxWriter's row
        file (its state moved on as if it had written them); False when a
        value needs the cell-by-cell path."""
        import pyarrow as pa
        import pyarrow.compute as pc
        from xlsxwriter.utility import xl_col_to_name

        sheet = self.sheet
        n = len(numbers)
        at = len(columns) - 2  # cxaudit_row goes before the rules and reasons
        rows = pc.cast(pa.array(np.arange(first + 1, first + 1 + n)), pa.large_string())
        cells = []
        for col, values in enumerate(columns):
            ref = _join(xl_col_to_name(col if col < at else col + 1), rows)
            rendered = _string_cells(values[:n], ref)
            if rendered is None:
                return False
            cells.append(rendered)
        ref = _join(xl_col_to_name(at), rows)
        number = pc.cast(pa.array(numbers.astype(np.int64)), pa.large_string())
        cells.insert(at, _join('<c r="', ref, '"><v>', number, "</v></c>"))
        xml = _join('<row r="', rows, '">', *cells, "</row>")
        sheet._write_single_row(first)  # the row before (the header) goes out first
        sheet._check_dimensions(first + n - 1, at)
        sheet.row_data_fh.write("".join(xml.to_pylist()))
        sheet.previous_row = first + n - 1
        return True

    def _add_cell_by_cell(self, columns: list[list[str]], numbers: list[int], first: int) -> None:
        """XlsxWriter's own way, a cell at a time: for values Arrow cannot
        hold, and the reference the rendered rows are tested against."""
        at = len(columns) - 2
        put = self.sheet.write_string
        number = self.sheet.write_number
        for i, row in enumerate(zip(*columns, strict=True)):
            r = first + i
            for col, value in enumerate(row):
                if value:
                    put(r, col if col < at else col + 1, value)
            number(r, at, numbers[i])

    def _size(self) -> None:
        """Column widths from the header and the first rows (whatever the
        chunks were); every column but ``cxaudit_row`` formatted as text, so
        a value typed in later stays text too."""
        at = len(self.header) - 3
        lengths = [*self.longest[:at], 0, *self.longest[at:]]  # cxaudit_row: its header
        for col, (name, longest) in enumerate(zip(self.header, lengths, strict=True)):
            width = min(max(len(name), longest, _MIN_WIDTH) + 2, _MAX_WIDTH)
            self.sheet.set_column(col, col, width, None if col == at else self.text)

    def close(self) -> None:
        """Finish the sheet (column widths, a note when the list was longer
        than :data:`MAX_ROWS`, the filter buttons) and write the workbook."""
        last_col = len(self.header) - 1
        self._size()
        if self.more:
            rows = "row" if self.more == 1 else "rows"
            self.sheet.write_string(
                self.rows + 2,
                0,
                f"… and {self.more:,} more {rows} in {self.csv_name}: this workbook holds the "
                f"first {self.rows:,}",
                self.note,
            )
        self.sheet.autofilter(0, 0, max(self.rows, 1), last_col)
        self.sheet.ignore_errors({"number_stored_as_text": f"A1:XFD{self.rows + 3}"})
        self.book.close()
