"""voiceleak: audit what audio language models infer about the person speaking.

The public API re-exports the pieces a user composes; everything else is private to its module.
"""

from voiceleak.attributes import Attribute, taxonomy
from voiceleak.corpus.manifest import load_manifest, write_manifest
from voiceleak.models import AudioModel, SupervisedModel, build_model, models
from voiceleak.registry import Registry
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions, report
from voiceleak.spec import Spec, parse_spec
from voiceleak.tasks import Task, build_task, tasks
from voiceleak.transforms import Transform, build_transform, transforms
from voiceleak.types import Audio, Clip, Decoding, Outcome, Request, Response, SampleRecord, Score

__all__ = [
    "Attribute",
    "Audio",
    "AudioModel",
    "Clip",
    "Decoding",
    "Outcome",
    "Registry",
    "Request",
    "Response",
    "RunConfig",
    "RunOptions",
    "Runner",
    "SampleRecord",
    "Score",
    "Spec",
    "SupervisedModel",
    "Task",
    "Transform",
    "build_model",
    "build_task",
    "build_transform",
    "load_manifest",
    "models",
    "parse_spec",
    "report",
    "tasks",
    "taxonomy",
    "transforms",
    "write_manifest",
]
