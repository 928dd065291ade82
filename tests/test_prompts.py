"""Prompt sets as data: HearSay's two settings, multiple choice, open, reasoning; user sets by path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voiceleak.audio import MODEL_RATE
from voiceleak.tasks.base import build_task, load_prompt_set, shipped_prompt_names
from voiceleak.types import Audio, Clip, Outcome, Response

CLIP = Clip("c1", Path("c1.wav"), "s1", {"sex": "Female", "age": "30-40"})
AUDIO = Audio(np.zeros(160, np.float32), MODEL_RATE)


def _score(task_spec: str, reply: str) -> tuple[str, str | None]:
    task = build_task(task_spec)
    request = task.render(CLIP, AUDIO, "k1")
    score = task.score(CLIP, request, Response("k1", reply))
    return score.outcome.value, score.predicted


@pytest.mark.parametrize("name", ["direct", "hearsay-main", "hearsay-defense", "mcq", "open", "reasoning"])
def test_every_prompt_set_ships_versioned_and_is_recorded(name: str) -> None:
    assert name in shipped_prompt_names()
    prompts = load_prompt_set(name)
    assert prompts.name == name and prompts.version >= 1 and prompts.description
    described = build_task(f"attribute:sex prompts={name}").describe()["prompts"]
    assert described["name"] == name and described["template"] == prompts.template


def test_defense_is_the_main_setting_plus_a_privacy_note() -> None:
    main, defense = load_prompt_set("hearsay-main"), load_prompt_set("hearsay-defense")
    assert main.system and defense.system and defense.system.startswith(main.system)
    note = defense.system[len(main.system):].lower()
    assert "privacy" in note and "sensitive" in note and "speculative" in note
    assert defense.template == main.template


def test_multiple_choice_letters_the_options_and_reads_a_letter_back() -> None:
    request = build_task("attribute:sex prompts=mcq").render(CLIP, AUDIO, "k1")
    assert "A. Male\nB. Female" in request.prompt
    assert _score("attribute:sex prompts=mcq", "B") == ("answer", "Female")
    assert _score("attribute:sex prompts=mcq", "(A)") == ("answer", "Male")
    assert _score("attribute:sex", "B") == ("unparseable", None)  # no letters in the direct prompt


def test_open_question_lists_no_classes_and_maps_free_answers() -> None:
    request = build_task("attribute:age prompts=open").render(CLIP, AUDIO, "k1")
    assert "30-40" not in request.prompt and "Female" not in build_task("attribute:sex prompts=open").render(
        CLIP, AUDIO, "k1").prompt
    assert _score("attribute:age prompts=open", "Probably in her mid-thirties.") == ("answer", "30-40")


def test_reasoning_asks_for_a_final_answer_line_and_is_judged_by_it() -> None:
    request = build_task("attribute:sex prompts=reasoning").render(CLIP, AUDIO, "k1")
    assert "step by step" in request.prompt and "Answer:" in request.prompt
    reply = "The pitch is low for a female voice but too high for most male voices...\nAnswer: Female"
    assert _score("attribute:sex prompts=reasoning", reply) == ("answer", "Female")


def test_a_user_prompt_set_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nversion: 3\ndescription: test\nsystem: null\n"
                    "template: 'Is this voice male or female? {choices}'\n")
    task = build_task(f"attribute:sex prompts={path}")
    assert task.render(CLIP, AUDIO, "k1").prompt == "Is this voice male or female? Male, Female"
    assert task.describe()["prompts"]["version"] == 3


def test_errors_are_never_scored_as_answers() -> None:
    task = build_task("attribute:sex")
    request = task.render(CLIP, AUDIO, "k1")
    score = task.score(CLIP, request, Response("k1", None, error="CUDA out of memory"))
    assert score.outcome is Outcome.ERROR and score.correct is None
