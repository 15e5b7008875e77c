"""The body a garment was made on, fitted by tryon's body model and kept with it.

Merchandisers export garments draped on their tool's avatar or on their own
fit model, in that tool's frame (usually Y-up), units (cm, mm) and pose
(T-pose, A-pose). ``fit_source_body`` reads that body as a scan
(``avatars.scans.reading``: units, up axis, floor, centre), fits the body
model's shape and every bone to it (``avatars.scans.fitting``), and returns
a ``SourceBody``: the fitted body and the transform that takes the file's
coordinates, the body's and those of the garment exported with it, into the
body model's frame (metres, Z-up, facing -Y, feet on z = 0). There the
garment sits on the fitted body as it sat on the tool's avatar, so draping
transfers it from that body exactly as it does from a mannequin, which is
the source body of the garments made on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import torch

from avatars.body_models.registry import backend_name, get_body_model
from avatars.scans.fitting import FitRejected, distances_found, fit_scan
from avatars.scans.reading import ScanError, load_scan
from garments.body_regions import BodyGeometry, posed_geometry

NAMED_POSES = ("a-pose", "t-pose", "relaxed")
STATURE_M = (1.4, 2.1)  # the avatars garments are made on: adults


@dataclass(frozen=True)
class SourceBody:
    """A fitted source body.

    sex: the body model's sex; backend: the body model (anny, smplx);
    shape: (S,) shape parameters; pose: (J, 3) axis-angle, radians, as
    nested tuples; transform: (4, 4) file coordinates -> the body model's
    frame (units, axes, facing and offset in one); report: what the fit
    found, JSON-ready (distances in mm, the pose, the transform in words).
    """

    sex: str
    backend: str
    shape: tuple[float, ...]
    pose: tuple[tuple[float, float, float], ...]
    transform: np.ndarray
    report: dict = field(default_factory=dict)

    def place(self, vertices) -> np.ndarray:
        """(N, 3) points in the file's coordinates -> the body model's frame, metres."""
        vertices = np.asarray(vertices, dtype=np.float64)
        return vertices @ self.transform[:3, :3].T + self.transform[:3, 3]

    def geometry(self) -> BodyGeometry:
        """The fitted body, posed as it was found, with its regions and levels."""
        return posed_geometry(self.sex, self.shape, self.pose)

    def to_json(self) -> str:
        return json.dumps({"sex": self.sex, "backend": self.backend, "shape": list(self.shape),
                           "pose": [list(p) for p in self.pose],
                           "transform": self.transform.tolist(), "report": self.report})

    @classmethod
    def from_json(cls, text: str) -> SourceBody:
        data = json.loads(text)
        return cls(sex=data["sex"], backend=data["backend"], shape=tuple(data["shape"]),
                   pose=tuple(tuple(p) for p in data["pose"]),
                   transform=np.asarray(data["transform"], dtype=np.float64),
                   report=data["report"])


def fit_source_body(data: bytes, filename: str, sex: str | None = None,
                    units: str | None = None, log=None) -> SourceBody:
    """Fit the body model to the body a garment was made on (a file's bytes).

    ``units``: m, cm or mm when known; else found from the body's size.
    Raises ``ScanError`` (unreadable, no body-sized object, a stature
    outside ``STATURE_M`` in the units found) or ``FitRejected`` (the body
    model cannot come close enough to drape from it), both ``Invalid`` with
    the reason and the numbers.
    """
    scan = load_scan(data, filename, units)
    stature = float(scan.points[:, 2].max())
    if not STATURE_M[0] <= stature <= STATURE_M[1]:
        unit = next(n for n in scan.notes if n.startswith("units: ")).split(" (")[0][7:]
        raise ScanError(f"the source body is {stature:.2f} m tall read in {unit}; garments are "
                        f"made on adult avatars {STATURE_M[0]}-{STATURE_M[1]} m tall. If its "
                        "units are others, give them (--source-units or source_units: m, cm or "
                        "mm)", "source_body")
    try:
        fit = fit_scan(scan, sex, log=log)
    except FitRejected as error:
        raise FitRejected(
            f"tryon's body model cannot fit this source body closely enough to drape from it: "
            f"{distances_found(error.percentiles).replace('scan-to-body', 'avatar-to-model')}. "
            "The source body must be the avatar alone, a standing human body with a closed "
            "skin surface (not a stick figure, a dress form, or an avatar with clothes, hair "
            "caps or props merged into it): export it without them", "source_body",
            error.percentiles) from None
    transform = np.linalg.inv(fit.placement) @ scan.transform
    model = get_body_model(fit.sex)
    pose_name, arm_drop = _nearest_pose(model, fit.shape, fit.pose)
    report = {"mean_mm": fit.percentiles_mm["mean"], "p95_mm": fit.percentiles_mm["p95"],
              "sex": fit.sex, "pose": pose_name, "arms_below_horizontal_deg": round(arm_drop, 1),
              "read": list(scan.notes), "seconds": round(fit.seconds, 1),
              "measurements_cm": fit.measurements}
    return SourceBody(sex=fit.sex, backend=backend_name(), shape=tuple(fit.shape),
                      pose=tuple(tuple(float(x) for x in row) for row in fit.pose.tolist()),
                      transform=transform, report=report)


def _nearest_pose(model, shape, pose: torch.Tensor) -> tuple[str, float]:
    """The named pose whose arms hang closest to ``pose``'s (J, 3), and how far
    the fitted upper arms hang below the horizontal, degrees (mean of both):
    the arms are what tells a T-pose from an A-pose or a relaxed stance."""
    def arm_drop(p: torch.Tensor) -> float:
        with torch.no_grad():
            joints = model.forward(torch.as_tensor(shape, dtype=torch.float32), p).joints[0]
        drops = []
        for side in "LR":
            arm = (joints[model.landmarks[f"elbow.{side}"]]
                   - joints[model.landmarks[f"shoulder.{side}"]]).numpy()
            drops.append(np.degrees(np.arctan2(-arm[2], np.linalg.norm(arm[:2]))))
        return float(np.mean(drops))

    drop = arm_drop(pose)
    name = min(NAMED_POSES, key=lambda n: abs(arm_drop(model.named_pose(n)) - drop))
    return name, drop
