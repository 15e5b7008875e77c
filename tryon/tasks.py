"""The work a job does, shared by every runner (in-process threads, Celery workers).

Each task takes a job's JSON ``params``, writes its output to the blob store
and the database, and returns the job's result (a blob digest). Tasks are
idempotent: running one twice, say after a worker died between writing the
blob and reporting done, finds the first run's output and returns it.
Outputs are written blob first, index second, so the index never names a
blob that is not whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from tryon.blob_store import BlobStore, blob_store_from_env
from tryon.database import session_scope
from tryon.db_models import RenderRecord


def run_render(params: Mapping[str, Any], blobs: BlobStore | None = None) -> str:
    """Render the try-on image ``params`` describe (see ``tryon.render_key``);
    return the digest of the image's blob.

    ValueError for invalid parameters, KeyError for an unknown avatar,
    garment or size.
    """
    from tryon.avatar_lookup import resolve_avatar
    from garments.store import GarmentStore
    from tryon.image_encoding import MEDIA_TYPES
    from tryon.render_key import normalize_render_params, render_key
    from tryon.try_on import render_try_on

    p = normalize_render_params(params)
    avatar = resolve_avatar(p["avatar"])
    size_digest = GarmentStore().size_digest(p["garment"], p["size"]) if p["garment"] else None
    key = render_key(p, avatar.shape, size_digest)

    background = None if p["background"] is None else tuple(p["background"])

    def make() -> bytes:
        from tryon.twins import credential_render

        data = render_try_on(
            avatar, p["garment"], p["size"], fmt=p["format"], view=p["view"], pose=p["pose"],
            width=p["width"], height=p["height"], fit_map=p["fit_map"], background=background)
        return credential_render(data, p["format"], avatar.id)  # C2PA + XMP on twins' images

    ledger = params.get("ledger")  # a catalog render of a twin: a use, for a merchant
    if ledger:
        from tryon.twins import authorize_use, log_catalog_use

        authorize_use(avatar.id, ledger.get("key"), ledger.get("origin"),
                      ledger.get("channel") or "e-commerce")  # fails the job if consent ended
    digest = _stored_output(key, MEDIA_TYPES[p["format"]], make, blobs, avatar.id, "render")
    if ledger:
        log_catalog_use(avatar.id, ledger, digest)
    return digest


def cached_render(key: str, blobs: BlobStore) -> str | None:
    """The digest of the render named ``key`` if it is indexed and its blob is stored."""
    with session_scope() as session:
        record = session.get(RenderRecord, key)
        digest = record.digest if record is not None else None
    return digest if digest is not None and blobs.exists(digest) else None


def record_render(key: str, digest: str, media_type: str, size_bytes: int) -> None:
    """Index a stored render under its key (replacing an entry whose blob was lost)."""
    try:
        with session_scope() as session:
            # Write lock first on SQLite: this reads, then writes.
            session.connection(execution_options={"sqlite_begin_immediate": True})
            session.merge(RenderRecord(cache_key=key, digest=digest, media_type=media_type,
                                       size_bytes=size_bytes))
    except IntegrityError:
        # Another worker indexed the same key between our read and write; equal
        # keys mean equal bytes, so its entry is as good as ours.
        pass


GLB_MEDIA_TYPE = "model/gltf-binary"


def scene_key(params: Mapping[str, Any]) -> str:
    """The content address of the draped scene of ``params`` (avatar, garment, size):
    the render key of the same inputs, marked as a scene."""
    return _drape_output_key("scene-glb-v3:", params)  # v3: glTF's Y-up frame, base outfit


def _drape_output_key(marker: str, params: Mapping[str, Any]) -> str:
    # The render key of the drape's inputs covers the body, the garment file
    # and the renderer (draping) version; the marker names the output made of it.
    import hashlib

    from tryon.render_key import render_key_for

    return hashlib.sha256(marker.encode() + render_key_for(scene_params(params)).encode()).hexdigest()


def _stored_output(key: str, media_type: str, make: Callable[[], bytes],
                   blobs: BlobStore | None, avatar_id: str | None = None,
                   kind: str = "render") -> str:
    """The digest of the output named ``key``: the stored one, else ``make()``'s
    bytes, stored blob first, index second. An output of a digital twin is
    mapped to it and made only while its consent lasts (``tryon.twins.make_output``)."""
    from tryon.twins import is_twin_id, make_output

    blobs = blobs or blob_store_from_env()
    cached = cached_render(key, blobs)
    if cached is not None:
        return cached
    if is_twin_id(avatar_id):
        return make_output(key, avatar_id, kind, media_type, make, blobs)
    data = make()
    digest = blobs.put(data)
    record_render(key, digest, media_type, len(data))
    return digest


def scene_params(params: Mapping[str, Any]) -> dict[str, Any]:
    return {"avatar": params.get("avatar"), "garment": params.get("garment"),
            "size": params.get("size")}


def scene_glb(avatar, garment_id: str | None, size: str | None) -> bytes:
    """The avatar (A-pose) in the base outfit, and the garment draped on it if one
    is given, as one GLB in glTF's frame (Y up, metres, the body facing +Z).

    The body carries its skin colour; the garment its UVs and base colour
    (its texture too, when it has one).
    """
    import io

    import numpy as np
    import trimesh
    from PIL import Image

    from avatars.avatar import pose_avatar
    from avatars.skin_tones import skin_rgb
    from tryon.drape import cached_drape
    from garments.base_outfit import BASE_ROUGHNESS, base_outfit
    from tryon.scene import SKIN_ROUGHNESS, srgb_to_linear, vertex_normals

    def matte(rgb, roughness: float) -> trimesh.visual.TextureVisuals:
        return trimesh.visual.TextureVisuals(material=trimesh.visual.material.PBRMaterial(
            baseColorFactor=[*srgb_to_linear(rgb), 1.0], metallicFactor=0.0,
            roughnessFactor=roughness))

    model, body = pose_avatar(avatar, "a-pose")
    scene = trimesh.Scene()
    vertices, faces = body.vertices[0].numpy().astype(np.float64), np.asarray(model.faces)
    body_mesh = trimesh.Trimesh(gltf_frame(vertices), faces, process=False)
    body_mesh.visual = matte(skin_rgb(avatar.skin_tone), SKIN_ROUGHNESS)
    scene.add_geometry(body_mesh, node_name="body", geom_name="body")
    # the leggings and tank top every 2D render shows, so 3D matches it
    outfit = base_outfit(vertices, vertex_normals(vertices, faces), faces,
                         body.joints[0].numpy(), model.landmarks, model.arm_vertex_mask())
    for name, (v, _, f, rgb) in zip(("leggings", "tank-top"), outfit):
        piece = trimesh.Trimesh(gltf_frame(v), f, process=False)
        piece.visual = matte(rgb, BASE_ROUGHNESS)
        scene.add_geometry(piece, node_name=name, geom_name=name)
    if garment_id is not None:
        drape = cached_drape(avatar, garment_id, size, "a-pose")
        material = drape.mesh.material
        # the renderer reads base colours as sRGB; glTF's factor is linear
        rgba = [*srgb_to_linear([round(c * 255) for c in material.base_color[:3]]), 1.0]
        texture = (Image.open(io.BytesIO(material.texture)).convert("RGB")
                   if material.texture is not None else None)
        pbr = trimesh.visual.material.PBRMaterial(
            baseColorFactor=[1.0, 1.0, 1.0, 1.0] if texture is not None else rgba,
            baseColorTexture=texture, metallicFactor=0.0,
            roughnessFactor=float(material.roughness), doubleSided=True)
        cloth = trimesh.Trimesh(gltf_frame(drape.render_positions), np.asarray(drape.mesh.faces),
                                process=False)
        cloth.visual = trimesh.visual.TextureVisuals(uv=drape.mesh.uvs, material=pbr)
        scene.add_geometry(cloth, node_name="garment", geom_name="garment")
    return scene.export(file_type="glb")


def gltf_frame(vertices) -> "np.ndarray":
    """(N, 3) float32: points in tryon's frame (Z up, the body facing -Y) in glTF's
    (Y up, the body facing +Z, towards a viewer's default camera); metres."""
    import numpy as np

    v = np.asarray(vertices, np.float32)
    return np.stack([v[:, 0], v[:, 2], -v[:, 1]], axis=1)


def run_scene(params: Mapping[str, Any], blobs: BlobStore | None = None) -> str:
    """Export the draped scene ``params`` describe as GLB; return its blob's digest."""
    from tryon.avatar_lookup import resolve_avatar

    p = scene_params(params)
    size = None if p["size"] is None else str(p["size"]).strip().upper()
    return _stored_output(scene_key(p), GLB_MEDIA_TYPE,
                          lambda: scene_glb(resolve_avatar(p["avatar"]), p["garment"], size), blobs,
                          p["avatar"], "scene")


FIT_MEDIA_TYPE = "application/json"
# Bump when the fit analysis (tryon.fit, tryon.fit_report) changes its answers.
FIT_VERSION = "1"


def fit_key(params: Mapping[str, Any]) -> str:
    """The content address of the fit report of ``params`` (avatar, garment, size):
    the drape's inputs (as in a render key) and ``FIT_VERSION``."""
    return _drape_output_key(f"fit-report-v{FIT_VERSION}:", params)


def fit_document(avatar, garment_id: str, size: str) -> dict[str, Any]:
    """The fit report of one size on one avatar, as ``GET /v1/fit`` answers it:
    per-region verdicts, advice, recommended size and strain statistics."""
    from dataclasses import asdict

    from tryon.drape import cached_drape

    drape = cached_drape(avatar, garment_id, size)
    return {"avatar": avatar.id, "garment": garment_id, "size": size,
            "regions": [asdict(region) for region in drape.fits], "advice": drape.advice,
            "recommended_size": drape.recommended_size, "stats": drape.stats}


def run_fit(params: Mapping[str, Any], blobs: BlobStore | None = None) -> str:
    """Drape and analyse the fit ``params`` describe; return the digest of the
    report's JSON blob."""
    import json

    from tryon.avatar_lookup import resolve_avatar

    p = scene_params(params)
    if p["garment"] is None or p["size"] is None:
        raise ValueError("a fit needs a garment and a size")

    def make() -> bytes:
        report = fit_document(resolve_avatar(p["avatar"]), p["garment"],
                              str(p["size"]).strip().upper())
        return json.dumps(report, sort_keys=True, separators=(",", ":")).encode()

    return _stored_output(fit_key(p), FIT_MEDIA_TYPE, make, blobs, p["avatar"], "fit")


def run_twin(params: Mapping[str, Any], blobs: BlobStore | None = None) -> str:
    """Fit a digital twin to its sealed scan and render its preview (up to about a
    minute; ``tryon.twins.fit_twin``); return the twin's id."""
    from tryon.twins import run_twin_job

    return run_twin_job(params, blobs)


TASKS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "render": run_render, "scene": run_scene, "fit": run_fit, "twin": run_twin}
