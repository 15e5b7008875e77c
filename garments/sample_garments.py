"""The sample garments shipped with tryon, cut by code from the mannequins.

Each size of each garment is cut from the mannequin of that size: a region of
the body surface (from ``garments.body_regions``) offset outward by the
garment's ease, bridged over the torso's hollows as cloth would be (every
torso vertex is pushed out to at least the convex girth of its level plus
ease), and, for skirts and dresses, a flared tube extruded down from the
hem of that region. Meshes are subdivided once for folds and given
cylindrical UVs. The demo store and the tests use them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull

from avatars.avatar import pose_avatar
from avatars.measurements import horizontal_sections
from garments.body_regions import BodyGeometry, body_geometry, region_submesh
from garments.colorways import Colorway
from garments.mannequin import mannequin, mannequin_chart
from garments.sample_prints import breton, gingham


@dataclass(frozen=True)
class Skirt:
    """A tube extruded from the region's lowest hem down to ``hem(levels)``,
    its radius growing by ``flare`` metres per metre of drop (skirts, the
    lower part of dresses and jackets)."""

    hem: Callable
    flare: float


@dataclass(frozen=True)
class SamplePattern:
    key: str
    name: str
    category: str
    fabric: str
    fit: str
    colour: str
    region: Callable[[BodyGeometry], np.ndarray]  # -> (V,) bool
    ease: float  # metres off the skin
    skirt: Skirt | None = None
    colorways: Callable[[], list[Colorway]] = list  # the demo store's colours and prints


def _torso(g: BodyGeometry, low: float, high: float) -> np.ndarray:
    z = g.vertices[:, 2]
    return ~g.arm & (z > low) & (z < high)


def _sleeves(g: BodyGeometry, reach: float) -> np.ndarray:
    return g.arm & (g.arm_reach < reach)


def _tshirt(g):
    lv = g.levels
    return _torso(g, lv.hip - 0.07, lv.neck - 0.035) | _sleeves(g, 0.16)


def _jacket(g):
    lv = g.levels
    return _torso(g, lv.hip - 0.03, lv.neck - 0.02) | _sleeves(g, g.wrist_reach - 0.02)


def _dress_top(g):
    lv = g.levels
    return _torso(g, lv.hip + 0.02, lv.neck - 0.06)


def _skirt_band(g):
    lv = g.levels
    return _torso(g, lv.hip + 0.02, lv.waist)


def _trousers(g):
    lv = g.levels
    return _torso(g, lv.ankle + 0.05, lv.waist - 0.01)


PATTERNS = {
    p.key: p
    for p in [
        SamplePattern("tshirt", "Classic T-shirt", "top", "jersey", "men", "#2f5d8a", _tshirt, 0.012,
                      colorways=lambda: [
                          Colorway("Cobalt", (47, 93, 138)), Colorway("Heather grey", (154, 154, 158)),
                          Colorway("Breton stripe", texture=breton((32, 42, 74)))]),
        SamplePattern("dress", "Midi dress", "dress", "silk-like", "women", "#a8323e", _dress_top, 0.008,
                      Skirt(hem=lambda lv: lv.knee - 0.10, flare=0.22), colorways=lambda: [
                          Colorway("Cherry", (168, 50, 62)), Colorway("Ink", (36, 48, 79)),
                          Colorway("Wine velvet", (90, 20, 37), fabric="velvet"),
                          Colorway("Gingham", texture=gingham((52, 84, 140)))]),
        SamplePattern("skirt", "A-line skirt", "skirt", "woven-cotton", "women", "#3d6b4f", _skirt_band,
                      0.008, Skirt(hem=lambda lv: lv.knee - 0.02, flare=0.28)),
        SamplePattern("trousers", "Straight trousers", "trousers", "denim", "women", "#2b2f3a",
                      _trousers, 0.012),
        SamplePattern("jacket", "Zip jacket", "outerwear", "knit", "men", "#b8976b", _jacket, 0.02,
                      Skirt(hem=lambda lv: lv.crotch - 0.05, flare=0.05)),
    ]
}
SAMPLE_SIZES = ("XS", "S", "M", "L", "XL")
_MAX_HEM_ZIGZAG_M = 0.02
_COLLAPSE_M = 0.004  # a third of the body mesh's typical edge


def _hull_radius(points2d: np.ndarray, centre: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Distance from ``centre`` along each (N, 2) unit direction to the convex
    hull of (M, 2) points, metres."""
    hull = points2d[ConvexHull(points2d).vertices]
    a, b = hull, np.roll(hull, -1, axis=0)
    edge = b - a
    ac = a - centre

    def cross(u, v):
        return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]

    denominator = cross(directions[:, None], edge[None])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = cross(ac[None], edge[None]) / denominator
        s = cross(ac[None], directions[:, None]) / denominator
    t = np.where((s >= -1e-9) & (s <= 1 + 1e-9) & (t > 0), t, 0.0)
    return t.max(axis=1)


def bridge_hollows(points: np.ndarray, g: BodyGeometry, ease: float, low: float, high: float):
    """Push points (N, 3) with low < z < high out to the convex girth of the
    body at their height plus ``ease``, as cloth spans the body's hollows."""
    points = points.copy()
    selected = np.flatnonzero((points[:, 2] > low) & (points[:, 2] < high))
    levels = np.round(points[selected, 2] / 0.005) * 0.005
    heights = np.unique(levels)
    for z, section in zip(heights, horizontal_sections(g.vertices, g.torso_edges, heights)):
        if len(section) < 3:
            continue
        ids = selected[levels == z]
        centre = section.mean(axis=0)
        offsets = points[ids, :2] - centre
        radius = np.linalg.norm(offsets, axis=1)
        directions = offsets / np.maximum(radius, 1e-9)[:, None]
        target = _hull_radius(section, centre, directions) + ease
        points[ids, :2] = centre + directions * np.maximum(radius, target)[:, None]
    return points


def boundary_loops(faces: np.ndarray) -> list[np.ndarray]:
    """Vertex ids of each open boundary loop (hems, cuffs, necklines), in order."""
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    unique, counts = np.unique(edges, axis=0, return_counts=True)
    graph = trimesh.graph.nx.Graph()
    graph.add_edges_from(unique[counts == 1].tolist())
    return [np.array(c) for c in trimesh.graph.nx.cycle_basis(graph)]


def straighten_hems(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Move every nearly flat boundary loop onto its best-fitting plane: a cut
    along the body model's edges zig-zags; a hem is sewn straight. Loops that
    are not flat (armholes) keep their shape."""
    points = points.copy()
    for loop in boundary_loops(faces):
        ring = points[loop]
        centre = ring.mean(axis=0)
        normal = np.linalg.svd(ring - centre)[2][-1]
        distance = (ring - centre) @ normal
        if np.abs(distance).max() < _MAX_HEM_ZIGZAG_M:
            points[loop] -= np.outer(distance, normal)
    return points


def _lowest_loop(faces: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Vertex ids of the lowest open boundary loop, ordered counter-clockwise
    seen from above."""
    loop = min(boundary_loops(faces), key=lambda c: points[c, 2].mean())
    centre = points[loop, :2].mean(axis=0)
    angle = np.unwrap(np.arctan2(*(points[loop, :2] - centre).T[::-1]))
    return loop if angle[-1] > angle[0] else loop[::-1]


def _extrude_skirt(points, faces, g: BodyGeometry, skirt: Skirt, ease: float):
    """Append a flared tube below the lowest hem: returns (points, faces)."""
    loop = _lowest_loop(faces, points)
    top = points[loop]
    spacing = np.linalg.norm(top - np.roll(top, -1, axis=0), axis=1).mean()
    drop = top[:, 2].mean() - skirt.hem(g.levels)
    rows = max(2, int(round(drop / spacing)))
    centre = top[:, :2].mean(axis=0)
    radial = top[:, :2] - centre
    unit = radial / np.linalg.norm(radial, axis=1, keepdims=True)
    new_rows = []
    for r in range(1, rows + 1):
        depth = drop * r / rows
        ring = np.empty_like(top)
        ring[:, :2] = top[:, :2] + unit * skirt.flare * depth
        ring[:, 2] = top[:, 2] - depth
        new_rows.append(ring)
    tube = bridge_hollows(np.vstack(new_rows), g, ease, g.levels.knee - 0.5, g.levels.waist)
    n, k = len(points), len(loop)
    index = np.vstack([loop] + [n + r * k + np.arange(k) for r in range(rows)])
    a, b = index[:-1], np.roll(index[:-1], -1, axis=1)
    c, d = np.roll(index[1:], -1, axis=1), index[1:]
    quads = np.stack([a, d, c, b], axis=-1).reshape(-1, 4)  # outward winding
    tube_faces = np.vstack([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]])
    return np.vstack([points, tube]), np.vstack([faces, tube_faces])


def collapse_short_edges(points: np.ndarray, faces: np.ndarray, tolerance: float):
    """Collapse edges shorter than ``tolerance`` metres (where bridging pushed
    both sides of a hollow onto one hull point) and drop the faces that
    collapse; only edges merge, so nothing pinches across a gap.
    Returns (points (n, 3), faces (f, 3))."""
    edges = np.unique(np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1), axis=0)
    pairs = edges[np.linalg.norm(points[edges[:, 0]] - points[edges[:, 1]], axis=1) < tolerance]
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])),
                       shape=(len(points), len(points)))
    _, label = connected_components(graph, directed=False)
    faces = label[faces]
    faces = faces[(faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2])
                  & (faces[:, 2] != faces[:, 0])]
    used, faces = np.unique(faces, return_inverse=True)
    merged = np.zeros((label.max() + 1, 3))
    np.add.at(merged, label, points)
    merged /= np.bincount(label)[:, None]
    return merged[used], faces.reshape(-1, 3)


def cylindrical_uvs(points: np.ndarray) -> np.ndarray:
    """(N, 2) UVs: u around the body axis (seam at the back), v up, 1 = 2 m."""
    u = np.arctan2(points[:, 0], -points[:, 1]) / (2 * np.pi) + 0.5
    return np.column_stack([u, points[:, 2] / 2.0])


def cut_garment(pattern: SamplePattern, g: BodyGeometry) -> trimesh.Trimesh:
    """One size of a sample garment, cut from the mannequin ``g`` of that size."""
    ids, faces = region_submesh(g.faces, pattern.region(g))
    body = trimesh.Trimesh(g.vertices, g.faces, process=False)
    points = g.vertices[ids] + body.vertex_normals[ids] * pattern.ease
    on_torso = ~g.arm[ids]
    lv = g.levels
    bridged = bridge_hollows(points, g, pattern.ease, lv.crotch + 0.03, lv.shoulder - 0.03)
    points[on_torso] = bridged[on_torso]
    points, faces = collapse_short_edges(points, faces, _COLLAPSE_M)
    points = straighten_hems(points, faces)
    if pattern.skirt is not None:
        points, faces = _extrude_skirt(points, faces, g, pattern.skirt, pattern.ease)
    points, faces = trimesh.remesh.subdivide(points, faces)
    mesh = trimesh.Trimesh(points, faces, process=False)
    mesh.visual = trimesh.visual.TextureVisuals(uv=cylindrical_uvs(points))
    return mesh


def write_obj(mesh: trimesh.Trimesh, colour: str, folder: Path, stem: str) -> Path:
    """Write ``stem``.obj with UVs and ``stem``.mtl with the base colour."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    visual = trimesh.visual.TextureVisuals(
        uv=mesh.visual.uv, material=trimesh.visual.material.SimpleMaterial(diffuse=rgb + [255])
    )
    textured = trimesh.Trimesh(mesh.vertices, mesh.faces, visual=visual, process=False)
    text, files = trimesh.exchange.obj.export_obj(
        textured, include_texture=True, return_texture=True, mtl_name=f"{stem}.mtl"
    )
    for name, data in files.items():
        (folder / name).write_bytes(data)
    path = folder / f"{stem}.obj"
    path.write_text(text)
    return path


def install_samples(store, log=print) -> list:
    """Cut every sample garment in every size and import it through ``store``
    (a ``GarmentStore``), as a merchandiser's upload would be; idempotent."""
    have = {g.name: g for g in store.list()}
    garments = []
    for pattern in PATTERNS.values():
        if pattern.name in have:
            if not have[pattern.name].colorways and pattern.colorways():  # made before colorways
                store.set_colorways(have[pattern.name].id, pattern.colorways())
            if have[pattern.name].size_chart is None:  # made before size charts
                store.set_size_chart(have[pattern.name].id,
                                     mannequin_chart(pattern.fit, SAMPLE_SIZES))
            continue
        log(f"  cutting sample garment: {pattern.name}")
        with tempfile.TemporaryDirectory() as tmp:
            files = {}
            for size in SAMPLE_SIZES:
                model, body = pose_avatar(mannequin(pattern.fit, size))
                g = body_geometry(model, body.vertices[0].numpy(), body.joints[0].numpy())
                files[size] = write_obj(cut_garment(pattern, g), pattern.colour, Path(tmp),
                                        f"{pattern.key}-{size}")
            garment, reports = store.add(pattern.name, pattern.category, pattern.fabric,
                                         pattern.fit, files, colorways=pattern.colorways())
        if garment is None:
            problems = {s: r.as_dict() for s, r in reports.items() if not r.accepted}
            raise RuntimeError(f"sample garment {pattern.name} was rejected: {problems}")
        store.set_size_chart(garment.id, mannequin_chart(pattern.fit, SAMPLE_SIZES))
        garments.append(store.set_status(garment.id, "published"))
    return garments
