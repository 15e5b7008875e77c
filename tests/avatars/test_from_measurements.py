import numpy as np
import pytest
import torch

from avatars.from_measurements import BodyDescription, MeasurementError, solve_body
from avatars.measurements import measure_shapes

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


def _random_reachable_bodies(model, count, seed):
    """Bodies the model can make (random within the solver's space), measured."""
    rng = np.random.default_rng(seed)
    bodies = []
    for sex in ["female", "male", "neutral"][:count] * (count // 3 + 1):
        space = model.shape_space(sex)
        shape = space.start.clone()
        free = space.free.numpy()
        shape[free] = torch.as_tensor(
            rng.uniform(0.2, 0.8, free.sum()) * (space.high - space.low)[free].numpy()
            + space.low[free].numpy(), dtype=torch.float32,
        ) * torch.tensor([0.6 if low < 0 else 1.0 for low in space.low[free]])  # modest local changes
        (m,) = measure_shapes(model, shape[None], breasts=sex == "female")
        bodies.append((sex, m))
    return bodies[:count]


def test_reproduces_every_given_measurement_within_1cm(anny_model):
    for sex, m in _random_reachable_bodies(anny_model, 3, seed=7):
        description = BodyDescription(
            height=m.stature, chest=m.chest_girth, waist=m.waist_girth, hips=m.hip_girth,
            inseam=m.inseam, sex=sex,
        )
        solved = solve_body(description, anny_model)
        assert max(abs(e) for e in solved.errors_cm.values()) <= 1.0, (sex, solved.errors_cm)
        assert solved.measurements.stature == pytest.approx(m.stature, abs=1.0)


def test_partial_measurements(anny_model):
    solved = solve_body(BodyDescription(height=170, waist=80, sex="male"), anny_model)
    assert set(solved.errors_cm) == {"height", "waist"}
    assert abs(solved.measurements.stature - 170) <= 1 and abs(solved.measurements.waist_girth - 80) <= 1


@pytest.mark.parametrize("fields, field", [
    ({"height": 300}, "height"),
    ({"height": 170, "waist": -60}, "waist"),
    ({"height": 170, "chest": float("nan")}, "chest"),
    ({"height": 170, "hips": 400}, "hips"),
    ({"height": 170, "sex": "robot"}, "sex"),
    ({"height": 170, "age_years": 8}, "age"),
])
def test_out_of_range_input_is_a_clear_error(anny_model, fields, field):
    with pytest.raises(MeasurementError, match=field):
        solve_body(BodyDescription(**fields), anny_model)


def test_contradictory_measurements_are_refused(anny_model):
    with pytest.raises(MeasurementError, match="no body matches"):
        solve_body(BodyDescription(height=150, waist=135, hips=76, sex="female"), anny_model)
