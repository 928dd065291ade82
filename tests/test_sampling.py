"""Class-balanced, capped, seeded sampling per attribute (HearSay sampled at random, unbalanced)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from voiceleak.runner.plan import RunConfig, build_plan, select_clips
from voiceleak.tasks.base import build_task
from voiceleak.types import Clip


def _clips(counts: dict[str, int]) -> list[Clip]:
    """Clips of an unbalanced corpus: `counts` clips per sex, plus one clip without the label."""
    out = [Clip(f"{sex[0]}{i:02d}", Path(f"{sex}{i}.wav"), f"spk-{sex}-{i % 3}", {"sex": sex})
           for sex, n in counts.items() for i in range(n)]
    return [*out, Clip("unlabelled", Path("u.wav"), "spk-u", {"language": "en"})]


def _ids(clips: list[Clip]) -> list[str]:
    return [c.id for c in clips]


def test_cap_balances_classes_and_keeps_small_classes_whole() -> None:
    task = build_task("attribute:sex")
    clips = _clips({"Male": 20, "Female": 4})
    chosen = select_clips(task, clips, max_per_class=3, seed=0)
    assert Counter(c.labels["sex"] for c in chosen) == {"Male": 3, "Female": 3}
    bigger = select_clips(task, clips, max_per_class=10, seed=0)
    assert Counter(c.labels["sex"] for c in bigger) == {"Male": 10, "Female": 4}  # no class is padded
    assert "unlabelled" not in _ids(bigger)


def test_no_cap_keeps_every_labelled_clip_in_corpus_order() -> None:
    task = build_task("attribute:sex")
    clips = _clips({"Male": 5, "Female": 2})
    assert _ids(select_clips(task, clips, max_per_class=None, seed=3)) == _ids(clips[:-1])


def test_same_seed_same_sample_and_input_order_does_not_matter() -> None:
    task = build_task("attribute:sex")
    clips = _clips({"Male": 20, "Female": 20})
    first = select_clips(task, clips, max_per_class=5, seed=7)
    again = select_clips(task, list(reversed(clips)), max_per_class=5, seed=7)
    assert sorted(_ids(first)) == sorted(_ids(again))


def test_different_seeds_draw_different_samples() -> None:
    task = build_task("attribute:sex")
    clips = _clips({"Male": 20, "Female": 20})
    samples = {tuple(sorted(_ids(select_clips(task, clips, max_per_class=5, seed=s)))) for s in range(5)}
    assert len(samples) == 5
    for sample in samples:  # every seed still balanced
        assert Counter(c[0] for c in sample) == {"M": 5, "F": 5}


def test_plan_uses_the_same_sample_for_every_model_and_transform(tmp_path: Path) -> None:
    task = build_task("attribute:sex")
    clips = _clips({"Male": 12, "Female": 6})
    config = RunConfig(corpus=str(tmp_path / "m.jsonl"), models=("uniform", "majority"),
                       tasks=(task.name,), transforms=("none", "blind:silence"), max_per_class=4, seed=1)
    groups = build_plan(config, clips, {task.name: task})
    assert len(groups) == 4
    assert len({g.clip_ids for g in groups}) == 1 and len(groups[0].clip_ids) == 8


def test_tasks_differing_only_in_prompts_draw_the_same_clips() -> None:
    clips = _clips({"Male": 20, "Female": 20})
    direct = select_clips(build_task("attribute:sex"), clips, max_per_class=5, seed=2)
    reasoning = select_clips(build_task("attribute:sex prompts=reasoning"), clips, max_per_class=5, seed=2)
    assert _ids(direct) == _ids(reasoning)  # paired prompt comparisons need the same clips
