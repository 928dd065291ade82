"""Speech recognisers: the first stage of a cascade, and the utility meter of defenses.

A Transcriber turns audio into text and knows nothing of tasks. Registered by name in
`transcribers`; heavy ones are imported only when used.
"""

from voiceleak.models.asr.base import LanguageDetector, Transcriber, build_transcriber, transcribers

__all__ = ["LanguageDetector", "Transcriber", "build_transcriber", "transcribers"]
