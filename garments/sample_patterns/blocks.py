"""The blocks sample patterns are drafted from: panels with named edges, body measurements,
and the bodice, sleeve and band every top starts from.

Centimetres. A panel is seen from outside the garment, y up
(``garments.patterns.placement``): a front's x runs to the wearer's left, a
back's to her right, a left sleeve's towards her back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from garments.mannequin import HEIGHTS_CM, SIZE_CHARTS


@dataclass
class Panel:
    """A panel being drafted: its vertices (cm) and its named edges, counter-clockwise."""

    vertices: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    names: dict = field(default_factory=dict)

    def loop(self, *steps) -> Panel:
        """Edges round the outline: each step (name, to_point, curve controls or None),
        starting from the first step's point, which the last step returns to."""
        points = [step[1] for step in steps]
        self.vertices = [list(map(float, p)) for p in points]
        for k, (name, _, controls) in enumerate(steps):
            edge = {"endpoints": [k, (k + 1) % len(steps)]}
            if controls:
                edge["curvature"] = {"type": "cubic" if len(controls) == 2 else "quadratic",
                                     "params": [list(map(float, c)) for c in controls]}
            self.names[name] = len(self.edges)
            self.edges.append(edge)
        return self

    def mirrored(self) -> Panel:
        """The panel cut the other way up (x -> -x), its edges keeping their names: the
        right half of a pair whose left half this is."""
        n = len(self.edges)
        by_number = {number: name for name, number in self.names.items()}
        steps = []
        for k in reversed(range(n)):
            edge = self.edges[k]
            start = self.vertices[edge["endpoints"][1]]
            controls = edge.get("curvature", {}).get("params", [])
            steps.append((by_number[k], (-start[0], start[1]), [(-c[0], c[1]) for c in reversed(controls)] or None))
        return Panel().loop(*steps)

    def spec(self) -> dict:
        return {"vertices": self.vertices, "edges": self.edges}

    def length(self, name: str) -> float:
        """The length of edge ``name``, cm, along its curve."""
        edge = self.edges[self.names[name]]
        ends = [self.vertices[k] for k in edge["endpoints"]]
        nodes = np.array([ends[0], *edge.get("curvature", {}).get("params", []), ends[1]], float)
        t = np.linspace(0.0, 1.0, 101)[:, None]
        degree = len(nodes) - 1
        points = sum(math.comb(degree, k) * t**k * (1 - t) ** (degree - k) * nodes[k] for k in range(degree + 1))
        return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())


@dataclass(frozen=True)
class Body:
    """The measurements a pattern is drafted to, cm."""

    bust: float
    waist: float
    hips: float
    height: float

    @property
    def neck_half(self) -> float:  # half the neck's width, HPS to HPS
        return self.bust / 20.0 + 2.6

    @property
    def shoulder_half(self) -> float:  # centre to shoulder point
        return self.bust / 8.0 + 7.0

    @property
    def armhole(self) -> float:  # shoulder point to underarm, straight down
        return self.bust / 8.0 + 8.5

    @property
    def nape_to_waist(self) -> float:
        return 0.245 * self.height

    @property
    def arm(self) -> float:  # upper arm girth
        return 0.30 * self.bust


def body_of(fit: str, size: str) -> Body:
    bust, waist, hips = SIZE_CHARTS[fit][size]
    return Body(bust, waist, hips, HEIGHTS_CM[fit])


def spec(panels: dict[str, Panel], stitches: list[tuple[str, str, str, str]]) -> dict:
    """The GarmentCode specification of ``panels`` with ``stitches`` (panel, edge name) pairs."""
    return {"pattern": {"panels": {name: p.spec() for name, p in panels.items()},
                        "stitches": [[{"panel": a, "edge": panels[a].names[ea]},
                                      {"panel": b, "edge": panels[b].names[eb]}]
                                     for a, ea, b, eb in stitches]},
            "properties": {"units_in_meter": 100, "curvature_coords": "absolute"}}


def bodice(b: Body, half_width: float, length: float, neck_drop: float, neck_extra: float = 0.0,
           shoulder_in: float = 0.0) -> Panel:
    """A front or back bodice cut whole: hem, sides, armholes, shoulders and a neckline of
    ``neck_drop``; ``length`` from the high shoulder point to the hem."""
    w, top = half_width, length
    nk, sp = b.neck_half + neck_extra, b.shoulder_half - shoulder_in
    slope = 4.0
    under = top - slope - b.armhole
    scoop = 0.6 * neck_drop / 0.75  # a cubic's controls reach 4/3 of its depth
    return Panel().loop(
        ("hem", (-w, 0), None),
        ("side_l", (w, 0), None),
        ("armhole_l", (w, under), [(sp + 0.55 * (w - sp), under + 0.4), (sp, under + 0.45 * b.armhole)]),
        ("shoulder_l", (sp, top - slope), None),
        ("neck", (nk, top), [(nk, top - scoop), (-nk, top - scoop)]),
        ("shoulder_r", (-nk, top), None),
        ("armhole_r", (-sp, top - slope), [(-sp, under + 0.45 * b.armhole), (-sp - 0.55 * (w - sp), under + 0.4)]),
        ("side_r", (-w, under), None))


def half_front(b: Body, half_width: float, length: float, neck_drop: float, neck_extra: float = 0.0) -> Panel:
    """The left half of a front opening at the centre: hem, side, armhole, shoulder, neck,
    and the centre front ``cf`` (its lower and upper parts, ``cf_low`` and ``cf_high``,
    split at 60 % of the length)."""
    w, top = half_width, length
    nk, sp = b.neck_half + neck_extra, b.shoulder_half
    slope = 4.0
    under = top - slope - b.armhole
    split = 0.6 * (top - neck_drop)
    return Panel().loop(
        ("hem", (0, 0), None),
        ("side", (w, 0), None),
        ("armhole", (w, under), [(sp + 0.55 * (w - sp), under + 0.4), (sp, under + 0.45 * b.armhole)]),
        ("shoulder", (sp, top - slope), None),
        ("neck", (nk, top), [(nk, top - 0.8 * neck_drop), (0.5 * nk, top - neck_drop)]),
        ("cf_high", (0, top - neck_drop), None),
        ("cf_low", (0, split), None))


def sleeve(b: Body, length: float, hem_width: float, ease: float = 8.0) -> Panel:
    """A set-in sleeve, symmetric: hem, underarm seams, and a cap in two halves (x > 0 is
    the back half of a left sleeve, the front half of a right one)."""
    w = (b.arm + ease) / 2.0
    cap = 0.55 * b.armhole
    under = length - cap
    h = hem_width / 2.0
    return Panel().loop(
        ("hem", (-h, 0), None),
        ("under_a", (h, 0), None),
        ("cap_a", (w, under), [(w - 0.35 * w, under + 0.15 * cap), (0.35 * w, length)]),
        ("cap_b", (0, length), [(-0.35 * w, length), (-w + 0.35 * w, under + 0.15 * cap)]),
        ("under_b", (-w, under), None))


def band(length: float, height: float, splits: list[float]) -> Panel:
    """A band (neckband, collar stand, waistband): its lower edge cut into parts of
    ``splits`` (fractions summing to 1) from its end at x < 0, its ends ``end_a`` and
    ``end_b``. Round a body, x runs counter-clockwise seen from above: a band starting at
    the wearer's right side crosses her front first."""
    steps, x = [], -length / 2.0
    for k, share in enumerate(splits):
        steps.append((f"low_{k}", (x, 0), None))
        x += share * length
    steps += [("end_a", (length / 2.0, 0), None), ("top", (length / 2.0, height), None),
              ("end_b", (-length / 2.0, height), None)]
    return Panel().loop(*steps)
