"""benchgen: measure object detectors and publish the numbers, with provenance, as a static site."""

__version__ = "0.1.0"
