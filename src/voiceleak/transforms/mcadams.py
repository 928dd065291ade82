"""McAdams-coefficient anonymisation, the VoicePrivacy Challenge's signal-processing baseline.

Per frame: fit an all-pole (LPC) model, move the angle of every complex pole from phi to phi**alpha
(which shifts the formants), rebuild the filter and drive it with the frame's own LPC residual.
Frames are sqrt-Hann windowed at 50% overlap on analysis and synthesis, so alpha = 1 gives the
input back. Framing, Levinson-Durbin, pole finding and polynomial rebuilding run on all frames at
once; only the per-frame IIR synthesis is a loop (scipy's lfilter takes one filter per call).

Differences from the challenge's script, on purpose: every frame is processed (it skips the first),
the output keeps the input's loudness instead of being peak-normalised, and the window is periodic
so the overlap-add is exact.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Signal = npt.NDArray[np.float64]


def _frames(x: Signal, size: int) -> tuple[Signal, Signal, int]:
    """Windowed frames at hop size/2, the window, and the padding added at each end."""
    hop = size // 2
    pad = size
    padded = np.pad(x, (pad, pad + hop - (len(x) + 2 * pad - size) % hop))
    count = 1 + (len(padded) - size) // hop
    index = np.arange(size)[None, :] + hop * np.arange(count)[:, None]
    window = np.sqrt(np.hanning(size + 1)[:-1])  # periodic: sqrt-Hann squared sums to 1 at 50% overlap
    return padded[index] * window, window, pad


def lpc(frames: Signal, order: int) -> Signal:
    """LPC coefficients [1, a1..ap] per frame: autocorrelation method, Levinson-Durbin over all frames."""
    n_fft = int(2 ** np.ceil(np.log2(2 * frames.shape[1])))
    power = np.abs(np.fft.rfft(frames, n=n_fft, axis=1)) ** 2
    r = np.fft.irfft(power, n=n_fft, axis=1)[:, :order + 1]
    r[:, 0] = r[:, 0] * (1 + 1e-9) + 1e-12  # white-noise floor: silent frames stay well-posed
    a = np.zeros((len(frames), order + 1))
    a[:, 0] = 1.0
    error = r[:, 0].copy()
    for i in range(1, order + 1):
        acc = r[:, i] + np.sum(a[:, 1:i] * r[:, i - 1:0:-1], axis=1)
        k = -acc / error
        a[:, 1:i] = a[:, 1:i] + k[:, None] * a[:, i - 1:0:-1]
        a[:, i] = k
        error = error * (1.0 - k**2)
    return a


def _poles(a: Signal) -> npt.NDArray[np.complex128]:
    """Roots of every frame's polynomial at once, as eigenvalues of stacked companion matrices."""
    order = a.shape[1] - 1
    companion = np.zeros((len(a), order, order))
    companion[:, 0, :] = -a[:, 1:]
    companion[:, np.arange(1, order), np.arange(order - 1)] = 1.0
    return np.asarray(np.linalg.eigvals(companion))


def _polynomial(roots: npt.NDArray[np.complex128]) -> Signal:
    """Monic polynomial coefficients from roots, row by row (np.poly for a batch)."""
    coefficients = np.ones((len(roots), 1), dtype=np.complex128)
    for j in range(roots.shape[1]):
        shifted = np.pad(coefficients, ((0, 0), (1, 0)))
        coefficients = np.pad(coefficients, ((0, 0), (0, 1))) - roots[:, j:j + 1] * shifted
    return np.real(coefficients)


def rotate_poles(poles: npt.NDArray[np.complex128], alpha: float) -> npt.NDArray[np.complex128]:
    """phi -> phi**alpha for complex poles (conjugates mirrored); real poles are left alone."""
    angle = np.angle(poles)
    complex_pole = poles.imag != 0  # LAPACK returns real eigenvalues with an exact zero imaginary part
    new_angle = np.clip(np.abs(angle) ** alpha, 0.0, np.pi) * np.sign(angle)
    rotated = np.abs(poles) * np.exp(1j * new_angle)
    return np.where(complex_pole, rotated, poles)


def mcadams(x: Signal, rate: int, alpha: float, order: int = 20, frame_ms: float = 20.0) -> Signal:
    """Anonymise `x` with McAdams coefficient `alpha` (the challenge uses 0.8; 1 is the identity)."""
    size = max(2 * (order + 2), round(frame_ms * rate / 1000 / 2) * 2)  # even, longer than the model
    frames, window, pad = _frames(np.asarray(x, dtype=np.float64), size)
    a = lpc(frames, order)
    a_new = _polynomial(rotate_poles(_poles(a), alpha))
    residual = np.zeros_like(frames)
    for k in range(order + 1):  # FIR inverse filter, one tap at a time over every frame
        residual[:, k:] += a[:, k:k + 1] * frames[:, :frames.shape[1] - k]
    from scipy.signal import lfilter  # imported on use: scipy.signal slows every command's start-up

    rebuilt = np.stack([lfilter([1.0], a_new[i], residual[i]) for i in range(len(frames))]) * window
    hop = size // 2
    out = np.zeros(hop * (len(frames) - 1) + size)
    index = np.arange(size)[None, :] + hop * np.arange(len(frames))[:, None]
    np.add.at(out, index, rebuilt)
    out = out[pad:pad + len(x)]
    before, after = float(np.sqrt(np.mean(np.square(x)))), float(np.sqrt(np.mean(out**2)))
    return out * (before / after) if after > 0 else out
