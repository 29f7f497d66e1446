"""Which raw files a build may read: only regular files inside the data folder, and for a
fetched source only the files its registry entry lists, verified against their checksum.

Everything else in a source's folder (a planted ``extra.json``, a file edited after the
fetch) is refused with a notice naming it, so nothing unverified reaches the outputs.
Special files (FIFOs, devices) and links leading out of the data folder are skipped with a
notice before anything opens them: reading a FIFO or ``/dev/zero`` would never end.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kss_analysis.acquire.registry import Source
from kss_analysis.core.errors import InputError
from kss_analysis.core.io import sha256_file


def special_file_reason(path: Path, root: Path) -> str | None:
    """Why ``path`` must not be opened (None when it is a regular file inside ``root``)."""
    try:
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(root.resolve()):
                return f"is a link out of the data folder (to {target}); skipped"
        mode = os.stat(path).st_mode
    except (OSError, RuntimeError) as exc:  # broken link, loop, no permission
        return f"cannot be opened ({exc.__class__.__name__}); skipped"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a file; skipped"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a file; skipped"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file; skipped"
    if not stat.S_ISREG(mode):
        return "is not a regular file; skipped"
    return None


@dataclass
class Admitted:
    """Files a source contributes (path -> sha256) and notices for the files refused."""

    files: dict[Path, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def admit_source(source: Source, raw: Path, manifest: dict[str, dict]) -> Admitted:
    """The listed files of ``source`` present in raw/<id>/ that match their checksum.

    The checksum is the registry's pin, else the one the fetch recorded in the manifest;
    a file with neither was not fetched by `kss fetch` and is refused like an unlisted one.
    """
    result = Admitted()
    folder = raw / source.id
    if not folder.is_dir():
        return result
    listed = set(source.files)
    for path in sorted(p for p in folder.rglob("*") if not p.name.startswith(".")):
        relative = path.relative_to(folder).as_posix()
        label = f"{source.id}/{relative}"
        if path.is_dir() and not path.is_symlink():
            continue
        if relative not in listed:
            result.notices.append(
                f"{label}: not listed among the source's verified files; not built (remove it, or register it)"
            )
            continue
        if reason := special_file_reason(path, raw.parent):
            result.notices.append(f"{label} {reason}")
            continue
        expected = source.files.get(relative) or manifest.get(label, {}).get("sha256")
        actual = sha256_file(path)
        if not expected:
            result.notices.append(f"{label}: no checksum recorded (not fetched by `kss fetch`); not built")
        elif actual != expected:
            result.notices.append(
                f"{label}: sha256 {actual[:12]}... differs from the verified {expected[:12]}...; not built "
                f"(run `kss fetch {source.id} --force` to restore it)"
            )
        else:
            result.files[path] = actual
    return result


USER_REGISTERS = "registers"  # raw/registers/: the user's own register files, one source each
REGISTER_SUFFIXES = (".csv", ".xlsx", ".xlsm")
PROFILE_SUFFIX = ".profile.yml"  # a register's profile beside it (ingest/register/profile.py)


@dataclass
class BuildInputs:
    """The raw files one build may read, found once (``admit_inputs``) and passed to every step.

    ``by_source``: source id -> admitted files, in reading order; a user's register is its own
    source ``registers/<file name>``. ``sha256``: the checksum of every admitted file,
    computed once. ``notices``: one line per file left out, and why.
    """

    raw: Path
    by_source: dict[str, list[Path]] = field(default_factory=dict)
    sha256: dict[Path, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    def files(self, source_id: str) -> list[Path]:
        return self.by_source.get(source_id, [])

    def user_registers(self) -> list[Path]:
        return [files[0] for key, files in self.by_source.items() if key.startswith(f"{USER_REGISTERS}/")]

    def checksums(self, files: Iterable[Path]) -> dict[str, str]:
        """raw-relative path -> sha256 (computed at admission; a file not admitted is hashed now)."""
        return {str(f.relative_to(self.raw)): self.sha256[f] if f in self.sha256 else sha256_file(f) for f in files}


def admit_inputs(
    raw: Path, sources: Mapping[str, Source], pattern_suffixes: Mapping[str, tuple[str, ...]]
) -> BuildInputs:
    """Every file of ``raw`` a build may read, with its checksum, and a notice for each one left out.

    A fetched source gives its listed files that match their checksum (``admit_source``); an
    embedded source its listed files; a pattern source the files of its reader's suffixes
    (``pattern_suffixes``: reader -> suffixes) named by a URL pattern or placed by hand; the
    user's registers folder one source per register file. Special files and links out of the
    data folder are never admitted.
    """
    from kss_analysis.acquire.fetch import read_manifest

    admitted = BuildInputs(raw)
    manifest = read_manifest(raw)
    for source in sources.values():
        folder = raw / source.id
        if source.kind == "fetched":
            result = admit_source(source, raw, manifest)
            admitted.notices.extend(result.notices)
            if result.files:
                admitted.by_source[source.id] = sorted(result.files, key=lambda f: f.relative_to(folder).as_posix())
                admitted.sha256.update(result.files)
            continue
        suffixes = pattern_suffixes.get(source.reader, ())
        if source.kind == "pattern" and suffixes and folder.is_dir():
            names = sorted(
                p.name for p in folder.iterdir() if p.suffix.casefold() in suffixes and not p.name.startswith(".")
            )
        else:
            names = [p for p in sorted(source.files) if (folder / p).exists() or (folder / p).is_symlink()]
        files = []
        for name in names:
            if reason := special_file_reason(folder / name, raw.parent):
                admitted.notices.append(f"{source.id}/{name} {reason}")
            else:
                files.append(folder / name)
        if files:
            admitted.by_source[source.id] = files
    for path in _user_registers(raw, admitted.notices):
        admitted.by_source[f"{USER_REGISTERS}/{path.name}"] = [path]
    _refuse_registers_with_bad_profiles(admitted)
    for files in admitted.by_source.values():
        admitted.sha256.update({f: sha256_file(f) for f in files if f not in admitted.sha256})
    return admitted


SNAPSHOT = ".inputs"  # the build's private copies of its inputs, inside its staging folder


def snapshot_inputs(admitted: BuildInputs, folder: Path) -> BuildInputs:
    """The admitted files copied into ``folder`` (raw/'s layout; created private), each hashed
    while it is copied: the build parses these copies, so the bytes it parses are the bytes it
    verified, and the sha256 it records is theirs. A file whose copy differs from its checksum
    at admission (swapped or edited since) stops the build with an InputError naming it.

    A register's profile is copied beside it (it says how the register reads) and hashed the same way.
    """
    folder.mkdir(mode=0o700)
    copies = BuildInputs(folder, notices=admitted.notices)
    for key, files in admitted.by_source.items():
        copies.by_source[key] = []
        for original in files:
            relative = original.relative_to(admitted.raw)
            copy = folder / relative
            digest = copy_private(original, copy)
            if digest != admitted.sha256[original]:
                raise InputError(
                    str(original),
                    f"changed after it was verified (sha256 {admitted.sha256[original][:12]}... at the start of the "
                    f"build, {digest[:12]}... when read); not built: build again once nothing writes to it",
                )
            copies.by_source[key].append(copy)
            copies.sha256[copy] = digest
            profile, beside = profile_of(original), profile_of(copy)
            is_register = original.suffix.casefold() in REGISTER_SUFFIXES
            if is_register and beside not in copies.sha256 and (profile.exists() or profile.is_symlink()):
                copies.sha256[beside] = copy_private(profile, beside)
    return copies


@contextmanager
def reading_copies(folder: Path, raw: Path) -> Iterator[Path]:
    """Yield ``folder`` for ``snapshot_inputs`` and remove it afterwards; an InputError about a
    copy names the file in raw/ instead (the copy is gone by the time the user reads it)."""
    try:
        yield folder
    except InputError as exc:
        if not exc.file.startswith(str(folder)):
            raise
        file = str(raw) + exc.file[len(str(folder)) :]
        raise InputError(file, exc.reason.replace(str(folder), str(raw)), exc.locator) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def copy_private(source: Path, target: Path) -> str:
    """Copy ``source`` to a new file ``target`` readable by this user only; returns the sha256 of
    the bytes copied. The source is opened without following a link (admission resolved the
    links it allows) and must be a regular file: one swapped for a link or a FIFO is refused."""
    digest = hashlib.sha256()
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(source.resolve(), flags)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links
        reason = "became a link" if getattr(exc, "errno", None) == errno.ELOOP else f"cannot be opened ({exc})"
        raise InputError(str(source), f"{reason} after it was verified; not built") from None
    with os.fdopen(fd, "rb") as reader:
        if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):
            raise InputError(str(source), "is no longer a regular file after it was verified; not built")
        try:
            out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(out, "wb") as writer:
                for block in iter(lambda: reader.read(1 << 20), b""):
                    digest.update(block)
                    writer.write(block)
        except OSError as exc:  # a full disk, most likely
            raise InputError(str(source), f"cannot be copied for reading ({exc.strerror or exc}); not built") from None
    return digest.hexdigest()


def profile_of(register: Path) -> Path:
    """Where a register's profile would be: ``<stem>.profile.yml`` beside it."""
    return register.with_name(register.stem + PROFILE_SUFFIX)


def _refuse_registers_with_bad_profiles(admitted: BuildInputs) -> None:
    """A register whose profile is a link out of the data folder or a special file is left out
    with its profile (the profile says how to read it), like a register linked out itself."""
    for key, files in list(admitted.by_source.items()):
        kept = []
        for path in files:
            profile = profile_of(path)
            reason = None
            if path.suffix.casefold() in REGISTER_SUFFIXES and (profile.exists() or profile.is_symlink()):
                reason = special_file_reason(profile, admitted.raw.parent)
            if reason:
                admitted.notices.append(
                    f"{profile.relative_to(admitted.raw)} {reason}, and {path.relative_to(admitted.raw)} with it "
                    "(its profile says how to read it)"
                )
            else:
                kept.append(path)
        if kept:
            admitted.by_source[key] = kept
        else:
            del admitted.by_source[key]


def _user_registers(raw: Path, notices: list[str]) -> list[Path]:
    """raw/registers/: one source per file; special files and a second file of the same name
    (mine.csv beside mine.xlsx) are skipped with a notice instead of breaking the build."""
    user_dir = raw / USER_REGISTERS
    if not user_dir.is_dir():
        return []
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
    return list(taken.values())
