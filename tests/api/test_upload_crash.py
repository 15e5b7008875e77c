"""An import killed mid-way (SIGKILL) leaves no half garment; earlier garments stay whole."""

from __future__ import annotations

import pytest

import os
import signal
import subprocess
import sys
import textwrap
import time

import trimesh

from garments.store import GarmentStore
from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

CHILD = textwrap.dedent("""
    import sys
    from garments.store import GarmentStore
    root, path = sys.argv[1], sys.argv[2]
    GarmentStore(root).add("Big skirt", "skirt", "woven-cotton", "women",
                           {size: path for size in ("XS", "S", "M", "L", "XL", "XXL")})
    print("finished")
""")


def _obj(dense: bool) -> bytes:
    skirt = next(g for g in current_garments().list() if g.name == "A-line skirt")
    mesh = current_garments().load_size(skirt.id, "M")
    tri = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    if dense:
        for _ in range(3):
            tri = tri.subdivide()
    return tri.export(file_type="obj").encode()


def test_sigkill_mid_import_leaves_no_half_garment(tmp_path):
    root = tmp_path / "garments"
    small = tmp_path / "small.obj"
    small.write_bytes(_obj(dense=False))
    earlier, reports = GarmentStore(root).add("Earlier skirt", "skirt", "woven-cotton", "women",
                                              {"M": small})
    assert earlier is not None, reports
    before = GarmentStore(root).load_size(earlier.id, "M")
    big = tmp_path / "big.obj"
    big.write_bytes(_obj(dense=True))

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(root), str(big)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    incoming = root / ".incoming"
    deadline = time.monotonic() + 240
    staged = []
    while not staged and child.poll() is None and time.monotonic() < deadline:
        staged = [p for p in incoming.iterdir() if not p.name.startswith("deleted-")] \
            if incoming.is_dir() else []
        time.sleep(0.005)
    assert staged, f"the import never staged (rc={child.poll()}, {child.stderr.read()[-2000:]!r})"
    time.sleep(0.05)  # well inside the import of six large sizes
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(30) == -signal.SIGKILL
    assert b"finished" not in child.stdout.read()

    restarted = GarmentStore(root)  # a fresh store on the same folder, as after a restart
    assert [g.id for g in restarted.list()] == [earlier.id]
    assert restarted.get(earlier.id).sizes == ["M"]
    after = restarted.load_size(earlier.id, "M")
    assert (after.vertices == before.vertices).all() and (after.faces == before.faces).all()
    # and the store still takes new garments
    again, _ = restarted.add("Later skirt", "skirt", "woven-cotton", "women", {"M": small})
    assert again is not None and {g.id for g in restarted.list()} == {earlier.id, again.id}
