"""Words versus voice: the stimulus generator, the follows-voice/words scoring, one run through the Runner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from conftest import RATE, voice_like
from voiceleak.audio import load
from voiceleak.corpus.manifest import load_manifest
from voiceleak.corpus.stimuli import VOICES, build_stimuli, claims
from voiceleak.corpus.validate import validate_manifest
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.studies.execute import report_run
from voiceleak.tasks.base import build_task
from voiceleak.tasks.words_voice import verdict, verdict_fields
from voiceleak.types import Audio, Clip, Response

AUDIO = Audio(np.zeros(1600, np.float32), RATE)
needs_flite = pytest.mark.skipif(shutil.which("flite") is None, reason="flite is not installed")


def _clip(voice: dict[str, str], attribute: str, claim: str, condition: str | None = None) -> Clip:
    """A user's own conflict clip: the voice's labels in labels, the claim in raw_labels."""
    raw = {"claim_attribute": attribute, "claim": claim, **({"condition": condition} if condition else {})}
    return Clip("c1", Path("c1.wav"), "v1", voice, text="...", raw_labels=raw)


MALE_US = {"sex": "Male", "regional_accent": "en-US"}
FEMALE_US = {"sex": "Female", "regional_accent": "en-US"}

CASES = [
    # voice, attribute, claim, reply -> outcome, verdict, correct (= follows the voice)
    (MALE_US, "sex", "Female", "Male", "answer", "follows-voice", True),
    (MALE_US, "sex", "Female", "Female", "answer", "follows-words", False),
    (MALE_US, "sex", "Female", "The speaker is a woman, a mother of three.", "answer", "follows-words", False),
    (MALE_US, "sex", "Female", "Judging by the voice: male.", "answer", "follows-voice", True),
    (MALE_US, "sex", "Female", "I can't determine that from a voice.", "refusal", "refusal", None),
    (MALE_US, "sex", "Female", "", "unparseable", "unparseable", None),
    (MALE_US, "regional_accent", "en-GB-SCT", "Scottish", "answer", "follows-words", False),
    (MALE_US, "regional_accent", "en-GB-SCT", "American", "answer", "follows-voice", True),
    (MALE_US, "regional_accent", "en-GB-SCT", "British", "answer", "neither", False),
    (FEMALE_US, "sex", "Female", "Female", "answer", "both", True),
    (FEMALE_US, "sex", "Female", "Male", "answer", "neither", False),
]


@pytest.mark.parametrize(("voice", "attribute", "claim", "reply", "outcome", "said", "correct"), CASES)
def test_replies_are_scored_follows_voice_words_or_neither(voice: dict[str, str], attribute: str, claim: str,
                                                           reply: str, outcome: str, said: str,
                                                           correct: bool | None) -> None:
    clip = _clip(voice, attribute, claim)
    task = build_task(f"words-voice:{attribute}")
    task.prepare([clip])
    request = task.render(clip, AUDIO, "k")
    score = task.score(clip, request, Response("k", reply))
    fields = verdict_fields(score.detail)
    assert (score.outcome.value, fields["verdict"], score.correct) == (outcome, said, correct)
    assert fields["voice"] == voice[attribute] and fields["claim"] == claim
    assert fields["condition"] == ("congruent" if voice[attribute] == claim else "conflict")


def test_an_error_is_never_a_verdict() -> None:
    clip = _clip(MALE_US, "sex", "Female")
    task = build_task("words-voice:sex")
    score = task.score(clip, task.render(clip, AUDIO, "k"), Response("k", None, error="timeout"))
    assert score.outcome.value == "error" and verdict_fields(score.detail)["verdict"] == "error"


def test_verdict_table() -> None:
    assert verdict("Male", "Male", "Female") == "follows-voice"
    assert verdict("Female", "Male", "Female") == "follows-words"
    assert verdict("en-GB", "en-US", "en-GB-SCT") == "neither"
    assert verdict("Female", "Female", "Female") == "both"


def test_task_applies_to_its_claims_and_offers_the_classes_in_use() -> None:
    sex, accent = _clip(MALE_US, "sex", "Female"), _clip(MALE_US, "regional_accent", "en-GB-SCT")
    task = build_task("words-voice:regional_accent")
    assert task.applies_to(accent) and not task.applies_to(sex)
    task.prepare([sex, accent])
    assert task.render(accent, AUDIO, "k").choices == ("en-US", "en-GB-SCT")
    assert task.truth(accent) == "en-US"  # the truth is the voice; the claim is raw_labels.claim
    stated = _clip(MALE_US, "sex", "Female", condition="conflict")
    assert build_task("words-voice:sex").condition(stated) == "conflict"


def test_claims_are_minimal_pairs_with_the_claim_in_the_words() -> None:
    found = claims(["sex"])
    by_frame: dict[str, dict[str, str]] = {}
    for claim in found:
        by_frame.setdefault(claim.frame, {})[claim.label] = claim.text
    for texts in by_frame.values():
        female, male = texts["Female"].split(), texts["Male"].split()
        assert len(female) == len(male) and sum(a != b for a, b in zip(female, male, strict=True)) == 1
    assert any("mother of three" in c.text for c in found)
    assert any("Glasgow" in c.text and c.label == "en-GB-SCT" for c in claims(["regional_accent"]))
    with pytest.raises(ValueError, match="no claim sentences"):
        claims(["income"])


@needs_flite
def test_generator_writes_labelled_conflict_and_congruent_clips(tmp_path: Path) -> None:
    voices = [v for v in VOICES if v.id in ("flite-slt", "flite-awb")]
    clips, missing = build_stimuli(tmp_path / "s", voices, ["sex", "regional_accent"])
    assert not missing and len(clips) == 2 * 12
    assert validate_manifest(tmp_path / "s" / "manifest.jsonl").ok
    loaded = {c.id: c for c in load_manifest(tmp_path / "s" / "manifest.jsonl")}
    for clip in loaded.values():
        voice = next(v for v in voices if v.id == clip.speaker_id)
        assert dict(clip.labels) == {"sex": voice.sex, "regional_accent": voice.regional_accent,
                                     "language": "en", "voice_source": "synthetic"}
        raw = clip.raw_labels
        stated = clip.labels[raw["claim_attribute"]]
        assert raw["condition"] == ("congruent" if stated == raw["claim"] else "conflict")
        assert raw["voice_engine"] == "flite" and raw["voice_name"] == voice.name
        audio = load(clip.audio_path)
        assert audio.sample_rate == RATE and audio.duration > 1.0 and np.abs(audio.samples).max() > 0.5
    slt_mother = loaded["wv-flite-slt-sex-parent-Female"]
    assert "mother of three" in (slt_mother.text or "") and slt_mother.raw_labels["condition"] == "congruent"
    awb_mother = loaded["wv-flite-awb-sex-parent-Female"]
    assert awb_mother.labels["sex"] == "Male" and awb_mother.raw_labels["condition"] == "conflict"
    awb_texas = loaded["wv-flite-awb-regional_accent-grew-up-en-US"]
    assert "Texas" in (awb_texas.text or "") and awb_texas.labels["regional_accent"] == "en-GB-SCT"


def _own_clips(folder: Path) -> Path:
    """A user's own conflict clips (generated harmonic 'voices'), in the documented manifest fields."""
    (folder / "audio").mkdir(parents=True)
    lines = []
    for v_index, (voice, sex, f0) in enumerate([("m1", "Male", 110.0), ("m2", "Male", 130.0),
                                                ("f1", "Female", 220.0), ("f2", "Female", 250.0)]):
        for c_index, claim in enumerate(("Male", "Female")):
            clip_id = f"{voice}-{claim}"
            sf.write(folder / "audio" / f"{clip_id}.wav", voice_like(f0, 0.6, v_index * 10 + c_index), RATE)
            lines.append({"id": clip_id, "audio_filepath": f"audio/{clip_id}.wav", "speaker_id": voice,
                          "labels": {"sex": sex, "voice_source": "synthetic"}, "text": f"As a {claim} ...",
                          "raw_labels": {"claim_attribute": "sex", "claim": claim}})
    (folder / "manifest.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return folder / "manifest.jsonl"


def test_end_to_end_through_the_runner(tmp_path: Path) -> None:
    manifest = _own_clips(tmp_path / "own")
    config = RunConfig(corpus=str(manifest), models=("probe", "uniform"), tasks=("words-voice:sex",))
    runner = Runner(config, RunOptions(out=tmp_path / "run", use_cache=False, resamples=50, quiet=True))
    runner.execute()
    results = report_run(runner)
    rows = {r["model"]: r for r in results["analyses"]["words_voice"]["rows"]}
    assert set(rows) == {"probe", "uniform"}
    for row in rows.values():
        assert row["conflict"]["n"] + row["congruent"]["n"] + row["n_error"] == 8
        assert row["conflict"]["n"] == 4 or row["n_error"]
    uniform = rows["uniform"]["conflict"]
    shares = [uniform[k]["value"] for k in ("follows-voice", "follows-words", "neither", "no_answer")]
    assert sum(shares) == pytest.approx(1.0, abs=0.01)  # every valid conflict reply lands in one bin
    page = (tmp_path / "run" / "report.html").read_text()
    assert "Words versus voice" in page and "No end-to-end audio language model ran" in page
