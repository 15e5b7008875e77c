"""The architecture, checked: the layer contracts, no import cycles, short modules.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``) and
``docs/ARCHITECTURE.md`` explains them. Imports inside functions count as
imports everywhere here: grimp reads every import statement of a module.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tryon", "avatars", "garments", "api")
MAX_MODULE_LINES = 400


def test_the_layer_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_no_module_imports_itself_back():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    cycles = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain:
                cycle = (module, *chain)
                start = cycle.index(min(cycle[:-1]))  # one spelling per cycle
                cycles.add(" -> ".join(cycle[start:-1] + cycle[:start + 1]))
    assert sorted(cycles) == []


def test_no_module_is_longer_than_400_lines():
    long = {}
    for folder in (*PACKAGES, "tests", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            lines = len(path.read_text().splitlines())
            if lines > MAX_MODULE_LINES:
                long[str(path.relative_to(ROOT))] = lines
    assert long == {}
