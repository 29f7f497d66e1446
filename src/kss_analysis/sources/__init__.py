"""One reader per file format: raw file -> canonical column names, no business logic."""
