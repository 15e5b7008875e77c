"""Try-on images: an avatar wearing a draped garment, with an optional fit
map and its legend, or two sizes side by side.

Composes the pipeline: pose the avatar, drape the garment (cached), show it
over the base outfit (``tryon.render.body``). Images say they are
computer-generated in their metadata (``tryon.render.encoding``).
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from avatars.avatar import Avatar, avatar_skin, pose_avatar
from garments.ingest.materials import Material
from garments.store import GarmentStore
from tryon.drape.draping import Drape, cached_drape
from tryon.fit.advice import drape_verdict, reasons, recommend
from tryon.fit.strain import (
    FIT_COLOURS,
    LOOSE_EASE_M,
    TIGHT_STRETCH,
    EASE_COLOURS,
    EASE_STOPS_CM,
    ease_map_colours,
    fit_map_colours,
    vertex_values,
)
from tryon.render.body import render_body_rgba
from tryon.render.disclosure import draw_disclosure
from tryon.render.encoding import encode_image
from tryon.render.hair import hair_layer
from tryon.render.params import check_format
from tryon.render.scene import GarmentLayer

LEGEND = [("loose", f"loose (> {LOOSE_EASE_M * 100:.0f} cm extra ease)"), ("fits", "fits"),
          ("tight", f"tight (> {TIGHT_STRETCH * 100:.0f} % stretch)")]
EASE_LEGEND = [f"{cm:g}{'+' if cm == EASE_STOPS_CM[-1] else ''} cm of room" for cm in EASE_STOPS_CM]


def garment_layer(drape: Drape, fit_map: str | None = None, material: Material | None = None
                  ) -> GarmentLayer:
    """The draped garment as a render layer: in ``material`` (default: the
    garment's own, as uploaded) or as a fit map: ``stretch`` (loose, fits,
    tight) or ``ease`` (the room between body and cloth)."""
    material = drape.mesh.material if material is None else material
    vertex_rgb = None
    if fit_map == "stretch":
        stretch = vertex_values(drape.faces, drape.face_stretch, len(drape.positions))
        vertex_rgb = fit_map_colours(stretch, drape.loose)[drape.mesh.render_to_physics]
    elif fit_map == "ease":
        vertex_rgb = ease_map_colours(drape.gap)[drape.mesh.render_to_physics]
    rgb = tuple(int(round(c * 255)) for c in material.base_color[:3])
    return GarmentLayer(
        vertices=drape.render_positions, faces=drape.mesh.faces, rgb=rgb,
        roughness=material.roughness, vertex_rgb=vertex_rgb, uvs=drape.mesh.uvs,
        texture=material.texture,
    )


def _font(height: int):
    return ImageFont.load_default(size=max(10, height // 40))


def draw_legend(rgba: np.ndarray, fit_map: str = "stretch") -> np.ndarray:
    """The legend of a ``fit_map`` (stretch, ease) drawn into the lower left corner of
    (H, W, 4) uint8."""
    entries = ([(FIT_COLOURS[key], label) for key, label in LEGEND] if fit_map == "stretch"
               else [(colour, label) for colour, label in zip(EASE_COLOURS, EASE_LEGEND)])
    image = Image.fromarray(rgba)
    draw = ImageDraw.Draw(image)
    height = image.height
    font = _font(height)
    box = max(8, height // 45)
    x, y = box, height - box * (2 * len(entries) + 1)
    for colour, label in entries:
        draw.rectangle([x, y, x + box, y + box], fill=(*colour, 255), outline=(120, 120, 120, 255))
        draw.text((x + 1.6 * box, y - box * 0.1), label, fill=(40, 40, 40, 255), font=font)
        y += 2 * box
    return np.asarray(image)


def caption(rgba: np.ndarray, text: str) -> np.ndarray:
    """``rgba`` with ``text`` centred across its top, in as many lines as it needs."""
    image = Image.fromarray(rgba)
    font = _font(image.height)
    lines, room = [""], image.width * 0.94
    for word in text.split():
        joined = f"{lines[-1]} {word}".strip()
        if lines[-1] and font.getlength(joined) > room:
            lines.append(word)
        else:
            lines[-1] = joined
    ImageDraw.Draw(image).multiline_text((image.width // 2, image.height // 60), "\n".join(lines),
                                         anchor="ma", align="center", fill=(40, 40, 40, 255),
                                         font=font)
    return np.asarray(image)


def try_on_rgba(avatar: Avatar, garment_id: str | None = None, size: str | None = None, *,
                colorway: str | None = None, view="front", width: int = 512, height: int = 768,
                pose: str = "a-pose", fit_map: str | None = None, background=None,
                store: GarmentStore | None = None) -> tuple[np.ndarray, Drape | None]:
    """(H, W, 4) image of ``avatar`` wearing ``garment_id`` in ``size`` (or
    just the base outfit when no garment is given), and the drape. ``store``:
    the garment store that holds ``garment_id`` (needed with a garment);
    ``colorway``: one of its colorways' ids (None: as uploaded). Every
    colorway shares the size's drape."""
    model, body = pose_avatar(avatar, pose)
    drape = None
    layers = ()
    if garment_id is not None:
        if store is None:
            raise TypeError("a garment is draped from its store: pass store=")
        drape = cached_drape(avatar, garment_id, size, pose, store=store)
        material = (None if colorway is None
                    else store.colorway(garment_id, colorway).material(drape.mesh.material))
        layers = (garment_layer(drape, fit_map, material),)
    hair = hair_layer(model, body.vertices[0].numpy(), avatar, layers)
    rgba = render_body_rgba(
        body.vertices[0], model.faces, body.joints[0], model.landmarks, model.arm_vertex_mask(),
        avatar.skin_tone, view, width, height, background, garments=layers + ((hair,) if hair else ()),
        skin=avatar_skin(model, avatar),
    )
    return (draw_legend(rgba, fit_map) if fit_map and drape is not None else rgba), drape


def render_try_on(avatar: Avatar, garment_id: str | None = None, size: str | None = None, *,
                  fmt: str = "png", background=None, disclosure: bool = False,
                  **options) -> bytes:
    """``try_on_rgba`` encoded as png, jpeg or webp bytes; ``disclosure``: with the
    visible digital-replica label (``tryon.render.disclosure``)."""
    fmt = check_format(fmt)
    rgba, _ = try_on_rgba(avatar, garment_id, size, background=background, **options)
    if disclosure:
        rgba = draw_disclosure(rgba)
    return encode_image(rgba, fmt, background=background)


def render_size_comparison(avatar: Avatar, garment_id: str, sizes: tuple[str, str], *,
                           fmt: str = "png", background=None, store: GarmentStore,
                           **options) -> bytes:
    """Two sizes side by side, each captioned from the one recommendation for this
    body and garment (``tryon.fit.advice``, over every size's drape and the size
    chart, as ``GET /v1/fit`` gives it); each half is ``width`` wide."""
    fmt = check_format(fmt)
    garment = store.get(garment_id)
    reports = {s: {"regions": [asdict(f) for f in cached_drape(avatar, garment_id, s,
                                                              store=store).fits]}
               for s in garment.sizes}
    advice = recommend(garment.category, garment.sizes, avatar.measurements, reports,
                       store.size_chart(garment_id))
    halves = []
    for size in sizes:
        rgba, drape = try_on_rgba(avatar, garment_id, size, background=background, store=store,
                                  **options)
        halves.append(caption(rgba, size_caption(drape.size, advice, reports[drape.size],
                                                  garment.category)))
    return encode_image(np.concatenate(halves, axis=1), fmt, background=background)


def size_caption(size: str, advice: dict, report: dict, category: str) -> str:
    """"size M: recommended", or what is off in this size ("size XL: slides down 4 cm:
    too big at the waist")."""
    if size == advice["recommended_size"]:
        return f"size {size}: recommended"
    if size == advice["alternative_size"]:
        return f"size {size}: {advice['summary']}"
    off = [r for r in reasons(report) if not r.startswith("fits")]
    verdict = drape_verdict(report, category)
    return f"size {size}: {off[0] if off and verdict != 'fits' else verdict}" + (
        f"; {advice['recommended_size']} recommended" if advice["recommended_size"] else "")
