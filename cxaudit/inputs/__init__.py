"""Reading inputs: bytes to a :class:`~cxaudit.inputs.table.Table`, never a
value changed.

- :mod:`.locations`: local paths and URLs; :mod:`.files`: regular files only,
  inputs never overwritten, stamps that tell a run its inputs changed;
- :mod:`.encodings`: which encoding a file is in; :mod:`.records`: where CSV
  records end; :mod:`.csvfile`: one CSV or Parquet file, read and written
  back byte for byte; :mod:`.chunks`: one file in chunks;
- :mod:`.parts`: folders and globs of parts read as one table;
  :mod:`.stdin`: ``-``; :mod:`.table`: a file's rows and where each came from.
"""
