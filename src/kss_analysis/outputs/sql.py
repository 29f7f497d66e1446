"""SQL over the processed tables and partitioned datasets, without loading them into pandas.

Every ``*.parquet`` table in the processed folder is a view named by its file (``activities``,
``crs_ledger`` ...), and every folder of Parquet parts (``crs/year=2019/part-*.parquet``) a
view named by the folder, its hive keys (``year``) read back as columns. Further datasets,
such as the year-partitioned output of ``kss ingest FILE --as tossd --providers all``, are
added by name. Polars' SQL engine runs the query lazily and streams it, so a sum over every
TOSSD provider reads only the columns it names. (Polars is already a dependency; DuckDB
reads the same files with ``read_parquet('.../*/*.parquet', hive_partitioning = true)``, see
docs/scale.md.)
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import polars.selectors as cs

from kss_analysis.core.errors import InputError, UsageError

NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def datasets_in(folder: Path) -> dict[str, Path]:
    """View name -> Parquet file or folder of Parquet parts, for everything in ``folder``."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_file() and path.suffix == ".parquet":
            found[path.stem] = path
        elif path.is_dir() and next(path.rglob("*.parquet"), None) is not None:
            found[path.name] = path
    return found


def scan(path: Path) -> pl.LazyFrame:
    """A Parquet file, or a folder of hive-partitioned parts, as a lazy frame; columns stored
    dictionary-encoded (the CRS build's derived codes) read as text, so they join, compare and
    sort like the text columns of every other table."""
    if path.is_dir():
        frame = pl.scan_parquet(path / "**" / "*.parquet", hive_partitioning=True)
    else:
        frame = pl.scan_parquet(path)
    return frame.with_columns((cs.categorical() | cs.enum()).cast(pl.String))


def sql_context(processed: Path, extra: dict[str, Path] | None = None) -> pl.SQLContext:
    """A polars SQLContext with every dataset of ``processed`` (and ``extra``) registered."""
    if not processed.is_dir():
        raise UsageError(f"no processed data in {processed}: run `kss build` first")
    views = {**datasets_in(processed), **(extra or {})}
    for name, path in (extra or {}).items():
        if not NAME.match(name):
            raise UsageError(f"--table {name}=...: a name of lower-case letters, digits and _ (it is used in SQL)")
        if not path.exists():
            raise InputError(str(path), "not found (--table NAME=PATH takes a Parquet file or a folder of them)")
    return pl.SQLContext({name: scan(path) for name, path in views.items()})


def run_sql(query: str, processed: Path, extra: dict[str, Path] | None = None) -> pl.DataFrame:
    """The query's result; an SQL error or an unknown table raises UsageError in one line."""
    context = sql_context(processed, extra)
    try:
        return context.execute(query, eager=False).collect(engine="streaming")
    except (pl.exceptions.SQLInterfaceError, pl.exceptions.SQLSyntaxError, pl.exceptions.ColumnNotFoundError) as exc:
        tables = ", ".join(context.tables())
        raise UsageError(f"SQL: {str(exc).splitlines()[0]} (tables: {tables})") from None
    except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError, pl.exceptions.SchemaError) as exc:
        raise UsageError(f"SQL: {str(exc).splitlines()[0]}") from None


def sql(query: str, *, processed: Path | None = None, tables: dict[str, Path] | None = None) -> pl.DataFrame:
    """``kss sql`` from Python: the query over the published build (or ``processed``) and any
    further ``tables`` (name -> Parquet file or folder of parts), as a polars DataFrame."""
    from kss_analysis.core.config import processed_dir

    return run_sql(query, processed or processed_dir(), tables)
