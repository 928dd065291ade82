"""Typed, versioned run files: header.json and results.json as pydantic models, and their readers."""

from voiceleak.results.files import SchemaError, parse_results, read_header, read_results
from voiceleak.results.schema import (
    HEADER_SCHEMA_VERSION,
    RESULTS_SCHEMA_VERSION,
    Cell,
    CellMetrics,
    Figure,
    Header,
    Results,
)

__all__ = [
    "HEADER_SCHEMA_VERSION",
    "RESULTS_SCHEMA_VERSION",
    "Cell",
    "CellMetrics",
    "Figure",
    "Header",
    "Results",
    "SchemaError",
    "parse_results",
    "read_header",
    "read_results",
]
