"""The Typer application that every subcommand module attaches to."""

from __future__ import annotations

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
