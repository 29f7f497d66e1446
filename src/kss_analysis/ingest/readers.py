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

from kss_analysis.acquire.registry import Source, load_sources
from kss_analysis.core.errors import InputError, reading
from kss_analysis.core.model import SourceTables
from kss_analysis.core.validate import enforce
from kss_analysis.ingest.entry import Reader
from kss_analysis.ingest.tossd.read import DEFAULT_PROVIDERS

USER_REGISTERS = "registers"  # raw/registers/: the user's own register files, one source each
REGISTER_SUFFIXES = (".csv", ".xlsx", ".xlsm")
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


def _present(source: Source, raw: Path, manifest: dict[str, dict], notices: list[str]) -> list[str]:
    """The files of ``source`` a build may read (inputs.py): a fetched source's listed files that
    match their checksum; an embedded source's listed files; a pattern source's files of its
    reader's suffixes (named by a URL pattern or placed by hand). Special files and links out
    of the data folder are never among them; everything left out gets a notice."""
    from kss_analysis.acquire.inputs import admit_source, special_file_reason

    folder = raw / source.id
    if source.kind == "fetched":
        admitted = admit_source(source, raw, manifest)
        notices.extend(admitted.notices)
        return sorted(p.relative_to(folder).as_posix() for p in admitted.files)
    suffixes = READERS[source.reader].pattern_suffixes
    if source.kind == "pattern" and suffixes and folder.is_dir():
        names = sorted(
            p.name for p in folder.iterdir() if p.suffix.casefold() in suffixes and not p.name.startswith(".")
        )
    else:
        names = [p for p in sorted(source.files) if (folder / p).exists() or (folder / p).is_symlink()]
    present = []
    for name in names:
        if reason := special_file_reason(folder / name, raw.parent):
            notices.append(f"{source.id}/{name} {reason}")
        else:
            present.append(name)
    return present


def _user_registers(raw: Path, notices: list[str]) -> list[Input]:
    """raw/registers/: one source per file; special files and a second file of the same name
    (mine.csv beside mine.xlsx) are skipped with a notice instead of breaking the build."""
    from kss_analysis.acquire.inputs import special_file_reason

    user_dir = raw / USER_REGISTERS
    found: list[Input] = []
    if not user_dir.is_dir():
        return found
    taken: dict[str, Path] = {}
    for path in sorted(user_dir.iterdir()):
        if path.suffix.casefold() not in REGISTER_SUFFIXES or path.name.startswith((".", "~$")):
            continue
        label = path.relative_to(raw)
        if reason := special_file_reason(path, raw.parent):
            notices.append(f"{label} {reason}")
        elif path.stem in taken:
            notices.append(
                f"{label}: same register name as {taken[path.stem].relative_to(raw)}, which is built; "
                "skipped (rename one if both are wanted)"
            )
        else:
            taken[path.stem] = path
            found.append(Input(ingest_source("register", path), "register", path, (path,)))
    return found


def find_inputs(raw: Path, notices: list[str] | None = None) -> list[Input]:
    """Every activity input present in raw/: registers (embedded, then the user's), then the other sources.

    Only files a build may read (see ``_present``); ``notices`` gets one line per file left out.
    """
    from kss_analysis.acquire.fetch import read_manifest

    notices = [] if notices is None else notices
    manifest = read_manifest(raw)
    found: list[Input] = []
    for source in load_sources().values():
        folder = raw / source.id
        if READERS[source.reader].place is None and not any(READERS[r].place for r in source.file_readers.values()):
            continue  # no activity rows here (money, shapes, CRS, code lists: their own steps)
        present = _present(source, raw, manifest, notices)
        by_reader: dict[str, list[str]] = {}
        for name in present:
            by_reader.setdefault(file_reader(source, name), []).append(name)
        for reader_name, names in by_reader.items():
            reader = READERS[reader_name]
            if reader.place is None:
                continue
            files = tuple(folder / n for n in names)
            if reader.reads_folder:
                found.append(Input(source.id, reader_name, folder, files))
            else:
                found.extend(Input(source.id, reader_name, f, (f,)) for f in files)
    registers = [i for i in found if i.reader == "register"] + _user_registers(raw, notices)
    return registers + [i for i in found if i.reader != "register"]  # registers first: the charts' main source


def source_files(raw: Path, reader: str, notices: list[str] | None = None) -> list[Path]:
    """Files present in raw/ of every source whose files go to ``reader`` (e.g. the headline figures),
    as ``find_inputs`` admits them (``notices`` gets the files left out)."""
    from kss_analysis.acquire.fetch import read_manifest

    notices = [] if notices is None else notices
    manifest = read_manifest(raw)
    files = []
    for source in load_sources().values():
        mine = {name for name in source.files if file_reader(source, name) == reader}
        if not mine:
            continue
        left_out: list[str] = []
        present = _present(source, raw, manifest, left_out)
        named = tuple(f"{source.id}/{name}{end}" for name in mine for end in (" ", ":"))
        notices += [n for n in left_out if n.startswith(named)]  # only this reader's files
        files += [raw / source.id / name for name in present if name in mine]
    return files
