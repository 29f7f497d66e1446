"""Place raw rows of each source in the canonical model (one module per source family)."""
