"""Contracts every registered plugin keeps (the habit of garak's plugin tests).

The parametrisation reads the registries when the tests are collected, so a plugin registered tomorrow
is tested tomorrow: a name with no entry in its kind's table of test specs fails with a message saying
where to add one. Each kind has its own file (tests/test_contracts_<kind>.py); this one holds what they
share: the registries, a small corpus of clips, and the checks themselves.

The five contracts: a plugin builds from its spec; describes itself (JSON, its name, never a secret of
its spec); never mutates its input; turns an error into an error outcome (or a named error), never an
exception that kills the run; and what it answers round-trips through the run log.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
import soundfile as sf

from conftest import voice_like
from voiceleak.models.base import LocalModel
from voiceleak.registry import Registry
from voiceleak.runner.context import RunContext
from voiceleak.runner.log import RunLog
from voiceleak.runner.plan import WorkGroup
from voiceleak.types import Audio, Clip, Decoding, Outcome, Request, Response, SampleRecord

TESTS = Path(__file__).resolve().parent
RATE = 16_000
#: what the contract runs decode: short, so no backend spends time on long answers
DECODING = Decoding(max_tokens=8)
#: a secret put in specs that take one: it must never reach a description, a record or a message
SECRET = "sk-contract-SECRET-7f3a9c"

T = TypeVar("T")


# -- the registries -------------------------------------------------------------------------------
def registries() -> dict[str, Registry[Any]]:
    """Every plugin registry, with the modules that register the built-in plugins imported.

    Each registry's own package registers its plugins (test_a_registry_registers_its_plugins_itself);
    the imports here only make sure every package is loaded."""
    import voiceleak.corpus.importers as importers
    import voiceleak.models as models
    import voiceleak.models.asr as asr
    import voiceleak.tasks as tasks
    import voiceleak.transforms as transforms

    return {"model": models.models, "task": tasks.tasks, "transform": transforms.transforms,
            "importer": importers.importers, "recogniser": asr.transcribers}


def _defined_in_tests(module: str) -> bool:
    """A plugin that a test module registers for its own use (test_cascade's recorder...)."""
    loaded = sys.modules.get(module)
    path = getattr(loaded, "__file__", None)
    return module.split(".")[0] in {"conftest", "servers"} or module.startswith("test_") or (
        path is not None and Path(path).resolve().is_relative_to(TESTS))


def plugin_names(kind: str) -> list[str]:
    """The names of `kind` registered by voiceleak or an installed plugin package, not by a test."""
    names = []
    for entry in registries()[kind].entries():
        target = entry.target
        module = target.partition(":")[0] if isinstance(target, str) else getattr(target, "__module__", "")
        if not _defined_in_tests(module):
            names.append(entry.name)
    return names


def contract_for(table: Mapping[str, T], kind: str, name: str, where: str) -> T:
    """The test spec of a registered plugin, or a failure saying where to add it."""
    if name not in table:
        pytest.fail(f"{kind} {name!r} is registered but has no contract test spec: add an entry for it to "
                    f"{where}, so that every plugin is built, described, fed bad input and logged",
                    pytrace=False)
    return table[name]


# -- a small corpus -------------------------------------------------------------------------------
#: (speaker, sex, f0, spoken name): three voices of each sex, enough for speaker-disjoint folds
SPEAKERS = [("m1", "Male", 100.0), ("m2", "Male", 118.0), ("m3", "Male", 135.0),
            ("f1", "Female", 205.0), ("f2", "Female", 228.0), ("f3", "Female", 250.0)]
SENTENCES = ["please call me back tomorrow", "the weather is fine today"]


def write_clips(folder: Path, seconds: float = 0.6) -> list[Clip]:
    """Two short clips per speaker, labelled for every built-in task (the raw labels the mixture,
    stimulus and content tasks read are set on every clip, so each task has clips it applies to)."""
    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for s_index, (speaker, sex, f0) in enumerate(SPEAKERS):
        for c, sentence in enumerate(SENTENCES):
            path = folder / f"{speaker}-{c}.wav"
            sf.write(path, voice_like(f0 * (1 + 0.02 * c), seconds, seed=s_index * 10 + c), RATE)
            other = "Male" if sex == "Female" else "Female"
            clips.append(Clip(
                id=f"{speaker}-{c}", audio_path=path, speaker_id=speaker,
                labels={"sex": sex, "language": "en"}, text=sentence, provenance="contract test: harmonic signal",
                raw_labels={"topic": "weather" if c else "calls", "name": f"Speaker {speaker.upper()}",
                            "mix_subject": "bystander", "claim_attribute": "sex", "claim": other,
                            "condition": "conflict"},
                license="CC0-1.0", duration=seconds))
    return clips


def audio_of(clip: Clip) -> Audio:
    samples, rate = sf.read(clip.audio_path, dtype="float32")
    return Audio(samples, rate)


def bad_audios() -> dict[str, Audio]:
    """Audio no real corpus should hold, which a plugin must survive (or refuse with a named error)."""
    tone = voice_like(150.0, 0.3, seed=3)
    with_nan = tone.copy()
    with_nan[100:200] = np.nan
    return {"empty": Audio(np.zeros(0, np.float32), RATE), "one sample": Audio(np.full(1, 0.1, np.float32), RATE),
            "not a number": Audio(with_nan, RATE), "far past full scale": Audio(tone * 40, RATE),
            "8 kHz": Audio(voice_like(150.0, 0.3, seed=4, rate=8_000), 8_000)}


# -- a tiny recogniser ----------------------------------------------------------------------------
def build_tiny_ctc(folder: Path) -> Path:
    """A random-weight wav2vec2 CTC checkpoint with a letter vocabulary, saved like a real one, for
    `transformers-asr:PATH` (loads and transcribes in well under a second; nothing is downloaded)."""
    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<pad>": 0, "<unk>": 1, "|": 2, **{c: i + 3 for i, c in enumerate("abcdefghijklmnopqrstuvwxyz'")}}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), unk_token="<unk>", pad_token="<pad>",
                                     word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=RATE, padding_value=0.0, do_normalize=True,
                                         return_attention_mask=False)
    config = Wav2Vec2Config(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=16, conv_dim=(8, 8, 8), conv_stride=(5, 4, 4), conv_kernel=(10, 8, 8),
                            num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, pad_token_id=0)
    torch.manual_seed(0)
    Wav2Vec2ForCTC(config).save_pretrained(folder)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


# -- stand-in models (not registered: they are tools of these tests, not plugins) --------------------
class Parrot(LocalModel):
    """Answers every request: the first choice of a closed question, else the sentence it was told."""

    name = "contract-parrot"
    accepts_several_audios = True  # the verification task sends two clips in one request

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        return [Response(r.id, r.choices[0] if r.choices else SENTENCES[0]) for r in requests]


class Broken(LocalModel):
    """Fails every request, as a backend whose server is down does."""

    name = "contract-broken"

    def identity(self) -> Mapping[str, Any]:
        return {"name": self.name}

    async def generate(self, requests: Sequence[Request]) -> list[Response]:
        return [Response(r.id, None, error="HTTP 503: the service is unavailable") for r in requests]


# -- checks ---------------------------------------------------------------------------------------
def check_description(description: Any, name: str, family: str, secrets: Sequence[str] = (SECRET,)) -> None:
    """A mapping, JSON as it stands (no `default=str` rescue), naming the plugin, holding no secret."""
    assert isinstance(description, Mapping), f"{family}: describe()/identity() returned {type(description)}"
    text = json.dumps(description, sort_keys=True, allow_nan=False)
    assert description.get("name") == name, f"{family}: the description names {description.get('name')!r}, not {name!r}"
    for secret in secrets:
        assert secret not in text, f"{family}: a secret of its spec appears in its description: {text}"
        assert secret not in name, f"{family}: a secret of its spec appears in its name: {name}"


@dataclass(frozen=True)
class Snapshot:
    """A deep copy of a request (or response), the audio samples copied as arrays."""

    fields: dict[str, Any]

    @classmethod
    def of(cls, obj: Request | Response) -> Snapshot:
        return cls({f.name: _copy(getattr(obj, f.name)) for f in fields(obj)})

    def assert_same(self, obj: Request | Response, who: str) -> None:
        for name, before in self.fields.items():
            assert _same(before, getattr(obj, name)), f"{who} changed its input's {name}"


@dataclass(frozen=True, eq=False)
class _AudioCopy:
    samples: np.ndarray
    rate: int

    def matches(self, now: Any) -> bool:
        return isinstance(now, Audio) and now.sample_rate == self.rate and now.samples.dtype == self.samples.dtype \
            and np.array_equal(now.samples, self.samples, equal_nan=True)


def _copy(value: Any) -> Any:
    if isinstance(value, Audio):
        return _AudioCopy(value.samples.copy(), value.sample_rate)
    if isinstance(value, tuple) and value and isinstance(value[0], Audio):
        return tuple(_copy(v) for v in value)
    return copy.deepcopy(value)


def _same(before: Any, now: Any) -> bool:
    if isinstance(before, _AudioCopy):
        return before.matches(now)
    if isinstance(before, tuple) and before and isinstance(before[0], _AudioCopy):
        return isinstance(now, tuple) and len(now) == len(before) and all(map(_same, before, now))
    return bool(before == now)


def assert_round_trips(records: Sequence[SampleRecord], folder: Path) -> None:
    """Written with the run log and read back, every record is equal to what was written."""
    assert records, "nothing to log"
    log = RunLog(folder)
    log.start({"contract": True}, {"contract": True})
    try:
        for record in records:
            log.append(record)
    finally:
        log.close()
    back = {r.key: r for r in RunLog(folder).records()}
    for record in records:
        assert back.get(record.key) == record, f"{record.key} read back as {back.get(record.key)}, wrote {record}"


def run_cell(model: Any, model_name: str, task: Any, task_name: str, transform: Any, transform_name: str,
             clips: Sequence[Clip]) -> list[SampleRecord]:
    """One (model, task, transform) cell over the clips, through the runner's own code path."""
    task.prepare(clips)
    context = RunContext({c.id: c for c in clips}, {model_name: model}, {task_name: task},
                         {transform_name: transform}, DECODING, cache=None)
    group = WorkGroup(model_name, task_name, transform_name, tuple(c.id for c in clips if task.applies_to(c)), 1)
    assert group.clip_ids, f"{task_name}: no contract clip applies"
    return asyncio.run(context.run_batch(group, list(group.items())))


ERROR = Outcome.ERROR.value


# -- the registries themselves --------------------------------------------------------------------
#: run in a fresh interpreter: the names each registry holds with only its own package imported, then
#: after importing the modules given on the command line
_LIST_NAMES = """
import importlib, json, sys
from voiceleak.registry import load_plugins

def registries():
    import voiceleak.corpus.importers as importers
    import voiceleak.models as models
    import voiceleak.models.asr as asr
    import voiceleak.tasks as tasks
    import voiceleak.transforms as transforms
    return {"model": models.models, "task": tasks.tasks, "transform": transforms.transforms,
            "importer": importers.importers, "recogniser": asr.transcribers}

def names():
    return {kind: sorted(r._entries) for kind, r in registries().items()}

load_plugins()
own = names()
lazy = {e.target.partition(":")[0] for r in registries().values() for e in r._entries.values()
        if isinstance(e.target, str)}
for module in sys.argv[1:]:
    if module not in lazy:  # a lazy entry already names what its module registers (and it may be heavy)
        importlib.import_module(module)
print(json.dumps({"own": own, "all": names()}))
"""
#: a call that registers a plugin in one of the five registries
_REGISTERS = re.compile(r"\b(models|tasks|transforms|importers|transcribers)\.register(_lazy)?\(")


def registering_modules() -> list[str]:
    """The voiceleak modules whose source registers a plugin."""
    root = TESTS.parent / "src"
    found = []
    for path in sorted((root / "voiceleak").rglob("*.py")):
        if _REGISTERS.search(path.read_text(encoding="utf-8")):
            parts = path.relative_to(root).with_suffix("").parts
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_a_registry_registers_its_plugins_itself() -> None:
    """Importing a registry's own package registers all of its plugins: a name that appears only once
    some other module is imported (a CLI command, a study) is missing for a user of the Python API."""
    import subprocess

    result = subprocess.run([sys.executable, "-c", _LIST_NAMES, *registering_modules()], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    late = {kind: sorted(set(found["all"][kind]) - set(found["own"][kind])) for kind in found["all"]}
    late = {kind: names for kind, names in late.items() if names}
    assert not late, ("registered only when another module is imported (register them, lazily if heavy, in "
                      f"the registry's own package): {late}")
@pytest.mark.parametrize("kind", ["model", "task", "transform", "importer", "recogniser"])
def test_every_kind_has_plugins_and_tests_see_them_all(kind: str) -> None:
    """The enumeration the contract files parametrise over is not empty and skips only test plugins."""
    names = plugin_names(kind)
    assert names, f"no {kind} is registered"
    assert all(not n.startswith("test-") for n in names)
