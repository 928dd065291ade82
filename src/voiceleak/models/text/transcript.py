"""How a transcript travels inside a text-only prompt, and the instructions a cascade's recogniser answers.

The cascade's text stage sees the question the end-to-end model sees, with the transcript put before
it between unmistakable markers; scorers (MiniLM, log-likelihood) read the transcript back out.
"""

from __future__ import annotations

import re

OPEN = "<<<TRANSCRIPT"
CLOSE = "TRANSCRIPT>>>"
_BLOCK = re.compile(re.escape(OPEN) + r"\n(.*?)\n" + re.escape(CLOSE), re.DOTALL)

INTRO = ("You cannot hear the recording. You only have its automatic transcript, between the markers "
         "below; answer the question about the speaker or the speech from it.")

#: A request whose prompt starts with one of these is answered by the recogniser itself: a text stage
#: could only echo the transcript (transcription) or guess from words the recogniser already read
#: (language identification, which multilingual recognisers do from the audio).
TRANSCRIBE_INSTRUCTION = "Transcribe the speech in this recording exactly, in its own language."
LANGUAGE_ID_INSTRUCTION = "Identify the language spoken in this recording."


def wrap(transcript: str, prompt: str) -> str:
    """The text stage's prompt: intro, the delimited transcript, then the original question."""
    body = transcript.strip() or "(the recogniser heard no words)"
    return f"{INTRO}\n{OPEN}\n{body}\n{CLOSE}\n{prompt}"


def extract(prompt: str) -> str | None:
    """The transcript inside a wrapped prompt, or None when the prompt holds no transcript block."""
    match = _BLOCK.search(prompt)
    return match.group(1).strip() if match else None


def question(prompt: str) -> str:
    """The prompt with the intro and transcript block removed: the question alone."""
    return _BLOCK.sub("", prompt.replace(INTRO, "")).strip()
