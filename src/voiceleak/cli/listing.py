"""`voiceleak list`: what can be named on the command line."""

from __future__ import annotations

from enum import StrEnum

import typer
from rich.table import Table

from voiceleak.attributes import taxonomy
from voiceleak.cli.app import app, console
from voiceleak.models import models
from voiceleak.tasks import tasks
from voiceleak.tasks.base import load_prompt_set, shipped_prompt_names
from voiceleak.transforms import transforms


class Kind(StrEnum):
    models = "models"
    tasks = "tasks"
    transforms = "transforms"
    attributes = "attributes"
    prompts = "prompts"


@app.command("list")
def list_(kind: Kind = typer.Argument(..., help="models | tasks | transforms | attributes | prompts")) -> None:
    """List registered plugins or the attribute taxonomy.

    Example: voiceleak list models
    """
    table = Table(title=kind.value, header_style="bold")
    if kind is Kind.attributes:
        for column in ("attribute", "classes", "sensitive", "aliases"):
            table.add_column(column)
        for a in taxonomy():
            table.add_row(a.name, "open set" if a.open_set else ", ".join(a.classes), "yes" if a.sensitive else "no",
                          ", ".join(a.aliases))
    elif kind is Kind.prompts:
        table.add_column("prompt set")
        table.add_column("version")
        table.add_column("description")
        for name in shipped_prompt_names():
            p = load_prompt_set(name)
            table.add_row(p.name, str(p.version), p.description)
    else:
        registry = {Kind.models: models, Kind.tasks: tasks, Kind.transforms: transforms}[kind]
        table.add_column("name")
        table.add_column("what it is / arguments")
        for entry in registry.entries():
            table.add_row(entry.name, entry.summary)
    console.print(table)
