"""`voiceleak privilege` end to end on a small corpus of generated speech (flite and espeak-ng voices)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from voiceleak.audio import load
from voiceleak.cli import app
from voiceleak.models import models
from voiceleak.models.base import LocalModel
from voiceleak.models.text.transcript import TRANSCRIBE_INSTRUCTION
from voiceleak.spec import Spec
from voiceleak.types import Request, Response

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (shutil.which("flite") and shutil.which("espeak-ng")),
                                 reason="needs flite and espeak-ng")]

SENTENCES = ["Please call me back tomorrow morning.", "I want to open a savings account.",
             "The meeting moved to Thursday afternoon."]
# (speaker, sex, command to speak TEXT into OUT)
VOICES = [("slt", "Female", ["flite", "-voice", "slt", "-t", "TEXT", "-o", "OUT"]),
          ("f2", "Female", ["espeak-ng", "-v", "en+f2", "-w", "OUT", "TEXT"]),
          ("f4", "Female", ["espeak-ng", "-v", "en+f4", "-w", "OUT", "TEXT"]),
          ("rms", "Male", ["flite", "-voice", "rms", "-t", "TEXT", "-o", "OUT"]),
          ("awb", "Male", ["flite", "-voice", "awb", "-t", "TEXT", "-o", "OUT"]),
          ("m3", "Male", ["espeak-ng", "-v", "en+m3", "-w", "OUT", "TEXT"]),
          # five voices a class: the fewest for which an interval over speakers is given
          ("f1", "Female", ["espeak-ng", "-v", "en+f1", "-w", "OUT", "TEXT"]),
          ("f3", "Female", ["espeak-ng", "-v", "en+f3", "-w", "OUT", "TEXT"]),
          ("m1", "Male", ["espeak-ng", "-v", "en+m1", "-w", "OUT", "TEXT"]),
          ("m2", "Male", ["espeak-ng", "-v", "en+m2", "-w", "OUT", "TEXT"])]


@models.register("test-oracle", "test only: an end-to-end model that hears the speaker perfectly")
class Oracle(LocalModel):
    """Knows each test clip by its audio; declines without it (blind or words-only controls)."""

    truth: ClassVar[dict[str, dict[str, str]]] = {}

    def __init__(self, spec: Spec) -> None:
        self.name = str(spec)

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        return [self._answer(r) for r in requests]

    def _answer(self, request: Request) -> Response:
        known = Oracle.truth.get(request.audio.content_hash()) if request.audio is not None else None
        if known is None:
            return Response(request.id, "I cannot determine that from this recording.")
        if request.prompt.startswith(TRANSCRIBE_INSTRUCTION):
            return Response(request.id, known["text"])
        return Response(request.id, known["sex"])


@pytest.fixture(scope="module")
def speech_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("speech")
    lines = []
    for speaker, sex, command in VOICES:
        for i, text in enumerate(SENTENCES[:2]):
            wav = folder / f"{speaker}-{i}.wav"
            subprocess.run([str(wav) if a == "OUT" else text if a == "TEXT" else a for a in command], check=True,
                           capture_output=True)
            Oracle.truth[load(wav).content_hash()] = {"sex": sex, "text": text}
            lines.append({"id": f"{speaker}-{i}", "audio_filepath": wav.name, "speaker_id": speaker, "text": text,
                          "labels": {"sex": sex, "language": "en"}, "provenance": "test fixture: synthetic speech"})
    manifest = folder / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return manifest


def privilege(corpus: Path, out: Path, *extra: str) -> tuple[int, str, dict[str, Any]]:
    result = CliRunner().invoke(app, ["privilege", "-c", str(corpus), "--cascade-model", "whisper-tiny+minilm",
                                      "-o", str(out), "--resamples", "300", *extra])
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").is_file() else {}
    return result.exit_code, result.output, results


def test_a_hearing_model_exposes_sex_and_the_cascade_serves_transcription(speech_corpus: Path,
                                                                          tmp_path: Path) -> None:
    out = tmp_path / "run"
    code, output, results = privilege(speech_corpus, out, "-m", "test-oracle", "--max-utility-loss", "50")
    assert code == 0, output
    data = results["analyses"]["privilege"]
    assert data["roles"]["control"] == "cascade:whisper-tiny+test-oracle"
    sex = data["attributes"][0]
    assert sex["attribute"] == "sex" and sex["n"] == 20 and sex["n_speakers"] == 10
    assert sex["e2e"]["value"] == pytest.approx(0.5)  # the oracle hears every speaker
    assert sex["blind"]["value"] == pytest.approx(0.0)  # it declines on silence: a refusal reveals nothing
    assert sex["voice_adds"]["value"] == pytest.approx(0.5)  # from the words alone it declines too
    assert sex["gap"]["low"] > 0 and sex["gap"]["n"] == 20 and sex["gap"]["unit"] == "speaker"
    app_row = data["applications"][0]
    assert app_row["e2e"]["value"] == 0.0 and not app_row["bounded"]
    assert data["verdicts"][0]["outcome"] == "cascade: less privilege"
    assert "the cascade serves transcription with less privilege" in " ".join(output.split())
    # Every role ran only what it needs: no probe transcription, blind only for the end-to-end model.
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    cells = Counter((s["model"], s["task"], s["transform"]) for s in samples)
    assert ("probe", "transcription", "none") not in cells
    assert {m for m, _, t in cells if t != "none"} == {"test-oracle"}
    transcripts = [s["meta"]["transcript"] for s in samples if s["model"].startswith("cascade:whisper-tiny+minilm")]
    assert len(transcripts) == 40 and all(isinstance(t, str) for t in transcripts)
    # Resuming adds nothing; re-reporting rebuilds the same analysis from the log and the header.
    code, output, again = privilege(speech_corpus, out, "-m", "test-oracle", "--max-utility-loss", "50")
    assert code == 0 and "0 new samples" in output
    assert again["analyses"]["privilege"]["attributes"] == data["attributes"]
    assert "Least privilege" in (out / "report.html").read_text()


def test_a_probe_stand_in_and_a_uniform_model(speech_corpus: Path, tmp_path: Path) -> None:
    code, output, results = privilege(speech_corpus, tmp_path / "probe", "-m", "probe", "--max-per-speaker", "2")
    assert code == 0, output
    data = results["analyses"]["privilege"]
    assert data["stand_in"] and data["roles"]["control"] is None  # a supervised probe cannot read transcripts
    assert data["applications"][0]["bounded"]  # no end-to-end transcription: compared with a perfect model
    assert "standing in" in " ".join(output.split())
    code, output, results = privilege(speech_corpus, tmp_path / "uniform", "-m", "uniform", "--no-text-only",
                                      "--identity")
    assert code == 0, output
    data = results["analyses"]["privilege"]
    assert data["attributes"][0]["e2e"]["n"] == 20 and data["verdicts"][0]["outcome"] == "inconclusive"
    identity = results["analyses"]["identity"]  # five contexts, majority vote, cascade flags from words
    assert len(identity["contexts"]) == 5 and identity["identifiable_by"] == ["cascade:whisper-tiny+minilm"]
    uniform = next(m for m in identity["models"] if m["model"] == "uniform")
    assert uniform["all"]["n"] == 20 and "voice_only" in uniform
