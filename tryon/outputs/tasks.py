"""The work a job does, shared by every runner (in-process threads, Celery workers).

Each task takes a job's JSON ``params`` and the ``Settings`` it runs under,
writes its output to the blob store and the database, and returns the job's
result (a blob digest). Tasks are idempotent: running one twice, say after
a worker died between writing the blob and reporting done, finds the first
run's output and returns it. Outputs are written blob first, index second,
so the index never names a blob that is not whole; an output of a digital
twin goes through ``tryon.twins.access``, which makes it only while consent
lasts.

The task modules import the renderer, the drape and the body model when a
task first runs, not at import: the API process imports this table to
submit jobs without loading torch or pyrender.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from garments.sizes import normalize_size
from garments.store import GarmentStore
from tryon.core.errors import Invalid
from tryon.core.settings import Settings
from tryon.jobs.queue import Task
from tryon.outputs.avatar_lookup import resolve_avatar
from tryon.outputs.garment_import import GARMENT_IMPORT, run_garment_import
from tryon.outputs.pattern_import import PATTERN_IMPORT, run_pattern_import
from tryon.outputs.keys import (
    avatar_appearance,
    avatar_hair,
    garment_digests,
    normalize_render_params,
    render_key,
    render_key_for,
    requested_avatar,
)
from tryon.render.params import MEDIA_TYPES
from tryon.outputs.stored import sidecar_key, stored_output
from tryon.outputs.video import VIDEO, run_video
from tryon.storage.blobs import open_blob_store
from tryon.twins import access
from tryon.twins.lifecycle import run_twin_job
from tryon.twins.sidecar import SIDECAR_MEDIA_TYPE, sidecar_manifest

GLB_MEDIA_TYPE = "model/gltf-binary"
USDZ_MEDIA_TYPE = "model/vnd.usdz+zip"
SCENE_MEDIA_TYPES = {"glb": GLB_MEDIA_TYPE, "usdz": USDZ_MEDIA_TYPE}
SCENE_MOTION_FPS = 24  # the clip an animated GLB samples (tryon.render.gltf_motion keeps 12 keys/s)
SCENE_MOTION_VERSION = "1"  # bump when an animated GLB's bytes change
FIT_MEDIA_TYPE = "application/json"
# Bump when the fit analysis (tryon.fit.strain, tryon.fit.report) changes its answers.
FIT_VERSION = "4"  # 2: a slid waistband is loose; 3: no per-size advice; 4: rides up


def run_render(params: Mapping[str, Any], config: Settings) -> str:
    """Render the try-on image ``params`` describe (see ``tryon.outputs.keys``);
    return the digest of the image's blob.

    Invalid for invalid parameters, NotFound for an unknown avatar,
    garment or size.
    """
    from tryon.render.try_on import render_try_on  # pyrender, torch: job processes only

    store = GarmentStore(config.garments_dir)
    p = normalize_render_params(params)
    avatar = requested_avatar(p)
    key = render_key(p, avatar.shape, *garment_digests(p, store), hair=avatar_hair(avatar),
                     appearance=avatar_appearance(avatar))
    background = None if p["background"] is None else tuple(p["background"])
    # a twin's image says visibly that it is one (tryon.render.disclosure) unless asked not to
    label = access.is_twin_id(avatar.id) if p["label"] is None else p["label"]

    def make() -> bytes:
        data = render_try_on(
            avatar, p["garment"], p["size"], colorway=p["colorway"], fmt=p["format"],
            disclosure=label, view=p["view"], pose=p["pose"],
            width=p["width"], height=p["height"], fit_map=p["fit_map"], background=background,
            store=store)
        return access.credential_render(data, p["format"], avatar.id)  # C2PA + XMP on twins

    blobs = open_blob_store(config)
    ledger = params.get("ledger")  # a catalog render of a twin: a use, for a merchant
    if ledger:
        access.authorize_catalog_use(avatar.id, ledger, blobs)  # fails the job if consent ended
    digest = stored_output(key, MEDIA_TYPES[p["format"]], make, blobs, avatar.id, "render",
                           p["garment"])
    if ledger:
        access.log_catalog_use(avatar.id, ledger, digest, blobs)
    return digest


def drape_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs of a drape (avatar, garment, size) out of a job's params."""
    return {"avatar": params.get("avatar"), "garment": params.get("garment"),
            "size": params.get("size")}


def _drape_output_key(marker: str, params: Mapping[str, Any], store: GarmentStore) -> str:
    # The render key of the drape's inputs covers the body, the garment file
    # and the renderer (draping) version; the marker names the output made of it.
    return hashlib.sha256(marker.encode() + render_key_for(drape_params(params), store).encode()
                          ).hexdigest()


def scene_key(params: Mapping[str, Any], store: GarmentStore) -> str:
    """The content address of the draped scene of ``params`` (avatar, garment, size;
    ``format`` glb or usdz; for an animated GLB ``motion`` and ``seconds``; for a
    USDZ ``colorway``): the render key of the same inputs, marked as a scene, and
    the garment's looks (its fabric and every colorway's digest), which the GLB
    carries."""
    looks = ""
    if params.get("garment") is not None:
        garment = store.get(params["garment"])
        looks = ",".join([garment.fabric, *(c["digest"] for c in garment.colorways)])
    fmt, motion = params.get("format") or "glb", params.get("motion")
    # the hair asked for (the avatar's own is in the render key)
    looks += f":hair:{params.get('hair')}:{params.get('hair_colour')}"
    if fmt == "usdz":
        looks += f":usdz-v2:{params.get('colorway')}"  # v2: the body's skin texture
    elif motion is not None:
        looks += f":motion-v{SCENE_MOTION_VERSION}:{motion}:{float(params.get('seconds') or 4.0)}"
    # v5: a twin's GLB has a sidecar manifest (made with the GLB, so none is missing)
    return _drape_output_key(f"scene-glb-v5:{looks}:", params, store)


def run_scene(params: Mapping[str, Any], config: Settings) -> str:
    """Export the draped scene ``params`` describe (``scene_key``) as GLB, an animated
    GLB of a clip, or USDZ; return its blob's digest.

    A twin's scene gets its content credentials as a sidecar manifest
    (``tryon.twins.sidecar``), stored as the output ``sidecar_key(key)``.
    """
    store = GarmentStore(config.garments_dir)
    blobs = open_blob_store(config)
    p = drape_params(params)
    size = None if p["size"] is None else normalize_size(p["size"])
    fmt, motion = params.get("format") or "glb", params.get("motion")
    key = scene_key(params, store)

    def make() -> bytes:  # pyrender, torch, usd: job processes only
        avatar = requested_avatar({**p, "hair": params.get("hair"), "hair_colour": params.get("hair_colour")})
        if fmt == "usdz":
            from tryon.render.usdz import scene_usdz

            return scene_usdz(avatar, p["garment"], size, store, colorway=params.get("colorway"))
        if motion is None:
            from tryon.render.gltf import scene_glb

            return scene_glb(avatar, p["garment"], size, store)
        from avatars.body_models.registry import get_body_model
        from avatars.motion.clip import make_clip
        from tryon.drape.motion import drape_motion
        from tryon.outputs.video import clip_motion
        from tryon.render.gltf_motion import motion_glb

        clip = make_clip(get_body_model(avatar.sex), clip_motion(motion, blobs), float(params["seconds"]),
                         SCENE_MOTION_FPS, motion)
        return motion_glb(avatar, drape_motion(avatar, p["garment"], size, clip, store=store), store)

    digest = stored_output(key, SCENE_MEDIA_TYPES[fmt], make, blobs, p["avatar"], "scene", p["garment"])
    subject = access.credential_subject(p["avatar"])
    if subject is not None:  # kinds are 16 characters at most (twin_outputs.kind)
        stored_output(sidecar_key(key), SIDECAR_MEDIA_TYPE,
                      lambda: sidecar_manifest(blobs.get(digest), fmt, subject),
                      blobs, p["avatar"], "scene-c2pa", p["garment"])
    return digest


def fit_key(params: Mapping[str, Any], store: GarmentStore) -> str:
    """The content address of the fit report of ``params`` (avatar, garment, size):
    the drape's inputs (as in a render key) and ``FIT_VERSION``."""
    return _drape_output_key(f"fit-report-v{FIT_VERSION}:", params, store)


def fit_document(avatar, garment_id: str, size: str, store: GarmentStore) -> dict[str, Any]:
    """The fit report of one size on one avatar: per-region verdicts and strain
    statistics (``GET /v1/fit`` reads every size's into one recommendation)."""
    from tryon.drape.draping import cached_drape  # torch, warp: job processes only

    drape = cached_drape(avatar, garment_id, size, store=store)
    return {"avatar": avatar.id, "garment": garment_id, "size": size,
            "regions": [asdict(region) for region in drape.fits], "stats": drape.stats}


def run_fit(params: Mapping[str, Any], config: Settings) -> str:
    """Drape and analyse the fit ``params`` describe; return the digest of the
    report's JSON blob."""
    store = GarmentStore(config.garments_dir)
    p = drape_params(params)
    if p["garment"] is None or p["size"] is None:
        raise Invalid("a fit needs a garment and a size", "garment" if p["garment"] is None else "size")

    def make() -> bytes:
        report = fit_document(resolve_avatar(p["avatar"]), p["garment"], normalize_size(p["size"]),
                              store)
        return json.dumps(report, sort_keys=True, separators=(",", ":")).encode()

    return stored_output(fit_key(p, store), FIT_MEDIA_TYPE, make, open_blob_store(config),
                         p["avatar"], "fit", p["garment"])


def run_twin(params: Mapping[str, Any], config: Settings) -> str:
    """Fit a digital twin to its sealed scan and render its preview (up to about a
    minute; ``tryon.twins.lifecycle.fit_twin``); return the twin's id."""
    return run_twin_job(params, open_blob_store(config))


TASKS: dict[str, Task] = {"render": run_render, "scene": run_scene, "fit": run_fit,
                          "twin": run_twin, GARMENT_IMPORT: run_garment_import,
                          PATTERN_IMPORT: run_pattern_import, VIDEO: run_video}
