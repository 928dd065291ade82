"""Command line: one module per subcommand, all attached to one Typer app."""

from voiceleak.cli import (  # noqa: F401  (each module registers its commands)
    check_model,
    decisions,
    defend,
    demo,
    import_,
    judge,
    listing,
    privilege,
    report,
    run,
    stimuli,
    validate,
)
from voiceleak.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
