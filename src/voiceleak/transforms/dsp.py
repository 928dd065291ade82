"""Signal processing for the audio defenses: pitch shift, band-limiting, telephone coding, noise.

Pure numpy/scipy/soxr on mono float arrays. Every function returns exactly as many samples as it
was given, at the same rate: a defense must not change what the runner thinks the clip is.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

Signal = npt.NDArray[np.float64]
TELEPHONE_RATE = 8_000


def fit_length(samples: Signal, length: int) -> Signal:
    """Trim or zero-pad to `length`: resamplers are off by a sample or two at the end."""
    if len(samples) >= length:
        return samples[:length]
    return np.pad(samples, (0, length - len(samples)))


# -- pitch shift: phase-vocoder time-stretch, then resample back to the original length ------------

def _stft(x: Signal, n_fft: int, hop: int, window: Signal) -> npt.NDArray[np.complex128]:
    padded = np.pad(x, (n_fft // 2, n_fft // 2 + hop))
    count = 1 + (len(padded) - n_fft) // hop
    index = np.arange(n_fft)[None, :] + hop * np.arange(count)[:, None]
    return np.fft.rfft(padded[index] * window, axis=1)


def _istft(frames: npt.NDArray[np.complex128], n_fft: int, hop: int, window: Signal, length: int) -> Signal:
    chunks = np.fft.irfft(frames, n=n_fft, axis=1) * window
    total = n_fft + hop * (len(frames) - 1)
    out = np.zeros(total)
    norm = np.zeros(total)
    index = np.arange(n_fft)[None, :] + hop * np.arange(len(frames))[:, None]
    np.add.at(out, index, chunks)
    np.add.at(norm, index, np.broadcast_to(window**2, chunks.shape))
    out = out / np.maximum(norm, 1e-8)
    return fit_length(out[n_fft // 2:], length)


def time_stretch(x: Signal, factor: float, rate: int) -> Signal:
    """Make `x` `factor` times longer without changing its pitch (phase vocoder, vectorised).

    Phase increments are measured between neighbouring analysis frames and accumulated with
    cumsum over the output frames, so no Python loop runs per frame.
    """
    n_fft = int(2 ** np.ceil(np.log2(0.04 * rate)))  # ~40 ms or more: resolves harmonics of low voices
    hop = n_fft // 4
    window = np.hanning(n_fft + 1)[:-1]  # periodic Hann
    spectrum = _stft(x, n_fft, hop, window)
    spectrum = np.vstack([spectrum, np.zeros((1, spectrum.shape[1]))])  # step + 1 always exists
    steps = np.arange(0, len(spectrum) - 1, 1.0 / factor)
    left = steps.astype(int)
    frac = (steps - left)[:, None]
    magnitude = (1 - frac) * np.abs(spectrum[left]) + frac * np.abs(spectrum[left + 1])
    expected = 2 * np.pi * hop * np.arange(spectrum.shape[1]) / n_fft
    deviation = np.angle(spectrum[left + 1]) - np.angle(spectrum[left]) - expected
    deviation -= 2 * np.pi * np.round(deviation / (2 * np.pi))
    increments = expected + deviation
    accumulated = np.vstack([np.zeros((1, len(expected))), np.cumsum(increments[:-1], axis=0)])
    phase = np.angle(spectrum[0]) + accumulated
    return _istft(magnitude * np.exp(1j * phase), n_fft, hop, window, round(len(x) * factor))


def pitch_shift(x: Signal, rate: int, semitones: float) -> Signal:
    """Raise (or lower) the pitch by `semitones`, keeping duration. Formants move with the pitch."""
    if semitones == 0:
        return x.copy()
    ratio = 2.0 ** (semitones / 12.0)
    stretched = time_stretch(x, ratio, rate)
    # Playing the stretched signal `ratio` times faster restores the duration and scales every frequency.
    squeezed = soxr.resample(stretched, rate * ratio, rate, quality="HQ")
    return fit_length(np.asarray(squeezed, dtype=np.float64), len(x))


# -- band-limiting -------------------------------------------------------------------------------

def bandlimit(x: Signal, rate: int, high: float, low: float = 0.0, taper: float = 100.0) -> Signal:
    """Zero-phase band-pass in the frequency domain: nothing above `high` or below `low` survives.

    The raised-cosine taper lies inside the band, so the stop bands are exactly empty; zero padding
    keeps the filter's short time response from wrapping around the clip's ends.
    """
    pad = int(0.05 * rate)
    padded = np.pad(x, (pad, pad))
    spectrum = np.fft.rfft(padded)
    freqs: Signal = np.fft.rfftfreq(len(padded), 1.0 / rate).astype(np.float64)
    gain: Signal = np.ones_like(freqs)
    if high < rate / 2:
        gain *= _ramp(high - freqs, taper)
    if low > 0:
        gain *= _ramp(freqs - low, taper)
    return np.fft.irfft(spectrum * gain, n=len(padded))[pad:pad + len(x)]


def _ramp(distance_inside: Signal, width: float) -> Signal:
    """1 deep inside the band, 0 outside, a raised cosine over `width` Hz next to the edge."""
    position = np.clip(distance_inside / max(width, 1e-9), 0.0, 1.0)
    return np.asarray(0.5 - 0.5 * np.cos(np.pi * position))


def mu_law(x: Signal, bits: int = 8) -> Signal:
    """G.711-style mu-law companding and quantisation to `bits` bits, then back to linear."""
    mu = 255.0
    levels = 2 ** (bits - 1)
    compressed = np.sign(x) * np.log1p(mu * np.minimum(np.abs(x), 1.0)) / np.log1p(mu)
    quantised = np.round(compressed * levels) / levels
    return np.asarray(np.sign(quantised) * np.expm1(np.abs(quantised) * np.log1p(mu)) / mu)


def telephone(x: Signal, rate: int, bits: int = 8) -> Signal:
    """A narrowband phone call: 300-3400 Hz, 8 kHz sampling, mu-law coding, back at the clip's rate."""
    narrow = bandlimit(x, rate, 3400.0, 300.0)
    coded = soxr.resample(narrow, rate, TELEPHONE_RATE, quality="HQ") if rate != TELEPHONE_RATE else narrow
    coded = mu_law(np.asarray(coded, dtype=np.float64), bits)
    back = soxr.resample(coded, TELEPHONE_RATE, rate, quality="HQ") if rate != TELEPHONE_RATE else coded
    return fit_length(np.asarray(back, dtype=np.float64), len(x))


# -- additive noise ------------------------------------------------------------------------------

def coloured_noise(length: int, seed: int, colour: str = "white") -> Signal:
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(length)
    if colour == "white":
        return white
    spectrum = np.fft.rfft(white)
    freqs = np.arange(len(spectrum), dtype=np.float64)
    spectrum[1:] /= np.sqrt(freqs[1:])  # pink: power falls as 1/f
    spectrum[0] = 0.0
    return np.fft.irfft(spectrum, n=length)


def add_noise(x: Signal, snr_db: float, seed: int, colour: str = "white") -> Signal:
    """Mix in noise at exactly `snr_db` (signal power over the whole clip, as most toolkits define it)."""
    noise = coloured_noise(len(x), seed, colour)
    signal_power = float(np.mean(x**2))
    noise_power = float(np.mean(noise**2))
    if signal_power == 0.0 or noise_power == 0.0:
        return x.copy()
    mixed = x + noise * np.sqrt(signal_power / (noise_power * 10 ** (snr_db / 10.0)))
    peak = float(np.max(np.abs(mixed)))
    return mixed / peak * 0.99 if peak > 1.0 else mixed  # one gain for both keeps the SNR exact
