"""voiceleak: audit what audio language models infer about the person speaking.

The public API re-exports the pieces a user composes; everything else is private to its module.
`voiceleak.models`, `.tasks`, `.transforms` and `.report` are the subpackages of those names (never an
object hiding one); their registries are `model_registry`, `task_registry` and `transform_registry`.
`voiceleak.report(run_dir)` still rebuilds a run's report: the report package is callable (see its
docstring); `write_report` is the same function under a name a type checker can follow.
"""

from voiceleak import report
from voiceleak.api import Run, audit, load_run
from voiceleak.attributes import Attribute, taxonomy
from voiceleak.corpus.manifest import load_manifest, write_manifest
from voiceleak.models import AudioModel, SupervisedModel, build_model
from voiceleak.models import models as model_registry
from voiceleak.registry import Registry
from voiceleak.report.build import write_report
from voiceleak.results import Header, Results, SchemaError, read_header, read_results
from voiceleak.runner.plan import RunConfig
from voiceleak.runner.run import Runner, RunOptions
from voiceleak.spec import Spec, parse_spec
from voiceleak.tasks import Task, build_task
from voiceleak.tasks import tasks as task_registry
from voiceleak.transforms import Transform, build_transform
from voiceleak.transforms import transforms as transform_registry
from voiceleak.types import Audio, Clip, Decoding, Outcome, Request, Response, SampleRecord, Score

__all__ = [
    "Attribute",
    "Audio",
    "AudioModel",
    "Clip",
    "Decoding",
    "Header",
    "Outcome",
    "Registry",
    "Request",
    "Response",
    "Results",
    "Run",
    "RunConfig",
    "RunOptions",
    "Runner",
    "SampleRecord",
    "SchemaError",
    "Score",
    "Spec",
    "SupervisedModel",
    "Task",
    "Transform",
    "audit",
    "build_model",
    "build_task",
    "build_transform",
    "load_manifest",
    "load_run",
    "model_registry",
    "parse_spec",
    "read_header",
    "read_results",
    "report",
    "task_registry",
    "taxonomy",
    "transform_registry",
    "write_manifest",
    "write_report",
]
