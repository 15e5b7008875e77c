"""Body scans: read a studio's scan file and bring it into the body models' frame.

``load_scan`` reads PLY, OBJ or GLB (a mesh or a point cloud; an OBJ with its
MTL and textures zipped) with trimesh
and normalises it: units (millimetres, centimetres or metres, guessed from
the extent), up axis (from the floor plane when there is one, else the
coordinate axis along which the points spread most evenly), floor removal
(RANSAC plane, axis-aligned within 25 degrees), stray clutter and outliers
(everything not connected to the largest object within 4.5 cm, except
pieces of 50 points or more within 10 cm of it, such as a hand cut off by a
hole), then puts
the floor (or the feet) on z = 0 and centres the body on the z axis.
Result: metres, Z-up, right-handed. The facing direction is kept as it
was after the up-axis turn (a Y-up file facing +Z ends up facing -Y, our
convention); the fitter searches it anyway.

Files whose up axis is not a coordinate axis, or that point it down without
a floor to tell, and inches, are not detected.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from avatars.scans.archive import ArchiveError, unzip_scan
from avatars.scans.orientation import up_rotation
from avatars.scans.point_attributes import cloud_colours, cloud_normals, surface_colours, vertex_colours
from tryon.core.errors import Invalid

MAX_SCAN_POINTS = 2_000_000
FORMATS = ("ply", "obj", "glb", "zip")  # zip: an OBJ with its MTL and textures (avatars.scans.archive)
MIN_BODY_POINTS = 2_000
BODY_HEIGHT_M = (0.8, 2.5)  # what a standing person's scan may measure
BODY_WIDTH_M = 2.5
_UNITS = ((1.0, "metres"), (0.01, "centimetres"), (0.001, "millimetres"))
UNIT_SCALES = {"m": 1.0, "cm": 0.01, "mm": 0.001}  # units a caller may give
_TYPICAL_EXTENT_M = 1.7
_MESH_SAMPLES = 60_000  # sparse meshes are sampled to this many points
_DENSE_MESH_VERTICES = 20_000  # meshes with this many vertices give their vertices
_FLOOR_TILT_DEG = 25.0
_FLOOR_MIN_SPAN_M = 0.5
_VOXEL_M = 0.02
_LINK_M = 0.045
_PIECE_GAP_M, _PIECE_POINTS = 0.1, 50


class ScanError(Invalid):
    """A scan file that cannot become a body scan; the message says why and what to do."""

    def __init__(self, detail: str, field: str = "scan"):
        super().__init__(detail, field)


@dataclass(frozen=True)
class Scan:
    """A normalised body scan.

    points: (N, 3) float32 metres, Z-up, feet on z = 0, centred on the z axis.
    normals: (N, 3) float32 unit normals, or None when the file had none.
    colours: (N, 3) uint8 sRGB of each point (PLY colours, a mesh's vertex
        colours or its texture where it has one), or None when the file had none.
    notes: what normalisation did, in words, in the order it did it.
    transform: (4, 4) float64, the file's coordinates -> ``points``' (units, up
        axis, floor, centre), for what came in the same frame (a garment).
    """

    points: np.ndarray
    normals: np.ndarray | None
    notes: tuple[str, ...]
    transform: np.ndarray
    colours: np.ndarray | None = None


def load_scan(data: bytes, filename: str, units: str | None = None) -> Scan:
    """Read and normalise a scan file's bytes; ``filename`` gives the format,
    ``units`` (m, cm, mm) the units when the caller knows them (else guessed).

    Raises ScanError for unknown formats, unreadable or empty files, more
    than ``MAX_SCAN_POINTS`` points, and scans with no body-sized object.
    """
    points, normals, colours, notes = _read(data, filename)
    return normalise_points(points, normals, notes, units, colours)


def normalise_points(points: np.ndarray, normals: np.ndarray | None = None,
                     notes: tuple[str, ...] = (), units: str | None = None,
                     colours: np.ndarray | None = None) -> Scan:
    """Normalise raw scan points (N, 3), any units and up axis, into a ``Scan``;
    normals (N, 3) and colours (N, 3) sRGB 0-255, where given, follow their points."""
    points = np.asarray(points, dtype=np.float64)
    keep = np.isfinite(points).all(axis=1)
    if normals is not None:
        normals = np.asarray(normals, dtype=np.float64)
        keep &= np.isfinite(normals).all(axis=1)
    colours = None if colours is None else np.clip(np.asarray(colours)[:, :3], 0, 255).astype(np.uint8)
    points = points[keep]
    normals = None if normals is None else normals[keep]
    colours = None if colours is None else colours[keep]
    notes = list(notes)
    if (~keep).any():
        notes.append(f"dropped {int((~keep).sum()):,} points with non-finite coordinates")
    if len(points) < MIN_BODY_POINTS:
        raise ScanError(
            f"the scan has {len(points):,} points; a body scan needs at least {MIN_BODY_POINTS:,}"
        )

    scale, unit, extent = _guess_units(points) if units is None else _given_units(points, units)
    points = points * scale
    notes.append(f"units: {unit} (largest extent {extent:.4g} {unit} = {extent * scale:.2f} m)")

    floor = _find_floor(points)
    if floor is not None:
        normal, offset, inliers = floor
        keep = _above_floor(points, normal, offset, inliers)
        points, normals, colours = (None if a is None else a[keep] for a in (points, normals, colours))
        notes.append(f"floor: removed a plane of {int((~keep).sum()):,} points")

    keep, clutter_note = _body_points(points)
    points, normals, colours = (None if a is None else a[keep] for a in (points, normals, colours))
    notes.append(clutter_note)

    rotation, up_note = up_rotation(points, None if floor is None else floor[0])
    points = points @ rotation.T
    normals = None if normals is None else normals @ rotation.T
    notes.append(up_note)

    # The levelled floor plane n.p + d = 0 is now z = -d.
    ground = -floor[1] if floor is not None else float(points[:, 2].min())
    _check_body_size(points, ground)
    centre = np.array([*np.median(points[:, :2], axis=0), ground])
    points = points - centre
    notes.append(
        "placed the floor on z = 0" if floor is not None else "placed the lowest point on z = 0"
    )
    notes.append(f"centred the body on the z axis ({len(points):,} points kept)")
    transform = np.block([[scale * rotation, -centre[:, None]], [np.zeros((1, 3)), np.ones((1, 1))]])
    return Scan(
        points=points.astype(np.float32),
        normals=None if normals is None else _unit(normals).astype(np.float32),
        notes=tuple(notes), transform=transform, colours=colours,
    )


def _read(data: bytes, filename: str):
    """(N, 3) points, (N, 3) normals or None, (N, 3) uint8 colours or None, and notes
    from a file's bytes."""
    kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if kind not in FORMATS:
        raise ScanError(
            f"{filename!r} is not a supported scan format; send a "
            f"{', '.join(f.upper() for f in FORMATS)} file"
        )
    if not data:
        raise ScanError(f"{filename} is empty")
    resolver = None
    if kind == "zip":
        try:
            data, kind, resolver = unzip_scan(data, filename)
        except ArchiveError as error:
            raise ScanError(str(error)) from None
    try:
        loaded = trimesh.load(io.BytesIO(data), file_type=kind, process=False, resolver=resolver)
    except Exception as error:  # trimesh raises many types for broken files
        raise ScanError(f"could not read {filename} as {kind.upper()}: {error}") from error
    geometries = []
    if isinstance(loaded, trimesh.Scene):
        for node in loaded.graph.nodes_geometry:
            transform, name = loaded.graph[node]
            geometry = loaded.geometry[name].copy()
            geometry.apply_transform(transform)
            geometries.append(geometry)
    else:
        geometries.append(loaded)
    geometries = [g for g in geometries if isinstance(g, (trimesh.Trimesh, trimesh.PointCloud))]
    count = sum(len(g.vertices) for g in geometries)
    if count == 0:
        raise ScanError(f"{filename} holds no points or mesh vertices")
    if count > MAX_SCAN_POINTS:
        raise ScanError(
            f"{filename} has {count:,} points; the limit is {MAX_SCAN_POINTS:,}. "
            "Decimate or subsample the scan and send it again"
        )
    points, normals, colours, notes = [], [], [], []
    for g in geometries:
        is_mesh = isinstance(g, trimesh.Trimesh) and len(g.faces) > 0
        if is_mesh and len(g.vertices) < _DENSE_MESH_VERTICES:
            # A sparse mesh's vertices under-sample its surface: sample it evenly.
            samples, faces = trimesh.sample.sample_surface(g, _MESH_SAMPLES, seed=0)
            points.append(samples)
            normals.append(g.face_normals[faces])
            colours.append(surface_colours(g, samples, faces))
            notes.append(
                f"sampled {_MESH_SAMPLES:,} points on a mesh of {len(g.vertices):,} vertices"
            )
        elif is_mesh:
            points.append(np.asarray(g.vertices))
            normals.append(np.asarray(g.vertex_normals))
            colours.append(vertex_colours(g))
        else:
            points.append(np.asarray(g.vertices))
            normals.append(cloud_normals(g))
            colours.append(cloud_colours(g))
    has_normals = all(n is not None for n in normals)
    has_colours = all(c is not None for c in colours)
    if has_colours:
        notes.append("colours: read with the points")
    meshes = any(isinstance(g, trimesh.Trimesh) and len(g.faces) for g in geometries)
    kinds = "mesh" if meshes else "point cloud"
    notes.insert(0, f"read a {kind.upper()} {kinds} of {count:,} points")
    return (
        np.concatenate(points),
        np.concatenate(normals) if has_normals else None,
        np.concatenate(colours) if has_colours else None,
        tuple(notes),
    )


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _given_units(points: np.ndarray, units: str) -> tuple[float, str, float]:
    """(scale to metres, unit name, extent in file units) for units the caller gave."""
    if units not in UNIT_SCALES:
        raise ScanError(f"units are one of {', '.join(UNIT_SCALES)}, not {units!r}", "units")
    low, high = np.percentile(points, [0.5, 99.5], axis=0)
    scale = UNIT_SCALES[units]
    return scale, next(name for s, name in _UNITS if s == scale) + " (given)", float(
        (high - low).max())


def _guess_units(points: np.ndarray) -> tuple[float, str, float]:
    """(scale to metres, unit name, extent in file units) from the robust extent."""
    low, high = np.percentile(points, [0.5, 99.5], axis=0)
    extent = float((high - low).max())
    if not extent > 0:
        raise ScanError("the scan's points all coincide; it holds no object")
    scale, unit = min(_UNITS, key=lambda u: abs(math.log(extent * u[0] / _TYPICAL_EXTENT_M)))
    if not 0.3 <= extent * scale <= 10.0:
        raise ScanError(
            f"the scan is {extent:.3g} units across, which is no person's size in millimetres, "
            "centimetres or metres; no body-sized object found"
        )
    return scale, unit, extent


def _find_floor(points: np.ndarray, seed: int = 0):
    """The floor plane by locally optimised RANSAC, or None.

    Hypotheses are planes fitted to the neighbourhoods of random points
    (random triples would almost never all land on a floor that holds a
    tenth of the points); the best few are refined by least squares on
    their inliers. A floor is a plane within ``_FLOOR_TILT_DEG`` of a
    coordinate plane whose points span at least ``_FLOOR_MIN_SPAN_M`` both
    ways and have nearly all other points on one side, reaching a person's
    height above it. Returns (normal (3,)
    pointing to the body, offset d with normal . p + d = 0, inlier mask (N,)).
    """
    rng = np.random.default_rng(seed)
    sample = points[rng.choice(len(points), min(len(points), 30_000), replace=False)]
    seeds = sample[rng.choice(len(sample), min(len(sample), 300), replace=False)]
    _, neighbours = cKDTree(sample).query(seeds, 24)
    patches = sample[neighbours]  # (H, 24, 3)
    centres = patches.mean(axis=1)
    spread = patches - centres[:, None]
    _, axes = np.linalg.eigh(np.einsum("hki,hkj->hij", spread, spread))
    normals = axes[:, :, 0]  # smallest eigenvector: the patch's normal
    # Only near-axis-aligned hypotheses: scanners stand on level floors.
    level = np.abs(normals).max(axis=1) >= math.cos(math.radians(_FLOOR_TILT_DEG))
    normals, centres = normals[level], centres[level]
    if not len(normals):
        return None
    signed = sample @ normals.T - (centres * normals).sum(1)  # (n, hypotheses)
    counts = (np.abs(signed) < 0.03).sum(axis=0)
    # A slab through the body may hold more points than the floor, but has
    # the body on both sides of it.
    above, below = (signed > 0.03).sum(axis=0), (signed < -0.03).sum(axis=0)
    one_sided = np.minimum(above, below) < 0.05 * np.maximum(above + below, 1)
    for best in np.argsort(np.where(one_sided, counts, 0))[::-1][:10]:
        if not one_sided[best] or counts[best] < 0.03 * len(sample):
            return None
        normal, offset = normals[best], -float(centres[best] @ normals[best])
        for threshold in (0.03, 0.02, 0.015):  # least squares on ever closer inliers
            inliers = np.abs(sample @ normal + offset) < threshold
            normal, offset = _fit_plane(sample[inliers])
        if np.abs(normal).max() < math.cos(math.radians(_FLOOR_TILT_DEG)):
            continue
        if _span(sample[inliers], normal).min() < _FLOOR_MIN_SPAN_M:
            continue
        side = sample @ normal + offset
        others = side[np.abs(side) > 0.03]
        if len(others) and (others > 0).mean() < 0.5:
            normal, offset, others = -normal, -offset, -others
        if len(others) < 0.2 * len(sample) or (others > 0).mean() < 0.97:
            continue  # a floor has the body above it, not around it
        if np.percentile(others, 99) < BODY_HEIGHT_M[0]:
            continue  # nor a body's flat back: a person stands tall above a floor
        sigma = float(np.std((sample @ normal + offset)[inliers]))
        full = np.abs(points @ normal + offset)
        return normal, offset, full < max(3.0 * sigma, 0.008)
    return None


def _fit_plane(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares plane (unit normal, offset) of (M, 3) points."""
    centre = points.mean(axis=0)
    _, _, axes = np.linalg.svd(points - centre, full_matrices=False)
    return axes[2], -float(axes[2] @ centre)


def _span(points: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """(2,) robust extents of (M, 3) points along the two main directions of their plane."""
    centred = points - points.mean(axis=0)
    flat = centred - np.outer(centred @ normal, normal)
    _, _, axes = np.linalg.svd(flat, full_matrices=False)
    in_plane = flat @ axes[:2].T
    return np.percentile(in_plane, 98, axis=0) - np.percentile(in_plane, 2, axis=0)


def _above_floor(points, normal, offset, inliers) -> np.ndarray:
    """(N,) bool: the points that are neither the floor's nor below it."""
    return ~inliers & (points @ normal + offset > 0)


def _body_points(points) -> tuple[np.ndarray, str]:
    """(N,) bool: the largest connected object and the pieces near it, and a note.

    Points link up within ``_LINK_M`` (on a ``_VOXEL_M`` grid). Pieces of at
    least ``_PIECE_POINTS`` points within ``_PIECE_GAP_M`` of the largest
    object stay: a forearm or a hand cut off by a hole in the scan. Clutter
    further away and stray points go.
    """
    cells, voxel_of = np.unique(
        np.floor(points / _VOXEL_M).astype(np.int64), axis=0, return_inverse=True
    )
    voxel_of = voxel_of.ravel()
    centres = (cells + 0.5) * _VOXEL_M
    pairs = cKDTree(centres).query_pairs(_LINK_M, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(cells),) * 2)
    count, label = connected_components(graph, directed=False)
    sizes = np.bincount(label[voxel_of], minlength=count)
    main = int(np.argmax(sizes))
    gap = cKDTree(centres[label == main]).query(centres, distance_upper_bound=_PIECE_GAP_M)[0]
    near = np.zeros(count, dtype=bool)
    near[label[np.isfinite(gap)]] = True
    kept = near & (sizes >= _PIECE_POINTS)
    kept[main] = True
    keep = kept[label[voxel_of]]
    dropped = int((~keep).sum())
    clusters = int((~kept & (sizes > 0)).sum())
    note = (
        f"clutter: removed {dropped:,} points in {clusters:,} clusters apart from the body"
        if dropped else "clutter: none found"
    )
    return keep, note


def _check_body_size(points: np.ndarray, ground: float) -> None:
    height = float(points[:, 2].max() - ground)
    width = float((points[:, :2].max(axis=0) - points[:, :2].min(axis=0)).max())
    if (
        len(points) < MIN_BODY_POINTS
        or not BODY_HEIGHT_M[0] <= height <= BODY_HEIGHT_M[1]
        or width > BODY_WIDTH_M
    ):
        raise ScanError(
            f"no body-sized object found: the largest object is {height:.2f} m tall and "
            f"{width:.2f} m wide with {len(points):,} points (expected a standing person "
            f"{BODY_HEIGHT_M[0]}-{BODY_HEIGHT_M[1]} m tall, at least {MIN_BODY_POINTS:,} points)"
        )
