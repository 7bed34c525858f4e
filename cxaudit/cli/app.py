"""The Typer app: its group (which refuses empty arguments before any
command runs), its help and ``--version``. The commands are registered on it
by :mod:`cxaudit.cli.main`, in the order ``--help`` lists them."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from cxaudit import __version__
from cxaudit.cli.console import _err
from cxaudit.errors import EXIT_ERROR

# An option whose empty value means something ("no offer"); every other empty
# argument is an unset variable in a script (`--out "$OUT"`), never a path.
_EMPTY_ALLOWED = frozenset({"--offer"})


def empty_argument(args: list[str]) -> str | None:
    """The message for the first empty argument, or None: ``--out ''`` must
    not write into the current folder, nor ``--baseline ''`` compare with it."""
    for i, arg in enumerate(args):
        option, value = arg.split("=", 1) if arg.startswith("--") and "=" in arg else ("", arg)
        if value.strip():
            continue
        if not option:
            option = args[i - 1] if i and args[i - 1].startswith("-") else "an argument"
        if option in _EMPTY_ALLOWED:
            continue
        return f"{option} {value!r}: empty (an unset variable in a script?); give a path or value"
    return None


class _Commands(TyperGroup):
    """The command group, refusing empty arguments before any command runs."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # Typer's own click
        problem = empty_argument(args)
        if problem is not None:
            _err(problem)
            ctx.exit(EXIT_ERROR)
        return super().parse_args(ctx, args)


app = typer.Typer(
    name="cxaudit",
    cls=_Commands,
    help=(
        "Hold marketing back from customers who are in the middle of a support problem.\n\n"
        "Example: cxaudit audit sample_data/campaign.csv --rules rules.yaml --out cxaudit-out"
    ),
    # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cxaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Hold marketing back from customers who are in the middle of a support problem."""
