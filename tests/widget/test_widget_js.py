"""The widget's logic under node's own test runner (``node --test``), so ``make test`` runs it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

WIDGET = Path(__file__).resolve().parents[2] / "web_widget"


def test_widget_unit_tests_pass_under_node():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs); the widget's unit tests need node >= 20")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    assert int(version.lstrip("v").split(".")[0]) >= 20, f"node {version}: the widget's tests need node >= 20"
    run = subprocess.run([node, "--test", "test/"], cwd=WIDGET, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert re.search(r"^# fail 0$", run.stdout, re.M), run.stdout
    assert re.search(r"^# pass [1-9]", run.stdout, re.M), run.stdout


def test_widget_measurement_limits_are_the_apis():
    from avatars.from_measurements import LIMITS_CM

    source = (WIDGET / "lib" / "measurements.js").read_text()
    for name in ("height", "chest", "waist", "hips"):
        low, high = LIMITS_CM[name]
        assert re.search(rf"\b{name}: \[{low:g}, {high:g}\]", source), (name, low, high)


def test_widget_fit_colours_and_views_are_the_apis():
    from tryon.fit.strain import FIT_COLOURS
    from tryon.render.views import VIEWS

    fit_source = (WIDGET / "lib" / "fit.js").read_text()
    for verdict, rgb in FIT_COLOURS.items():
        assert re.search(rf"verdict: '{verdict}', colour: '#{bytes(rgb).hex()}'", fit_source), verdict
    views_source = (WIDGET / "lib" / "views.js").read_text()
    listed = re.search(r"VIEWS = Object\.freeze\(\[([^\]]*)\]\)", views_source).group(1)
    assert sorted(re.findall(r"'([a-z-]+)'", listed)) == sorted(VIEWS)


def test_widget_video_settings_are_within_the_apis_limits():
    from tryon.render.video_params import (
        FPS_RANGE, MAX_HEIGHT, MAX_SECONDS, MAX_WIDTH, MIN_SECONDS, MIN_SIDE)

    source = (WIDGET / "lib" / "video.js").read_text()
    seconds = float(re.search(r"^(?:export )?const SECONDS = ([\d.]+);", source, re.M).group(1))
    fps = int(re.search(r"^const FPS = (\d+);", source, re.M).group(1))
    assert MIN_SECONDS <= seconds <= MAX_SECONDS and FPS_RANGE[0] <= fps <= FPS_RANGE[1]
    # video.test.js checks every frame size the widget asks for against these
    tests = (WIDGET / "test" / "video.test.js").read_text()
    for name, value in (("MIN_SIDE", MIN_SIDE), ("MAX_WIDTH", MAX_WIDTH), ("MAX_HEIGHT", MAX_HEIGHT)):
        assert f"const {name} = {value};" in tests, name
