"""`voiceleak check-model`: passes a model that hears (however tersely it answers), fails one that does
not (however it words its guess), refuses text-only ones; the stated error rate holds."""

from __future__ import annotations

import itertools
import json
import math
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from servers.chat_server import ChatServer
from voiceleak.audio import MODEL_RATE, load, silence, to_wav_bytes
from voiceleak.cli import app, check_model
from voiceleak.cli.check_model import REQUIRED, Probe, judge
from voiceleak.types import Request, Response

_WORD_TEXT = ("amber badger cobalt dolphin ember falcon granite harbor iris jasmine kettle lantern meadow nectar "
         "orchid pepper quartz raven saffron tulip umber velvet walnut yarrow zephyr anchor bramble cinder "
         "dune fern glacier hazel ivory juniper kelp lilac mango nutmeg olive pebble quill rosemary sable "
         "thistle urchin violet willow xenon yucca zinnia acorn birch cedar daisy elm fig ginger hemlock "
         "indigo jade kiwi lotus maple nettle oak poppy quince reed sorrel thyme ursine vine wheat yew zest "
         "apricot basil clover dill eucalyptus foxglove garlic heather")
WORDS = _WORD_TEXT.split()


@pytest.fixture
def spoken(corpus: Path, server: ChatServer) -> Path:
    """The test corpus with a distinct transcript per clip, registered with the server (which then
    recognises each clip by what it hears)."""
    lines = [json.loads(line) for line in corpus.read_text().splitlines()]
    for index, line in enumerate(lines):
        line["text"] = " ".join(WORDS[4 * index:4 * index + 4])
        audio = load(corpus.parent / line["audio_filepath"], sample_rate=MODEL_RATE)
        server.transcribe(to_wav_bytes(audio), line["text"])
    assert len(server.words) == len(lines)  # every clip is told apart by what the server hears
    corpus.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return corpus


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["check-model", *args])


@pytest.mark.parametrize("model", ["sim", "terse"])
def test_a_model_that_hears_passes_however_it_words_the_answer(server: ChatServer, spoken: Path, model: str) -> None:
    result = invoke(f"openai:{model} base_url={server.url}/v1", "--corpus", str(spoken), "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "hears the audio" in result.output and "0.83%" in result.output
    assert len(server.received) == 9  # eight clips and one second of silence
    assert sorted(len(r.heard) for r in server.received) == [1] * 9


@pytest.mark.parametrize("model", ["deaf", "deafvaried", "deaforacle"])
def test_a_model_that_does_not_hear_fails_however_it_words_the_guess(server: ChatServer, spoken: Path,
                                                                    model: str) -> None:
    result = invoke(f"openai:{model} base_url={server.url}/v1", "--corpus", str(spoken), "--seed", "1")
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "words of only" in result.output


def test_the_varied_deaf_server_really_varies() -> None:
    """The deaf model above is the hard case for the old check: its wordings all differ."""
    server = ChatServer()
    answers = {server.answer_for("deafvaried", []) for _ in range(8)}
    assert len(answers) >= 5


def test_models_that_take_no_audio_are_refused_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Sequence[Request]] = []

    class TextOnly:
        name = "text-only"
        accepts_audio = False

        async def generate(self, requests: Sequence[Request]) -> list[Response]:
            calls.append(requests)
            return []

    monkeypatch.setattr(check_model, "build_model", lambda text: TextOnly())
    result = invoke("text-only")
    assert result.exit_code == 2 and "does not take audio" in result.output and not calls
    supervised = invoke("majority")  # a trained attacker answers no questions
    assert supervised.exit_code == 2 and "does not take audio" in supervised.output


def probes(n: int) -> list[Probe]:
    return [Probe(f"c{i}", silence(0.1), "", " ".join(WORDS[4 * i:4 * i + 4])) for i in range(n)]


def test_silence_answered_with_a_clips_words_fails() -> None:
    clips = probes(6)
    answers = {p.id: Response(p.id, p.text.upper() + ".") for p in clips}  # heard, shouted
    assert judge({**answers, "quiet": Response("quiet", "No speech.")}, clips, "quiet").ok
    mixed = judge({**answers, "quiet": Response("quiet", clips[2].text)}, clips, "quiet")
    assert not mixed.ok and "silence" in mixed.problems[0]


def test_swapped_or_half_heard_replies_do_not_count() -> None:
    clips = probes(6)
    swapped = {p.id: Response(p.id, clips[(i + 1) % 6].text) for i, p in enumerate(clips)}  # audio mixed up
    assert not judge(swapped, clips, None).ok and judge(swapped, clips, None).heard == []
    one_word = {p.id: Response(p.id, p.text.split()[0]) for p in clips}  # a quarter of the words
    assert not judge(one_word, clips, None).ok


def test_errors_instead_of_answers_fail() -> None:
    clips = probes(6)
    responses = {p.id: Response(p.id, None, error="HTTP 500") for p in clips}
    verdict = judge(responses, clips, None)
    assert not verdict.ok and "words of only 0" in verdict.problems[0] and "6 errors" in verdict.warnings[0]


def test_the_stated_error_rate_bounds_every_deaf_strategy() -> None:
    """A deaf model's reply names one clip (or none) without knowing the order; over every such
    strategy, exhaustively for 5 clips, P(at least m clips named right) <= 1/m!, the bound printed."""
    n = 5
    orders = np.array(list(itertools.permutations(range(n))))
    worst = dict.fromkeys(range(1, n + 1), 0.0)
    for guesses in itertools.product(range(n + 1), repeat=n):  # n stands for "names no clip"
        named_right = (orders == np.array(guesses)).sum(axis=1)
        for m in worst:
            worst[m] = max(worst[m], float((named_right >= m).mean()))
    for m, p in worst.items():
        assert p <= 1 / math.factorial(m) + 1e-12
    assert 1 / math.factorial(REQUIRED) < 0.01


def test_default_clips_have_distinct_words_and_different_voices(tmp_path: Path) -> None:
    clips = check_model.default_probes(tmp_path, 8)
    assert len(clips) == 8 and len({p.note.split(",")[0] for p in clips}) >= 3
    assert all(p.audio.sample_rate == 16_000 and p.audio.duration > 0.2 for p in clips)
    for a, b in itertools.combinations(clips, 2):
        assert check_model.best_match(a.text, clips)[0] == a.id and check_model.recall(a.text, b.text) < 0.5


def test_a_corpus_without_transcripts_is_refused_clearly(server: ChatServer, corpus: Path) -> None:
    result = invoke(f"openai:sim base_url={server.url}/v1", "--corpus", str(corpus))
    assert result.exit_code == 2 and "distinct transcripts" in result.output and not server.received


@pytest.mark.skipif(shutil.which("flite") is None, reason="flite is not installed")
def test_flite_makes_clips_when_there_is_no_corpus(tmp_path: Path) -> None:
    clips = check_model.flite_probes(tmp_path, 8)
    assert len(clips) == 8 and all(p.audio.duration > 1.0 for p in clips)
    assert len({p.audio.content_hash() for p in clips}) == 8
    assert all(check_model.best_match(p.text, clips)[0] == p.id for p in clips)
