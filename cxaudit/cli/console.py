"""Printing to the terminal as every command does: text shown as given
(never read as rich markup, emoji codes or things to colour), and an error
as one ``cxaudit: error:`` line on standard error."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from cxaudit.escaping import terminal


def make_console(stderr: bool = False, soft_wrap: bool = True, **options: Any) -> Console:
    """A console that prints text as given. Messages carry file names, rule
    ids and campaign labels, which rich would otherwise read as markup
    (``[bold]``, or ``[/x]``, an error), emoji codes (``list:x:1.csv`` shown
    as ``list❌1.csv``) or things to colour."""
    return Console(
        stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=soft_wrap, **options
    )


def _err_console() -> Console:
    return make_console(stderr=True)


def _err(message: str) -> None:
    _err_console().print(f"cxaudit: error: {terminal(message)}")
