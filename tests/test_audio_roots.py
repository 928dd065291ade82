"""Where a manifest may read audio from: its folder, folders the user allows, sources voiceleak recorded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voiceleak.corpus.manifest import iter_manifest, write_manifest
from voiceleak.corpus.roots import allowed_roots, folders_of
from voiceleak.types import Clip


@pytest.fixture(autouse=True)
def own_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VOICELEAK_CONFIG", str(tmp_path / "config"))
    monkeypatch.delenv("VOICELEAK_AUDIO_ROOTS", raising=False)


def wav(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(1600, dtype=np.float32) + 0.1, 16000)
    return path


def manifest_to(path: Path, audio: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"id": "c1", "audio_filepath": str(audio), "speaker_id": "s"}) + "\n")
    return path


def problems(manifest: Path) -> list[str]:
    return [item.message for item in iter_manifest(manifest) if not isinstance(item, Clip)]


def test_a_handed_manifest_cannot_read_outside_its_folder(tmp_path: Path) -> None:
    secret = wav(tmp_path / "home" / "secret.wav")
    manifest = manifest_to(tmp_path / "downloaded" / "manifest.jsonl", secret)
    found = problems(manifest)
    assert found and "outside the manifest's folder" in found[0] and "VOICELEAK_AUDIO_ROOTS" in found[0]


def test_the_user_allows_a_folder_explicitly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = wav(tmp_path / "corpus" / "a.wav")
    manifest = manifest_to(tmp_path / "elsewhere" / "manifest.jsonl", clip)
    monkeypatch.setenv("VOICELEAK_AUDIO_ROOTS", str(tmp_path / "corpus"))
    assert problems(manifest) == []


def test_a_manifest_voiceleak_wrote_may_read_its_sources_and_no_other(tmp_path: Path) -> None:
    clips = [Clip(f"c{i}", wav(tmp_path / "corpus" / f"spk{i}" / "a.wav"), f"s{i}") for i in range(3)]
    subset = tmp_path / "runs" / "clips.jsonl"
    write_manifest(subset, clips)
    assert allowed_roots(subset) == [tmp_path / "corpus"]
    assert [c.id for c in iter_manifest(subset) if isinstance(c, Clip)] == ["c0", "c1", "c2"]
    # the same record does not extend to another manifest, nor to another folder
    other = manifest_to(tmp_path / "runs2" / "m.jsonl", clips[0].audio_path)
    assert problems(other)
    rewritten = manifest_to(subset, wav(tmp_path / "secret" / "x.wav"))
    assert problems(rewritten)


def test_unrelated_trees_are_recorded_folder_by_folder_never_as_the_root(tmp_path: Path) -> None:
    found = folders_of([Path("/a/b/c.wav"), Path("/x/y/z.wav")], tmp_path)
    assert found == [Path("/a/b"), Path("/x/y")]
