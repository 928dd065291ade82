"""Transcripts by (recogniser, audio), on disk: a recogniser's output depends on nothing else.

One key scheme for every user of a recogniser: the `asr:` model and a cascade's first stage share it,
so the same audio heard by the same recogniser is transcribed once, whichever of them asked first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from voiceleak.cache import KeyValueCache, default_cache_dir
from voiceleak.types import Audio

FILE = "transcripts.sqlite"
TABLE = "transcripts"


class TranscriptStore:
    """Transcripts keyed on the recogniser's identity and the audio content; memoised in memory."""

    def __init__(self, asr_identity: Mapping[str, Any]) -> None:
        described = json.dumps(asr_identity, sort_keys=True, default=str)
        self._prefix = hashlib.sha256(described.encode()).hexdigest()
        self._memory: dict[str, str] = {}
        self._disk: KeyValueCache | None = None

    def _key(self, audio: Audio) -> str:
        return f"{self._prefix[:24]}:{audio.content_hash()}"

    def _store(self) -> KeyValueCache:
        if self._disk is None:  # opened on first use: building a model must not touch the disk
            self._disk = KeyValueCache(default_cache_dir() / FILE, TABLE)
        return self._disk

    def get(self, audio: Audio) -> str | None:
        key = self._key(audio)
        if key not in self._memory:
            stored = self._store().get(key)
            if stored is None:
                return None
            self._memory[key] = stored.decode("utf-8")
        return self._memory[key]

    def put(self, audio: Audio, text: str) -> None:
        key = self._key(audio)
        self._memory[key] = text
        self._store().put(key, text.encode("utf-8"))
