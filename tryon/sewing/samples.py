"""The sample garments sewn from their patterns and imported into a store.

``tryon prepare`` (and the demo store) install them: every size of every
sample (``garments.sample_patterns.catalogue``) is sewn round its mannequin
and imported through the store as a merchandiser's upload would be, with
its colorways, its size chart and its pattern recorded, and published.
Idempotent; a sample of the same name cut by code before sewing existed is
replaced.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from garments.mannequin import mannequin_chart
from garments.patterns.reading import read_pattern
from garments.sample_patterns.catalogue import SAMPLES, SampleGarment
from tryon.sewing.garment_files import sew_files


RETIRED = ("Straight trousers",)  # samples cut by code that no sewn sample replaces by name


def install_samples(store, log=print) -> list:
    """Sew and import every sample garment not yet in ``store`` (a ``GarmentStore``)."""
    have = {g.name: g for g in store.list()}
    for name in RETIRED:
        if name in have and have[name].pattern is None:
            store.delete(have[name].id)
    garments = []
    for sample in SAMPLES:
        old = have.get(sample.name)
        if old is not None and old.pattern is not None:
            continue
        if old is not None:  # cut by code before the samples were sewn
            store.delete(old.id)
        log(f"  sewing sample garment: {sample.name}")
        garments.append(install_sample(store, sample))
    return garments


def install_sample(store, sample: SampleGarment):
    """Sew ``sample`` in each of its sizes and import it, published."""
    with tempfile.TemporaryDirectory() as tmp:
        paths, sewing, patterns = {}, {}, {}
        for size in sample.sizes:  # a GarmentCode file per size
            patterns[size] = read_pattern(sample.pattern_bytes(size), sample.pattern_file(size).name)
            made, reports = sew_files(patterns[size], {size: None}, sample.category, sample.fabric, sample.fit,
                                      Path(tmp), sample.colour, sample.placements)
            paths.update(made)
            sewing.update(reports)
        garment, reports = store.add(sample.name, sample.category, sample.fabric, sample.fit, paths,
                                     colorways=sample.colorways())
    if garment is None:
        problems = {s: r.as_dict() for s, r in reports.items() if not r.accepted}
        raise RuntimeError(f"sample garment {sample.name} was rejected: {problems}")
    store.set_size_chart(garment.id, mannequin_chart(sample.fit, sample.sizes))
    graded = replace(patterns[sample.sizes[0]], sizes=tuple(sample.sizes),  # every size's pieces
                     pieces=tuple(replace(p, size=size) for size, made in patterns.items() for p in made.pieces))
    store.set_pattern(garment.id, {**graded.report(edges=False), "sewing": sewing})
    return store.set_status(garment.id, "published")
