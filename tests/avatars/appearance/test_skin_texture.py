"""The skin texture, rendered: eyes with whites, irises and pupils, brows, lips, on every skin tone.

Close-ups of the real anny body in the real renderer; pixels are found by
projecting points of the body through the scene's camera.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from avatars.appearance.skin_texture import lip_rgb, skin_texture
from avatars.skin_tones import skin_rgb
from tryon.render.renderer import get_renderer
from tryon.render.scene import body_scene

pytestmark = pytest.mark.slow  # the prepared body model, renders

SIZE = 320
# a camera in front of a point, looking at it along +Y (the body faces -Y)
LOOK_ALONG_Y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


@pytest.fixture(scope="module")
def template(anny_model):
    with torch.no_grad():
        out = anny_model.forward(anny_model.default_shape())
    joints = out.joints[0].numpy()
    eyes = [joints[anny_model.bone_names.index(name)] for name in ("eye.L", "eye.R")]
    return out.vertices[0].numpy(), joints, eyes


def _close_up(anny_model, template, tone: int, textured: bool, at: np.ndarray, distance: float = 0.3):
    """(SIZE, SIZE, 3) render looking at ``at`` from ``distance`` metres, and a function
    from points (K, 3) to pixels (K, 2)."""
    vertices, joints, _ = template
    pose = np.eye(4)
    pose[:3, :3] = LOOK_ALONG_Y
    pose[:3, 3] = at + [0.0, -distance, 0.0]
    scene = body_scene(vertices, anny_model.faces, joints, anny_model.landmarks, anny_model.arm_vertex_mask(),
                       tone, 0.0, 1.0, (240, 240, 240), camera=(pose, 0.05, 5.0),
                       skin=skin_texture(anny_model, tone) if textured else None)
    projection = scene.main_camera_node.camera.get_projection_matrix(SIZE, SIZE) @ np.linalg.inv(pose)

    def pixel(points):
        clip = np.column_stack([points, np.ones(len(points))]) @ projection.T
        ndc = clip[:, :2] / clip[:, 3:]
        return np.column_stack([(ndc[:, 0] + 1) / 2 * SIZE, (1 - ndc[:, 1]) / 2 * SIZE]).astype(int)

    return get_renderer().render(scene, SIZE, SIZE)[..., :3].astype(int), pixel


def _luminance(rgb):
    return rgb @ np.array([0.2126, 0.7152, 0.0722])


@pytest.mark.parametrize("tone", [1, 4, 7, 10])
def test_eyes_have_a_pupil_an_iris_and_whites(anny_model, template, tone):
    eye = template[2][0]
    image, pixel = _close_up(anny_model, template, tone, True, eye)
    column, row = pixel(eye[None] + [0.0, -0.015, 0.0])[0]  # the front of the eyeball
    centre = _luminance(image[row - 1:row + 2, column - 1:column + 2].reshape(-1, 3))
    around = _luminance(image[row - 14:row + 15, column - 22:column + 23].reshape(-1, 3))
    skin = _luminance(np.asarray(skin_rgb(tone), float))
    assert centre.max() < 60  # the pupil
    assert around.max() > 150  # the white of the eye
    if tone >= 5:
        assert around.max() > skin + 20  # and lighter than the skin (the lightest skins are as light)
    assert around.std() > 25  # not blank


def test_without_the_texture_the_eyes_are_blank(anny_model, template):
    """What every body looked like before: one flat tone where the eyes are."""
    eye = template[2][0]
    image, pixel = _close_up(anny_model, template, 4, False, eye)
    column, row = pixel(eye[None] + [0.0, -0.015, 0.0])[0]
    centre = _luminance(image[row - 1:row + 2, column - 1:column + 2].reshape(-1, 3))
    assert centre.min() > 100


@pytest.mark.parametrize("tone", [2, 6])
def test_brows_are_darker_than_the_forehead_and_lips_than_the_cheek(anny_model, template, tone):
    eyes = template[2]
    centre = np.mean(eyes, axis=0)
    image, pixel = _close_up(anny_model, template, tone, True, centre - [0.0, 0.0, 0.03], distance=0.8)
    vertices = template[0]

    def on_skin(point):  # the front of the face at a point's height and side
        front = vertices[vertices[:, 1] < point[1] - 0.005]
        return front[np.linalg.norm(front[:, [0, 2]] - point[[0, 2]], axis=1).argmin()]

    def colour(point):
        column, row = pixel(on_skin(point)[None])[0]
        assert 1 <= column < SIZE - 1 and 1 <= row < SIZE - 1
        return image[row - 1:row + 2, column - 1:column + 2].reshape(-1, 3).mean(axis=0)

    brow, forehead = colour(eyes[0] + [0.004, 0, 0.019]), colour(eyes[0] + [0.004, 0, 0.045])
    assert _luminance(brow) < _luminance(forehead) - 15
    lips, cheek = colour(centre - [0.0, 0.0, 0.075]), colour(centre + [0.035, 0.0, -0.05])
    assert _luminance(lips) < _luminance(cheek) - 5
    assert lips[0] - lips[1] > cheek[0] - cheek[1]  # redder


def test_lips_are_a_little_darker_than_the_skin_on_every_tone():
    for tone in range(1, 11):
        skin, lips = np.asarray(skin_rgb(tone), float), np.asarray(lip_rgb(tone), float)
        assert 0.6 * _luminance(skin) < _luminance(lips) < _luminance(skin)


def test_one_texture_per_model_and_tone(anny_model):
    first = skin_texture(anny_model, 3)
    assert skin_texture(anny_model, 3) is first
    assert first.image.shape[2] == 3 and first.uv_faces.shape == anny_model.faces.shape
    assert len(first.uvs) == len(anny_model.uvs)
