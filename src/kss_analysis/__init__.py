"""kss-analysis: reproducible statistics on Indonesia's South-South and triangular cooperation.

The query API: ``kss_analysis.programmes(...)`` and ``kss_analysis.partners(...)``.
"""

from kss_analysis.core.version import __version__
from kss_analysis.outputs.query import partners, programmes

__all__ = ["__version__", "partners", "programmes"]
