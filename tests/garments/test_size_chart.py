"""Size charts as shops write them: objects or rows, cm or inches, numbers or ranges;
and where a body sits on one."""

from __future__ import annotations

import json

import pytest

from garments.size_chart import SizeChartError, chart_position, parse_size_chart

# A chart as a shop's size guide gives it: inches, ranges, the "chest" name.
INCHES = {"unit": "in", "sizes": {
    "s": {"chest": [33, 35], "waist": [26, 28], "hips": [36, 38]},
    "M": {"chest": [35.5, 37.5], "waist": [28.5, 30.5], "hips": [38.5, 40.5]},
    "L": {"chest": [38, 40], "waist": [31, 33], "hips": [41, 43], "height": 68},
}}


def test_a_chart_in_inches_with_ranges_is_kept_in_centimetres_in_order():
    chart = parse_size_chart(INCHES)
    assert chart.sizes == ("S", "M", "L")
    assert chart.rows[0]["chest_girth"] == (83.8, 88.9) and chart.rows[2]["stature"] == (172.7, 172.7)
    stored = chart.stored_form()
    again = parse_size_chart(json.loads(json.dumps(stored, sort_keys=True)))  # as garment.json
    assert again == chart and [r["size"] for r in stored["sizes"]] == ["S", "M", "L"]


def test_an_object_s_sizes_are_put_in_order_whatever_order_its_keys_came_in():
    written = {"unit": "cm", "sizes": {"XL": {"waist": 87}, "m": {"waist": 74}, "2XL": {"waist": 96},
                                       "XS": {"waist": 64}}}
    assert parse_size_chart(written).sizes == ("XS", "M", "XL", "2XL")
    numeric = {"sizes": {"40": {"waist": 74}, "36": {"waist": 68}, "38": {"waist": 71}}}
    assert parse_size_chart(numeric).sizes == ("36", "38", "40")
    own = {"sizes": {"Petite": {"waist": 64}, "Regular": {"waist": 70}}}
    assert parse_size_chart(own).sizes == ("PETITE", "REGULAR")


def test_where_a_body_sits():
    chart = parse_size_chart(INCHES)
    inside_m = chart_position(chart, {"chest_girth": 92.7, "waist_girth": 74.9, "hip_girth": None})
    assert inside_m == {"chest_girth": pytest.approx(1.0, abs=0.02),
                        "waist_girth": pytest.approx(1.0, abs=0.02)}
    bigger = chart_position(chart, {"chest_girth": 108.0})["chest_girth"]
    assert bigger > 2.5  # beyond the largest size: extrapolated, not clamped
    points = parse_size_chart({"sizes": {"S": {"waist": 68}, "M": {"waist": 74}}})
    assert chart_position(points, {"waist_girth": 71}) == {"waist_girth": 0.5}


@pytest.mark.parametrize("document, words", [
    ([1, 2], "JSON object"),
    ({"unit": "mm", "sizes": {"S": {"bust": 860}}}, "unit is one of cm, in"),
    ({"sizes": {}}, "1 to 30 sizes"),
    ({"sizes": {"S": {"bust": 86}}, "colour": "red"}, "unknown size chart fields"),
    ({"sizes": {"S": {"shoe": 38}}}, "unknown measurement 'shoe'"),
    ({"sizes": {"S": {"bust": 86, "chest": 86}}}, "bust and chest are the same girth"),
    ({"sizes": {"S": {"waist": [70, 66]}}}, "runs backwards"),
    ({"sizes": {"S": {"waist": "68cm"}}}, "a number or a [low, high] range"),
    ({"sizes": {"S": {"waist": 6.8}}}, "outside 30-220 cm; is the unit right?"),
    ({"sizes": {"S": {"waist": 74}, "M": {"waist": 68}}}, "waist shrinks from S to M"),
    ({"sizes": [{"size": "M", "waist": 74}, {"size": "S", "waist": 68}]}, "shrinks from M to S"),
    ({"sizes": [{"size": "S", "waist": 68}, {"size": " s", "waist": 70}]}, "size S appears twice"),
    ({"sizes": {"S": {}}}, "give its body measurements"),
])
def test_a_chart_that_cannot_be_used_says_why(document, words):
    with pytest.raises(SizeChartError, match=words.replace("[", r"\[").replace("?", r"\?")) as e:
        parse_size_chart(document)
    assert e.value.field == "size_chart"
