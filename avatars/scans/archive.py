"""A scan sent as a ZIP archive: an OBJ with its MTL and texture images (or one PLY or GLB).

Scanners export a textured mesh as several files (``scan.obj``,
``scan.mtl``, ``scan_0.jpg``); one upload carries them zipped. The archive
is checked before anything is unpacked into memory (its member count and
its unpacked size, against a zip bomb), the one scan file in it is found
(wherever it lies in the archive's folders), and its companions are read
through trimesh's ``ZipResolver`` by the names the OBJ and MTL give.
"""

from __future__ import annotations

import io
import zipfile

import trimesh

MAX_MEMBERS = 200
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024  # a 2M-point textured OBJ and 8k textures fit
SCAN_SUFFIXES = ("obj", "ply", "glb")


class ArchiveError(ValueError):
    """An archive that holds no single readable scan; the message says what to send."""


def unzip_scan(data: bytes, filename: str) -> tuple[bytes, str, trimesh.resolvers.ZipResolver]:
    """(the scan file's bytes, its format, a resolver of its companions) out of a ZIP's bytes."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ArchiveError(f"{filename} is not a ZIP archive: {error}") from None
    members = [m for m in archive.infolist() if not m.is_dir() and not _hidden(m.filename)]
    if len(members) > MAX_MEMBERS:
        raise ArchiveError(f"{filename} holds {len(members)} files; at most {MAX_MEMBERS}: "
                           "the scan, its MTL and its textures")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ArchiveError(f"{filename} unpacks to {unpacked / 2**20:,.0f} MB; the limit is "
                           f"{MAX_UNPACKED_BYTES // 2**20:,} MB")
    scans = [m for m in members if m.filename.rsplit(".", 1)[-1].lower() in SCAN_SUFFIXES]
    if len(scans) != 1:
        found = ", ".join(m.filename for m in scans) or "none"
        raise ArchiveError(f"{filename} must hold exactly one OBJ, PLY or GLB scan (found: {found}), "
                           "with the OBJ's MTL and texture images beside it")
    scan = scans[0]
    folder = scan.filename.rsplit("/", 1)[0] + "/" if "/" in scan.filename else ""
    try:
        files = {m.filename[len(folder):]: io.BytesIO(archive.read(m)) for m in members
                 if m.filename.startswith(folder)}
    except Exception as error:  # a damaged, encrypted or oddly compressed member: zlib, zipfile raise many types
        raise ArchiveError(f"could not unpack {filename}: {error}") from None
    name = scan.filename[len(folder):]
    return files.pop(name).getvalue(), name.rsplit(".", 1)[-1].lower(), trimesh.resolvers.ZipResolver(files)


def _hidden(name: str) -> bool:
    """macOS's ``__MACOSX/`` forks and dot-files, which archivers add."""
    return name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].startswith(".")
