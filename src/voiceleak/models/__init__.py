"""Model backends. Importing this package registers the built-in ones; optional backends are
registered lazily so that `voiceleak list models` shows them without importing their dependencies."""

from voiceleak.models import baselines, probe
from voiceleak.models.base import AudioModel, Model, SupervisedModel, build_model, models

__all__ = ["AudioModel", "Model", "SupervisedModel", "baselines", "build_model", "models", "probe"]
