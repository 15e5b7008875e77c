"""Files made to exhaust the checks: each is read, welded and validated within a time
and memory ceiling set by the upload limit, not by how the file is built."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

from garments.ingest.loading import load_mesh, weld

COPIES = 30_000  # 12,000 took 17.7 s and 4.4 GB; 30,000 would have exhausted the machine


def _copies_obj(count: int) -> bytes:
    """One vertex written ``count`` times, used by degenerate faces (about 600 KB)."""
    lines = ["v 0.1 0.2 1.1"] * count + [f"f {3 * i + 1} {3 * i + 2} {3 * i + 3}"
                                         for i in range(count // 3)]
    return ("\n".join(lines) + "\n").encode()


def _measured(work):
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = work()
        return result, time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_many_copies_of_one_vertex_load_and_weld_in_bounded_time_and_memory():
    def work():
        loaded = load_mesh(_copies_obj(COPIES), "copies.obj")
        return weld(loaded.mesh.vertices, loaded.mesh.faces)

    welded, seconds, peak = _measured(work)
    assert len(welded.vertices) == 1
    assert seconds < 3.0 and peak < 200 * 2**20, (seconds, peak / 2**20)


def test_vertices_closer_than_the_weld_tolerance_but_distinct_stay_bounded():
    vertices = np.zeros((COPIES, 3))
    vertices[:, 0] = np.arange(COPIES) * 1e-9  # all distinct, all within 30 micrometres
    faces = np.arange(COPIES).reshape(-1, 3)
    welded, seconds, peak = _measured(lambda: weld(vertices, faces))
    assert len(welded.vertices) < 100
    assert seconds < 1.0 and peak < 50 * 2**20, (seconds, peak / 2**20)


@pytest.mark.slow  # validation measures against the mannequin (the prepared body model)
def test_validating_the_copies_file_is_bounded_and_says_what_is_wrong():
    from garments.ingest.validation import validate_file

    (report, mesh), seconds, peak = _measured(
        lambda: validate_file(_copies_obj(COPIES), "women", "M", "copies.obj", "top"))
    assert mesh is None and report.codes("error") == ["implausible_size"]
    assert seconds < 10.0 and peak < 500 * 2**20, (seconds, peak / 2**20)
