"""Transforms: controls and defenses. Importing this package registers the built-in ones."""

from voiceleak.transforms import base, controls
from voiceleak.transforms.base import IDENTITY, Transform, TransformContext, build_transform, transforms

__all__ = ["IDENTITY", "Transform", "TransformContext", "base", "build_transform", "controls", "transforms"]
