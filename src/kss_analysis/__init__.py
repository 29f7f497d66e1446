"""kss-analysis: reproducible statistics on Indonesia's South-South and triangular cooperation."""

__version__ = "0.1.0"
