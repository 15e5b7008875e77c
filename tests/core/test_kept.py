"""Results kept by the content of their inputs."""

from __future__ import annotations

import numpy as np

from tryon.core.kept import KeptByContent


def test_equal_arrays_share_a_result_and_the_oldest_goes_first():
    made = []

    def make(value):
        made.append(value)
        return value

    kept = KeptByContent(2)
    a = np.arange(6.0).reshape(2, 3)
    assert kept.get([a, "x"], lambda: make(1)) == 1
    assert kept.get([a.copy(), "x"], lambda: make(2)) == 1  # equal content, another array: kept
    assert kept.get([a, "y"], lambda: make(3)) == 3  # another input: made
    assert kept.get([a + 1, "x"], lambda: make(4)) == 4  # a third: the oldest goes
    assert kept.get([a, "x"], lambda: make(5)) == 5
    assert made == [1, 3, 4, 5]


def test_the_parts_are_not_run_together():
    kept = KeptByContent(4)
    assert kept.get(["ab", "c"], lambda: 1) == 1
    assert kept.get(["a", "bc"], lambda: 2) == 2
