"""Core: what every stage shares, and nothing that knows a stage.

Enters: nothing of the pipeline's own; the package's reference tables (``reference/*.csv``)
and the environment (``KSS_DATA_DIR``).
Leaves: paths (``config``), the error types with one base class (``errors``), the
canonical schema and its Arrow types (``schema``, ``model``), the table contract every
stage checks (``validate``), Parquet and CSV I/O with provenance (``io``), file locks
(``locking``), reference tables and aliases (``reference``), EN/ID labels (``labels``,
``LANGS`` defined once) and the package version (``version``).
"""
