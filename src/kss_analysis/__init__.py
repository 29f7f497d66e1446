"""kss-analysis: reproducible statistics on Indonesia's South-South and triangular cooperation.

The query API: ``kss_analysis.programmes(...)``, ``kss_analysis.partners(...)`` and
``kss_analysis.organisations(...)`` (each organisation a programme names, resolved) and
``kss_analysis.official_counts(...)`` (the official programme counts the coverage chart uses).
``kss_analysis.__version__`` is the package version (core/version.py), computed on first use.
"""

from kss_analysis.outputs.query import official_counts, partners, programmes
from kss_analysis.outputs.query import organisations_named as organisations
from kss_analysis.outputs.sql import sql

__all__ = ["__version__", "official_counts", "organisations", "partners", "programmes", "sql"]  # noqa: F822 (__version__ comes from __getattr__)


def __getattr__(name: str) -> str:
    if name == "__version__":
        from kss_analysis.core.version import package_version

        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
