"""A garment's size chart: the body measurements each size is made for, as shops show them.

A merchant sends the table every product page has, as JSON::

    {"unit": "cm",
     "sizes": {"S": {"bust": 86, "waist": [66, 70], "hips": 94},
               "M": {"bust": 92, "waist": [71, 76], "hips": 100}}}

- ``unit``: ``cm`` (default) or ``in``; stored in centimetres.
- ``sizes``: from the smallest to the largest, each with its body
  measurements: a number, or a ``[low, high]`` range of bodies it is for.
  JSON objects have no order (many writers sort their keys), so an
  object's sizes are put in order when they are all letter sizes (XXS to
  4XL) or all numbers; a list of rows keeps the order it gives:
  ``[{"size": "S", "bust": 86, ...}, ...]`` (the stored form).
  Names (``MEASUREMENTS``): ``bust`` (``chest`` is the same girth),
  ``waist``, ``hips``, ``height``, ``inseam``.

Checked (``SizeChartError`` says what to change): known names, 1 to
``MAX_SIZES`` sizes with unique labels, values within ``LIMITS_CM``, ranges
low <= high, and every measurement growing from size to size (a chart whose
waist shrinks from M to L has a typing error). A chart may name sizes the
garment has no mesh for: they still get advice from the chart.

``chart_position`` places a body on the chart: for each measurement, a
fractional size index (2.0: the body is the third size's; 2.5: halfway to
the fourth), which ``tryon.fit.advice`` turns into a recommended size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from garments.sizes import normalize_size
from tryon.core.errors import Invalid

#: Chart names -> the body's measurement (``avatars.measurements.Measurements``).
MEASUREMENTS = {"bust": "chest_girth", "chest": "chest_girth", "waist": "waist_girth",
                "hips": "hip_girth", "height": "stature", "inseam": "inseam"}
#: Plausible values, centimetres: outside them a chart is in other units or mistyped.
LIMITS_CM = {"chest_girth": (40, 220), "waist_girth": (30, 220), "hip_girth": (40, 230),
             "stature": (50, 230), "inseam": (30, 120)}
UNITS = {"cm": 1.0, "in": 2.54}
MAX_SIZES = 30
CHART_FINDING = "chart_mismatch"  # the code of a size's report finding against the chart


class SizeChartError(Invalid):
    """A size chart that cannot be used; the message says what to change (422, ``size_chart``)."""

    def __init__(self, detail: str):
        super().__init__(detail, "size_chart")


@dataclass(frozen=True)
class SizeChart:
    """sizes: labels, smallest first; rows: per size, body measurement name ->
    (low, high) in centimetres (equal for a single value)."""

    sizes: tuple[str, ...]
    rows: tuple[dict[str, tuple[float, float]], ...]

    def measured(self) -> list[str]:
        """The body measurements the chart gives, for every size that has them."""
        return [m for m in LIMITS_CM if any(m in row for row in self.rows)]

    def stored_form(self) -> dict:
        """JSON-ready, centimetres, with the chart's names (``bust`` for chest girth);
        rows in a list, so that no JSON writer that sorts keys can reorder the sizes."""
        names = {v: k for k, v in MEASUREMENTS.items() if k != "chest"}
        return {"unit": "cm", "sizes": [
            {"size": size, **{names[m]: (low if low == high else [low, high])
                              for m, (low, high) in row.items()}}
            for size, row in zip(self.sizes, self.rows)]}


def parse_size_chart(document: object) -> SizeChart:
    """A checked ``SizeChart`` from the JSON document a merchant sent (or one
    ``stored_form`` wrote); SizeChartError saying what is wrong."""
    if not isinstance(document, Mapping):
        raise SizeChartError('a size chart is a JSON object: {"unit": "cm", "sizes": {"S": '
                             '{"bust": 86, "waist": 68, "hips": 94}, ...}}')
    unknown = set(document) - {"unit", "sizes"}
    if unknown:
        raise SizeChartError(f"unknown size chart fields {sorted(unknown)}; it has unit and sizes")
    unit = document.get("unit", "cm")
    if unit not in UNITS:
        raise SizeChartError(f"unit is one of {', '.join(UNITS)}, not {unit!r}")
    table = document.get("sizes")
    if isinstance(table, list) and all(isinstance(r, Mapping) and "size" in r for r in table):
        pairs = [(r["size"], {k: v for k, v in r.items() if k != "size"}) for r in table]
    elif isinstance(table, Mapping):
        pairs = _in_size_order(list(table.items()))
    else:
        pairs = []
    if not 1 <= len(pairs) <= MAX_SIZES:
        raise SizeChartError(f"sizes is an object of 1 to {MAX_SIZES} sizes, smallest first, "
                             "each with its body measurements")
    sizes, rows = [], []
    for label, entry in pairs:
        size = normalize_size(label, "size_chart")
        if size in sizes:
            raise SizeChartError(f"size {size} appears twice")
        sizes.append(size)
        rows.append(_row(size, entry, UNITS[unit]))
    _check_growth(sizes, rows)
    return SizeChart(tuple(sizes), tuple(rows))


LETTER_ORDER = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL", "4XL")
_LETTER_ALIASES = {"2XS": "XXS", "2XL": "XXL", "3XL": "XXXL", "XXXXL": "4XL"}


def _in_size_order(pairs: list) -> list:
    """An object's (label, entry) pairs smallest first, when the labels say the order."""
    labels = [str(label).strip().upper() for label, _ in pairs]
    letters = [_LETTER_ALIASES.get(label, label) for label in labels]
    if all(label in LETTER_ORDER for label in letters):
        return [p for _, p in sorted(zip(letters, pairs), key=lambda x: LETTER_ORDER.index(x[0]))]
    try:
        return [p for _, p in sorted(zip((float(label) for label in labels), pairs),
                                     key=lambda x: x[0])]
    except ValueError:  # names of the brand's own: the order given
        return pairs


def _row(size: str, entry: object, scale: float) -> dict[str, tuple[float, float]]:
    if not isinstance(entry, Mapping) or not entry:
        raise SizeChartError(f"size {size}: give its body measurements, e.g. "
                             '{"bust": 86, "waist": 68, "hips": 94}')
    row = {}
    for name, value in entry.items():
        if name not in MEASUREMENTS:
            raise SizeChartError(f"size {size}: unknown measurement {name!r}; the chart's "
                                 f"measurements are {', '.join(MEASUREMENTS)}")
        measurement = MEASUREMENTS[name]
        if measurement in row:
            raise SizeChartError(f"size {size}: bust and chest are the same girth; give one")
        low, high = _bounds(size, name, value)
        low, high = round(low * scale, 1), round(high * scale, 1)
        least, most = LIMITS_CM[measurement]
        if not (least <= low <= high <= most):
            raise SizeChartError(f"size {size}: {name} {low:g}-{high:g} cm is outside "
                                 f"{least}-{most} cm; is the unit right?")
        row[measurement] = (low, high)
    return row


def _bounds(size: str, name: str, value: object) -> tuple[float, float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), float(value)
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        if value[0] > value[1]:
            raise SizeChartError(f"size {size}: the {name} range {value} runs backwards")
        return float(value[0]), float(value[1])
    raise SizeChartError(f"size {size}: {name} is a number or a [low, high] range, not {value!r}")


def _check_growth(sizes: list[str], rows: list[dict]) -> None:
    for before, after, row_before, row_after in zip(sizes, sizes[1:], rows, rows[1:]):
        for measurement in set(row_before) & set(row_after):
            if sum(row_after[measurement]) < sum(row_before[measurement]):
                name = next(k for k, v in MEASUREMENTS.items() if v == measurement)
                raise SizeChartError(f"{name} shrinks from {before} to {after}; list sizes from "
                                     "the smallest to the largest")


def chart_position(chart: SizeChart, body: Mapping[str, float | None]) -> dict[str, float]:
    """Where ``body`` (measurement name -> cm) sits on the chart, per measurement the
    chart gives: a fractional index into ``chart.sizes`` (0: the smallest size's
    body; 1.5: halfway between the second and third). Inside a size's range it
    stays within that size (index +- 0.5); beyond the chart it extrapolates."""
    found = {}
    for measurement in chart.measured():
        value = body.get(measurement)
        indices = [i for i, row in enumerate(chart.rows) if measurement in row]
        if value is None or not indices:
            continue
        lows = np.array([chart.rows[i][measurement][0] for i in indices])
        highs = np.array([chart.rows[i][measurement][1] for i in indices])
        inside = np.flatnonzero((lows <= value) & (value <= highs))
        if len(inside):  # within a size's range: that size, placed by where in its range
            i = inside[0]
            span = highs[i] - lows[i]
            found[measurement] = indices[i] + ((value - lows[i]) / span - 0.5 if span else 0.0)
            continue
        middles = (lows + highs) / 2
        if len(indices) == 1:
            found[measurement] = float(indices[0])
            continue
        # between sizes, or beyond the chart: linear in the sizes' middles
        j = int(np.clip(np.searchsorted(middles, value) - 1, 0, len(indices) - 2))
        t = (value - middles[j]) / max(middles[j + 1] - middles[j], 1e-6)
        found[measurement] = float(indices[j] + t * (indices[j + 1] - indices[j]))
    return {m: round(float(v), 3) for m, v in found.items()}
