"""The content address of a render: a hash of every input that changes its bytes.

A render is named by ``render_key``: sha256 over the avatar (its id, its
body shape and the hair it wears, its own or the one asked for), the
garment (its id and the digest of the size's mesh file), the size, the
colorway (its id and the digest of its look), view, pose, pixel size,
format, fit map, background, the disclosure label, and
``RENDERER_VERSION``. Equal keys mean equal images, so a key can name a
cache entry, an ETag, or a job's dedupe key. Re-uploading a garment size or
changing the renderer changes the key; nothing stale is ever served.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from avatars.avatar import Avatar
from avatars.hair.styles import DEFAULT_COLOUR, NO_HAIR, check_hair
from garments.sizes import normalize_size
from garments.store import GarmentStore
from tryon.fit.strain import FIT_MAPS
from tryon.outputs.avatar_lookup import resolve_avatar
from tryon.render.params import check_format, check_size
from tryon.render.views import resolve_view

# Bump whenever a change to the render pipeline (lighting, materials,
# encoding, draping) changes the bytes of an existing render.
RENDERER_VERSION = "4"  # 2: the face textured on the skin, and hair; 3: drapes of DRAPE_VERSION 2; 4: of 3 (a floor)

DEFAULTS = {"garment": None, "size": None, "colorway": None, "view": "front", "pose": "a-pose",
            "width": 512, "height": 768, "format": "png", "fit_map": None, "background": None,
            "label": None, "hair": None, "hair_colour": None}


def fit_map_mode(value: Any) -> str | None:
    """None (no fit map), ``stretch`` or ``ease`` from what a caller sent: also 0/1,
    false/true ("1" and true: the stretch map, the only one there was before ease)."""
    if value in (None, False, 0, "0", ""):
        return None
    if value in (True, 1, "1"):
        return "stretch"
    if value in FIT_MAPS:
        return value
    raise ValueError(f"fit_map is 0, 1, stretch or ease, not {value!r}")


def normalize_render_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical, JSON-ready form of a render request; ValueError if invalid.

    ``params`` holds ``avatar`` (required) and any of ``DEFAULTS``; other keys
    are dropped. Sizes are upper-cased and ``background`` becomes a list of
    three 0-255 integers, so that equal requests spelled differently share a key.
    """
    if not isinstance(params.get("avatar"), str) or not params["avatar"]:
        raise ValueError("a render needs an avatar id")
    p = {"avatar": params["avatar"], **{k: params.get(k, v) for k, v in DEFAULTS.items()}}
    if (p["garment"] is None) != (p["size"] is None):
        raise ValueError("garment and size go together")
    if p["size"] is not None:
        p["size"] = normalize_size(p["size"])
    if p["colorway"] is not None and p["garment"] is None:
        raise ValueError("a colorway is a garment's: name the garment too")
    resolve_view(p["view"])  # validates; the name itself is kept, it is what callers send
    p["width"], p["height"] = check_size(p["width"], p["height"])
    p["format"] = check_format(p["format"])
    p["fit_map"] = fit_map_mode(p["fit_map"])
    p["label"] = None if p["label"] is None else bool(p["label"])  # None: on for twins
    check_hair(p["hair"], p["hair_colour"])
    if p["background"] is not None:
        rgb = list(p["background"])
        if len(rgb) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in rgb):
            raise ValueError(f"background must be three integers 0-255, got {p['background']!r}")
        p["background"] = rgb
    return p


def render_key(params: Mapping[str, Any], avatar_shape, size_digest: str | None,
               colorway_digest: str | None = None, *, hair: tuple[str | None, str | None] = (None, None),
               appearance: str | None = None) -> str:
    """The sha256 (hex) naming the render of normalised ``params``.

    avatar_shape: the avatar's body-model shape parameters (a sequence of
    floats); size_digest: ``GarmentStore().size_digest`` of the garment's
    size, or None when no garment is worn; colorway_digest: the chosen
    colorway's ``digest`` (None: the garment as uploaded); hair: the avatar's
    (style, colour), ``avatar_hair``; appearance: a twin's captured
    appearance, ``avatar_appearance`` (absent from the key when None, so
    bodies without one keep their keys).
    """
    payload = {"renderer": RENDERER_VERSION, "params": dict(params), "hair": list(hair),
               "avatar_shape": [float(x) for x in avatar_shape], "size_digest": size_digest,
               "colorway_digest": colorway_digest, **appearance_part(appearance)}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def render_key_for(params: Mapping[str, Any], garments: GarmentStore) -> str:
    """``render_key`` of raw ``params``, looking the avatar and garment up.

    Raises ValueError for invalid parameters and NotFound for an unknown
    avatar, garment, size or colorway. Cheap: it reads one mesh file to hash
    it (once per file and process).
    """
    p = normalize_render_params(params)
    avatar = requested_avatar(p)
    return render_key(p, avatar.shape, *garment_digests(p, garments), hair=avatar_hair(avatar),
                      appearance=avatar_appearance(avatar))


def avatar_hair(avatar) -> tuple[str | None, str | None]:
    """(style, colour) of an avatar's hair, part of every key of its outputs."""
    return avatar.hair, avatar.hair_colour


def avatar_appearance(avatar) -> str | None:
    """The digest of a twin's captured appearance (None for other bodies), part of
    every key of its outputs."""
    return None if avatar.appearance is None else avatar.appearance.digest


def appearance_part(digest: str | None) -> dict[str, str]:
    """The entry a key's payload gains for a captured appearance: none without one."""
    return {} if digest is None else {"appearance": digest}


def with_hair(avatar: Avatar, style: str | None, colour: str | None) -> Avatar:
    """``avatar`` wearing the hair a request asks for: ``style`` (``NO_HAIR``: none) and
    ``colour``, each None to keep the avatar's own."""
    if style is None and colour is None:
        return avatar
    style = avatar.hair if style is None else (None if style == NO_HAIR else style)
    colour = (colour or avatar.hair_colour or DEFAULT_COLOUR) if style is not None else None
    return replace(avatar, hair=style, hair_colour=colour)


def requested_avatar(params: Mapping[str, Any]) -> Avatar:
    """The avatar of a job's ``params``, with the hair they ask for; NotFound if there is none."""
    return with_hair(resolve_avatar(params["avatar"]), params.get("hair"), params.get("hair_colour"))


def garment_digests(params: Mapping[str, Any], garments: GarmentStore
                    ) -> tuple[str | None, str | None]:
    """(size digest, colorway digest) of normalised ``params``: Nones for no
    garment, no colorway."""
    if params["garment"] is None:
        return None, None
    size_digest = garments.size_digest(params["garment"], params["size"])
    if params.get("colorway") is None:
        return size_digest, None
    return size_digest, garments.colorway_entry(params["garment"], params["colorway"])["digest"]
