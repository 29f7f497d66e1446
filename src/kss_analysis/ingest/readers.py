"""Which code reads and places each kind of raw file: one entry per ``reader`` of sources.yml.

``kss build`` and ``kss ingest --as`` both look readers up here. A reader that fills the
canonical activity tables has ``place(path, *, source, file_label) -> SourceTables``; the
others (headline figures, CRS, code lists) name the processed table they feed and are built
by their own step in pipeline.py.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path

from kss_analysis.acquire.inputs import BuildInputs, admit_inputs
from kss_analysis.acquire.registry import Source, load_sources
from kss_analysis.core.errors import InputError, reading
from kss_analysis.core.model import SourceTables
from kss_analysis.core.validate import enforce
from kss_analysis.ingest.entry import Reader
from kss_analysis.ingest.tossd.read import DEFAULT_PROVIDERS

# Readers of data that no ingest unit places: country shapes are package reference data,
# rebuilt by scripts/make_map_shapes.py.
OTHER_READERS = (Reader("map-shapes", ()),)


def collect_readers() -> dict[str, Reader]:
    """Every reader entry declared by a unit of the ingest stage (its ``READERS``), by name."""
    import kss_analysis.ingest as stage

    found: dict[str, Reader] = {}
    # the registers first: the charts' main source, and the first format ``kss ingest --help`` names
    for unit in sorted(pkgutil.iter_modules(stage.__path__), key=lambda m: (m.name != "register", m.name)):
        for reader in getattr(importlib.import_module(f"{stage.__name__}.{unit.name}"), "READERS", ()):
            if reader.name in found:
                raise ValueError(f"reader {reader.name} is declared twice (ingest/{unit.name})")
            found[reader.name] = reader
    for reader in OTHER_READERS:
        found.setdefault(reader.name, reader)
    return found


READERS = collect_readers()
INGEST_FORMATS = tuple(name for name, r in READERS.items() if r.place or r.ingest_alone)


def place_file(
    path: Path,
    *,
    reader: str,
    source: str,
    file_label: str,
    providers: tuple[str, ...] | None = DEFAULT_PROVIDERS,
    profile: Path | None = None,
    files: tuple[Path, ...] | None = None,
) -> SourceTables:
    """One raw file (or a folder, for a folder reader) -> canonical tables, invariants checked.

    ``providers`` applies to readers that filter by provider (TOSSD: DAC codes; None = every provider);
    ``profile`` to registers (a register profile, YAML; default: one beside the file).
    ``files``: for a folder reader, the verified files of the folder to read (default: all of them).
    Any failure the reader did not foresee becomes an InputError naming the file (errors.reading).
    """
    entry = READERS.get(reader)
    if entry is None or entry.place is None:
        raise ValueError(f"no reader of activity files named {reader}")
    if path.is_dir() and not entry.reads_folder:
        folder_readers = " or ".join(f"--as {r.name}" for r in READERS.values() if r.reads_folder)
        raise InputError(str(path), f"is a folder; only {folder_readers} reads a folder of files")
    extra: dict[str, object] = {"providers": providers} if entry.takes_providers else {}
    if profile is not None:
        if not entry.takes_profile:
            raise ValueError(f"reader {reader} takes no profile")
        extra["profile"] = profile
    if entry.reads_folder and files is not None:
        extra["files"] = list(files)
    with reading(str(path)):
        tables = entry.place(path, source=source, file_label=file_label, **extra)
    enforce(tables)
    return tables


def ingest_source(reader: str, path: Path) -> str:
    """Source name of a file read on its own: 'register:<stem>', 'undp:<stem>' ..."""
    return f"{reader}:{path.stem}"


@dataclass(frozen=True)
class Input:
    """One thing to read: the source, its reader, the path to read and the raw files behind it."""

    source: str
    reader: str
    path: Path
    files: tuple[Path, ...]


def file_reader(source: Source, file: str) -> str:
    return source.file_readers.get(file, source.reader)


def pattern_suffixes() -> dict[str, tuple[str, ...]]:
    """reader -> suffixes of the files it reads from a pattern source (for ``acquire.inputs.admit_inputs``)."""
    return {name: reader.pattern_suffixes for name, reader in READERS.items() if reader.pattern_suffixes}


def admit(raw: Path) -> BuildInputs:
    """The build's admitted inputs (``acquire.inputs.admit_inputs``) with the readers' pattern suffixes."""
    return admit_inputs(raw, load_sources(), pattern_suffixes())


def find_inputs(admitted: BuildInputs) -> list[Input]:
    """Every activity input admitted: registers (embedded, then the user's), then the other sources."""
    raw = admitted.raw
    found: list[Input] = []
    for source in load_sources().values():
        folder = raw / source.id
        by_reader: dict[str, list[Path]] = {}
        for path in admitted.files(source.id):
            by_reader.setdefault(file_reader(source, path.relative_to(folder).as_posix()), []).append(path)
        for reader_name, files in by_reader.items():
            reader = READERS[reader_name]
            if reader.place is None:
                continue  # no activity rows here (money, shapes, CRS, code lists: their own steps)
            if reader.reads_folder:
                found.append(Input(source.id, reader_name, folder, tuple(files)))
            else:
                found.extend(Input(source.id, reader_name, f, (f,)) for f in files)
    user = [Input(ingest_source("register", path), "register", path, (path,)) for path in admitted.user_registers()]
    registers = [i for i in found if i.reader == "register"] + user
    return registers + [i for i in found if i.reader != "register"]  # registers first: the charts' main source


def source_files(admitted: BuildInputs, reader: str) -> list[Path]:
    """Admitted files of every source whose files go to ``reader`` (e.g. the headline figures, CRS)."""
    files = []
    for source in load_sources().values():
        folder = admitted.raw / source.id
        files += [
            p for p in admitted.files(source.id) if file_reader(source, p.relative_to(folder).as_posix()) == reader
        ]
    return files
