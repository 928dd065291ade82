"""Audio in and out: load any file soundfile reads, downmix, resample with soxr, encode WAV.

Every problem raises AudioError naming the file, so a run can record it against the clip and go on.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from voiceleak.types import Audio

MODEL_RATE = 16_000  # what audio LLMs and voiceprint encoders expect
#: a peak below this (-80 dBFS) is silence: no voice to infer anything from, never scored as speech
SILENCE_PEAK = 1e-4
CLIP_LEVEL = 0.999  # a sample at or above this magnitude is clipped
_SHORT_CHUNK = re.compile(r"(\w+)\s*:\s*(\d+) \(should be (\d+)\)")


class AudioError(ValueError):
    """A clip that cannot be used, with the file and the reason."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


def load(path: Path | str, *, offset: float = 0.0, duration: float | None = None,
         sample_rate: int | None = None) -> Audio:
    """Read a clip as mono float32, optionally a segment of it and resampled to `sample_rate`."""
    path = Path(path)
    try:
        # One open for header and samples: decoding is on every sample's path.
        with sf.SoundFile(str(path)) as handle:
            rate, floating = handle.samplerate, handle.subtype in {"FLOAT", "DOUBLE"}
            if offset:
                handle.seek(int(round(offset * rate)))
            frames = -1 if duration is None else int(round(duration * rate))
            data = handle.read(frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        # checked only on failure: a stat per clip is measurable at scale
        raise AudioError(path, not_a_file(path) or f"unreadable or corrupt audio ({exc})") from exc
    if data.size == 0:
        raise AudioError(path, "empty audio (no samples)")
    # downmix: users' corpora are sometimes stereo; a mono file is taken as is, without a copy
    mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)
    if floating and not np.all(np.isfinite(mono)):  # integer PCM cannot hold NaN
        raise AudioError(path, "audio contains NaN or infinite samples")
    if float(np.max(np.abs(mono))) < SILENCE_PEAK:
        raise AudioError(path, "silent audio (no sample above -80 dBFS): there is no voice to score")
    audio = Audio(mono, int(rate))
    return resample(audio, sample_rate) if sample_rate else audio


def not_a_file(path: Path) -> str | None:
    """Why `path` is not a readable regular file, in words (directory, symlink loop...), or None."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop (the link points back at itself)"
        if exc.errno == errno.ENOENT:
            return "broken symlink (its target does not exist)" if os.path.islink(path) else "file not found"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "permission denied"
        if exc.errno == errno.ENOTDIR:
            return "file not found (a folder on its path is a file)"
        return f"cannot open ({exc.strerror})"
    import stat

    if stat.S_ISDIR(mode):
        return "is a directory, not an audio file"
    if not stat.S_ISREG(mode):
        return "not a regular file (a device, pipe or socket)"
    if not os.access(path, os.R_OK):
        return "permission denied"
    return None


@dataclass(frozen=True)
class AudioScan:
    """What decoding a whole file found."""

    sample_rate: int
    frames: int
    peak: float
    nonfinite: int
    clipped: int
    declared_bytes: int | None = None  # a chunk longer than the file: truncated
    found_bytes: int | None = None

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def scan_audio(path: Path | str, block: int = 1 << 16) -> AudioScan:
    """Decode every frame of a file, block by block (memory stays flat), and measure what makes a clip
    unusable: undecodable data, a truncated file, NaN or infinite samples, silence, clipping."""
    path = Path(path)
    problem = not_a_file(path)
    if problem:
        raise AudioError(path, problem)
    frames = nonfinite = clipped = 0
    peak = 0.0
    try:
        with sf.SoundFile(str(path)) as handle:
            rate = handle.samplerate
            for chunk in handle.blocks(blocksize=block, dtype="float32", always_2d=True):
                finite = np.isfinite(chunk)
                nonfinite += int(chunk.size - np.count_nonzero(finite))
                magnitude = np.abs(np.where(finite, chunk, 0.0))
                if magnitude.size:
                    peak = max(peak, float(magnitude.max()))
                clipped += int(np.count_nonzero(magnitude >= CLIP_LEVEL))
                frames += chunk.shape[0]
            extra = handle.extra_info
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioError(path, f"unreadable or corrupt audio, cannot be decoded to the end ({exc})") from exc
    short = _SHORT_CHUNK.search(extra or "")
    declared, found = (int(short.group(2)), int(short.group(3))) if short else (None, None)
    return AudioScan(int(rate), frames, peak, nonfinite, clipped, declared, found)


def resample(audio: Audio, sample_rate: int) -> Audio:
    if audio.sample_rate == sample_rate:
        return audio
    out = soxr.resample(audio.samples, audio.sample_rate, sample_rate, quality="HQ")
    return Audio(np.asarray(out, dtype=np.float32), sample_rate)


def to_wav_bytes(audio: Audio, sample_rate: int = MODEL_RATE) -> bytes:
    """16-bit PCM mono WAV, the format every audio API accepts."""
    audio = resample(audio, sample_rate)
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(audio.samples, -1.0, 1.0), sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def from_wav_bytes(data: bytes) -> Audio:
    samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    return Audio(samples.mean(axis=1).astype(np.float32), int(rate))


def silence(seconds: float, sample_rate: int = MODEL_RATE) -> Audio:
    return Audio(np.zeros(int(round(seconds * sample_rate)), dtype=np.float32), sample_rate)


def white_noise(seconds: float, sample_rate: int = MODEL_RATE, *, rms: float = 0.05, seed: int = 0) -> Audio:
    rng = np.random.default_rng(seed)
    samples = rng.normal(0.0, rms, int(round(seconds * sample_rate))).astype(np.float32)
    return Audio(samples, sample_rate)


def file_hash(path: Path | str, chunk: int = 1 << 20) -> str:
    """Content hash of a file's bytes: finds duplicate audio and fingerprints a corpus."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()[:24]
