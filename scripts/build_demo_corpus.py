#!/usr/bin/env python3
"""Build the shipped demo corpus in ``src/voiceleak/corpus/demo/`` from Debian packages.

Sources (install first)::

    apt-get install -y --no-install-recommends asterisk-core-sounds-en-wav \
        asterisk-core-sounds-es-wav asterisk-core-sounds-fr-wav asterisk-core-sounds-it-wav \
        asterisk-core-sounds-ru-wav flite festival festvox-kallpc16k festvox-us-slt-hts \
        festvox-italp16k festvox-itapc16k

* Real speech: Asterisk core prompts (8 kHz telephone recordings by voice talents).
* Synthetic speech: flite and Festival voices reading ``SENTENCES_EN`` / ``SENTENCES_IT``.

Every clip is downmixed to mono, resampled to 8 kHz with soxr (HQ), lightly trimmed of
leading/trailing digital silence, peak-normalised to -1 dBFS and written as PCM_16 FLAC.
The output is deterministic: re-running the script rewrites byte-identical files.
See ``src/voiceleak/corpus/demo/PROVENANCE.md`` for credits and licences.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "src" / "voiceleak" / "corpus" / "demo"
AUDIO_DIR = OUT_DIR / "audio"
ASTERISK_SOUNDS = Path("/usr/share/asterisk/sounds")
FESTIVAL_VOICES = Path("/usr/share/festival/voices")

TARGET_SR = 8000
MIN_S, MAX_S = 1.5, 6.0  # accepted clip length after trimming
PREF_MIN_S, PREF_MAX_S = 2.0, 5.0  # preferred clip length for recorded prompts
CLIPS_PER_HUMAN = 20  # 30 were asked for; 20 keeps the folder under 10 MB
SEED = 0
PEAK = 10 ** (-1.0 / 20)  # -1 dBFS
SILENCE = 10 ** (-60.0 / 20)  # |x| below this at the edges counts as digital silence
PAD_S = 0.05  # silence kept at each edge after trimming
SKIP_SUBDIRS = frozenset({"silence", "digits", "letters", "phonetic"})  # not sentences
NON_SPEECH = re.compile(r"beep|tone|monkeys")  # tones, beeps, monkey noises

# Spoken by every synthetic English voice (identical words, different voices).
SENTENCES_EN: list[str] = [
    "I have managed a team of six engineers.",
    "I am applying for the senior analyst position.",
    "I keep our customer records accurate and secure.",
    "I would like a loan to expand my bakery.",
    "Last year I cut our delivery costs by fifteen percent.",
    "I have always paid my rent on time.",
    "I enjoy training new colleagues and explaining problems clearly.",
    "I believe I can take on more responsibility.",
    "My role involves planning budgets for three regional offices.",
    "I need a loan to buy a car for work.",
    "I led the move to our new records system.",
    "I always finish my tasks before the deadline.",
    "I write reports for managers and external clients.",
    "I would welcome the chance to lead a larger team.",
    "My savings would cover three months of expenses.",
    "I handle customer complaints calmly and fairly.",
    "I coordinate the weekly schedule for our warehouse staff.",
    "I am confident that I can repay the loan.",
    "I have worked in customer service at two companies.",
    "I think my results this year deserve a promotion.",
]

# Italian translations of SENTENCES_EN (same order). Phrased without gendered adjectives
# (e.g. "Credo di poter ..." rather than "Sono pronto/pronta ...") so that the female and
# male Italian voices say exactly the same words.
SENTENCES_IT: list[str] = [
    "Ho gestito un gruppo di sei ingegneri.",
    "Mi candido per la posizione di analista senior.",
    "Mantengo i dati dei nostri clienti accurati e sicuri.",
    "Vorrei un prestito per ampliare la mia panetteria.",
    "Lo scorso anno ho ridotto i costi di consegna del quindici percento.",
    "Ho sempre pagato puntualmente il canone di affitto.",
    "Mi piace formare i nuovi colleghi e spiegare i problemi con chiarezza.",
    "Credo di poter assumere più responsabilità.",
    "Il mio ruolo prevede la pianificazione dei bilanci di tre uffici regionali.",
    "Mi serve un prestito per comprare una macchina per il lavoro.",
    "Ho guidato il passaggio al nostro nuovo sistema di archiviazione.",
    "Finisco sempre i miei compiti prima della scadenza.",
    "Scrivo relazioni per dirigenti e clienti esterni.",
    "Mi piacerebbe avere la possibilità di guidare un gruppo più grande.",
    "I miei risparmi coprirebbero tre mesi di spese.",
    "Gestisco i reclami dei clienti con calma e in modo equo.",
    "Coordino il programma settimanale del personale del nostro magazzino.",
    "Confido di poter restituire il prestito.",
    "Ho lavorato nel servizio clienti presso due aziende.",
    "Penso che i miei risultati di questo anno meritino una promozione.",
]

ALLISON_NOTE = (
    "speaker_id 'allison' is shared by en_US_f_Allison and es_MX_f_Allison: inferred from a "
    "voiceprint cosine similarity of 0.89, not stated upstream"
)


@dataclass(frozen=True)
class HumanVoice:
    folder: str  # <lang>_<REGION>_<f|m>_<Name> as named upstream; labels are read from it
    speaker_id: str
    license: str
    credit: str
    note: str = ""

    @property
    def package(self) -> str:
        return f"asterisk-core-sounds-{self.folder[:2]}-wav"


@dataclass(frozen=True)
class SynthVoice:
    engine: str  # "flite" or "festival"
    voice: str  # flite -voice NAME / festival (voice_NAME)
    speaker_id: str
    sex: str
    accent: str  # the language label is its first subtag
    package: str
    credit: str  # where the sex / accent label comes from

    @property
    def language(self) -> str:
        return self.accent.split("-")[0]


HUMAN_VOICES: tuple[HumanVoice, ...] = (
    HumanVoice("en_US_f_Allison", "allison", "CC-BY-SA-3.0", "recorded by Allison Smith", ALLISON_NOTE),
    HumanVoice(
        "es_MX_f_Allison",
        "allison",
        "CC-BY-SA-3.0",
        "credited to Allison Smith only by the catch-all 'Files: *' stanza of debian/copyright",
        ALLISON_NOTE,
    ),
    HumanVoice("fr_CA_f_June", "june", "CC-BY-SA-3.0", "recorded by June Wallack"),
    HumanVoice("it_IT_m_Carlo", "carlo", "CC-BY-3.0", "recorded by Carlo Flora"),
    HumanVoice("ru_RU_f_IvrvoiceRU", "ivrvoice_ru", "CC-BY-3.0", "provided by Maxim Topal, ivrvoice.ru"),
)

KAL_SCM = "kal_diphone.scm (gender male, dialect american)"
SYNTH_VOICES: tuple[SynthVoice, ...] = (
    SynthVoice("flite", "awb", "awb", "Male", "en-GB-SCT", "flite", "flite README ('Scottish' male awb)"),
    SynthVoice("flite", "rms", "rms", "Male", "en-US", "flite", "flite README (US male rms)"),
    SynthVoice("flite", "slt", "slt", "Female", "en-US", "flite", "flite README (US female slt)"),
    SynthVoice("flite", "kal16", "kal", "Male", "en-US", "flite", f"{KAL_SCM}; flite kal is cmu_us_kal"),
    SynthVoice("festival", "kal_diphone", "kal", "Male", "en-US", "festvox-kallpc16k", KAL_SCM),
    SynthVoice(
        "festival",
        "cmu_us_slt_arctic_hts",
        "slt",
        "Female",
        "en-US",
        "festvox-us-slt-hts",
        "cmu_us_slt_arctic_hts.scm (gender female, dialect american); README: CMU ARCTIC slt",
    ),
    SynthVoice(
        "festival",
        "lp_diphone",
        "it_lp",
        "Female",
        "it-IT",
        "festvox-italp16k",
        "lp_diphone.scm (gender female)",
    ),
    SynthVoice(
        "festival", "pc_diphone", "it_pc", "Male", "it-IT", "festvox-itapc16k", "pc_diphone.scm (gender male)"
    ),
)

# Licence of each synthetic voice package (see PROVENANCE.md for the full texts' locations).
SYNTH_LICENSES = {
    "flite": "LicenseRef-Flite",  # CMU permissive 4-condition licence, /usr/share/doc/flite/copyright
    "festvox-kallpc16k": "LicenseRef-EST-2000",  # same 4-condition text, (c) 1998 Black & Lenzo
    "festvox-us-slt-hts": "LicenseRef-EST-2003",  # voice data; festvox scm files EST-2000
    "festvox-italp16k": "GPL-2.0-or-later",
    "festvox-itapc16k": "GPL-2.0-or-later",
}

SEX_CODES = {"f": "Female", "m": "Male"}
PROCESSING = "mono, soxr HQ to 8 kHz if needed, light edge trim of digital silence, peak -1 dBFS, FLAC PCM_16"


def package_version(package: str) -> str:
    """Installed Debian version of ``package`` (fails loudly if it is not installed)."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def condition(x: np.ndarray, sr: int) -> np.ndarray:
    """Mono, 8 kHz, light edge trim of digital silence, peak-normalised float64 signal."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if sr != TARGET_SR:
        x = soxr.resample(x, sr, TARGET_SR, quality="HQ")
    loud = np.flatnonzero(np.abs(x) > SILENCE)
    if loud.size == 0:
        return x[:0]
    pad = int(PAD_S * TARGET_SR)
    x = x[max(0, loud[0] - pad) : loud[-1] + 1 + pad]
    return x * (PEAK / np.max(np.abs(x)))


def write_clip(clip_id: str, y: np.ndarray) -> float:
    """Write ``audio/<clip_id>.flac`` and return its duration in seconds."""
    sf.write(AUDIO_DIR / f"{clip_id}.flac", y, TARGET_SR, format="FLAC", subtype="PCM_16")
    return round(len(y) / TARGET_SR, 3)


def record(
    clip_id: str,
    duration: float,
    text: str | None,
    speaker_id: str,
    labels: dict[str, str],
    provenance: str,
    license_: str,
) -> dict[str, object]:
    return {
        "id": clip_id,
        "audio_filepath": f"audio/{clip_id}.flac",
        "duration": duration,
        "offset": 0.0,
        "text": text,
        "speaker_id": speaker_id,
        "labels": labels,
        "provenance": provenance,
        "license": license_,
    }


def select_prompts(folder: Path) -> list[tuple[Path, np.ndarray]]:
    """Deterministically pick CLIPS_PER_HUMAN prompts, preferring 2-5 s ones."""
    preferred: list[tuple[Path, np.ndarray]] = []
    acceptable: list[tuple[Path, np.ndarray]] = []
    for path in sorted(folder.rglob("*.wav")):
        rel = path.relative_to(folder)
        if rel.parts[0] in SKIP_SUBDIRS or NON_SPEECH.search(path.stem):
            continue
        x, sr = sf.read(path, always_2d=False)
        y = condition(x, sr)
        dur = len(y) / TARGET_SR
        if PREF_MIN_S <= dur <= PREF_MAX_S:
            preferred.append((path, y))
        elif MIN_S <= dur <= MAX_S:
            acceptable.append((path, y))
    rng = np.random.default_rng(SEED)
    chosen = [preferred[i] for i in rng.permutation(len(preferred))[:CLIPS_PER_HUMAN]]
    missing = CLIPS_PER_HUMAN - len(chosen)
    if missing > 0:
        chosen += [acceptable[i] for i in rng.permutation(len(acceptable))[:missing]]
    if len(chosen) < 15:
        raise SystemExit(f"only {len(chosen)} usable prompts in {folder}")
    return sorted(chosen, key=lambda item: item[0].as_posix())


def build_human(voice: HumanVoice) -> list[dict[str, object]]:
    lang, region, sex_code, _name = voice.folder.split("_", 3)
    accent = f"{lang}-{region}"
    labels = {
        "sex": SEX_CODES[sex_code],
        "language": lang,
        "regional_accent": accent,
        "voice_source": "human",
    }
    version = package_version(voice.package)
    records = []
    for n, (path, y) in enumerate(select_prompts(ASTERISK_SOUNDS / voice.folder)):
        clip_id = f"ast-{lang}_{region}-{voice.speaker_id}-{n:04d}"
        prov = (
            f"Debian package {voice.package} {version} (Asterisk core sounds); voice "
            f"{voice.folder}, {voice.credit}; source {path}; {PROCESSING}; no transcript "
            f"shipped in the package, so text is null"
        )
        if voice.note:
            prov += f"; {voice.note}"
        records.append(
            record(clip_id, write_clip(clip_id, y), None, voice.speaker_id, labels, prov, voice.license)
        )
    return records


def check_voice_available(voice: SynthVoice) -> None:
    if voice.engine == "flite":
        listed = subprocess.run(["flite", "-lv"], check=True, capture_output=True, text=True)
        if voice.voice not in listed.stdout.split():
            raise SystemExit(f"flite voice {voice.voice!r} missing: {listed.stdout.strip()}")
    elif not list(FESTIVAL_VOICES.glob(f"*/{voice.voice}")):
        raise SystemExit(f"festival voice {voice.voice!r} not under {FESTIVAL_VOICES}")


def synthesise(voice: SynthVoice, text: str, wav: Path) -> tuple[np.ndarray, int]:
    if voice.engine == "flite":
        cmd = ["flite", "-voice", voice.voice, "-t", text, "-o", str(wav)]
        subprocess.run(cmd, check=True, capture_output=True)
    else:
        # The Italian IFM voices declare (coding ISO-8859-1); English text is ASCII.
        encoding = "latin-1" if voice.language == "it" else "ascii"
        cmd = ["text2wave", "-eval", f"(voice_{voice.voice})", "-o", str(wav)]
        subprocess.run(cmd, input=text.encode(encoding), check=True, capture_output=True)
    x, sr = sf.read(wav, always_2d=False)
    return x, sr


def build_synthetic(voice: SynthVoice, tmp: Path) -> list[dict[str, object]]:
    check_voice_available(voice)
    sentences = SENTENCES_IT if voice.language == "it" else SENTENCES_EN
    list_name = "SENTENCES_IT" if voice.language == "it" else "SENTENCES_EN"
    labels = {
        "sex": voice.sex,
        "language": voice.language,
        "regional_accent": voice.accent,
        "voice_source": "synthetic",
    }
    version = package_version(voice.package)
    records = []
    for n, text in enumerate(sentences):
        clip_id = f"syn-{voice.engine}-{voice.voice}-{n:02d}"
        x, sr = synthesise(voice, text, tmp / f"{clip_id}.wav")
        y = condition(x, sr)
        dur = len(y) / TARGET_SR
        if not MIN_S <= dur <= MAX_S:  # never truncate: the text must stay exact
            raise SystemExit(f"{clip_id}: {dur:.2f} s outside [{MIN_S}, {MAX_S}]; shorten it")
        prov = (
            f"SYNTHETIC speech. Debian package {voice.package} {version}; {voice.engine} "
            f"voice {voice.voice}, labels per {voice.credit}; text {list_name}[{n}] of "
            f"scripts/build_demo_corpus.py; synthesised at {sr} Hz; {PROCESSING}"
        )
        license_ = SYNTH_LICENSES[voice.package]
        records.append(
            record(clip_id, write_clip(clip_id, y), text, voice.speaker_id, labels, prov, license_)
        )
    return records


def print_summary(records: list[dict[str, object]]) -> None:
    clips: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for rec in records:
        speaker, duration = str(rec["speaker_id"]), float(str(rec["duration"]))
        clips[speaker] = clips.get(speaker, 0) + 1
        seconds[speaker] = seconds.get(speaker, 0.0) + duration
    print(f"{'speaker':<14}{'clips':>7}{'minutes':>10}")
    for speaker in clips:
        print(f"{speaker:<14}{clips[speaker]:>7}{seconds[speaker] / 60:>10.2f}")
    size = sum(p.stat().st_size for p in OUT_DIR.rglob("*") if p.is_file())
    print(f"{'TOTAL':<14}{len(records):>7}{sum(seconds.values()) / 60:>10.2f}")
    print(f"{OUT_DIR.relative_to(ROOT)}: {size / 1e6:.2f} MB")


def main() -> None:
    if AUDIO_DIR.exists():
        shutil.rmtree(AUDIO_DIR)
    AUDIO_DIR.mkdir(parents=True)
    records: list[dict[str, object]] = []
    for human in HUMAN_VOICES:
        records += build_human(human)
    with tempfile.TemporaryDirectory() as tmp:
        for synth in SYNTH_VOICES:
            records += build_synthetic(synth, Path(tmp))
    ids = [str(r["id"]) for r in records]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate clip ids")
    with open(OUT_DIR / "manifest.jsonl", "w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print_summary(records)


if __name__ == "__main__":
    main()
