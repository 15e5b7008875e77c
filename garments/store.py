"""The garment store: validated garments on disk, all sizes or none.

Layout under the root (``Settings.garments_dir``, by default ``<data dir>/garments``)::

    <id>/garment.json                  Garment metadata and reports
    <id>/sizes/<SIZE>/mesh.npz         GarmentMesh: metres, render + physics
    <id>/sizes/<SIZE>/upload.json      what was uploaded, under which names
    <id>/sizes/<SIZE>/source.<ext>     the uploaded file, byte for byte
    <id>/sizes/<SIZE>/companion-<n>.<ext>   files it referred to (MTL, textures)
    <id>/sizes/<SIZE>/source_body.json the body it was made on, fitted (if not the mannequin)
    <id>/colorways/<digest>.<ext>      colorway textures, named by content (garments.colorways)
    .incoming/                         imports in progress

An import is written into ``.incoming`` and renamed into place in one step,
so a failed or interrupted import never leaves half a garment. Names from
uploads are recorded, never used as paths: stored files have fixed names,
sizes are checked against the size charts, ids are checked against their
pattern.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from garments.colorways import Colorway, from_stored_form, require_uvs, write_textures
from garments.size_chart import CHART_FINDING, SizeChart, SizeChartError, parse_size_chart
from garments.garment import STATUSES, Garment
from garments.garment_mesh import GarmentMesh
from garments.grading import grade, grade_from_source
from garments.ingest.loading import FORMATS, FolderFiles, LoadResult, MeshData, load_mesh
from garments.ingest.validation import ValidationReport, validate_loaded, validate_mesh
from garments.details import (chart_order, check_details, details_digest, size_label,
                              size_labels, slug, tenant_detail)
from garments.sizes import normalize_size
from garments.source_body import SourceBody
from tryon.core.errors import NotFound
from tryon.core.files import atomic_write
from tryon.core.settings import DEFAULT_TENANT

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_UPLOAD = re.compile(r"^upload-[0-9a-f]{32}$")
_COMPANION_SUFFIXES = (".mtl", ".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tga", ".tif",
                       ".tiff", ".bin")
_HASH_CHARS = 10
SOURCE_BODY = "source_body.json"  # a size made on a body of its own (garments.source_body)
# a staging folder this old belongs to an import whose process died
STALE_IMPORT_S = 3600.0

Reports = dict[str, ValidationReport]


class GarmentStore:
    """Garments under one root folder, created on first use (a deployment's is
    ``Settings.garments_dir``: ``$TRYON_GARMENTS_DIR`` or the data dir's ``garments``)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def add(self, name: str, category: str, fabric: str, fit: str,
            files: Mapping[str, str | os.PathLike],
            source_bodies: Mapping[str, SourceBody] | None = None,
            colorways: list[Colorway] | None = None,
            tenant: str = DEFAULT_TENANT) -> tuple[Garment | None, Reports]:
        """Import a garment with one file per size ({size: path}).

        ``source_bodies``: {size: the fitted body it was made on}
        (``garments.source_body``), for sizes not made on tryon's mannequin;
        the size is stored in the body model's frame, bound to that body.
        ``colorways``: its colorways (``garments.colorways``); given with a
        garment stored before, they replace its colorways. ``tenant``: the
        merchant account it belongs to (the same files imported by another
        tenant are another garment).

        Returns (the stored garment, reports by size), or (None, reports) when
        any size is rejected, in which case nothing is stored. Importing the
        same name, details and files again returns the stored garment.
        Raises ValueError for unknown categories, fabrics, fits or sizes, and
        OSError when an upload cannot be read (nothing is stored then either).
        """
        sizes = size_labels(fit, files)
        check_details(name, category, fabric, fit)
        sources = {size_label(fit, size): body for size, body in (source_bodies or {}).items()}
        digest = details_digest(name, category, fabric, fit,
                                *(sources[s].to_json() for s in sizes if s in sources),
                                *tenant_detail(tenant))
        with self._staging() as staging:
            reports, meshes = {}, {}
            for size, path in zip(sizes, files.values()):
                loaded = _keep_upload(path, staging / "sizes" / size, digest)
                reports[size], meshes[size] = validate_loaded(loaded, fit, size, category,
                                                              sources.get(size))
                if size in sources:
                    (staging / "sizes" / size / SOURCE_BODY).write_text(sources[size].to_json())
            if not all(r.accepted for r in reports.values()):
                return None, reports
            garment = Garment(id="", name=name, category=category, fabric=fabric, fit=fit,
                              sizes=sizes, tenant=tenant)
            return self._commit(staging, garment, meshes, reports, digest, colorways), reports

    def add_graded(self, name: str, category: str, fabric: str, fit: str, base_size: str,
                   base_file: str | os.PathLike, sizes: Iterable[str],
                   length_scale: Mapping[str, float] | None = None,
                   source_body: SourceBody | None = None,
                   colorways: list[Colorway] | None = None,
                   tenant: str = DEFAULT_TENANT) -> tuple[Garment | None, Reports]:
        """Import one size and grade the others from it (``garments.grading``).

        sizes: every size wanted (the base size is added if missing; stored
        in chart order, XS to XXL, as shoppers read them);
        length_scale: optional extra length factor per size; source_body:
        the fitted body the base size was made on, if not the mannequin (the
        other sizes are graded in its pose and bound to their own bodies);
        colorways, tenant: as ``add``. Returns and raises as ``add``.
        """
        base = size_label(fit, base_size)
        sizes = chart_order(fit, {base, *size_labels(fit, sizes)})
        length_scale = {size_label(fit, k): float(v) for k, v in (length_scale or {}).items()}
        if length_scale.get(base, 1.0) != 1.0:
            raise ValueError("the base size is graded from, not scaled")
        check_details(name, category, fabric, fit)
        digest = details_digest(name, category, fabric, fit, base, sizes,
                                sorted(length_scale.items()),
                                source_body.to_json() if source_body else None,
                                *tenant_detail(tenant))
        with self._staging() as staging:
            loaded = _keep_upload(base_file, staging / "sizes" / base, digest)
            report, mesh = validate_loaded(loaded, fit, base, category, source_body)
            if mesh is None:
                return None, {base: report}
            others = [s for s in sizes if s != base]
            if source_body is None:
                bodies = dict.fromkeys(sizes)
                graded = grade(mesh, fit, base, others, length_scale)
            else:
                placed = grade_from_source(mesh, source_body, fit, base, others, length_scale)
                graded = {size: m for size, (m, _) in placed.items()}
                bodies = {base: source_body, **{size: b for size, (_, b) in placed.items()}}
            checked = {size: validate_mesh(m, fit, size, category, bodies[size])
                       for size, m in graded.items()}
            checked[base] = (report, mesh)
            reports = {size: checked[size][0] for size in sizes}
            meshes = {size: checked[size][1] for size in sizes}
            if not all(r.accepted for r in reports.values()):
                return None, reports
            for size, body in bodies.items():
                if body is not None:
                    (staging / "sizes" / size).mkdir(parents=True, exist_ok=True)
                    (staging / "sizes" / size / SOURCE_BODY).write_text(body.to_json())
            garment = Garment(id="", name=name, category=category, fabric=fabric, fit=fit,
                              sizes=sizes, base_size=base, tenant=tenant)
            return self._commit(staging, garment, meshes, reports, digest, colorways), reports

    def list(self) -> list[Garment]:
        """Every stored garment, oldest first."""
        garments = [Garment.from_json((d / "garment.json").read_text())
                    for d in self.root.iterdir()
                    if _ID.match(d.name) and (d / "garment.json").is_file()]
        return sorted(garments, key=lambda g: (g.created_at, g.id))

    def get(self, garment_id: str) -> Garment:
        """The garment with this id; NotFound if there is none."""
        return Garment.from_json((self._folder(garment_id) / "garment.json").read_text())

    def load_size(self, garment_id: str, size: str) -> GarmentMesh:
        """One size's normalised meshes; NotFound for an unknown garment or size."""
        garment = self.get(garment_id)
        label = normalize_size(size)
        if label not in garment.sizes:
            raise NotFound(f"garment {garment_id!r} has no size {size!r}; it has "
                           f"{', '.join(garment.sizes)}", "size")
        return GarmentMesh.load(self._folder(garment_id) / "sizes" / label / "mesh.npz")

    def source_body(self, garment_id: str, size: str) -> SourceBody | None:
        """The body one size was made on, or None when it was made on tryon's mannequin."""
        label = normalize_size(size)
        if label not in self.get(garment_id).sizes:  # NotFound for unknown garments too
            raise NotFound(f"garment {garment_id!r} has no size {size!r}", "size")
        path = self._folder(garment_id) / "sizes" / label / SOURCE_BODY
        return SourceBody.from_json(path.read_text()) if path.exists() else None

    def size_digest(self, garment_id: str, size: str) -> str:
        """SHA-256 of one size's normalised mesh: changes whenever its content does."""
        garment = self.get(garment_id)
        label = normalize_size(size)
        if label not in garment.sizes:
            raise NotFound(f"garment {garment_id!r} has no size {size!r}", "size")
        return _file_digest(self._folder(garment_id) / "sizes" / label / "mesh.npz")

    def colorways(self, garment_id: str) -> list[Colorway]:
        """The garment's colorways, textures read; NotFound for an unknown garment."""
        return [self._colorway(garment_id, e) for e in self.get(garment_id).colorways]

    def colorway(self, garment_id: str, colorway_id: str) -> Colorway:
        """One colorway by its id; NotFound naming the garment's colorways otherwise."""
        return self._colorway(garment_id, self.colorway_entry(garment_id, colorway_id))

    def colorway_entry(self, garment_id: str, colorway_id: str) -> dict:
        """One colorway's stored form (with its ``digest``) without reading its texture."""
        entries = self.get(garment_id).colorways
        for entry in entries:
            if entry["id"] == colorway_id:
                return entry
        names = ", ".join(e["id"] for e in entries) or "none"
        raise NotFound(f"garment {garment_id!r} has no colorway {colorway_id!r}; its colorways: "
                       f"{names}", "colorway")

    def _colorway(self, garment_id: str, entry: dict) -> Colorway:
        return from_stored_form(entry, self._folder(garment_id))

    def set_colorways(self, garment_id: str, colorways: list[Colorway]) -> Garment:
        """Replace the garment's colorways (``[]`` removes them); ColorwayError if a
        textured one meets a size without UVs. Textures are written before the
        metadata names them, and files no colorway names any more are removed."""
        folder = self._folder(garment_id)
        garment = self.get(garment_id)
        if any(c.texture is not None for c in colorways):
            require_uvs(colorways, (self.load_size(garment_id, s) for s in garment.sizes))
        garment.colorways = write_textures(folder, colorways)
        atomic_write(folder / "garment.json", garment.to_json())
        kept = {e["texture"] for e in garment.colorways}
        for path in (folder / "colorways").glob("*"):
            if path.name not in kept:
                path.unlink(missing_ok=True)
        return garment

    def set_size_chart(self, garment_id: str, chart: SizeChart | None,
                       warnings: Mapping[str, list[dict]] | None = None) -> Garment:
        """Give the garment its size chart (None removes it), and its reports the
        ``warnings`` of each size against it (``CHART_FINDING``s, replacing the last
        ones); SizeChartError when the chart leaves out a size the garment has."""
        garment = self.get(garment_id)
        missing = [s for s in garment.sizes if chart is not None and s not in chart.sizes]
        if missing:
            raise SizeChartError(f"the chart has no row for size {', '.join(missing)}; it needs "
                                 f"one for each of the garment's sizes ({', '.join(garment.sizes)})")
        garment.size_chart = None if chart is None else chart.stored_form()
        for size, report in garment.reports.items():
            report["findings"] = [f for f in report.get("findings", [])
                                  if f.get("code") != CHART_FINDING] + (warnings or {}).get(size, [])
        atomic_write(self._folder(garment_id) / "garment.json", garment.to_json())
        return garment

    def size_chart(self, garment_id: str) -> SizeChart | None:
        """The garment's size chart, or None; NotFound for an unknown garment."""
        stored = self.get(garment_id).size_chart
        return None if stored is None else parse_size_chart(stored)

    def set_pattern(self, garment_id: str, pattern: dict) -> Garment:
        """Record the sewing pattern the garment's sizes were sewn from (``Garment.pattern``)."""
        garment = self.get(garment_id)
        garment.pattern = pattern
        atomic_write(self._folder(garment_id) / "garment.json", garment.to_json())
        return garment

    def set_status(self, garment_id: str, status: str) -> Garment:
        """Mark a garment draft or published."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        garment = self.get(garment_id)
        garment.status = status
        path = self._folder(garment_id) / "garment.json"
        atomic_write(path, garment.to_json())
        return garment

    def delete(self, garment_id: str) -> None:
        """Remove a garment; NotFound if there is none."""
        folder = self._folder(garment_id)
        trash = self.incoming() / f"deleted-{uuid.uuid4().hex}"
        os.rename(folder, trash)  # gone from the store in one step
        shutil.rmtree(trash, ignore_errors=True)

    def upload_folder(self, name: str | None = None) -> Path:
        """A new folder in the import area for the files of an import that runs
        later, elsewhere (a job), or the existing one ``name`` names; NotFound
        when it is gone (imported and removed, or swept as stale)."""
        if name is None:
            folder = self.incoming() / f"upload-{uuid.uuid4().hex}"
            folder.mkdir()
            return folder
        folder = self.incoming() / str(name)
        if not _UPLOAD.match(str(name)) or not folder.is_dir():
            raise NotFound(f"the upload {name!r} is gone (imported already, or older than "
                           f"{STALE_IMPORT_S / 3600:g} h): upload the garment again", "upload")
        return folder

    def sweep_stale_imports(self, older_than_s: float = STALE_IMPORT_S) -> int:
        """Remove staging folders left by imports that were killed (older than
        ``older_than_s``: a live import is never that old); return how many."""
        cutoff = time.time() - older_than_s
        stale = [d for d in self.incoming().iterdir()
                 if d.is_dir() and d.stat().st_mtime < cutoff]
        for folder in stale:
            shutil.rmtree(folder, ignore_errors=True)
        return len(stale)

    def _folder(self, garment_id: str) -> Path:
        folder = self.root / str(garment_id)
        if not _ID.match(str(garment_id)) or not (folder / "garment.json").is_file():
            raise NotFound(f"no garment {garment_id!r}", "garment")
        return folder

    def incoming(self) -> Path:
        """The folder of imports in progress: staging folders, and the upload copies
        the API makes (``tempfile`` folders here, not in /tmp, so that
        ``sweep_stale_imports`` removes what a killed process left of them too)."""
        path = self.root / ".incoming"
        path.mkdir(exist_ok=True)
        return path

    @contextmanager
    def _staging(self) -> Iterator[Path]:
        """A fresh folder for one import, removed unless committed."""
        staging = self.incoming() / uuid.uuid4().hex
        staging.mkdir()
        try:
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _commit(self, staging: Path, garment: Garment, meshes: Mapping[str, MeshData],
                reports: Reports, digest, colorways: list[Colorway] | None = None) -> Garment:
        """Write meshes, colorways and metadata into staging, then move it into place
        (colorways given with a garment imported before replace its colorways)."""
        if colorways:
            require_uvs(colorways, meshes.values())
            garment.colorways = write_textures(staging, colorways)
        for size, mesh in meshes.items():
            folder = staging / "sizes" / size
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "mesh.npz").write_bytes(GarmentMesh.from_mesh(mesh).to_bytes())
        garment.id = f"{slug(garment.name)}-{digest.hexdigest()[:_HASH_CHARS]}"
        garment.reports = {size: r.as_dict() for size, r in reports.items()}
        garment.created_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        (staging / "garment.json").write_text(garment.to_json())
        target = self.root / garment.id
        try:
            if target.exists():
                raise FileExistsError(target)
            os.rename(staging, target)
        except OSError:
            if not target.exists():
                raise
            stored = self.get(garment.id)  # the same import, done before or meanwhile
            if colorways and stored.colorways != garment.colorways:
                stored = self.set_colorways(stored.id, colorways)
            return stored
        return garment


@functools.lru_cache(maxsize=4096)
def _digest_of(path: Path, inode: int, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _file_digest(path: Path) -> str:
    # A stored mesh is never rewritten in place (imports rename whole folders),
    # but key on (inode, mtime, size) anyway: hashing megabytes per request was
    # most of a cached render's latency.
    stat = path.stat()
    return _digest_of(path, stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _keep_upload(path: str | os.PathLike, folder: Path, digest) -> LoadResult:
    """Load one upload and copy it, and the files it referred to, into folder.

    The bytes are read once, so what is validated is what is kept.
    """
    path = Path(path)
    data = path.read_bytes()
    loaded = load_mesh(data, filename=path.name, companions=FolderFiles(path.parent))
    suffix = path.suffix.lower() if path.suffix.lower() in FORMATS else ".bin"
    folder.mkdir(parents=True)
    (folder / f"source{suffix}").write_bytes(data)
    digest.update(folder.name.encode() + b"\0" + hashlib.sha256(data).digest())
    companions = []
    for number, (name, content) in enumerate(sorted(loaded.companions.items()), start=1):
        ext = Path(name).suffix.lower()
        stored = f"companion-{number}{ext if ext in _COMPANION_SUFFIXES else '.dat'}"
        (folder / stored).write_bytes(content)
        digest.update(hashlib.sha256(content).digest())
        companions.append({"name": name, "stored": stored})
    upload = {"filename": path.name, "stored": f"source{suffix}", "companions": companions}
    (folder / "upload.json").write_text(json.dumps(upload, indent=1))
    return loaded
