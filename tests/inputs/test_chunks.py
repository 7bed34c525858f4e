"""Reading the campaign list in chunks gives the whole file's rows, row
numbers, bytes and errors, whatever the chunk size."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxaudit.errors import CxauditError
from cxaudit.inputs.chunks import Totals
from cxaudit.inputs.read import iter_chunks, read_table

# Quoted line breaks (one row over three lines), a doubled quote, a blank
# line between rows, a BOM and CRLF endings, and a last row without one.
TRICKY = {
    "multiline.csv": b'id,note\n1,"two\nlines"\n2,"say ""hi"""\n3,"a\n\nb"\n4,plain\n',
    "blank.csv": b"id,note\n1,a\n\n2,b\n\n\n3,c\n",
    "bom-crlf.csv": b'\xef\xbb\xbfid;note\r\n1;a\r\n2;"b\r\nc"\r\n3;d\r\n',
    "unterminated.csv": b"id,note\n1,a\n2,b",
    "header-only.csv": b"id,note\n",
}


def _row_bytes(tables: list) -> list[bytes]:
    """Each row's bytes as the outputs copy them (none for a file without rows)."""
    return [
        t.raw.data[s:e]
        for t in tables
        if t.raw is not None
        for s, e in zip(t.raw.starts, t.raw.ends, strict=True)
    ]


def _whole_and_chunked(path: Path, size: int) -> tuple[object, list, Totals]:
    totals = Totals()
    return read_table(path), list(iter_chunks(path, size, totals=totals)), totals


@pytest.mark.parametrize("size", [1, 2, 7])
@pytest.mark.parametrize("name", sorted(TRICKY))
def test_chunks_hold_the_whole_files_rows_numbers_and_bytes(
    tmp_path: Path, name: str, size: int
) -> None:
    path = tmp_path / name
    path.write_bytes(TRICKY[name])
    whole, parts, totals = _whole_and_chunked(path, size)
    assert np.concatenate([p.row_numbers for p in parts]).tolist() == whole.row_numbers.tolist()
    for col in range(len(whole.header)):
        assert [v for p in parts for v in p.frame[col]] == whole.frame[col].tolist()
    assert _row_bytes(parts) == _row_bytes([whole])
    assert all(p.dialect == whole.dialect for p in parts)
    assert (totals.rows, totals.sha256) == (whole.rows, whole.sha256)


def test_blank_lines_keep_true_row_numbers_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(TRICKY["blank.csv"])
    parts = list(iter_chunks(path, 2))
    # rows 2 and 4 and 7 in the file (the header is row 1, blanks count)
    assert [p.row_numbers.tolist() for p in parts] == [[2], [4], [7]]


def test_gzip_is_read_in_chunks_and_hashed_as_stored(tmp_path: Path) -> None:
    path = tmp_path / "list.csv.gz"
    path.write_bytes(gzip.compress(TRICKY["multiline.csv"]))
    whole, parts, totals = _whole_and_chunked(path, 3)
    assert [p.rows for p in parts] == [3, 1]
    assert all(p.dialect.format == "csv.gz" for p in parts)
    assert (totals.rows, totals.sha256) == (4, whole.sha256)


def test_parquet_is_read_in_batches(tmp_path: Path) -> None:
    path = tmp_path / "list.parquet"
    pq.write_table(pa.table({"id": ["1", "2", "3"], "n": [1, None, 3]}), path)
    whole, parts, totals = _whole_and_chunked(path, 2)
    assert [p.row_numbers.tolist() for p in parts] == [[1, 2], [3]]
    assert [v for p in parts for v in p.frame[1]] == ["1", "", "3"]
    assert pa.concat_tables([p.arrow for p in parts]).equals(whole.arrow)
    assert (totals.rows, totals.sha256) == (3, whole.sha256)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id,note\n1,a\n2,b\n3,c,extra\n", "row 4 has 3 fields but the header has 2"),
        (b'id,note\n1,a\n2,b\n3,"c"x\n', "line 4: malformed CSV"),
        (b"id,note\n1,a\n2,b\n3,\xff\n", "line 4 (byte offset 18) is not valid utf-8"),
    ],
)
def test_an_error_in_a_later_chunk_names_the_files_row(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(CxauditError) as whole:
        read_table(path)
    with pytest.raises(CxauditError) as chunked:
        list(iter_chunks(path, 1))
    assert message in str(whole.value)
    assert str(chunked.value) == str(whole.value)


def test_a_list_of_exactly_one_chunk_is_known_complete_after_it(tmp_path: Path) -> None:
    """So the audit judges it in one pass (no second read for duplicates)."""
    path = tmp_path / "list.csv"
    path.write_bytes(b"id\n1\n2\n\n")
    totals = Totals()
    reader = iter_chunks(path, 2, totals=totals)
    assert next(reader).rows == 2
    assert totals.complete and totals.rows == 2
    assert next(reader, None) is None


def test_prefetch_hands_out_what_it_reads_in_order_and_raises_where_the_error_was() -> None:
    """The next chunk is read in a thread; the caller sees the same chunks in
    the same order, an error at the place of the chunk that failed, and a
    caller that stops early stops the reader."""
    import threading

    from cxaudit.errors import CxauditError
    from cxaudit.inputs.chunks import prefetch

    assert list(prefetch(iter(range(5)))) == [0, 1, 2, 3, 4]

    def failing():
        yield 1
        yield 2
        raise CxauditError("part-2.csv: row 9: bad")

    got = []
    with pytest.raises(CxauditError, match="row 9"):
        for item in prefetch(failing()):
            got.append(item)
    assert got == [1, 2]

    closed = threading.Event()

    def endless():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    before = set(threading.enumerate())  # another test's reader may not be collected yet
    reader = prefetch(endless())
    assert next(reader) == 0
    reader.close()
    assert closed.wait(5)
    left = set(threading.enumerate()) - before
    assert not [t for t in left if t.name == "cxaudit-prefetch"]
