"""The file names of a run's outputs, in one place: what report.json, the
summary and the writer all call them."""

from __future__ import annotations

REPORT_FILES = ("report.json", "report.md", "report.html")
SPREADSHEETS = ("suppressed.xlsx", "flagged.xlsx")  # the lists people open by hand
LIST_SUFFIXES = {"csv": ".csv", "csv.gz": ".csv.gz", "parquet": ".parquet"}
OUTPUT_FILES = (  # a CSV list's run
    "cleaned.csv",
    "suppressed.csv",
    "flagged.csv",
    *SPREADSHEETS,
    *REPORT_FILES,
)


def row_files(fmt: str) -> tuple[str, str, str]:
    """The names of cleaned, suppressed and flagged rows for a list in format
    ``fmt``."""
    return (
        f"cleaned{LIST_SUFFIXES[fmt]}",
        f"suppressed{LIST_SUFFIXES[fmt]}",
        f"flagged{LIST_SUFFIXES[fmt]}",
    )
