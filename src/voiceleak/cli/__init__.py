"""Command line: one module per subcommand, all attached to one Typer app."""

from voiceleak.cli import demo, listing, report, run, validate  # noqa: F401  (registers commands)
from voiceleak.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
