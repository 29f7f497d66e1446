"""kss-analysis: reproducible statistics on Indonesia's South-South and triangular cooperation."""

__version__ = "0.1.0"

from kss_analysis.query import partners, programmes  # noqa: E402  (the query API: kss_analysis.programmes(...))

__all__ = ["__version__", "partners", "programmes"]
