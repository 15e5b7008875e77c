import pytest

from avatars.from_measurements import TOLERANCE_CM
from avatars.library import ENTRIES, get_avatar, library
from avatars.skin_tones import MONK_SKIN_TONES

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


@pytest.fixture(scope="module")
def avatars():
    return list(library().values())


def test_library_spans_the_shoppers(avatars):
    assert len(avatars) >= 30
    assert len({a.id for a in avatars}) == len(avatars)
    heights = [a.height_cm for a in avatars]
    waists = [a.measurements["waist_girth"] for a in avatars]
    ages = [a.age_years for a in avatars]
    assert min(heights) <= 153 and max(heights) >= 193
    assert min(waists) <= 61 and max(waists) >= 115
    assert min(ages) <= 21 and max(ages) >= 70
    assert {a.skin_tone for a in avatars} == set(MONK_SKIN_TONES)
    assert {a.sex for a in avatars} == {"female", "male", "neutral"}
    assert {a.build for a in avatars} >= {"slim", "average", "athletic", "curvy", "heavy"}


def test_every_avatar_has_its_described_measurements(avatars):
    for entry, avatar in zip(ENTRIES, avatars):
        d, m = entry.description, avatar.measurements
        assert avatar.id == entry.id
        for given, field in [(d.height, "stature"), (d.chest, "chest_girth"),
                             (d.waist, "waist_girth"), (d.hips, "hip_girth")]:
            assert abs(m[field] - given) <= TOLERANCE_CM + 0.05, (avatar.id, field)
        assert (m["under_bust_girth"] is not None) == (avatar.sex == "female")


def test_unknown_avatar():
    with pytest.raises(KeyError, match="no avatar"):
        get_avatar("nobody")
