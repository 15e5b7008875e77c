"""A scan's appearance captured on its fitted body: the displacement first, then the colours.

The body fitted to a scan (``avatars.scans.fitting``) is posed and placed as
the scan was taken; the displacement (``avatars.appearance.displacement``)
takes that surface onto the scan, and the colours are baked
(``avatars.appearance.bake``) from the displaced surface, so a texel lies
where the scanner saw its colour. Metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from avatars.appearance.bake import bake_skin
from avatars.appearance.captured import CapturedAppearance
from avatars.appearance.displacement import displace, fit_displacement
from avatars.body_models.base import BodyModel
from avatars.scans.fitting import ScanFit, error_percentiles_mm, surface_distance
from avatars.scans.reading import Scan


@dataclass(frozen=True)
class Capture:
    """appearance: what was captured; surface_mm: scan-to-body distance percentiles
    (mm) with the displacement (the fit's own are without); seen: the share of the
    skin's texels the scan's colours reached (None without colours). For a
    preview, in the model's frame (facing -Y, feet on z = 0): body (V, 3) and
    joints (J, 3) posed as scanned, displaced; points (N, 3) the scan and
    colours (N, 3) uint8 its colours, or None."""

    appearance: CapturedAppearance
    surface_mm: dict[str, float]
    seen: float | None
    body: np.ndarray
    joints: np.ndarray
    points: np.ndarray
    colours: np.ndarray | None

    def summary(self) -> dict:
        """JSON-ready figures, as a twin's ``fit`` keeps them."""
        return {"surface_mm": self.surface_mm, "texture": self.appearance.texture is not None,
                "seen": None if self.seen is None else round(self.seen, 3)}


@torch.no_grad()
def capture_appearance(model: BodyModel, fit: ScanFit, scan: Scan, tone: int) -> Capture:
    """The displacement and (when the scan has colours) the skin texture of ``scan``
    on its ``fit``; ``tone``: the Monk tone whose painted eyes and mouth the texture keeps."""
    out = model.forward(torch.tensor(fit.shape, dtype=torch.float32), fit.pose[None])
    faces = np.asarray(model.faces)

    def placed(vertices: torch.Tensor) -> np.ndarray:
        v = vertices[0].double().numpy()
        return v @ fit.placement[:3, :3].T + fit.placement[:3, 3]

    displacement = fit_displacement(placed(out.vertices), faces, scan.points)
    displaced = displace(model, out, displacement)
    surface = placed(displaced)
    surface_mm = error_percentiles_mm(surface_distance(scan.points, surface, faces))
    texture, seen = None, None
    if scan.colours is not None:
        baked = bake_skin(model, surface, scan.points, scan.colours, tone)
        texture, seen = baked.texture.image, baked.seen
    unplace = np.linalg.inv(fit.placement)
    return Capture(CapturedAppearance(model.name, texture, displacement), surface_mm, seen,
                   displaced[0].numpy(), out.joints[0].numpy(),
                   scan.points @ unplace[:3, :3].T + unplace[:3, 3], scan.colours)
