"""The defend study as one ordinary run: its recogniser is a model whose transcripts are cached once for
every run that uses the same recogniser, and an interrupted study resumes without transcribing again."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from voiceleak.models.asr import transcribers
from voiceleak.runner.log import RunLog
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.spec import Spec
from voiceleak.studies.defend import DefendConfig, plan_defend, study
from voiceleak.studies.execute import StudyInterrupted, execute
from voiceleak.types import Audio

DEFENSE = "bandlimit:3400"  # deterministic: the same defended audio, so the same cache keys, every run
ASR = "asr:test-defend-asr"


@transcribers.register("test-defend-asr", "test only: counts what it transcribes; can stop the process")
class Counting:
    remote_host = None
    language = "en"
    calls: ClassVar[list[str]] = []
    #: raise KeyboardInterrupt (Ctrl-C) when asked for this many-th transcription
    interrupt_at: ClassVar[int | None] = None

    def __init__(self, spec: Spec) -> None:
        self.name = str(spec)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name}

    def transcribe(self, audios: Sequence[Audio]) -> list[str]:
        out = []
        for audio in audios:
            if Counting.interrupt_at is not None and len(Counting.calls) + 1 >= Counting.interrupt_at:
                raise KeyboardInterrupt
            Counting.calls.append(audio.content_hash())
            out.append("hello there")
        return out


@pytest.fixture(autouse=True)
def fresh_counts() -> None:
    Counting.calls.clear()
    Counting.interrupt_at = None


def config_for(corpus: Path) -> DefendConfig:
    return DefendConfig(corpus=str(corpus), defenses=(DEFENSE,), tasks=("attribute:sex",), asr="test-defend-asr",
                        asr_clips=100, trials_per_speaker=1, semi_informed=False)


def run_defend(corpus: Path, out: Path) -> dict[str, Any]:
    return execute(study(config_for(corpus), out), RunOptions(out=out, quiet=True, resamples=50)).results


def transcriptions(out: Path) -> list[Any]:
    return [r for r in RunLog(out).records() if r.model == ASR]


def test_the_study_declares_only_the_cells_it_needs(corpus: Path, tmp_path: Path) -> None:
    plan = plan_defend(config_for(corpus), tmp_path / "d")
    cells = {(c.model, c.task, c.transform) for c in plan.study.cells or ()}
    assert cells == {("probe", "attribute:sex", "none"), ("probe", "attribute:sex", DEFENSE),
                     (ASR, "transcription", "none"), (ASR, "transcription", DEFENSE)}
    block = plan.study.header["defend"]
    assert block["asr_model"] == ASR and block["tasks"] == ["attribute:sex"]
    assert len(block["settings"]["asr_clips"]) == 24


@pytest.mark.slow
def test_the_same_audio_is_transcribed_once_across_defend_a_run_and_a_cascade(corpus: Path,
                                                                            tmp_path: Path) -> None:
    results = run_defend(corpus, tmp_path / "defend")
    assert len(Counting.calls) == len(set(Counting.calls)) == 2 * 24  # every clip, clean and defended
    rows = {row["name"]: row for row in results["analyses"]["defenses"]["rows"]}
    assert rows[DEFENSE]["wer"]["n_clips"] == 24 and rows[DEFENSE]["wer"]["wer"]["value"] == 0.0
    assert rows["none"]["verification"]["lazy_informed"]["n_trials"] == 6 * 2

    # A plain run of the same recogniser on the same cells: every answer from the response cache.
    config = RunConfig(corpus=str(corpus), models=(ASR,), tasks=("transcription",), transforms=("none", DEFENSE))
    Runner(config, RunOptions(out=tmp_path / "run", quiet=True)).execute()
    records = list(RunLog(tmp_path / "run").records())
    assert len(records) == 48 and all(r.cached for r in records) and len(Counting.calls) == 48

    # A cascade with the same recogniser reads the same transcripts instead of transcribing again.
    config = RunConfig(corpus=str(corpus), models=("cascade:test-defend-asr+test-first-choice",),
                       tasks=("attribute:sex",), transforms=("none", DEFENSE))
    Runner(config, RunOptions(out=tmp_path / "cascade", quiet=True)).execute()
    answered = list(RunLog(tmp_path / "cascade").records())
    assert len(answered) == 48 and all(r.meta["transcript"] == "hello there" for r in answered)
    assert len(Counting.calls) == 48


@pytest.mark.slow
def test_an_interrupted_study_resumes_without_transcribing_again(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "defend"
    Counting.interrupt_at = 11  # Ctrl-C while the recogniser works on its 11th clip
    with pytest.raises(StudyInterrupted):
        run_defend(corpus, out)
    done_before = len(Counting.calls)
    logged = {r.key for r in transcriptions(out)}
    assert done_before == 10 and len(logged) <= done_before  # a batch in flight is not in the log yet

    Counting.interrupt_at = None
    results = run_defend(corpus, out)
    assert len(Counting.calls) == len(set(Counting.calls)) == 2 * 24  # the first 10 were not transcribed again
    keys = [r.key for r in RunLog(out).records()]
    assert len(keys) == len(set(keys)) and len(transcriptions(out)) == 48
    assert logged <= {r.key for r in transcriptions(out)}
    header = json.loads((out / "header.json").read_text())
    assert header["defend"]["asr_model"] == ASR
    assert results["analyses"]["defenses"]["rows"][1]["wer"]["n_clips"] == 24
