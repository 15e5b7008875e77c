"""Does each size's mesh agree with its row of the size chart?

A chart row says which bodies a size is for; the mesh of that size, on the
body it was made on, must be at least that large where the chart measures
(allowing the stretch the fit report calls "tight", ``TIGHT_STRETCH``). A
mesh smaller than its row usually means a mistyped chart, or a mesh of
another size uploaded under this one: the import report says so, as a
warning, and the garment is kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from garments.body_regions import BodyGeometry
from garments.garment_mesh import GarmentMesh
from garments.size_chart import CHART_FINDING, SizeChart
from tryon.fit.report import garment_girths
from tryon.fit.strain import TIGHT_STRETCH, girth_heights

WAISTBAND_BELOW_TOP_M = 0.01
#: The chart's girths and the fit report's girth levels they are read at.
CHART_LEVELS = {"chest_girth": ("chest", "bust"), "waist_girth": ("waist", "waist"),
                "hip_girth": ("hips", "hips")}


def chart_conflicts(chart: SizeChart, made: Mapping[str, tuple[GarmentMesh, BodyGeometry]]
                    ) -> dict[str, list[dict]]:
    """Warnings (``ValidationReport`` findings, JSON-ready) per size of ``made``
    (size -> its mesh and the body it was made on) whose mesh is smaller than the
    bodies its chart row is for; sizes that agree get an empty list."""
    found = {}
    for size, (mesh, body) in made.items():
        found[size] = []
        if size not in chart.sizes:
            continue
        row = chart.rows[chart.sizes.index(size)]
        points = mesh.physics_vertices
        heights = girth_heights(body.levels.crotch, body.levels.shoulder)
        # a skirt's or trousers' waistband may sit below the body's waist level: read
        # the waist just under the garment's top edge then
        heights["waist"] = min(heights["waist"], points[:, 2].max() - WAISTBAND_BELOW_TOP_M)
        girths = garment_girths(points, mesh.physics_faces, body, heights=heights)
        for measurement, (level, name) in CHART_LEVELS.items():
            girth_cm = girths.get(level, 0.0) * 100
            if measurement not in row or girth_cm <= 0:
                continue
            low = row[measurement][0]
            if girth_cm < low * (1 - TIGHT_STRETCH):
                found[size].append({
                    "severity": "warning", "code": CHART_FINDING,
                    "message": f"size {size} measures {girth_cm:.0f} cm around the {level}, but "
                               f"the size chart makes it for a {low:g} cm {name}: check that "
                               f"row of the chart, or that this is the size {size} mesh",
                    "details": {"measurement": name, "garment_cm": round(girth_cm, 1),
                                "chart_cm": low}})
    return found
