"""VoxCeleb1 (tab-separated vox1_meta.csv) and VoxCeleb2 (space-padded vox2_meta.csv) metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from import_fixtures import by_id, messages, run_import, write_audio
from voiceleak.corpus.importers import ImportSourceError


@pytest.fixture
def voxceleb(tmp_path: Path) -> Path:
    root = tmp_path / "voxceleb"
    root.mkdir()
    (root / "vox1_meta.csv").write_text(
        "VoxCeleb1 ID\tVGGFace1 ID\tGender\tNationality\tSet\n"
        "id10001\tA.J._Buckley\tm\tIreland\tdev\n"
        "id10002\tAJ_Cook\tf\tCanada\ttest\n"
        "id10003\tOnly_Two\n"
        "x10004\tNot_An_Id\tm\tUSA\tdev\n",
        encoding="utf-8",
    )
    (root / "vox2_meta.csv").write_text(
        "VoxCeleb2 ID ,VGGFace2 ID ,Gender ,Set \nid00012 ,n000012 ,m ,dev \n", encoding="utf-8"
    )
    write_audio(root / "wav" / "id10001" / "1zcIwhmdeo4" / "00001.wav", seed=1)
    write_audio(root / "wav" / "id10001" / "1zcIwhmdeo4" / "00002.wav", seed=2)
    write_audio(root / "wav" / "id10002" / "5ablueV_1tw" / "00001.wav", seed=3)
    write_audio(root / "wav" / "id10009" / "abc" / "00001.wav", seed=4)  # not in the meta file
    m4a = root / "aac" / "id00012" / "21Uxsk56VDQ" / "00001.m4a"
    m4a.parent.mkdir(parents=True)
    m4a.write_bytes(b"\x00\x00\x00\x18ftypM4A ")  # AAC in MP4: soundfile cannot read it
    return root


def test_speakers_labels_names_and_sets(voxceleb: Path, tmp_path: Path) -> None:
    summary, rows = run_import("voxceleb", voxceleb, tmp_path / "out")
    clips = by_id(rows)
    assert sorted(clips) == [
        "id00012/21Uxsk56VDQ/00001",
        "id10001/1zcIwhmdeo4/00001",
        "id10001/1zcIwhmdeo4/00002",
        "id10002/5ablueV_1tw/00001",
        "id10009/abc/00001",
    ]
    buckley = clips["id10001/1zcIwhmdeo4/00001"]
    assert buckley["speaker_id"] == "id10001" and buckley["split"] == "dev"
    assert buckley["labels"] == {"sex": "Male", "regional_accent": "en-IE"}
    assert buckley["raw_labels"] == {"name": "A.J. Buckley", "nationality": "Ireland"}
    # Canada: English or French? Not clear, so the nationality stays raw only.
    cook = clips["id10002/5ablueV_1tw/00001"]
    assert cook["labels"] == {"sex": "Female"} and cook["raw_labels"]["nationality"] == "Canada"
    assert cook["split"] == "test"
    vox2 = clips["id00012/21Uxsk56VDQ/00001"]
    assert vox2["labels"] == {"sex": "Male"} and vox2["raw_labels"] == {"vggface2_id": "n000012"}
    assert vox2["duration"] is None and vox2["provenance"].startswith("VoxCeleb2")
    assert clips["id10009/abc/00001"]["labels"] == {}
    assert summary.notes["clips of speakers absent from the meta file (imported without labels)"] == 1
    assert (
        summary.notes["VoxCeleb2 .m4a clips (AAC: convert to WAV before a run; soundfile cannot read them)"]
        == 1
    )
    assert summary.speakers == 4


def test_malformed_meta_rows(voxceleb: Path, tmp_path: Path) -> None:
    summary, _ = run_import("voxceleb", voxceleb, tmp_path / "out")
    meta = voxceleb / "vox1_meta.csv"
    assert messages(summary) == [
        f"{meta}, line 4: expected 5 fields as in the header "
        "(VoxCeleb1 ID, VGGFace1 ID, Gender, Nationality, Set), got 2",
        f"{meta}, line 5, field VoxCeleb ID: not a VoxCeleb speaker id: 'x10004'",
    ]


def test_a_folder_without_meta_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportSourceError, match=r"neither vox1_meta\.csv nor vox2_meta\.csv"):
        run_import("voxceleb", tmp_path, tmp_path / "out")
