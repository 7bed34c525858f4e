"""Every renderer of :data:`~cxaudit.check.formats.NAMES`, by name, and what
the formats share (re-exported for the command and the tests)."""

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


RENDERERS: dict[str, Renderer] = {  # the order and names of NAMES (a test holds them equal)
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
