"""The run's list files, all in place at once or none.

- :mod:`.writer`: which rows go to cleaned, suppressed and flagged (CSV and
  Arrow), written chunk by chunk, and the --out folder's rules;
- :mod:`.atomic`: every file swapped in together, or none;
- :mod:`.spreadsheets`: the .xlsx workbooks; :mod:`.parquet_parts`:
  ``--out-format parquet-parts``.
"""
