"""The sample catalogue: garments sewn from patterns drafted to the mannequins' size chart."""

from __future__ import annotations

import json

import pytest

from garments.patterns.reading import read_pattern
from garments.sample_patterns.blocks import body_of
from garments.sample_patterns.catalogue import SAMPLE_SIZES, SAMPLES
from tests.settings import current_garments


def test_the_shipped_pattern_files_are_what_the_drafting_writes():
    for sample in SAMPLES:
        for size in sample.sizes:
            assert sample.spec(size) == json.loads(json.dumps(sample.draft(body_of(sample.fit, size)))), \
                f"{sample.key}/{size}.json: run python -m garments.sample_patterns.drafting"


def test_each_pattern_is_graded_up_the_size_chart():
    for sample in SAMPLES:
        areas = [sum(p.area_cm2 for p in read_pattern(sample.pattern_bytes(s), "p.json").pieces)
                 for s in SAMPLE_SIZES]
        assert all(a < b for a, b in zip(areas, areas[1:])), (sample.key, areas)


@pytest.mark.slow
def test_the_demo_store_holds_every_sample_sewn_from_its_pattern():
    garments = {g.name: g for g in current_garments().list()}
    for sample in SAMPLES:
        garment = garments[sample.name]
        assert garment.status == "published" and garment.sizes == list(SAMPLE_SIZES)
        assert garment.size_chart is not None and garment.pattern["format"] == "garmentcode"
        assert {p["name"] for p in garment.pattern["pieces"]} == set(sample.spec("M")["pattern"]["panels"])
        for size, report in garment.pattern["sewing"].items():
            assert report["seams_closed"] and report["penetration_mm"] <= 1.0, (sample.name, size, report)
            assert report["seam_gap_pulled_mm"] <= 8.0  # the pull alone; the closing pass shuts them, (sample.name, size, report)
