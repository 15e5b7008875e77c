"""Draping with the real body model, garments and solver."""

import numpy as np
import pytest
import trimesh

from avatars.library import get_avatar
from avatars.measurements import convex_girth
from garments.mannequin import mannequin
from garments.sample_patterns.catalogue import SAMPLE_SIZES
from tryon.drape.draping import cached_drape, drape
from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


@pytest.fixture(scope="module")
def garment_ids():
    return {g.name: g.id for g in current_garments().list()}


def boundary_loops(faces: np.ndarray) -> list[np.ndarray]:
    """Vertex ids of each open boundary loop (hems, cuffs, necklines), in order."""
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    unique, counts = np.unique(edges, axis=0, return_counts=True)
    graph = trimesh.graph.nx.Graph()
    graph.add_edges_from(unique[counts == 1].tolist())
    return [np.array(c) for c in trimesh.graph.nx.cycle_basis(graph)]


def _edge_lengths(points, faces):
    edges = np.unique(np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1), axis=0)
    return np.linalg.norm(points[edges[:, 0]] - points[edges[:, 1]], axis=1)


def _waviness(points, loop):
    """Length of a closed loop over the perimeter of its convex hull seen from
    above: 1 for a smooth convex hem, more when it gathers into folds."""
    ring = points[loop]
    return np.linalg.norm(ring - np.roll(ring, -1, axis=0), axis=1).sum() / convex_girth(ring[:, :2])


def test_a_garment_on_its_own_mannequin_keeps_its_shape(garment_ids):
    d = drape(mannequin("women", "M"), garment_ids["A-line skirt"], "M", store=current_garments())
    assert d.stats["max_penetration_mm"] <= 1.0
    assert d.stats["stretch_percentiles"]["p99"] < 0.04
    assert all(f.verdict == "fits" for f in d.fits)
    assert np.abs(d.positions - d.mesh.physics_vertices).max() < 0.05


@pytest.mark.parametrize("avatar, garment, size", [
    ("f160-eu50", "Midi dress", "XS"),
    ("m194-eu60", "Zip jacket", "S"),
    ("f152-eu34", "Straight jeans", "XL"),
    ("m165-eu46", "Classic T-shirt", "XL"),
    ("n185", "A-line skirt", "M"),
])
def test_no_penetration_no_explosion(garment_ids, avatar, garment, size):
    body = get_avatar(avatar)
    d = drape(body, garment_ids[garment], size, store=current_garments())
    assert d.stats["max_penetration_mm"] <= 1.0
    # no exploded or collapsed edges, nothing flung away from the body
    rest_lengths = _edge_lengths(d.mesh.physics_vertices, d.faces)
    lengths = _edge_lengths(d.positions, d.faces)
    assert np.isfinite(d.positions).all()
    assert lengths.max() < 3 * rest_lengths.max()
    assert (lengths < 0.2 * rest_lengths).mean() < 0.005
    assert d.gap.max() < 0.3  # a flared hem stands off the legs, but nothing flies away
    assert d.positions[:, 2].min() > 0.0 and d.positions[:, 2].max() < body.height_cm / 100


def test_a_size_too_big_hangs_in_folds(garment_ids):
    d = drape(get_avatar("f152-eu34"), garment_ids["A-line skirt"], "XL", store=current_garments())
    hem = min(boundary_loops(d.faces), key=lambda loop: d.positions[loop, 2].mean())
    authored = _waviness(d.mesh.physics_vertices, hem)
    assert _waviness(d.positions, hem) > authored + 0.03  # gathered in folds, not a rigid shell
    assert d.fits[-1].region == "length" and d.fits[-1].verdict == "long"
    assert all(f.verdict != "tight" for f in d.fits)


def test_a_size_too_small_is_tight(garment_ids):
    d = drape(get_avatar("f174-eu54"), garment_ids["A-line skirt"], "XS", store=current_garments())
    assert any(f.verdict == "tight" for f in d.fits)


def test_strain_falls_as_the_size_grows(garment_ids):
    body = get_avatar("f165-eu40")
    strain = [drape(body, garment_ids["A-line skirt"], s,
                    store=current_garments()).stats["torso_mean_stretch"]
              for s in SAMPLE_SIZES]
    assert all(b <= a + 0.003 for a, b in zip(strain, strain[1:])), strain
    assert strain[0] > strain[-1] + 0.02, strain


def test_strain_rises_with_the_body_girth(garment_ids):
    bodies = ["f166-eu32", "f165-eu40", "f168-eu42", "f160-eu50"]  # waists 60, 76, 80, 104 cm
    strain = [drape(get_avatar(b), garment_ids["A-line skirt"], "M",
                    store=current_garments()).stats["torso_mean_stretch"]
              for b in bodies]
    assert all(b >= a - 0.003 for a, b in zip(strain, strain[1:])), strain
    assert strain[-1] > strain[0] + 0.02, strain


def test_cached_drape_returns_the_same_result(garment_ids, tmp_path, monkeypatch):
    def cache_dir(name):
        (tmp_path / "cache" / name).mkdir(parents=True, exist_ok=True)
        return tmp_path / "cache" / name

    monkeypatch.setattr("tryon.drape.cache.cache_dir", cache_dir)
    body = get_avatar("f163-eu36")
    first = cached_drape(body, garment_ids["Classic T-shirt"], "S", store=current_garments())
    assert list((tmp_path / "cache" / "drapes").glob("*/*.npz"))  # a folder per avatar
    second = cached_drape(body, garment_ids["Classic T-shirt"], "S", store=current_garments())
    np.testing.assert_array_equal(first.positions, second.positions)
    assert first.stats["regions"] == second.stats["regions"]


def test_drapes_from_several_threads_take_turns(garment_ids):
    """A server drapes on many threads; the solver must not trip over itself."""
    from concurrent.futures import ThreadPoolExecutor

    bodies = ["f152-eu34", "f155-eu44", "f157-eu40"]
    with ThreadPoolExecutor(len(bodies)) as pool:
        drapes = list(pool.map(lambda b: drape(get_avatar(b), garment_ids["A-line skirt"], "S",
                                               store=current_garments()), bodies))
    alone = drape(get_avatar(bodies[0]), garment_ids["A-line skirt"], "S", store=current_garments())
    np.testing.assert_array_equal(drapes[0].positions, alone.positions)  # deterministic, untangled
    assert all(d.stats["max_penetration_mm"] <= 1.0 for d in drapes)


def test_a_waistband_that_slid_or_rode_up_says_so(garment_ids):
    from garments.body_regions import posed_geometry
    from tryon.drape.draping import authored_on
    from tryon.fit.report import with_slide

    store, body = current_garments(), get_avatar("f165-eu40")
    skirt = store.get(garment_ids["A-line skirt"])
    slid = drape(body, skirt.id, "XL", store=store)  # an XL skirt on an EU 40 body slides down
    waist = next(f for f in slid.fits if f.region == "waist")
    assert waist.verdict == "loose" and waist.slid_cm > 3, waist
    assert waist.sentence().startswith("slides down")
    # the M skirt, its drape moved 5 cm up the body as a skirt pushed up by the hips would be
    fitted = drape(body, skirt.id, "M", store=store)
    raised = fitted.positions + [0.0, 0.0, 0.05]
    fits = with_slide(fitted.fits, fitted.mesh.physics_vertices, raised,
                      authored_on(store, skirt, "M"), posed_geometry(body.sex, body.shape, "a-pose"))
    rode = next(f for f in fits if f.region == "waist")
    assert rode.verdict == "tight" and rode.sentence().startswith("rides up"), rode
