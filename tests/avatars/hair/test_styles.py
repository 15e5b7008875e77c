"""Hair on real anny bodies: every style fits every head, in its colour, above the
forehead, clear of the body, turned with a turned head, and over the garments worn."""

from __future__ import annotations

import numpy as np
import pytest

from avatars.avatar import pose_avatar
from avatars.hair.scalp import scalp
from avatars.hair.styles import HAIR_COLOURS, HAIRSTYLES, check_hair, hair_mesh
from avatars.library import HAIR, ENTRIES, library
from tryon.render.body import render_body_rgba
from tryon.render.hair import hair_layer
from tryon.render.scene import GarmentLayer

pytestmark = pytest.mark.slow  # the prepared body model, renders

BODIES = ["f152-eu34", "m194-eu60", "f174-eu54"]  # small, tall, heavy


def _posed(avatar_id: str):
    avatar = library()[avatar_id]
    model, body = pose_avatar(avatar, "a-pose")
    return avatar, model, body.vertices[0].numpy(), body.joints[0].numpy()


def _signed_to_body(points, body, normals):
    """(N,) metres each point lies outside the body along the nearest vertex's normal."""
    from scipy.spatial import cKDTree

    _, nearest = cKDTree(body).query(points)
    return np.einsum("ij,ij->i", points - body[nearest], normals[nearest])


@pytest.mark.parametrize("style", list(HAIRSTYLES))
def test_every_style_sits_on_the_head_and_outside_every_body(style):
    from tryon.core.geometry import vertex_normals

    for avatar_id in BODIES:
        _, model, body, joints = _posed(avatar_id)
        hair = hair_mesh(model, body, style, "brown")
        assert np.isfinite(hair.vertices).all() and len(hair.faces) > 100
        assert hair.faces.max() < len(hair.vertices)
        head_top = body[:, 2].max()
        assert hair.vertices[:, 2].max() > head_top  # it covers the crown
        assert hair.vertices[:, 2].max() < head_top + 0.08
        depth = _signed_to_body(hair.vertices.astype(np.float64), body, vertex_normals(body, model.faces))
        # nothing through the head or shoulders (the sign from the nearest vertex's normal: within 3 mm)
        assert np.percentile(depth, 1) > -0.003, (style, avatar_id)
        assert np.median(depth) > 0.002


def test_long_hair_falls_further_than_a_bob_and_a_bob_than_short_hair():
    _, model, body, _ = _posed("f158-eu38")
    lowest = {s: hair_mesh(model, body, s, "black").vertices[:, 2].min() for s in ("short", "bob", "long")}
    assert lowest["long"] < lowest["bob"] - 0.15
    assert lowest["bob"] < lowest["short"] - 0.03


def test_hair_turns_with_the_head():
    _, model, straight, _ = _posed("f163-eu36")
    centre, _, forward = scalp(model).head_frame(straight)
    assert abs(forward @ np.array([0.0, -1.0, 0.0]) - 1.0) < 0.05  # facing -Y on a straight head
    angle = 0.5  # the body turned about the vertical: its head's frame and its hair turn with it
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    turned = straight @ rotation.T
    turned_centre, _, turned_forward = scalp(model).head_frame(turned)
    np.testing.assert_allclose(turned_forward, rotation @ forward, atol=0.02)
    np.testing.assert_allclose(turned_centre, rotation @ centre, atol=1e-3)
    hair = hair_mesh(model, straight, "tied-back", "black").vertices
    turned_hair = hair_mesh(model, turned, "tied-back", "black").vertices
    cap = len(hair) - 642  # the bun's icosphere comes last
    np.testing.assert_allclose(turned_hair[:cap], hair[:cap] @ rotation.T, atol=2e-3)
    np.testing.assert_allclose(turned_hair[cap:].mean(axis=0), hair[cap:].mean(axis=0) @ rotation.T, atol=2e-3)


def test_unknown_styles_and_colours_name_the_choices():
    with pytest.raises(ValueError, match="bob"):
        check_hair("mohawk", "brown")
    with pytest.raises(ValueError, match="auburn"):
        check_hair("bob", "green")


def test_every_library_body_has_a_hair_style_and_colour():
    assert set(HAIR) == {entry.id for entry in ENTRIES}
    for avatar in library().values():
        check_hair(avatar.hair, avatar.hair_colour)
        assert avatar.summary()["hair"] == avatar.hair
    assert len({a.hair for a in library().values()}) == len(HAIRSTYLES)  # every style is worn


@pytest.mark.parametrize("colour", ["black", "blonde", "auburn"])
def test_a_render_shows_hair_of_its_colour_above_the_forehead(colour):
    avatar, model, body, joints = _posed("f158-eu38")
    hair = hair_layer(model, body, type(avatar)(**{**avatar.__dict__, "hair": "short", "hair_colour": colour}))
    rgba = render_body_rgba(body, model.faces, joints, model.landmarks, model.arm_vertex_mask(),
                            avatar.skin_tone, "front", 256, 384, (255, 255, 255), garments=(hair,))
    bald = render_body_rgba(body, model.faces, joints, model.landmarks, model.arm_vertex_mask(),
                            avatar.skin_tone, "front", 256, 384, (255, 255, 255))
    rows = np.flatnonzero((np.abs(rgba[..., :3].astype(int) - 255).sum(axis=2) > 30).any(axis=1))
    top = rows.min()
    crown = rgba[top + 2:top + 8, 100:156, :3].reshape(-1, 3).astype(int)
    crown = crown[np.abs(crown - 255).sum(axis=1) > 30]  # off the background
    target = np.asarray(HAIR_COLOURS[colour])
    assert len(crown) > 20
    assert np.median(np.abs(crown - target).sum(axis=1)) < 90, (np.median(crown, axis=0), target)
    assert not np.array_equal(rgba, bald)


def test_long_hair_lies_over_a_garment_not_inside_it():
    avatar, model, body, _ = _posed("f152-eu34")  # long hair
    # a stiff cape standing 4 cm off the upper back, where the hair falls
    back = body[(body[:, 1] > 0.0) & (body[:, 2] > body[:, 2].max() - 0.55) & (body[:, 2] < body[:, 2].max() - 0.25)]
    cape = GarmentLayer(back + [0.0, 0.04, 0.0], np.zeros((0, 3), np.int64), (0, 0, 0))
    hair = hair_layer(model, body, avatar, (cape,))
    near = hair.vertices[(hair.vertices[:, 2] < back[:, 2].max()) & (np.abs(hair.vertices[:, 0]) < 0.05)]
    assert len(near) > 10
    assert near[:, 1].min() > back[:, 1].min() + 0.04  # behind the cape's surface, not through it
