"""`verify`: the audio model as speaker verifier. Two clips per request through the OpenAI-compatible
and Gemini backends (local servers that hear every part), balanced seeded trial lists, and EER from
the confidence and from yes/no, on fixtures with known answers."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conftest import SPEAKERS, ask, voice_like, write_corpus
from servers.chat_server import ChatServer
from servers.gemini_server import GeminiServer
from voiceleak.analysis.verify import verify_cell
from voiceleak.models.hf_transformers import TransformersModel
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.studies.execute import report_run
from voiceleak.tasks.base import build_task
from voiceleak.tasks.verify import build_pairs, read_confidence, trial_score
from voiceleak.types import SEVERAL_CLIPS, Audio, Clip, Request, SampleRecord


def clip(f0: float, seconds: float = 1.0, seed: int = 0) -> Audio:
    return Audio(voice_like(f0, seconds, seed), 16_000)


# -- trials ----------------------------------------------------------------------------------------

def clips_for(speakers: dict[str, int]) -> list[Clip]:
    return [Clip(f"{s}-{i}", Path(f"{s}-{i}.wav"), s) for s, n in speakers.items() for i in range(n)]


def test_trials_are_balanced_within_every_speaker_seeded_and_never_self_pairs() -> None:
    clips = clips_for({"a": 6, "b": 5, "c": 2, "solo": 1})
    pairs = build_pairs(clips, seed=0)
    assert pairs == build_pairs(clips, seed=0) and pairs != build_pairs(clips, seed=1)
    speaker = {c.id: c.speaker_id for c in clips}
    per = Counter((speaker[cid], target) for cid, (_, target) in pairs.items())
    assert per == {("a", True): 3, ("a", False): 3, ("b", True): 2, ("b", False): 2,
                   ("c", True): 1, ("c", False): 1}  # b drops one clip; solo has no target pair
    for cid, (partner, target) in pairs.items():
        assert partner.id != cid and (speaker[cid] == partner.speaker_id) is target
    assert build_pairs(clips_for({"a": 4})) == {}  # one speaker: no non-target trial


def test_confidence_and_the_score_of_a_reply() -> None:
    assert read_confidence("Answer: yes. Confidence: 7") == 7
    assert read_confidence("No, I am confident (9/10) these differ.") == 9
    assert read_confidence("Confidence: 42") is None and read_confidence("Yes.") is None
    assert trial_score("yes", 10) == 1.0 and trial_score("no", 10) == 0.0
    assert trial_score("yes", 10) > trial_score("yes", None) > trial_score("yes", 1) > 0.5 > trial_score("no", None)
    assert trial_score(None, 8) == 0.5


def record(cid: str, speaker: str, target: bool, said: str | None, confidence: int | None,
           voiceprint: float) -> SampleRecord:
    detail = f"partner=x target={int(target)} voiceprint={voiceprint}" + (
        f" confidence={confidence}" if confidence else "")
    decision = {"yes": "same", "no": "different"}.get(said or "")
    return SampleRecord(cid, "m", "verify", "none", cid, 0, speaker, {}, None, "", None, "clip", said, None,
                        "answer" if said else "refusal", decision, "same" if target else "different",
                        None, trial_score(said, confidence), 0.0, False, {"detail": detail})


def test_eer_from_confidence_from_yes_no_and_of_the_voiceprint() -> None:
    """Six speakers, two target and two non-target trials each. The model says yes to every target
    trial (confidence 9) and to one non-target trial per speaker (confidence 2): the confidence
    separates them all (EER 0), the yes/no alone misses nothing and lets half the impostors in
    (false alarms 50%; the two-level score's EER, on the segment from (miss 0, FA 1/2) to (1, 0), is 1/3).
    The voiceprint is perfect."""
    records = []
    for s in "abcdef":
        records += [record(f"{s}1", s, True, "yes", 9, 0.9), record(f"{s}2", s, True, "yes", 9, 0.8),
                    record(f"{s}3", s, False, "yes", 2, 0.1), record(f"{s}4", s, False, "no", 6, 0.2)]
    cell = verify_cell(records)
    assert cell["n_trials"] == 24 and cell["n_target"] == 12 and cell["n_speakers"] == 6
    assert cell["from_confidence"]["eer"]["value"] == 0.0
    assert cell["miss_rate"]["value"] == 0.0 and cell["false_alarm_rate"]["value"] == 0.5
    assert cell["from_yes_no"]["eer"]["value"] == pytest.approx(1 / 3, abs=1e-4)
    assert cell["voiceprint"]["eer"]["value"] == 0.0
    # A refusal ranks between every yes and every no: here, among the impostors' scores.
    declined = [*records[:-1], record("f4", "f", False, None, None, 0.2)]
    assert verify_cell(declined)["n_declined"] == 1


# -- several clips in one request ------------------------------------------------------------------

def test_every_clip_is_in_the_cache_key_and_a_single_clip_key_is_unchanged() -> None:
    a, b, c = clip(100), clip(200), clip(300)
    one = Request("r", "Same?", a)
    assert one.audios == (a,) and Request("r", "Same?", None).audios == ()
    two = Request("r", "Same?", a, extra_audio=(b,))
    assert two.audios == (a, b)
    keys = {one.cache_key("m", 0), two.cache_key("m", 0), Request("r", "Same?", a, extra_audio=(c,)).cache_key("m", 0),
            Request("r", "Same?", b, extra_audio=(a,)).cache_key("m", 0)}
    assert len(keys) == 4
    assert one.cache_key("m", 0) == Request("r", "Same?", a, extra_audio=()).cache_key("m", 0)


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    server = ChatServer(lifetime_s=120).start()
    yield server
    server.stop()


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[GeminiServer]:
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-voiceleak-FAKE-0000")
    server = GeminiServer(lifetime_s=120).start()
    yield server
    server.stop()


@pytest.mark.parametrize("style", ["input_audio", "audio_url"])
def test_openai_sends_every_clip_as_its_own_part_in_order(chat: ChatServer, style: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-voiceleak-FAKE-0000")
    spec = f"openai:verifier base_url={chat.url}/v1 audio_part={style}"
    out = ask(spec, [Request("same", "Same?", clip(120, 1.0), extra_audio=(clip(122, 0.6, seed=1),)),
                     Request("diff", "Same?", clip(120, 1.0), extra_audio=(clip(240, 0.6, seed=2),))])
    assert [r.text.split(".")[0] for r in out if r.text] == ["Answer: yes", "Answer: no"]
    first = next(r for r in chat.received if r.heard[1].f0 and r.heard[1].f0 < 200)
    assert [round(h.duration, 1) for h in first.heard] == [1.0, 0.6]
    content = first.body["messages"][0]["content"]  # type: ignore[index]
    assert [p["type"] for p in content] == [style, style, "text"]


@pytest.mark.parametrize("inline_limit", ["", "inline_limit_mb=0.01"])
def test_gemini_sends_every_clip_inline_or_uploaded_and_deletes_uploads(gemini: GeminiServer,
                                                                         inline_limit: str) -> None:
    spec = f"gemini:verifier base_url={gemini.url} max_retries=2 retry_delay=0.01 {inline_limit}".strip()
    out = ask(spec, [Request("a", "Same?", clip(130, 1.0), extra_audio=(clip(260, 0.5, seed=3),))])
    assert out[0].text is not None and out[0].text.startswith("Answer: no")
    assert [round(h.duration, 1) for h in gemini.received[0].heard] == [1.0, 0.5]
    if inline_limit:
        assert out[0].meta["deleted"] == [True, True] and len(gemini.uploaded) == 2 and not gemini.files


def test_transformers_refuses_several_clips_by_name() -> None:
    model: Any = TransformersModel.__new__(TransformersModel)
    model.family = SimpleNamespace(name="qwen2-audio")
    model.batch = 4
    out = model._generate_all([Request("a", "Same?", clip(100), extra_audio=(clip(200),))])
    assert out[0].text is None and out[0].error.startswith(SEVERAL_CLIPS)


# -- the whole task through the runner, and the report ----------------------------------------------

def test_verify_runs_over_the_openai_server_and_reports_eer(chat: ChatServer, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-voiceleak-FAKE-0000")
    manifest = write_corpus(tmp_path / "corpus", SPEAKERS, clips_each=4, seconds=1.0)
    task = build_task("verify")
    config = RunConfig(corpus=str(manifest), models=(f"openai:verifier base_url={chat.url}/v1",),
                       tasks=("verify",), transforms=("none",))
    runner = Runner(config, RunOptions(out=tmp_path / "run", quiet=True, resamples=200))
    runner.execute()
    results = report_run(runner)
    row = results["analyses"]["verify"]["rows"][0]
    assert row["n_trials"] == 24 and row["n_target"] == 12 and row["n_speakers"] == 6 and row["n_error"] == 0
    assert row["n_with_confidence"] == 24
    # Same-speaker clips differ in pitch by at most 6%: every target trial is a yes.
    assert row["miss_rate"]["value"] == 0.0
    assert row["from_confidence"]["eer"]["value"] < 0.2
    assert row["voiceprint"] is not None and row["voiceprint"]["n_trials"] == 24
    assert all(len(r.heard) == 2 for r in chat.received)
    html = (tmp_path / "run" / "report.html").read_text()
    assert "The audio model as speaker verifier" in html
    header = json.loads((tmp_path / "run" / "header.json").read_text())
    assert task.name in json.dumps(header)


def test_a_backend_that_sends_one_clip_says_so_instead_of_answering_about_the_first(tmp_path: Path) -> None:
    """The stand-ins and the voiceprint probe hear one clip: on a two-clip task each sample is an error
    that names why, never a reply about the first clip alone."""
    manifest = write_corpus(tmp_path / "corpus", SPEAKERS, clips_each=2, seconds=1.0)
    config = RunConfig(corpus=str(manifest), models=("uniform", "probe"), tasks=("verify",), transforms=("none",))
    runner = Runner(config, RunOptions(out=tmp_path / "run", quiet=True, resamples=50))
    runner.execute()
    records = list(runner.log.records())
    assert records and all(r.outcome == "error" for r in records)
    assert all("cannot send more than one clip" in (r.error or "") for r in records)
