"""Output formats of ``cxaudit check``: one small renderer per format.

Each renderer has one method, ``render(run) -> str``; the CLI picks them by
name from :data:`RENDERERS` (several per run: ``--format github --format
junit=junit.xml``). All of them render the same :class:`CheckRun`, and
``json`` is exactly :func:`check_dict`, the library's result as data.

A file that could not be read is an error in every format: a JUnit
``<error>``, an ``::error`` annotation on that file, a SARIF result, an entry
in JSON and Markdown, a line in text.

One module per format (:mod:`~cxaudit.check.formats.plain` for text and json,
:mod:`~cxaudit.check.formats.junit`, :mod:`~cxaudit.check.formats.github`,
:mod:`~cxaudit.check.formats.markdown`, :mod:`~cxaudit.check.formats.sarif`); what
they share is in :mod:`~cxaudit.check.formats.common`. A new format is a class
with ``render`` and an entry in :data:`RENDERERS`.
"""

from __future__ import annotations

from typing import Protocol

from cxaudit.check.formats.common import (
    CEILING,
    MAX_ROWS_SHOWN,
    UNREADABLE,
    RuleFinding,
    error_location,
    error_text,
    findings,
)
from cxaudit.check.formats.github import (
    MAX_ANNOTATIONS,
    ROWS_PER_ANNOTATION,
    Annotation,
    GithubRenderer,
    annotations,
    plan_annotations,
)
from cxaudit.check.formats.junit import JunitRenderer
from cxaudit.check.formats.markdown import MarkdownRenderer, omitted_markdown
from cxaudit.check.formats.plain import JsonRenderer, TextRenderer, check_dict
from cxaudit.check.formats.sarif import MAX_SARIF_RESULTS, SARIF_SCHEMA, SarifRenderer
from cxaudit.check.run import CheckRun


class Renderer(Protocol):
    def render(self, run: CheckRun) -> str: ...


RENDERERS: dict[str, Renderer] = {
    "text": TextRenderer(),
    "json": JsonRenderer(),
    "junit": JunitRenderer(),
    "github": GithubRenderer(),
    "markdown": MarkdownRenderer(),
    "sarif": SarifRenderer(),
}

__all__ = [
    "CEILING",
    "MAX_ANNOTATIONS",
    "MAX_ROWS_SHOWN",
    "MAX_SARIF_RESULTS",
    "RENDERERS",
    "ROWS_PER_ANNOTATION",
    "SARIF_SCHEMA",
    "UNREADABLE",
    "Annotation",
    "GithubRenderer",
    "JsonRenderer",
    "JunitRenderer",
    "MarkdownRenderer",
    "Renderer",
    "RuleFinding",
    "SarifRenderer",
    "TextRenderer",
    "annotations",
    "check_dict",
    "error_location",
    "error_text",
    "findings",
    "omitted_markdown",
    "plan_annotations",
]
