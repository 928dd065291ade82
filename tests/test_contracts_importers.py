"""Contracts over every registered corpus importer (see tests/test_contracts.py for the five contracts).

An importer takes no spec: it is built by name, and describes itself by its registry entry. Its input
is a corpus on disk, which it must leave as it found it; a bad row is a reported problem (file, line,
reason), never an exception; and the clips it writes load back from the manifest and run.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from import_fixtures import write_audio
from test_contracts import ERROR, Parrot, assert_round_trips, check_description, contract_for, plugin_names, run_cell
from voiceleak.corpus.importers import ImportSourceError, import_corpus, importers
from voiceleak.corpus.manifest import load_manifest
from voiceleak.tasks.base import build_task
from voiceleak.transforms.base import build_transform


@dataclass(frozen=True)
class ImporterCase:
    #: writes a tiny corpus of its kind under the folder (two good clips and one bad row); returns the
    #: source to import
    build: Callable[[Path], Path]
    mapping: dict[str, str] = field(default_factory=dict)


def _commonvoice(root: Path) -> Path:
    folder = root / "cv-corpus" / "en"
    header = "client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccent\tlocale\tsegment\n"
    rows = [f"c{n}\tcommon_voice_en_{n}.wav\thello\t2\t0\ttwenties\tfemale\t\ten\t\n" for n in range(2)]
    for n in range(2):
        write_audio(folder / "clips" / f"common_voice_en_{n}.wav", seed=n)
    (folder / "train.tsv").write_text(header + "".join(rows) + "c9\tbroken row\n", encoding="utf-8")
    return folder


def _cremad(root: Path) -> Path:
    folder = root / "CREMA-D"
    folder.mkdir(parents=True)
    (folder / "VideoDemographics.csv").write_text(
        "ActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,Caucasian,Not Hispanic\nabc,30,Male,Asian,Not Hispanic\n")
    write_audio(folder / "AudioWAV" / "1001_DFA_ANG_XX.wav", seed=1)
    write_audio(folder / "AudioWAV" / "1001_IEO_HAP_HI.wav", seed=2)
    return folder


def _csv(root: Path) -> Path:
    for n in range(2):
        write_audio(root / "mine" / f"{n}.wav", seed=n)
    table = root / "mine" / "meta.csv"
    table.write_text("file,spk,Gender\n0.wav,a,F\n1.wav,b,M\n,c,M\n", encoding="utf-8")
    return table


def _hearsay(root: Path) -> Path:
    folder = root / "HearSay"
    for n, name in enumerate(["m_001.wav", "m_002.wav"]):
        write_audio(folder / "dataset" / "audio" / "gender" / "Male" / name, seed=n)
    label = folder / "dataset" / "label" / "gender" / "Male.csv"
    label.parent.mkdir(parents=True)
    label.write_text("name,value,file_path\n" + "".join(
        f"m_00{n}.wav,Male,./dataset/audio/gender/Male/m_00{n}.wav\n" for n in (1, 2)) + "m_003.wav,Male,\n")
    return folder


def _hf(root: Path) -> Path:
    import pyarrow as pa

    features = {"audio": {"sampling_rate": 16000, "decode": True, "_type": "Audio"},
                "speaker_id": {"dtype": "string", "_type": "Value"}}
    schema = pa.schema([("audio", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
                        ("speaker_id", pa.string())],
                       metadata={"huggingface": json.dumps({"info": {"features": features}})})
    folder = root / "saved"
    folder.mkdir(parents=True)
    wav = write_audio(root / "raw" / "a.wav", seed=1).read_bytes()
    rows = [{"audio": {"bytes": wav, "path": "a.wav"}, "speaker_id": "s1"},
            {"audio": {"bytes": wav[:-2] + b"\x01\x02", "path": "b.wav"}, "speaker_id": "s2"},
            {"audio": {"bytes": None, "path": "missing.wav"}, "speaker_id": "s3"}]
    with pa.OSFile(str(folder / "data-00000-of-00001.arrow"), "wb") as sink, pa.ipc.new_stream(sink, schema) as w:
        w.write_batch(pa.RecordBatch.from_pylist(rows, schema=schema))
    (folder / "dataset_info.json").write_text(json.dumps({"features": features, "splits": {}}))
    (folder / "state.json").write_text(json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}],
                                                   "_fingerprint": "abc", "_split": "train"}))
    return folder


def _lhotse(root: Path) -> Path:
    folder = root / "lhotse"
    write_audio(folder / "recordings" / "r1.wav", seconds=1.0, seed=1)

    def cut(cut_id: str, speaker: str) -> str:
        recording = {"id": f"rec-{cut_id}", "sources": [{"type": "file", "channels": [0],
                                                          "source": "recordings/r1.wav"}],
                     "sampling_rate": 16000, "num_samples": 16000, "duration": 1.0, "channel_ids": [0]}
        return json.dumps({"id": cut_id, "start": 0.0, "duration": 0.5, "channel": 0, "type": "MonoCut",
                           "recording": recording, "supervisions": [{"id": f"s-{cut_id}", "speaker": speaker,
                                                                     "start": 0.0, "duration": 0.5}]})

    cuts = folder / "cuts.jsonl.gz"
    with gzip.open(cuts, "wt", encoding="utf-8") as handle:
        handle.write(cut("c1", "A") + "\n" + cut("c2", "B") + "\n{not json\n")
    return cuts


def _librispeech(root: Path) -> Path:
    folder = root / "LibriSpeech"
    folder.mkdir(parents=True)
    (folder / "SPEAKERS.TXT").write_text(";ID  |SEX| SUBSET |MINUTES| NAME\n84 | F | dev-clean | 8.02 | Christie\n"
                                         "XX   | F | dev-clean\n")
    chapter = folder / "dev-clean" / "84" / "121123"
    for n in range(2):
        write_audio(chapter / f"84-121123-000{n}.flac", seed=n)
    (chapter / "84-121123.trans.txt").write_text("84-121123-0000 GO DO YOU HEAR\n84-121123-0001 YES\n")
    return folder


def _nemo(root: Path) -> Path:
    folder = root / "nemo"
    for n in range(2):
        write_audio(folder / "audio" / f"{n}.wav", seconds=0.6, seed=n)
    manifest = folder / "train_manifest.json"
    rows = [json.dumps({"audio_filepath": f"audio/{n}.wav", "duration": 0.6, "text": "hi", "speaker": f"s{n}"})
            for n in range(2)]
    manifest.write_text("\n".join([*rows, "{not json"]) + "\n")
    return manifest


def _timit(root: Path) -> Path:
    folder = root / "TIMIT"
    (folder / "DOC").mkdir(parents=True)
    (folder / "DOC" / "SPKRINFO.TXT").write_text(
        ";  ID  Sex DR Use  RecDate    BirthDate  Ht    Race Edu  Comments\n"
        "  CJF0  F  1  TRN  03/11/86  10/12/59  5'06\"  WHT  MS\n  BROKEN  M  1\n", encoding="ascii")
    speaker = folder / "TRAIN" / "DR1" / "FCJF0"
    for name in ("SA1", "SA2"):
        write_audio(speaker / f"{name}.WAV", seed=len(name), format="NIST")
    return folder


def _vctk(root: Path) -> Path:
    folder = root / "VCTK-Corpus-0.92"
    folder.mkdir(parents=True)
    (folder / "speaker-info.txt").write_text("ID  AGE  GENDER  ACCENTS  REGION COMMENTS \n"
                                             "p225  23  F    English    Southern  England\np2x5  23  F\n")
    for n in ("001", "002"):
        write_audio(folder / "wav48_silence_trimmed" / "p225" / f"p225_{n}_mic1.flac", seed=int(n))
        (folder / "txt" / "p225").mkdir(parents=True, exist_ok=True)
        (folder / "txt" / "p225" / f"p225_{n}.txt").write_text("Please call Stella.\n")
    return folder


def _voxceleb(root: Path) -> Path:
    folder = root / "voxceleb"
    folder.mkdir(parents=True)
    (folder / "vox1_meta.csv").write_text("VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet\n"
                                          "id10001\tA.J._Buckley\tm\tIreland\tdev\nid10003\tOnly_Two\n")
    for n in (1, 2):
        write_audio(folder / "wav" / "id10001" / "1zcIwhmdeo4" / f"0000{n}.wav", seed=n)
    return folder


IMPORTER_SPECS: dict[str, ImporterCase] = {
    "commonvoice": ImporterCase(_commonvoice),
    "cremad": ImporterCase(_cremad),
    "csv": ImporterCase(_csv, {"audio_filepath": "file", "speaker_id": "spk"}),
    "hearsay": ImporterCase(_hearsay),
    "hf": ImporterCase(_hf),
    "lhotse": ImporterCase(_lhotse),
    "librispeech": ImporterCase(_librispeech),
    "nemo": ImporterCase(_nemo),
    "timit": ImporterCase(_timit),
    "vctk": ImporterCase(_vctk),
    "voxceleb": ImporterCase(_voxceleb),
}
WHERE = "IMPORTER_SPECS in tests/test_contracts_importers.py"
NAMES = plugin_names("importer")


def case_of(name: str) -> ImporterCase:
    return contract_for(IMPORTER_SPECS, "importer", name, WHERE)


def fingerprint(source: Path) -> dict[str, tuple[str, int]]:
    """Every file under the source (or the source file), by content hash and modification time."""
    root = source if source.is_dir() else source.parent
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", NAMES)
def test_builds_by_name_and_describes_itself(name: str) -> None:
    importer = importers.get(name)
    assert callable(importer), f"{name}: not a callable importer"
    entry = next(e for e in importers.entries() if e.name == name)
    description = {"name": entry.name, "summary": entry.summary, "takes_map": bool(getattr(importer, "takes_map",
                                                                                            False))}
    check_description(description, name, name)
    assert entry.summary.strip(), f"{name}: no summary for `voiceleak import --help`"
    case_of(name)


@pytest.mark.parametrize("name", NAMES)
def test_never_mutates_its_input(name: str, tmp_path: Path) -> None:
    source = case_of(name).build(tmp_path / "corpus")
    before = fingerprint(source)
    import_corpus(name, source, tmp_path / "out" / "manifest.jsonl", mapping=case_of(name).mapping)
    assert fingerprint(source) == before, f"{name} changed a file of the corpus it read"


@pytest.mark.parametrize("name", NAMES)
def test_a_bad_row_is_a_reported_problem_and_a_wrong_folder_a_named_error(name: str, tmp_path: Path) -> None:
    source = case_of(name).build(tmp_path / "corpus")
    summary = import_corpus(name, source, tmp_path / "out" / "manifest.jsonl", mapping=case_of(name).mapping)
    assert summary.problems, f"{name}: the bad row of its contract corpus was not reported"
    assert all(p.source and p.message for p in summary.problems), f"{name}: a problem without its file or reason"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImportSourceError):
        import_corpus(name, tmp_path / "empty", tmp_path / "out2" / "manifest.jsonl", mapping=case_of(name).mapping)


@pytest.mark.parametrize("name", NAMES)
def test_its_clips_load_back_run_and_round_trip_through_the_log(name: str, tmp_path: Path) -> None:
    source = case_of(name).build(tmp_path / "corpus")
    manifest = tmp_path / "out" / "manifest.jsonl"
    import_corpus(name, source, manifest, mapping=case_of(name).mapping)
    clips = load_manifest(manifest)
    assert len(clips) >= 2, f"{name}: imported {len(clips)} clip(s) of its two good ones"
    records = run_cell(Parrot(), Parrot.name, build_task("scope:meeting"), "scope:meeting", build_transform("none"),
                       "none", clips)  # a scope probe applies to every clip, labelled or not
    assert ERROR not in {r.outcome for r in records}, [r.error for r in records if r.error][:3]
    assert_round_trips(records, tmp_path / "run")
