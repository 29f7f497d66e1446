"""The package version (one place; stamped into every output's metadata)."""

__version__ = "0.1.0"
