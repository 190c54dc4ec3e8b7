"""The model registry: which detectors exist, what their authors published, how to build them."""

from benchgen.registry.load import DEFAULT_REGISTRY_DIR, load_family, load_registry
from benchgen.metrics import METRICS
from benchgen.registry.schema import Family, Registry, ReportedValue, Variant

__all__ = [
    "DEFAULT_REGISTRY_DIR", "METRICS", "Family", "Registry", "ReportedValue", "Variant",
    "load_family", "load_registry",
]
