"""Speech recognisers: the first stage of a cascade, and, as the model `asr:NAME` (models.asr.model),
the utility meter of defenses.

A Transcriber turns audio into text and knows nothing of tasks. Registered by name in
`transcribers`; heavy ones are imported only when used. Transcripts are cached by (recogniser, audio)
in one store (models.asr.store) that the `asr:` model and a cascade share.
"""

from voiceleak.models.asr.base import LanguageDetector, Transcriber, build_transcriber, transcribers

__all__ = ["LanguageDetector", "Transcriber", "build_transcriber", "transcribers"]
