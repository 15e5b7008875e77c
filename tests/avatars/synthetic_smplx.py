"""Synthetic, seeded SMPL-X model files for tests (the real ones are licensed).

``write_synthetic_smplx`` writes ``SMPLX_{NEUTRAL,MALE,FEMALE}.npz`` with the
real key set, shapes and kinematic tree, in SMPL-X's own frame (metres,
Y-up, the body faces +Z, its left hand on +X). The body is a standing T-pose
human about 1.75 m tall made of one open tube per bone: each tube runs from
its joint towards its main child, its first ring is centred on the joint
(``J_regressor`` averages that ring, so joints land exactly where they are
placed), and its vertices follow that bone, blending with the parent bone
only near the joint. Pose correctives of a bone touch only vertices it
skins, so turning one bone moves only its own region and its children.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

VERTEX_COUNT = 10_475
JOINT_COUNT = 55
RING_SIZE = 10  # vertices around each tube

# The real SMPL-X kinematic tree (kintree_table[0]).
PARENTS = (
    -1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19,
    15, 15, 15,  # jaw, eyes
    20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37, 38,  # left fingers
    21, 40, 41, 21, 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53,  # right fingers
)

# Rest joint positions, metres, pelvis at the origin. Right-side joints mirror
# the left ones (x -> -x).
_CENTRE = {
    0: (0.0, 0.0, 0.0),  # pelvis
    3: (0.0, 0.11, -0.015),  # spine1
    6: (0.0, 0.24, 0.0),  # spine2
    9: (0.0, 0.30, 0.01),  # spine3
    12: (0.0, 0.49, -0.02),  # neck
    15: (0.0, 0.60, 0.0),  # head
    22: (0.0, 0.58, 0.05),  # jaw
}
_LEFT = {
    1: (0.09, -0.09, 0.0),  # hip
    4: (0.10, -0.48, 0.01),  # knee
    7: (0.10, -0.87, -0.02),  # ankle
    10: (0.11, -0.93, 0.09),  # foot
    13: (0.07, 0.42, -0.01),  # collar
    16: (0.17, 0.45, -0.01),  # shoulder
    18: (0.43, 0.43, -0.02),  # elbow: the arms droop a little, as in real SMPL-X
    20: (0.68, 0.42, -0.01),  # wrist
    23: (0.032, 0.66, 0.09),  # eye
}
_RIGHT_OF = {1: 2, 4: 5, 7: 8, 10: 11, 13: 14, 16: 17, 18: 19, 20: 21, 23: 24}
# Left-hand fingers: first joint -> (its offset from the wrist, the finger's direction).
_FINGERS = {
    25: ((0.09, 0.0, 0.025), (1.0, 0.0, 0.0)),  # index
    28: ((0.095, 0.0, 0.005), (1.0, 0.0, 0.0)),  # middle
    31: ((0.08, 0.0, -0.033), (1.0, 0.0, -0.1)),  # pinky
    34: ((0.09, 0.0, -0.015), (1.0, 0.0, -0.05)),  # ring
    37: ((0.03, -0.01, 0.03), (0.7, -0.2, 0.7)),  # thumb
}
# Phalanx lengths, metres; the last is the tube beyond a finger's third joint.
_PHALANGES = (0.04, 0.025, 0.02)
_FINGER_RADIUS = 0.008
_RADII = {
    0: 0.13, 3: 0.13, 6: 0.14, 9: 0.13, 12: 0.055, 15: 0.09, 22: 0.035,
    1: 0.08, 4: 0.055, 7: 0.04, 10: 0.035, 13: 0.05, 16: 0.045, 18: 0.037, 20: 0.025, 23: 0.012,
}
# Tubes of bones without a main child run this far, metres.
_LEAF_TIPS = {
    10: (0.0, -0.02, 0.08), 15: (0.0, 0.18, 0.0), 22: (0.0, -0.03, 0.05), 23: (0.0, 0.0, 0.012),
}
_SEXES = {"neutral": (0, 1.0), "male": (1, 1.04), "female": (2, 0.95)}


def _mirror(index: int) -> int:
    """The right-side twin of a left-side joint index."""
    return _RIGHT_OF.get(index, index + 15 if 25 <= index < 40 else index)


_LEFT_SIDE = (*_LEFT, *range(25, 40))
_LEFT_TWIN = {_mirror(index): index for index in _LEFT_SIDE}  # right-side joint -> left twin


def rest_joints(scale: float = 1.0) -> np.ndarray:
    """(55, 3) rest joint positions of the synthetic T-pose, metres."""
    joints = np.zeros((JOINT_COUNT, 3))
    for index, position in _CENTRE.items():
        joints[index] = position
    for index, position in _LEFT.items():
        joints[index] = position
    for first, (offset, direction) in _FINGERS.items():
        direction = np.asarray(direction) / np.linalg.norm(direction)
        joints[first] = joints[20] + offset
        joints[first + 1] = joints[first] + _PHALANGES[0] * direction
        joints[first + 2] = joints[first + 1] + _PHALANGES[1] * direction
    for index in _LEFT_SIDE:
        joints[_mirror(index)] = joints[index] * (-1.0, 1.0, 1.0)
    return joints * scale


def _tube_ends(joints: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(55, 3) tube end of every bone and (55,) tube radius, metres."""
    ends, radii = np.zeros_like(joints), np.zeros(JOINT_COUNT)
    main_child = {0: 3, 20: 28, 21: 43}  # pelvis -> spine, wrists -> middle fingers
    for bone in range(JOINT_COUNT):
        twin = _LEFT_TWIN.get(bone, bone)
        side = np.array((-1.0 if bone in _LEFT_TWIN else 1.0, 1.0, 1.0))
        children = [c for c in range(JOINT_COUNT) if PARENTS[c] == bone]
        if twin in _LEAF_TIPS:
            ends[bone] = joints[bone] + np.asarray(_LEAF_TIPS[twin]) * side * scale
        elif children:
            ends[bone] = joints[main_child.get(bone, children[0])]
        else:  # last phalanx: carry on along the finger
            along = joints[bone] - joints[PARENTS[bone]]
            ends[bone] = joints[bone] + along / np.linalg.norm(along) * _PHALANGES[2] * scale
        radii[bone] = (_FINGER_RADIUS if 25 <= twin < 40 else _RADII[twin]) * scale
    return ends, radii


def _tube(start: np.ndarray, end: np.ndarray, radius: float, rings: int, first: int):
    """An open tube of ``rings`` rings from ``start`` to ``end`` with a tip vertex at ``end``.

    Returns vertices (rings * RING_SIZE + 1, 3), faces (F, 3) numbered from
    ``first``, uvs (rings * RING_SIZE + 1, 2) in [0, 1] and t (rings,), each
    ring's position along the tube in [0, 1].
    """
    axis = (end - start) / np.linalg.norm(end - start)
    helper = np.array((0.0, 0.0, 1.0)) if abs(axis[2]) < 0.9 else np.array((1.0, 0.0, 0.0))
    u = np.cross(axis, helper)
    u /= np.linalg.norm(u)
    w = np.cross(axis, u)  # u x w = axis, so the faces below wind outwards
    angles = np.linspace(0.0, 2.0 * np.pi, RING_SIZE, endpoint=False)
    t = np.linspace(0.0, 1.0, rings)
    circle = np.cos(angles)[:, None] * u + np.sin(angles)[:, None] * w  # (R, 3)
    rings_xyz = (start + t[:, None] * (end - start))[:, None] + radius * circle  # (rings, R, 3)
    vertices = np.concatenate([rings_xyz.reshape(-1, 3), end[None]])
    uv = np.stack(np.broadcast_arrays(angles / (2 * np.pi), t[:, None]), -1).reshape(-1, 2)
    uvs = np.concatenate([uv, [[0.5, 1.0]]])
    grid = first + np.arange(rings * RING_SIZE).reshape(rings, RING_SIZE)
    a, b = grid[:-1], np.roll(grid[:-1], -1, axis=1)
    c, d = np.roll(grid[1:], -1, axis=1), grid[1:]
    tip = np.full(RING_SIZE, first + rings * RING_SIZE)
    faces = np.concatenate([
        np.stack([a, b, c], -1).reshape(-1, 3),
        np.stack([a, c, d], -1).reshape(-1, 3),
        np.stack([grid[-1], np.roll(grid[-1], -1), tip], -1),
    ])
    return vertices, faces, uvs, t


def _build(rng: np.random.Generator, scale: float) -> dict[str, np.ndarray]:
    joints = rest_joints(scale)
    ends, radii = _tube_ends(joints, scale)
    lengths = np.linalg.norm(ends - joints, axis=1)
    # Rings per tube, proportional to length, so that rings plus one tip
    # vertex per tube make exactly VERTEX_COUNT vertices.
    ring_total = (VERTEX_COUNT - JOINT_COUNT) // RING_SIZE
    assert ring_total * RING_SIZE + JOINT_COUNT == VERTEX_COUNT
    rings = np.maximum(2, np.round(lengths / lengths.sum() * ring_total)).astype(int)
    rings[np.argmax(rings)] += ring_total - rings.sum()

    vertices, faces, uvs, tubes = [], [], [], []
    weights = np.zeros((VERTEX_COUNT, JOINT_COUNT))
    regressor = np.zeros((JOINT_COUNT, VERTEX_COUNT))
    first = 0
    for bone in range(JOINT_COUNT):
        tube_vertices, tube_faces, tube_uvs, t = _tube(
            joints[bone], ends[bone], radii[bone], rings[bone], first
        )
        index = first + np.arange(len(tube_vertices))
        first += len(index)
        tubes.append(index)
        vertices.append(tube_vertices)
        faces.append(tube_faces)
        tile = np.array((bone % 8, bone // 8))  # each tube's own tile of an 8 x 7 uv atlas
        uvs.append((tube_uvs * 0.9 + tile) / (8, 7))
        regressor[bone, index[:RING_SIZE]] = 1.0 / RING_SIZE  # the ring around the joint
        # Skinned to the bone, blended with its parent over the first quarter.
        parent = PARENTS[bone]
        blend = np.append(np.repeat(np.clip(0.5 - 2.0 * t, 0.0, 0.5), RING_SIZE), 0.0)
        weights[index, bone] = 1.0 - blend if parent >= 0 else 1.0
        if parent >= 0:
            weights[index, parent] = blend
    vertices, faces, uvs = np.concatenate(vertices), np.concatenate(faces), np.concatenate(uvs)

    # Shape space: ten smooth global deformations (the first two stretch the
    # height and the girth), ten local expressions on the face, then zeros.
    shapedirs = np.zeros((VERTEX_COUNT, 3, 400), dtype=np.float32)
    fields = rng.normal(0.0, 0.01, (10, 3, 3))
    fields[0], fields[1] = np.diag((0.0, 0.05, 0.0)), np.diag((0.04, 0.0, 0.04))
    shapedirs[:, :, :10] = np.einsum("kij,vj->vik", fields, vertices)
    face = np.concatenate([tubes[15], tubes[22]])
    shapedirs[face, :, 300:310] = rng.normal(0.0, 0.003, (len(face), 3, 10))
    # Pose correctives: joint j's nine rotation features move only what j skins.
    posedirs = np.zeros((VERTEX_COUNT, 3, (JOINT_COUNT - 1) * 9), dtype=np.float32)
    for joint in range(1, JOINT_COUNT):
        region = np.flatnonzero(weights[:, joint] > 0)
        features = slice(9 * (joint - 1), 9 * joint)
        posedirs[region, :, features] = rng.normal(0.0, 0.003, (len(region), 3, 9))

    head_faces = np.flatnonzero(np.isin(faces[:, 0], tubes[15]))
    return {
        "v_template": vertices.astype(np.float32),
        "f": faces.astype(np.int32),
        "shapedirs": shapedirs,
        "posedirs": posedirs,
        "J_regressor": regressor.astype(np.float32),
        "kintree_table": np.stack([PARENTS, np.arange(JOINT_COUNT)]).astype(np.int64),
        "weights": weights.astype(np.float32),
        "hands_componentsl": np.linalg.qr(rng.normal(size=(45, 45)))[0].astype(np.float32),
        "hands_componentsr": np.linalg.qr(rng.normal(size=(45, 45)))[0].astype(np.float32),
        "hands_meanl": rng.normal(0.0, 0.1, 45).astype(np.float32),
        "hands_meanr": rng.normal(0.0, 0.1, 45).astype(np.float32),
        "lmk_faces_idx": rng.choice(head_faces, 51, replace=False).astype(np.int64),
        "lmk_bary_coords": rng.dirichlet(np.ones(3), 51).astype(np.float32),
        "vt": uvs.astype(np.float32),
        "ft": faces.astype(np.int32),
    }


def synthetic_smplx_arrays(sex: str = "neutral") -> dict[str, np.ndarray]:
    """The arrays of one synthetic ``SMPLX_<SEX>.npz``, seeded by ``sex``."""
    seed, scale = _SEXES[sex]
    return _build(np.random.default_rng(seed), scale)


def write_synthetic_smplx(directory: Path, sexes=tuple(_SEXES)) -> dict[str, Path]:
    """Write ``SMPLX_<SEX>.npz`` for each of ``sexes`` into ``directory``.

    Returns the path of each file by sex. Compressed: the shape and pose
    bases are mostly zeros.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for sex in sexes:
        paths[sex] = directory / f"SMPLX_{sex.upper()}.npz"
        np.savez_compressed(paths[sex], **synthetic_smplx_arrays(sex))
    return paths
