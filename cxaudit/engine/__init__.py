"""Where the audit runs: this process (``local``) or a Dask cluster (``dask``).

An engine carries out a :class:`~cxaudit.audit.plan.Plan` in the two phases every
engine shares: phase 1 reduces each source to the keys its rules matched
(:mod:`cxaudit.audit.digest`), phase 2 decides the list chunk by chunk (or
partition by partition) against those keys
(:func:`~cxaudit.audit.decide.decide_chunk`). Both engines run the same condition,
identity, digest and decision code and give the same bytes; they differ
only in where the work runs and how partial results come together.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from cxaudit.errors import CxauditError

if TYPE_CHECKING:
    from cxaudit.audit.decide import AuditResult
    from cxaudit.audit.plan import Plan, Progress
    from cxaudit.inputs.chunks import Totals

ENGINES = ("local", "dask")


class Engine(Protocol):
    """Runs a plan; yields one result per chunk or partition, in list order
    (one result for the whole list when ``chunk_rows`` is None)."""

    def audit(
        self,
        plan: Plan,
        progress: Progress,
        chunk_rows: int | None,
        totals: Totals,
        evidence_for: str | None,
    ) -> Iterator[AuditResult]: ...

    def close(self) -> None: ...


def open_engine(name: str, scheduler: str | None = None) -> Engine:
    """The engine called ``name``; ``scheduler`` is a Dask scheduler's
    address (without it, ``dask`` starts a cluster in this process)."""
    if name == "local":
        if scheduler is not None:
            raise CxauditError(
                "--scheduler needs --engine dask; the local engine runs in this process"
            )
        from cxaudit.engine.local import LocalEngine

        return LocalEngine()
    if name == "dask":
        from cxaudit.engine.dask import DaskEngine

        return DaskEngine(scheduler)
    raise CxauditError(f"--engine {name!r}: not an engine; use one of {', '.join(ENGINES)}")
