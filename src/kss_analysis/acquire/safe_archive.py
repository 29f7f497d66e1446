"""Check a zip archive (AidData zips, XLSX workbooks) before anything is extracted.

Untrusted archives may declare small sizes and expand to gigabytes, hold thousands of
members or encrypted ones. Every member's declared size, compression ratio and flags are
checked from the central directory first; reading then stops as soon as the actual bytes
exceed the declared size, so a lying header costs at most the cap. Limits are environment
settings so a user with a genuinely large file can raise them.
"""

from __future__ import annotations

import zipfile

from kss_analysis.core.config import limit
from kss_analysis.core.errors import InputError

MAX_MEMBERS = 10_000
MAX_RATIO = 200  # uncompressed / compressed; spreadsheets and CSVs stay far below
RATIO_FLOOR_BYTES = 10 << 20  # the ratio is only checked on members larger than this
ENCRYPTED_FLAG = 0x1


def member_cap() -> int:
    return limit("KSS_MAX_UNZIPPED_BYTES")  # 1 GiB uncompressed per member by default


def _refuse(file: str, member: str, reason: str) -> InputError:
    return InputError(file, f"{reason}; refused before extraction", locator=f"zip member {member}")


def check_archive(archive: zipfile.ZipFile, file: str, members: list[zipfile.ZipInfo] | None = None) -> None:
    """Raise InputError naming the member when the archive (or ``members``) breaks a limit."""
    cap = member_cap()
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(file, f"archive holds {len(infos):,} members (limit {MAX_MEMBERS:,}); refused")
    total = 0
    for info in members or infos:
        if info.flag_bits & ENCRYPTED_FLAG:
            raise _refuse(file, info.filename, "member is encrypted (password-protected)")
        if info.file_size > cap:
            raise _refuse(
                file,
                info.filename,
                f"member expands to {info.file_size:,} bytes (limit {cap:,}; KSS_MAX_UNZIPPED_BYTES)",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise _refuse(file, info.filename, f"compression ratio {ratio:,.0f}:1 looks like a zip bomb")
        total += info.file_size
    if total > 2 * cap:  # all members together: twice the member cap
        raise InputError(file, f"archive expands to {total:,} bytes in all (limit {2 * cap:,}); refused")


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, file: str) -> bytes:
    """A checked member's bytes; stops at the declared size + 1 byte if the header lied."""
    check_archive(archive, file, [info])
    with archive.open(info) as handle:
        data = handle.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise _refuse(file, info.filename, f"member holds more than its declared {info.file_size:,} bytes")
    return data
