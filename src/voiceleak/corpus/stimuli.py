"""Words versus voice: clips whose words claim one thing while the voice says another.

A male voice saying "As a mother of three, ..." or a US voice saying "I grew up in Glasgow, ...": a
cascade can only follow the words; a model that reports the voice's class is using the voice itself.
This generator writes such conflict clips, and congruent ones (claim and voice agree) as the control,
with the synthetic voices available offline - flite's CMU voices and espeak-ng's, each of a sex and a
regional accent its makers state - into a manifest + audio, labelled synthetic.

Manifest fields (bring your own conflict clips with the same fields, human or synthetic):

    speaker_id             the voice (the unit the intervals resample)
    labels                 the VOICE's classes: sex, regional_accent, language, voice_source, ...
    text                   the transcript, which contains the claim
    raw_labels.claim_attribute   the attribute the words claim (sex, regional_accent, age, ...)
    raw_labels.claim             the class the words claim, a class of that attribute ("Female")
    raw_labels.condition         conflict | congruent (optional: derived from claim vs the voice's label)
    raw_labels.claim_frame       optional: which sentence frame, so minimal pairs can be matched
    raw_labels.voice_engine, raw_labels.voice_name   optional: how the voice was made

The sex claims are minimal pairs (only "mother"/"father" changes), so a difference between a voice's
two clips can only come from the claimed word. Synthetic voices have no stated age, so no age claims
are generated; a user's corpus of real voices can add them with the same fields.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from voiceleak.audio import MODEL_RATE, load, resample
from voiceleak.corpus.manifest import write_manifest
from voiceleak.types import Audio, Clip

CLAIM_ATTRIBUTE = "claim_attribute"
CLAIM = "claim"
CONDITION = "condition"
CONFLICT, CONGRUENT = "conflict", "congruent"
PEAK_DBFS = -1.0


@dataclass(frozen=True)
class Voice:
    id: str  # the speaker id in the manifest
    engine: str  # flite | espeak-ng
    name: str  # the engine's voice name
    sex: str
    regional_accent: str
    source: str  # where the voice's labels come from
    license: str


@dataclass(frozen=True)
class Claim:
    frame: str
    attribute: str
    label: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.attribute}-{self.frame}-{self.label}"


_FLITE = "flite voice licence (BSD-style, CMU)"
_ESPEAK = "espeak-ng (GPL-3.0-or-later)"
VOICES: tuple[Voice, ...] = (
    Voice("flite-slt", "flite", "slt", "Female", "en-US", "CMU ARCTIC slt: US English, female", _FLITE),
    Voice("flite-rms", "flite", "rms", "Male", "en-US", "CMU ARCTIC rms: US English, male", _FLITE),
    Voice("flite-kal", "flite", "kal", "Male", "en-US", "CMU kal diphone voice: US English, male", _FLITE),
    Voice("flite-awb", "flite", "awb", "Male", "en-GB-SCT", "CMU ARCTIC awb: Scottish English, male", _FLITE),
    Voice("espeak-us-m", "espeak-ng", "en-us", "Male", "en-US", "espeak-ng en-us, default (male) variant",
          _ESPEAK),
    Voice("espeak-us-f", "espeak-ng", "en-us+f3", "Female", "en-US", "espeak-ng en-us, variant f3 (female)",
          _ESPEAK),
    Voice("espeak-sct-m", "espeak-ng", "en-gb-scotland", "Male", "en-GB-SCT",
          "espeak-ng en-gb-scotland, default (male) variant", _ESPEAK),
    Voice("espeak-sct-f", "espeak-ng", "en-gb-scotland+f3", "Female", "en-GB-SCT",
          "espeak-ng en-gb-scotland, variant f3 (female)", _ESPEAK),
    Voice("espeak-rp-m", "espeak-ng", "en-gb-x-rp", "Male", "en-GB",
          "espeak-ng en-gb-x-rp (Received Pronunciation), default (male) variant", _ESPEAK),
    Voice("espeak-rp-f", "espeak-ng", "en-gb-x-rp+f3", "Female", "en-GB",
          "espeak-ng en-gb-x-rp (Received Pronunciation), variant f3 (female)", _ESPEAK),
)

_SEX_FRAMES = {
    "parent": ("As a {} of three, I rarely get a quiet morning at home.", {"Female": "mother", "Male": "father"}),
    "grandparent": ("As a {}, I love reading stories to the little ones.",
                    {"Female": "grandmother", "Male": "grandfather"}),
    "work": ("I'm a {} who has worked in construction for twenty years.", {"Female": "woman", "Male": "man"}),
}
_PLACE_FRAMES = {
    "grew-up": ("I grew up in {}, and I still go back there every summer.",
                {"en-GB-SCT": "Glasgow", "en-US": "Texas", "en-GB": "London"}),
    "born": ("Born and raised in {}, I have lived there all my life.",
             {"en-GB-SCT": "Edinburgh", "en-US": "Ohio", "en-GB": "Manchester"}),
}


def claims(attributes: Iterable[str] = ("sex", "regional_accent")) -> list[Claim]:
    frames = {"sex": _SEX_FRAMES, "regional_accent": _PLACE_FRAMES}
    out: list[Claim] = []
    for attribute in attributes:
        if attribute not in frames:
            raise ValueError(f"no claim sentences for {attribute!r} (have: {', '.join(frames)})")
        for frame, (template, words) in frames[attribute].items():
            out.extend(Claim(frame, attribute, label, template.format(word)) for label, word in words.items())
    return out


def available(voice: Voice) -> bool:
    """Whether this machine can synthesise the voice (the engine is installed and has it)."""
    binary = shutil.which(voice.engine)
    if binary is None:
        return False
    if voice.engine == "flite":
        listed = subprocess.run([binary, "-lv"], capture_output=True, text=True, check=False).stdout
        return voice.name in listed.split()
    base = voice.name.split("+")[0]
    listed = subprocess.run([binary, "--voices=en"], capture_output=True, text=True, check=False).stdout
    return any(base in line.split() for line in listed.splitlines())


def synthesise(voice: Voice, text: str) -> Audio:
    """The text in the voice, mono at MODEL_RATE, peak at -1 dBFS (a level the voice cannot betray)."""
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "out.wav"
        if voice.engine == "flite":
            command = ["flite", "-voice", voice.name, "-t", text, "-o", str(wav)]
        elif voice.engine == "espeak-ng":
            command = ["espeak-ng", "-v", voice.name, "-w", str(wav), text]
        else:
            raise ValueError(f"unknown engine {voice.engine!r}")
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not wav.is_file():
            raise RuntimeError(f"{voice.engine} failed for voice {voice.name}: {done.stderr.strip()[:200]}")
        audio = resample(load(wav), MODEL_RATE)
    samples = audio.samples
    peak = float(np.abs(samples).max()) or 1.0
    return Audio((samples * (10 ** (PEAK_DBFS / 20) / peak)).astype(np.float32), MODEL_RATE)


def stimulus_clip(voice: Voice, claim: Claim, out_dir: Path) -> Clip:
    clip_id = f"wv-{voice.id}-{claim.id}"
    path = out_dir / "audio" / f"{clip_id}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    audio = synthesise(voice, claim.text)
    sf.write(str(path), audio.samples, audio.sample_rate, subtype="PCM_16")
    labels = {"sex": voice.sex, "regional_accent": voice.regional_accent, "language": "en",
              "voice_source": "synthetic"}
    condition = CONGRUENT if labels.get(claim.attribute) == claim.label else CONFLICT
    return Clip(
        id=clip_id, audio_path=path, speaker_id=voice.id, labels=labels, text=claim.text,
        provenance=(f"voiceleak stimuli: synthesised by {voice.engine} voice {voice.name} ({voice.source}); "
                    f"the voice's labels are as its makers state them; the words claim "
                    f"{claim.attribute} = {claim.label} ({condition})"),
        license=voice.license, duration=round(audio.duration, 3),
        raw_labels={CLAIM_ATTRIBUTE: claim.attribute, CLAIM: claim.label, CONDITION: condition,
                    "claim_frame": claim.frame, "voice_engine": voice.engine, "voice_name": voice.name},
    )


def build_stimuli(out_dir: Path | str, voices: Sequence[Voice] | None = None,
                  attributes: Iterable[str] = ("sex", "regional_accent")) -> tuple[list[Clip], list[str]]:
    """Every claim in every available voice, under out_dir, and out_dir/manifest.jsonl.

    Returns the clips and the ids of the voices left out because this machine cannot synthesise them.
    """
    out = Path(out_dir)
    chosen = list(VOICES if voices is None else voices)
    usable = [v for v in chosen if available(v)]
    missing = [v.id for v in chosen if v not in usable]
    if not usable:
        raise RuntimeError("no synthetic voice is available: install flite and/or espeak-ng "
                           "(apt-get install flite espeak-ng)")
    wanted = claims(attributes)
    clips = [stimulus_clip(voice, claim, out) for voice in usable for claim in wanted]
    write_manifest(out / "manifest.jsonl", clips)
    return clips, missing
