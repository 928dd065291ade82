"""Transforms: controls and defenses. Importing this package registers the built-in ones."""

from voiceleak.transforms import base, controls, defenses, guards  # noqa: F401  (registers)
from voiceleak.transforms.base import IDENTITY, Transform, TransformContext, build_transform, transforms

__all__ = ["IDENTITY", "Transform", "TransformContext", "base", "build_transform", "controls", "transforms"]
from voiceleak.transforms import text_only  # noqa: F401  (registers the text-only control)
