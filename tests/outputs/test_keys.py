"""The render key changes with every input and only with them."""

from __future__ import annotations

import pytest

from tests.settings import current_garments
from tryon.outputs.keys import normalize_render_params, render_key, render_key_for

SHAPE = (0.1, -0.2, 0.3)
BASE = {"avatar": "a", "garment": "g", "size": "m", "width": 96, "height": 144}


def key(shape=SHAPE, digest="d" * 64, **changes):
    return render_key(normalize_render_params({**BASE, **changes}), shape, digest)


def test_equal_requests_spelled_differently_share_a_key():
    assert key() == key(size=" M ", format="png", view="front", background=None)
    assert key(background=(1, 2, 3)) == key(background=[1, 2, 3])


@pytest.mark.parametrize("change", [
    {"avatar": "b"}, {"garment": "h"}, {"size": "L"}, {"view": "back"}, {"view": 0.5},
    {"pose": "t-pose"}, {"width": 97}, {"height": 145}, {"format": "webp"}, {"fit_map": True},
    {"fit_map": "ease"},
    {"background": [255, 255, 255]},
])
def test_every_parameter_changes_the_key(change):
    assert key(**change) != key()


def test_body_shape_and_garment_content_change_the_key():
    assert key(shape=(0.1, -0.2, 0.31)) != key()
    assert key(digest="e" * 64) != key()


@pytest.mark.parametrize("bad", [
    {"avatar": ""}, {"size": None}, {"width": 0}, {"height": 4096}, {"format": "gif"},
    {"view": "sideways"}, {"background": [1, 2]}, {"background": [0, 0, 256]},
])
def test_invalid_parameters_are_refused(bad):
    with pytest.raises(ValueError):
        normalize_render_params({**BASE, **bad})


@pytest.mark.slow
def test_key_for_a_library_avatar_and_sample_garment(render_params):
    assert render_key_for(render_params, current_garments()) == render_key_for(
        {**render_params, "size": "m"}, current_garments())
    with pytest.raises(KeyError):
        render_key_for({**render_params, "garment": "no-such-garment"}, current_garments())
