"""The Typer application that every subcommand module attaches to."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    name="voiceleak",
    help="Audit what audio language models infer about the person speaking.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a clear error and return the Exit to raise (no traceback for user mistakes)."""
    err.print(f"[bold red]error:[/] {escape(message)}")  # a message may hold brackets: 'voiceleak[ray]'
    return typer.Exit(code)


def installed_version() -> str:
    """The installed distribution's version (pyproject's), the one `pip show voiceleak` names."""
    try:
        return package_version("voiceleak")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def print_version(value: bool) -> None:
    if value:
        typer.echo(f"voiceleak {installed_version()}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=print_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Audit what audio language models infer about the person speaking."""
