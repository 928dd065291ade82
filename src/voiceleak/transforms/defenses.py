"""Audio defenses as transforms: voice anonymisation (McAdams, pitch) and channel degradation
(band-limiting, telephone, noise). The prompt guard and the reply filter are in `guards`.

Audio defenses keep the clip's length and sample rate and record what they did in `applied`. They
are pure and deterministic (noise is seeded per clip), so their output is memoised per audio: the
runner applies a transform once per task, the verification attacker once more.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from voiceleak.spec import Spec, SpecError
from voiceleak.transforms import dsp
from voiceleak.transforms.base import TransformBase, TransformContext, TransformRole, mark, transforms
from voiceleak.transforms.mcadams import mcadams
from voiceleak.types import Audio, Request

MEMO_BYTES = 64 << 20  # per transform: the demo corpus fits twice over, long corpora stay bounded


def clip_seed(clip_id: str, seed: int = 0) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{clip_id}".encode()).digest()[:8], "big")


def _number(spec: Spec, value: str | None, what: str, default: float) -> float:
    if value is None:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise SpecError(f"{spec}: {what} must be a number, got {value!r}") from exc


def _fmt(value: float) -> str:
    """A strength as it appears in the transform's name: 0.80 -> 0.8, 3400.0 -> 3400."""
    return f"{value:g}"


class AudioDefense(TransformBase):
    """Shared plumbing: memoised, length- and rate-preserving processing of the request's audio."""

    role = TransformRole.DEFENSE  # declared: the report reads it from the header, never off the name
    changes_audio = True
    name: str
    seed = 0  # mixed into the per-clip seed of random defenses

    def __init__(self) -> None:
        self._memo: OrderedDict[tuple[str, int], Audio] = OrderedDict()
        self._memo_bytes = 0
        self._lock = threading.Lock()

    def process(self, samples: np.ndarray, rate: int, seed: int) -> np.ndarray:
        raise NotImplementedError

    def apply(self, audio: Audio, seed: int = 0) -> Audio:
        key = (audio.content_hash(), seed)
        with self._lock:
            found = self._memo.get(key)
            if found is not None:
                self._memo.move_to_end(key)
        if found is None:
            samples = np.asarray(audio.samples, dtype=np.float64)
            if not np.isfinite(samples).all():  # a filter would spread one NaN over the whole clip
                raise ValueError(f"{self.name}: the audio holds non-finite samples (NaN or infinity)")
            out = self.process(samples, audio.sample_rate, seed)
            if len(out) != len(samples):  # a defense that changes the duration would be a bug here
                raise RuntimeError(f"{self.name} changed the length {len(samples)} -> {len(out)}")
            found = Audio(np.clip(out, -1.0, 1.0).astype(np.float32), audio.sample_rate)
            self._remember(key, found)
        return found

    def _remember(self, key: tuple[str, int], audio: Audio) -> None:
        with self._lock:
            if key in self._memo:
                return
            self._memo[key] = audio
            self._memo_bytes += audio.samples.nbytes
            while self._memo_bytes > MEMO_BYTES and len(self._memo) > 1:
                _, old = self._memo.popitem(last=False)
                self._memo_bytes -= old.samples.nbytes

    def __call__(self, request: Request, context: TransformContext) -> Request:
        if request.audio is None:
            return request  # nothing to anonymise (a no-audio control)
        seed = clip_seed(context.clip.id, self.seed)
        return mark(request, self.name, audio=self.apply(request.audio, seed))


@transforms.register("mcadams", "McAdams-coefficient anonymisation (VoicePrivacy baseline): mcadams:0.8; "
                                "args: order=20, frame_ms=20; 1 = no change")
class McAdams(AudioDefense):
    def __init__(self, spec: Spec) -> None:
        super().__init__()
        spec.check_known({"order", "frame_ms"})
        self.alpha = _number(spec, spec.arg, "the McAdams coefficient", 0.8)
        if not 0 < self.alpha <= 2:
            raise SpecError(f"{spec}: the McAdams coefficient must be in (0, 2] (0.8 is the challenge's)")
        self.order = spec.get_int("order", 20)
        self.frame_ms = spec.get_float("frame_ms", 20.0)
        self.name = str(Spec("mcadams", _fmt(self.alpha), dict(spec.params)))
        self.strength = self.alpha
        self.severity = abs(1.0 - self.alpha)  # how far from the identity: orders a curve

    def process(self, samples: np.ndarray, rate: int, seed: int) -> np.ndarray:
        return mcadams(samples, rate, self.alpha, self.order, self.frame_ms)

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "anonymisation", "alpha": self.alpha, "lpc_order": self.order,
                "frame_ms": self.frame_ms, "overlap": 0.5, "window": "sqrt periodic Hann"}


@transforms.register("pitch", "pitch shift in semitones, duration kept (phase vocoder + resampling): "
                              "pitch:+3")
class PitchShift(AudioDefense):
    def __init__(self, spec: Spec) -> None:
        super().__init__()
        spec.check_known(set())
        self.semitones = _number(spec, spec.arg, "the shift in semitones", 3.0)
        if abs(self.semitones) > 24:
            raise SpecError(f"{spec}: shift at most two octaves (24 semitones)")
        self.name = str(Spec("pitch", f"{self.semitones:+g}", {}))
        self.strength = self.semitones
        self.severity = abs(self.semitones)

    def process(self, samples: np.ndarray, rate: int, seed: int) -> np.ndarray:
        return dsp.pitch_shift(samples, rate, self.semitones)

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "voice modification", "semitones": self.semitones,
                "method": "phase-vocoder time stretch, then soxr resampling to the original length; "
                          "formants move with the pitch"}


@transforms.register("bandlimit", "keep only LOW..CUTOFF Hz (zero-phase, stop bands empty): bandlimit:3400; "
                                  "args: low=300 (0 = no high-pass), taper=100")
class BandLimit(AudioDefense):
    def __init__(self, spec: Spec) -> None:
        super().__init__()
        spec.check_known({"low", "taper"})
        self.high = _number(spec, spec.arg, "the cut-off in Hz", 3400.0)
        self.low = spec.get_float("low", 300.0)
        self.taper = spec.get_float("taper", 100.0)
        if not 0 <= self.low < self.high:
            raise SpecError(f"{spec}: need 0 <= low < cut-off")
        self.name = str(Spec("bandlimit", _fmt(self.high), dict(spec.params)))
        self.strength = self.high
        self.severity = -self.high

    def process(self, samples: np.ndarray, rate: int, seed: int) -> np.ndarray:
        return dsp.bandlimit(samples, rate, self.high, self.low, self.taper)

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "channel", "low_hz": self.low, "high_hz": self.high,
                "taper_hz": self.taper}


@transforms.register("telephone", "a narrowband phone call: 300-3400 Hz, 8 kHz, mu-law; args: bits=8")
class Telephone(AudioDefense):
    def __init__(self, spec: Spec) -> None:
        super().__init__()
        spec.check_known({"bits"})
        self.bits = spec.get_int("bits", 8)
        if not 2 <= self.bits <= 16:
            raise SpecError(f"{spec}: bits must be between 2 and 16")
        self.name = str(Spec("telephone", None, dict(spec.params)))
        self.strength = float(self.bits)
        self.severity = -float(self.bits)

    def process(self, samples: np.ndarray, rate: int, seed: int) -> np.ndarray:
        return dsp.telephone(samples, rate, self.bits)

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "channel", "band_hz": [300, 3400], "rate": dsp.TELEPHONE_RATE,
                "codec": f"mu-law, {self.bits} bits"}


@transforms.register("noise", "additive noise at a set SNR in dB, seeded per clip: noise:snr=10; "
                              "args: colour=white|pink, seed=0")
class Noise(AudioDefense):
    def __init__(self, spec: Spec) -> None:
        super().__init__()
        spec.check_known({"snr", "colour", "seed"})
        if spec.arg is not None and spec.get("snr") is not None:
            raise SpecError(f"{spec}: give the SNR once (noise:10 or noise:snr=10)")
        self.snr = _number(spec, spec.arg or spec.get("snr"), "snr", 10.0)
        self.colour = spec.get("colour", "white") or "white"
        if self.colour not in {"white", "pink"}:
            raise SpecError(f"{spec}: colour must be white or pink")
        self.seed = spec.get_int("seed", 0)
        params = {"snr": _fmt(self.snr)} | {k: v for k, v in spec.params.items() if k != "snr"}
        self.name = str(Spec("noise", None, params))
        self.strength = self.snr
        self.severity = -self.snr

    def process(self, samples: np.ndarray, rate: int, seed: int) -> np.ndarray:
        return dsp.add_noise(samples, self.snr, seed, self.colour)

    def describe(self) -> Mapping[str, Any]:
        return {"name": self.name, "kind": "channel", "snr_db": self.snr, "colour": self.colour,
                "seed": self.seed, "signal_power": "mean square over the whole clip"}
