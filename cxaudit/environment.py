"""Settings read from the environment (chunk sizes, waits), each checked: a
typo in one is an error naming it, never a silent fall-back to the default."""

from __future__ import annotations

import os

from cxaudit.errors import CxauditError

# Rows of the campaign list audited at a time (audit's --chunk-size default;
# validate reads the list in the same chunks, so it judges what audit would).
LIST_CHUNK_ROWS = 1_000_000


def count(name: str, default: int) -> int:
    """The positive whole number in environment variable ``name``, or
    ``default`` when it is unset or empty."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) <= 0:
        raise CxauditError(
            f"{name}={text!r}: not a positive whole number; set it to one (e.g. "
            f"{name}={default}) or unset it"
        )
    return int(text)
