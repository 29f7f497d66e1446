"""Which raw files a build may read: only regular files inside the data folder, and for a
fetched source only the files its registry entry lists, verified against their checksum.

Everything else in a source's folder (a planted ``extra.json``, a file edited after the
fetch) is refused with a notice naming it, so nothing unverified reaches the outputs.
Special files (FIFOs, devices) and links leading out of the data folder are skipped with a
notice before anything opens them: reading a FIFO or ``/dev/zero`` would never end.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from kss_analysis.acquire.registry import Source
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
