"""Bystander mixtures: a second speaker of the same corpus overlaid on a primary clip.

A voice assistant hears its owner and, behind them, people who never agreed to be analysed. This
builder writes a new corpus (manifest + audio) from an existing one: each mixture is a primary clip
with a bystander's clip added at a chosen level and placement. It is an importer-style step, not a
transform, because the record of every sample must carry the person asked about (the runner takes a
record's speaker and labels from the clip), and a transform cannot change them.

- level: the bystander's speech level relative to the primary's, in dB (-10, -5, 0 by default),
  both measured as the RMS of active speech (20 ms frames within 40 dB of the loudest);
- placement: `overlap` (both start together), `before` (the bystander, a gap, then the primary),
  `after` (the primary, a gap, then the bystander);
- subject: whose labels and speaker id the line carries. A mixture is asked about one person only:
  `bystander` lines (speaker_id = the bystander, labels = the bystander's) and `primary` lines
  (speaker_id = the primary) are separate mixtures with separate audio, so the validator's "same
  audio under two clips" check holds and every record's speaker is the unit the statistics resample;
- `isolated` lines: each bystander clip used, alone (resampled, at its own level): the probe's upper
  bound on what the bystander's voice carries by itself.

A speaker is never mixed with themselves (clips without a speaker id are left out, since that cannot
be checked). Everything is drawn from one seeded generator over sorted ids: the same corpus and
settings give the same mixtures, byte for byte.

Manifest fields of a mixture line (raw_labels; `labels` are the subject's own):

    mix_subject            bystander | primary | isolated
    mix_primary_speaker    speaker id of the primary (device owner)
    mix_bystander_speaker  speaker id of the bystander
    mix_primary_clip       source clip id of the primary (absent on isolated lines)
    mix_bystander_clip     source clip id of the bystander
    mix_level_db           bystander level relative to the primary, dB ("-5")
    mix_placement          overlap | before | after
    mix_primary_start_s    where each voice starts in the mixture, seconds
    mix_bystander_start_s
    primary.ATTR           the primary's labels (primary.sex = Female, ...)
    bystander.ATTR         the bystander's labels
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from voiceleak.audio import MODEL_RATE, load, resample
from voiceleak.corpus.manifest import write_manifest
from voiceleak.types import Audio, Clip

LEVELS = (-10.0, -5.0, 0.0)
PLACEMENTS = ("overlap", "before", "after")
SUBJECTS = ("bystander", "primary")
ISOLATED = "isolated"
GAP_SECONDS = 0.3
PEAK = 0.99  # a mixture that would clip is scaled down as a whole: the relative level is kept
SUBJECT_KEY = "mix_subject"


@dataclass(frozen=True)
class MixSettings:
    levels: tuple[float, ...] = LEVELS
    placements: tuple[str, ...] = PLACEMENTS
    subjects: tuple[str, ...] = SUBJECTS
    per_speaker: int = 1  # mixtures per speaker as primary, per condition and subject
    seed: int = 0
    gap_s: float = GAP_SECONDS

    def __post_init__(self) -> None:
        bad = [p for p in self.placements if p not in PLACEMENTS]
        if bad:
            raise ValueError(f"unknown placement(s) {', '.join(bad)} (choose from {', '.join(PLACEMENTS)})")
        wrong = [s for s in self.subjects if s not in SUBJECTS]
        if wrong or not self.subjects:
            raise ValueError(f"subjects must be among {', '.join(SUBJECTS)}")
        if self.per_speaker < 1 or not self.levels or not self.placements:
            raise ValueError("need at least one primary clip per speaker, one level and one placement")


@dataclass(frozen=True)
class MixPlan:
    """One mixture to write: which clips, how, and who it is asked about."""

    index: int
    primary: Clip
    bystander: Clip
    level_db: float
    placement: str
    subject: str

    @property
    def id(self) -> str:
        return f"mix-{self.index:04d}-{self.subject}"


@dataclass(frozen=True)
class Mixed:
    audio: Audio
    primary_start: int  # samples
    bystander_start: int
    bystander_gain: float


def active_rms(samples: np.ndarray, sample_rate: int, floor_db: float = 40.0) -> float:
    """RMS over the 20 ms frames within `floor_db` of the loudest: the level of the speech itself,
    not of the pauses, so a clip with long silences is not turned up to match."""
    frame = max(1, int(0.02 * sample_rate))
    count = len(samples) // frame
    if count == 0:
        return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
    energy = np.mean(np.square(samples[: count * frame].astype(np.float64)).reshape(count, frame), axis=1)
    keep = energy >= energy.max() * 10 ** (-floor_db / 10)
    return float(np.sqrt(energy[keep].mean()))


def level_db(a: np.ndarray, b: np.ndarray, sample_rate: int) -> float:
    """Level of `a` relative to `b` in dB (active-speech RMS)."""
    return float(20 * np.log10(active_rms(a, sample_rate) / active_rms(b, sample_rate)))


def mix(primary: Audio, bystander: Audio, level: float, placement: str, gap_s: float = GAP_SECONDS) -> Mixed:
    """The bystander scaled to `level` dB relative to the primary and placed; both at MODEL_RATE."""
    if placement not in PLACEMENTS:
        raise ValueError(f"unknown placement {placement!r} (choose from {', '.join(PLACEMENTS)})")
    rate = MODEL_RATE
    p = _at_rate(primary, rate)
    b = _at_rate(bystander, rate)
    p_rms, b_rms = active_rms(p, rate), active_rms(b, rate)
    if p_rms == 0 or b_rms == 0:
        raise ValueError("cannot set a relative level against a silent clip")
    gain = 10 ** (level / 20) * p_rms / b_rms
    gap = int(round(gap_s * rate))
    starts = {"overlap": (0, 0), "before": (len(b) + gap, 0), "after": (0, len(p) + gap)}
    p_start, b_start = starts[placement]
    out = np.zeros(max(p_start + len(p), b_start + len(b)), dtype=np.float64)
    out[p_start:p_start + len(p)] += p
    out[b_start:b_start + len(b)] += gain * b
    peak = float(np.abs(out).max())
    if peak > PEAK:
        out *= PEAK / peak
    return Mixed(Audio(out.astype(np.float32), rate), p_start, b_start, gain)


def _at_rate(audio: Audio, rate: int) -> np.ndarray:
    return np.asarray(resample(audio, rate).samples, dtype=np.float64)


def plan_mixtures(clips: Sequence[Clip], settings: MixSettings = MixSettings()) -> list[MixPlan]:
    """Which clips to mix, drawn from one generator seeded by `settings.seed` over sorted ids."""
    by_speaker: dict[str, list[Clip]] = defaultdict(list)
    for clip in clips:
        if clip.speaker_id:  # without a speaker id, "never with themselves" cannot be checked
            by_speaker[clip.speaker_id].append(clip)
    speakers = sorted(by_speaker)
    if len(speakers) < 2:
        raise ValueError("mixtures need at least two speakers with speaker ids")
    for members in by_speaker.values():
        members.sort(key=lambda c: c.id)
    rng = random.Random(f"voiceleak-mixtures:{settings.seed}")
    plans: list[MixPlan] = []
    used: dict[tuple[str, float, str], set[str]] = defaultdict(set)  # same pair, same condition: same audio
    for speaker in speakers:
        # Each mixture takes the speaker's next clip from a seeded shuffle, so the primaries are as
        # varied as the bystanders (a probe on the primary must not see one clip nine times).
        order = rng.sample(by_speaker[speaker], len(by_speaker[speaker]))
        others = [s for s in speakers if s != speaker]
        turn = 0
        for level in settings.levels:
            for placement in settings.placements:
                for subject in settings.subjects:
                    for _ in range(settings.per_speaker):
                        primary = order[turn % len(order)]
                        turn += 1
                        taken = used[(primary.id, float(level), placement)]
                        bystander = _draw(rng, others, by_speaker, taken)
                        taken.add(bystander.id)
                        plans.append(MixPlan(len(plans), primary, bystander, float(level), placement, subject))
    return plans


def _draw(rng: random.Random, others: list[str], by_speaker: dict[str, list[Clip]], used: set[str]) -> Clip:
    """A clip of another speaker, not one this primary and condition already used if avoidable
    (the same pair at the same condition would be the same audio under two lines)."""
    for _ in range(20):
        clip = rng.choice(by_speaker[rng.choice(others)])
        if clip.id not in used:
            return clip
    pool = [c for s in others for c in by_speaker[s] if c.id not in used]
    if not pool:
        raise ValueError("too few clips of other speakers to give each subject its own mixture")
    return rng.choice(pool)


def _load(clip: Clip) -> Audio:
    return load(clip.audio_path, offset=clip.offset, duration=clip.duration if clip.offset else None)


def _labels(prefix: str, clip: Clip) -> dict[str, str]:
    return {f"{prefix}.{attribute}": value for attribute, value in sorted(clip.labels.items())}


def _write(path: Path, audio: Audio) -> float:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio.samples, audio.sample_rate, subtype="PCM_16")
    return round(audio.duration, 3)


def mixture_clip(plan: MixPlan, out_dir: Path, gap_s: float = GAP_SECONDS) -> Clip:
    """Write one mixture's audio and return its manifest line."""
    mixed = mix(_load(plan.primary), _load(plan.bystander), plan.level_db, plan.placement, gap_s)
    path = out_dir / "audio" / f"{plan.id}.wav"
    duration = _write(path, mixed.audio)
    p, b = plan.primary, plan.bystander
    subject = b if plan.subject == "bystander" else p
    texts = {"before": [b.text, p.text], "after": [p.text, b.text]}.get(plan.placement, [])
    parts = [t for t in texts if t]
    text = " ".join(parts) if texts and len(parts) == len(texts) else None  # overlap: no one transcript
    licenses = sorted({x for x in (p.license, b.license) if x})
    raw = {
        SUBJECT_KEY: plan.subject,
        "mix_primary_speaker": str(p.speaker_id), "mix_bystander_speaker": str(b.speaker_id),
        "mix_primary_clip": p.id, "mix_bystander_clip": b.id,
        "mix_level_db": f"{plan.level_db:g}", "mix_placement": plan.placement,
        "mix_primary_start_s": f"{mixed.primary_start / MODEL_RATE:.3f}",
        "mix_bystander_start_s": f"{mixed.bystander_start / MODEL_RATE:.3f}",
        **_labels("primary", p), **_labels("bystander", b),
    }
    return Clip(
        id=plan.id, audio_path=path, speaker_id=subject.speaker_id, labels=dict(subject.labels), text=text,
        provenance=(f"voiceleak mixture: bystander clip {b.id} (speaker {b.speaker_id}) at {plan.level_db:g} dB "
                    f"relative to primary clip {p.id} (speaker {p.speaker_id}), placement {plan.placement}; "
                    f"asked about the {plan.subject}"),
        license="; ".join(licenses) or None, duration=duration, raw_labels=raw,
    )


def isolated_clip(source: Clip, out_dir: Path) -> Clip:
    """The bystander's clip alone, at the model rate: the bound of what that voice carries by itself."""
    clip_id = f"isolated-{source.id}"
    path = out_dir / "audio" / f"{clip_id}.wav"
    duration = _write(path, resample(_load(source), MODEL_RATE))
    raw = {SUBJECT_KEY: ISOLATED, "mix_bystander_speaker": str(source.speaker_id),
           "mix_bystander_clip": source.id, **_labels("bystander", source)}
    return Clip(id=clip_id, audio_path=path, speaker_id=source.speaker_id, labels=dict(source.labels),
                text=source.text, provenance=f"voiceleak: bystander clip {source.id} alone ({source.provenance})",
                license=source.license, duration=duration, raw_labels=raw)


def build_mixtures(clips: Sequence[Clip], out_dir: Path | str, settings: MixSettings = MixSettings(),
                   isolated: bool = True) -> list[Clip]:
    """Write every mixture (and the isolated bystander clips) under out_dir, and out_dir/manifest.jsonl."""
    out = Path(out_dir)
    plans = plan_mixtures(clips, settings)
    written = [mixture_clip(plan, out, settings.gap_s) for plan in plans]
    if isolated:
        sources = {p.bystander.id: p.bystander for p in plans if p.subject == "bystander"}
        written += [isolated_clip(sources[i], out) for i in sorted(sources)]
    write_manifest(out / "manifest.jsonl", written)
    return written
