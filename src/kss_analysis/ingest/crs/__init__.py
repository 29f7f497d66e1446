"""OECD CRS bulk files: scanned in batches and placed column-wise (the big source)."""
