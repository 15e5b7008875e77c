"""Drafting the sample garments' sewing patterns from a size chart, as a pattern cutter would.

Each garment is drafted from the body measurements of one row of the
mannequins' size chart (``garments.mannequin.SIZE_CHARTS``: bust, waist,
hips, and the fit's height), with the proportional rules of block drafting
(shoulder, neck and armhole from the bust; lengths from the height) and the
garment's ease, and written as a GarmentCode specification: panels in
centimetres with their curves, and the stitches between their edges.
``python -m garments.sample_patterns.catalogue`` writes the shipped files,
``garments/sample_patterns/<garment>/<size>.json``; a test checks they are
what this drafts.

Every panel is seen from outside the garment, y up (``garments.patterns.placement``):
a front's x runs to the wearer's left, a back's to her right.
"""

from __future__ import annotations

from garments.sample_patterns.blocks import Body, Panel, band, bodice, half_front, sleeve, spec


def tshirt(b: Body) -> dict:
    """A T-shirt: front, back, set-in short sleeves, a neckband joined at the right shoulder."""
    w, length = (b.bust + 12.0) / 4.0, 0.41 * b.height
    front, back = bodice(b, w, length, 9.0, 1.0), bodice(b, w, length, 2.0, 1.0)
    sleeves = {name: sleeve(b, 22.0, b.arm + 4.0) for name in ("sleeve_left", "sleeve_right")}
    front_neck, back_neck = front.length("neck"), back.length("neck")
    # a knit neckband is cut a tenth shorter than the neckline, and stretched onto it
    neckband = band(0.9 * (front_neck + back_neck), 2.5, [front_neck / (front_neck + back_neck),
                                                          back_neck / (front_neck + back_neck)])
    panels = {"front": front, "back": back, **sleeves, "neckband": neckband}
    return spec(panels, _bodice_seams() + _sleeve_seams() + [
        ("neckband", "low_0", "front", "neck"), ("neckband", "low_1", "back", "neck"),
        ("neckband", "end_a", "neckband", "end_b")])


def _bodice_seams() -> list:
    return [("front", "side_l", "back", "side_r"), ("front", "side_r", "back", "side_l"),
            ("front", "shoulder_l", "back", "shoulder_r"), ("front", "shoulder_r", "back", "shoulder_l")]


def _sleeve_seams() -> list:
    return [("sleeve_left", "under_a", "sleeve_left", "under_b"),
            ("sleeve_right", "under_a", "sleeve_right", "under_b"),
            ("front", "armhole_l", "sleeve_left", "cap_b"), ("back", "armhole_r", "sleeve_left", "cap_a"),
            ("front", "armhole_r", "sleeve_right", "cap_a"), ("back", "armhole_l", "sleeve_right", "cap_b")]


def a_line_skirt(b: Body) -> dict:
    """An A-line skirt to below the knee: front and back panels flaring from the hips, and
    a waistband whose ends meet at the right side seam."""
    length = 0.36 * b.height
    waist, hips = (b.waist + 6.0) / 4.0, (b.hips + 6.0) / 4.0
    hip_depth, flare = 20.0, 0.28 * length
    def panel() -> Panel:
        return Panel().loop(
            ("hem", (-(hips + flare), 0), [(0, -3.0)]),
            ("side_l", (hips + flare, 0), None),
            ("hip_l", (hips, length - hip_depth), [(waist + 0.7 * (hips - waist), length - 4.0)]),
            ("waist", (waist, length), [(0, length - 1.2)]),
            ("hip_r", (-waist, length), [(-waist - 0.7 * (hips - waist), length - 4.0)]),
            ("side_r", (-hips, length - hip_depth), None))
    front, back = panel(), panel()
    waistband = band(2 * front.length("waist"), 4.0, [0.5, 0.5])
    return spec({"skirt_front": front, "skirt_back": back, "waistband": waistband}, [
        ("skirt_front", "side_l", "skirt_back", "side_r"), ("skirt_front", "side_r", "skirt_back", "side_l"),
        ("skirt_front", "hip_l", "skirt_back", "hip_r"), ("skirt_front", "hip_r", "skirt_back", "hip_l"),
        ("waistband", "low_0", "skirt_front", "waist"), ("waistband", "low_1", "skirt_back", "waist"),
        ("waistband", "end_a", "waistband", "end_b")])


def strap_dress(b: Body) -> dict:
    """A midi slip dress on straps: front and back cut in one from the straps to the hem,
    shaped in at the waist and flared below the hips, a scoop neck in front."""
    length = 0.63 * b.height
    top, under = length, length - 4.0 - b.armhole + 1.0  # armholes no deeper than the base layer's
    waist_y, hip_y = length - b.nape_to_waist, length - b.nape_to_waist - 20.0
    bust, waist, hips = (b.bust + 8.0) / 4.0, (b.waist + 6.0) / 4.0, (b.hips + 8.0) / 4.0
    hem = hips + 0.22 * hip_y
    strap_out, strap, slope = b.shoulder_half - 2.0, 6.0, 2.5  # the straps slope with the shoulders

    def panel(neck_drop: float) -> Panel:
        return Panel().loop(
            ("hem", (-hem, 0), [(0, -2.0)]),
            ("side_l_low", (hem, 0), None),
            ("side_l_waist", (hips, hip_y), [(waist + 0.6 * (hips - waist), waist_y - 7.0)]),
            ("side_l_high", (waist, waist_y), [(bust - 0.2, waist_y + 8.0)]),
            ("armhole_l", (bust, under), [(strap_out + 3.0, under - 0.5), (strap_out, under + 6.0)]),
            ("strap_l", (strap_out, top - slope), None),
            ("neck", (strap_out - strap, top), [(0, top - 2.0 * neck_drop)]),
            ("strap_r", (-(strap_out - strap), top), None),
            ("armhole_r", (-strap_out, top - slope), [(-strap_out, under + 6.0), (-strap_out - 3.0, under - 0.5)]),
            ("side_r_high", (-bust, under), [(-bust + 0.2, waist_y + 8.0)]),
            ("side_r_waist", (-waist, waist_y), [(-waist - 0.6 * (hips - waist), waist_y - 7.0)]),
            ("side_r_low", (-hips, hip_y), None))

    front, back = panel(9.0), panel(7.0)  # a scoop no lower than the base layer's neckline
    sides = [("front", f"side_l_{part}", "back", f"side_r_{part}") for part in ("low", "waist", "high")] \
        + [("front", f"side_r_{part}", "back", f"side_l_{part}") for part in ("low", "waist", "high")]
    return spec({"front": front, "back": back},
                sides + [("front", "strap_l", "back", "strap_r"), ("front", "strap_r", "back", "strap_l")])


def jeans(b: Body) -> dict:
    """Straight jeans: four leg panels, a fly between the fronts, a waistband."""
    rise, inseam = 0.185 * b.height + (b.hips - 100.0) / 10.0, 0.44 * b.height - 9.0
    length, crotch_y, hip_y = rise + inseam, inseam, inseam + rise - 18.0
    fly = 3.5

    def leg(hip: float, extension: float, waist: float, hem: float, cf_in: float, cf_up: float) -> Panel:
        """A left leg's panel laid out with its crease at x = 0, outseam at +x."""
        side = (hip + extension) / 2.0
        cf = -side + extension
        cf_top = cf + cf_in
        return Panel().loop(
            ("hem", (-hem / 2.0, 0), None),
            ("out_low", (hem / 2.0, 0), None),
            ("out_high", (side, crotch_y), [(side + 0.4, hip_y + 2.0)]),
            ("waist", (cf_top + waist, length + cf_up * 0.3), None),
            ("fly", (cf_top, length + cf_up), None),
            ("crotch", (cf, hip_y), [(cf - 0.5, crotch_y + 1.0)]),
            ("inseam", (-side, crotch_y), None))

    # ease: 10 cm round the hips, 6 round the waist (over the base layer as over underwear)
    front = leg(b.hips / 4.0 + 2.5 - fly / 2.0, b.hips / 16.0, b.waist / 4.0 + 0.5 - fly / 2.0, 20.0, 1.0, 0.0)
    back = leg(b.hips / 4.0 + 2.5, b.hips / 8.0 + 1.0, b.waist / 4.0 + 2.5, 22.0, 3.0, 3.0)
    fly_piece = Panel().loop(("right", (0, 0), None), ("top", (fly / 2.0, length - hip_y), None),
                             ("left", (-fly / 2.0, length - hip_y), None))
    waists = [fly_piece.length("top"), front.length("waist"), back.length("waist"),
              back.length("waist"), front.length("waist")]
    waistband = band(sum(waists), 4.0, [w / sum(waists) for w in waists])
    panels = {"front_left": front, "front_right": front.mirrored(), "back_left": back.mirrored(),
              "back_right": back, "fly": fly_piece, "waistband": waistband}
    legs = [(f"front_{s}", part, f"back_{s}", part) for s in ("left", "right")
            for part in ("out_low", "out_high", "inseam")]
    return spec(panels, legs + [
        ("front_left", "crotch", "front_right", "crotch"), ("back_left", "crotch", "back_right", "crotch"),
        ("back_left", "fly", "back_right", "fly"),
        ("fly", "right", "front_left", "fly"), ("fly", "left", "front_right", "fly"),
        ("waistband", "low_0", "fly", "top"), ("waistband", "low_1", "front_left", "waist"),
        ("waistband", "low_2", "back_left", "waist"), ("waistband", "low_3", "back_right", "waist"),
        ("waistband", "low_4", "front_right", "waist"), ("waistband", "end_a", "waistband", "end_b")])


def _opening_top(b: Body, ease: float, length: float, neck_drop: float, sleeve_length: float,
                 collar: float, closed_to: str) -> dict:
    """A top that opens at the centre front: two half fronts (sewn together below
    ``closed_to``: "cf_low" buttons or zips the lower part; "cf_high" too closes it to the
    neck), a back, set-in sleeves and a stand collar of ``collar`` cm from one front edge
    round to the other."""
    w = (b.bust + ease) / 4.0
    left = half_front(b, w, length, neck_drop)
    back = bodice(b, w, length, 2.0)
    sleeves = {name: sleeve(b, sleeve_length, 0.75 * (b.arm + ease / 2.0), ease / 2.0)
               for name in ("sleeve_left", "sleeve_right")}
    necks = [left.length("neck"), back.length("neck"), left.length("neck")]
    stand = band(sum(necks), collar, [n / sum(necks) for n in necks])
    panels = {"front_left": left, "front_right": left.mirrored(), "back": back, **sleeves, "collar": stand}
    closed = [("front_left", "cf_low", "front_right", "cf_low")]
    if closed_to == "cf_high":
        closed.append(("front_left", "cf_high", "front_right", "cf_high"))
    seams = [("front_left", "side", "back", "side_r"), ("front_right", "side", "back", "side_l"),
             ("front_left", "shoulder", "back", "shoulder_r"), ("front_right", "shoulder", "back", "shoulder_l"),
             ("sleeve_left", "under_a", "sleeve_left", "under_b"),
             ("sleeve_right", "under_a", "sleeve_right", "under_b"),
             ("front_left", "armhole", "sleeve_left", "cap_b"), ("back", "armhole_r", "sleeve_left", "cap_a"),
             ("front_right", "armhole", "sleeve_right", "cap_a"), ("back", "armhole_l", "sleeve_right", "cap_b"),
             ("collar", "low_0", "front_left", "neck"), ("collar", "low_1", "back", "neck"),
             ("collar", "low_2", "front_right", "neck")]
    return spec(panels, closed + seams)


def blouse(b: Body) -> dict:
    """A button-front blouse: fronts closed to the neck, three-quarter sleeves, a stand collar."""
    return _opening_top(b, 10.0, 0.39 * b.height, 7.0, 0.25 * b.height, 3.5, "cf_high")


def zip_jacket(b: Body) -> dict:
    """A zip jacket: fronts zipped up to the chest and open above, long sleeves, a collar."""
    return _opening_top(b, 18.0, 0.40 * b.height, 9.0, 0.35 * b.height, 7.0, "cf_low")
