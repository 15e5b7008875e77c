"""The avatar library: 32 adult bodies that span the shoppers of a store.

Each entry is described the way a size chart describes people (sex, height,
bust/chest, waist and hip girths, build, age) with a Monk skin tone, and
solved for the active body model once (``avatars.avatar.solve_avatars``).
Ids are stable: never renumber, only append.

Span: heights 152-194 cm; waists 60-117 cm (women EU 32-54, men EU 44-60);
ages 20-70; 16 women, 13 men, 3 neutral bodies; all ten Monk tones.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from avatars.avatar import Avatar, solve_avatars
from avatars.avatar import spec as _entry
from tryon.core.errors import NotFound

F, M, N = "female", "male", "neutral"
ENTRIES = [
    # id, label, sex, height, chest, waist, hips (cm), build, age, Monk tone
    _entry("f152-eu34", "Woman, 152 cm, EU 34", F, 152, 82, 64, 90, "slim", 24, 3),
    _entry("f155-eu44", "Woman, 155 cm, EU 44", F, 155, 100, 86, 110, "curvy", 52, 8),
    _entry("f157-eu40", "Woman, 157 cm, EU 40", F, 157, 94, 77, 101, "average", 62, 9),
    _entry("f158-eu38", "Woman, 158 cm, EU 38", F, 158, 88, 72, 97, "average", 31, 5),
    _entry("f160-eu50", "Woman, 160 cm, EU 50", F, 160, 116, 104, 122, "heavy", 45, 10),
    _entry("f162-eu48", "Woman, 162 cm, EU 48", F, 162, 110, 98, 116, "curvy", 70, 5),
    _entry("f163-eu36", "Woman, 163 cm, EU 36", F, 163, 86, 68, 94, "average", 27, 1),
    _entry("f165-eu40", "Woman, 165 cm, EU 40", F, 165, 92, 76, 100, "curvy", 38, 7),
    _entry("f166-eu32", "Woman, 166 cm, EU 32", F, 166, 80, 60, 87, "slim", 21, 9),
    _entry("f168-eu42", "Woman, 168 cm, EU 42", F, 168, 96, 80, 104, "average", 58, 4),
    _entry("f170-eu46", "Woman, 170 cm, EU 46", F, 170, 106, 92, 114, "heavy", 66, 6),
    _entry("f172-eu38", "Woman, 172 cm, EU 38", F, 172, 90, 72, 98, "athletic", 29, 2),
    _entry("f174-eu54", "Woman, 174 cm, EU 54", F, 174, 124, 116, 128, "heavy", 49, 8),
    _entry("f176-eu36", "Woman, 176 cm, EU 36", F, 176, 86, 68, 95, "slim", 23, 10),
    _entry("f178-eu40", "Woman, 178 cm, EU 40", F, 178, 94, 77, 102, "athletic", 34, 3),
    _entry("f180-eu44", "Woman, 180 cm, EU 44", F, 180, 100, 86, 108, "average", 41, 6),
    _entry("m165-eu46", "Man, 165 cm, EU 46", M, 165, 92, 78, 92, "slim", 22, 7),
    _entry("m168-eu52", "Man, 168 cm, EU 52", M, 168, 104, 100, 102, "heavy", 70, 4),
    _entry("m170-eu50", "Man, 170 cm, EU 50", M, 170, 100, 88, 99, "average", 44, 2),
    _entry("m172-eu56", "Man, 172 cm, EU 56", M, 172, 112, 106, 108, "heavy", 61, 9),
    _entry("m175-eu48", "Man, 175 cm, EU 48", M, 175, 96, 82, 96, "athletic", 27, 4),
    _entry("m178-eu52", "Man, 178 cm, EU 52", M, 178, 104, 94, 102, "average", 53, 6),
    _entry("m180-eu44", "Man, 180 cm, EU 44", M, 180, 88, 72, 90, "slim", 20, 10),
    _entry("m182-eu54", "Man, 182 cm, EU 54", M, 182, 108, 98, 105, "average", 36, 1),
    _entry("m184-eu50", "Man, 184 cm, EU 50", M, 184, 102, 84, 98, "athletic", 30, 8),
    _entry("m186-eu58", "Man, 186 cm, EU 58", M, 186, 118, 112, 112, "heavy", 47, 5),
    _entry("m188-eu52", "Man, 188 cm, EU 52", M, 188, 104, 90, 101, "average", 68, 3),
    _entry("m190-eu54", "Man, 190 cm, EU 54", M, 190, 110, 96, 106, "athletic", 33, 7),
    _entry("m194-eu60", "Man, 194 cm, EU 60", M, 194, 122, 117, 118, "heavy", 57, 2),
    _entry("n160", "Neutral body, 160 cm", N, 160, 88, 74, 95, "average", 30, 6),
    _entry("n172", "Neutral body, 172 cm", N, 172, 94, 80, 99, "average", 40, 9),
    _entry("n185", "Neutral body, 185 cm", N, 185, 100, 86, 101, "slim", 26, 1),
]




def prepare_library() -> list[Avatar]:
    """Solve every library body for the active body model once; cached."""
    return solve_avatars("library", ENTRIES)


# Each body's hair (avatars.hair.styles), an entry for every body: a spread of
# styles and natural colours over sexes, ages and tones, grey from 60.
HAIR = {
    "f152-eu34": ("long", "dark-brown"), "f155-eu44": ("bob", "black"), "f157-eu40": ("tied-back", "grey"),
    "f158-eu38": ("shoulder-length", "brown"), "f160-eu50": ("locs", "black"), "f162-eu48": ("bob", "grey"),
    "f163-eu36": ("long", "blonde"), "f165-eu40": ("afro", "black"), "f166-eu32": ("tied-back", "black"),
    "f168-eu42": ("head-covering", "black"), "f170-eu46": ("short", "grey"), "f172-eu38": ("long", "auburn"),
    "f174-eu54": ("shoulder-length", "black"), "f176-eu36": ("locs", "black"), "f178-eu40": ("long", "brown"),
    "f180-eu44": ("tied-back", "dark-brown"),
    "m165-eu46": ("short", "black"), "m168-eu52": ("very-short", "grey"), "m170-eu50": ("short", "blonde"), "m172-eu56": ("very-short", "grey"),
    "m175-eu48": ("short", "brown"), "m178-eu52": ("short", "dark-brown"), "m180-eu44": ("locs", "black"),
    "m182-eu54": ("short", "auburn"), "m184-eu50": ("afro", "black"), "m186-eu58": ("very-short", "dark-brown"),
    "m188-eu52": ("short", "grey"), "m190-eu54": ("tied-back", "black"), "m194-eu60": ("very-short", "brown"),
    "n160": ("bob", "dark-brown"), "n172": ("short", "black"), "n185": ("shoulder-length", "blonde"),
}


@cache
def library() -> dict[str, Avatar]:
    """Every library avatar by id, in library order, with its hair."""
    return {a.id: replace(a, hair=HAIR[a.id][0], hair_colour=HAIR[a.id][1]) for a in prepare_library()}


def get_avatar(avatar_id: str) -> Avatar:
    try:
        return library()[avatar_id]
    except KeyError:
        raise NotFound(f"no avatar {avatar_id!r} in the library", "avatar") from None

