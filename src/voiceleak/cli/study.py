"""How every study command (and `voiceleak run`) reaches the shell: one path through
`voiceleak.studies.execute`, its errors as messages with an exit status, Ctrl-C as status 130."""

from __future__ import annotations

from collections.abc import Callable

import typer

from voiceleak.cli.app import err, fail
from voiceleak.runner.run import RunOptions
from voiceleak.studies.base import StudyPlan
from voiceleak.studies.execute import Finished, StudyError, StudyInterrupted, execute, user_errors


def run_study(plan: StudyPlan | Callable[[], StudyPlan], options: RunOptions,
              max_requests: int | None = None) -> Finished:
    """Plan (a callable: its mistakes become messages too), run, finish; exits on a StudyError."""
    try:
        with user_errors():
            chosen = plan() if callable(plan) else plan
        return execute(chosen, options, err, max_requests)
    except StudyInterrupted as exc:  # the message, with how to resume, is already printed
        raise typer.Exit(exc.exit_code) from exc
    except StudyError as exc:
        raise fail(str(exc), exc.exit_code) from exc
