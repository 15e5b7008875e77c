"""One size recommendation per body and garment, whatever size is on screen.

Reads every size's fit report (``tryon.fit.report``, as ``GET /v1/fit``
answers it for one size) and the garment's size chart
(``garments.size_chart``), never the size a shopper happens to look at, so
the answer is the same from every size.

- **Where a garment is meant to fit** (``FITTED``): a top and outerwear at
  chest and shoulders, a dress at bust and waist, a skirt at the waistband,
  trousers at waist and hips. A region that is tight anywhere is too small;
  a region that is loose (or a waistband that slid down) counts only where
  the design is meant to fit: a flare is not "loose".
- **Chart**: the body's measurements placed on the chart (``chart_position``)
  for the measurements that decide the category (``CHART_DECIDES``); the
  largest decides (the garment must close around it). Halfway between two
  sizes (``BETWEEN``) is answered as such: "M, or L if you prefer it looser".
- **Drapes**: the smallest size whose drape fits where it is meant to; when
  the chart gave a size, its drape confirms it, or moves it up (tight) or
  down (loose and the smaller size is not tight).

Confidence (0-1) says how clear the answer is: high when chart and drapes
agree and the body is near a size's middle, lower between sizes or when the
drapes overrode the chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from garments.size_chart import SizeChart, chart_position
from tryon.fit.strain import RegionFit

FITTED = {"top": ("chest", "shoulders"), "outerwear": ("chest", "shoulders"),
          "dress": ("chest", "waist"), "skirt": ("waist",), "trousers": ("waist", "hips")}
CHART_DECIDES = {"top": ("chest_girth",), "outerwear": ("chest_girth",),
                 "dress": ("chest_girth", "waist_girth", "hip_girth"),
                 "skirt": ("waist_girth", "hip_girth"), "trousers": ("waist_girth", "hip_girth")}
BETWEEN = (0.3, 0.7)  # fractional chart positions answered as "between two sizes"


def drape_verdict(report: Mapping, category: str) -> str:
    """``tight``, ``loose`` or ``fits`` for one size's fit report: tight anywhere,
    loose where the category is meant to fit."""
    regions = [r for r in report["regions"] if r["region"] != "length"]
    if any(r["verdict"] == "tight" for r in regions):
        return "tight"
    if any(r["verdict"] == "loose" and r["region"] in FITTED[category] for r in regions):
        return "loose"
    return "fits"


def reasons(report: Mapping) -> list[str]:
    """Each region's verdict of a fit report in words ("slides down 7 cm: too big at
    the waist", "fits at chest")."""
    return [RegionFit(**r).sentence() for r in report["regions"]]


def recommend(category: str, sizes: Sequence[str], body: Mapping[str, float | None],
              reports: Mapping[str, Mapping | None], chart: SizeChart | None = None) -> dict:
    """The recommendation for ``body`` (measurement name -> cm) in a garment of
    ``category`` made in ``sizes`` (smallest first), from ``reports`` (size -> fit
    report, None while its drape runs) and ``chart``. JSON-ready::

        {"recommended_size", "alternative_size", "summary", "confidence",
         "basis": "chart and drapes" | "chart" | "drapes" | "pending",
         "chart_position", "sizes": {size: verdict}, "pending": [sizes],
         "reasons": [sentences for the recommended size]}
    """
    order = list(chart.sizes) if chart is not None else []
    order += [s for s in sizes if s not in order]  # sizes with a mesh but not on the chart
    verdicts = {s: drape_verdict(r, category) for s, r in reports.items() if r is not None}
    pending = [s for s in sizes if reports.get(s) is None]
    position = _chart_index(chart, body, category)
    if position is not None:
        answer = _from_chart(order, position, verdicts)
    elif verdicts and not pending:
        answer = _from_drapes([s for s in order if s in verdicts], verdicts)
    else:
        answer = {"recommended_size": None, "alternative_size": None, "confidence": 0.0,
                  "summary": "measuring every size on this body", "basis": "pending"}
    chosen = answer["recommended_size"]
    return {**answer, "chart_position": None if position is None else round(position, 2),
            "sizes": {s: verdicts.get(s, "pending" if s in pending else "chart only")
                      for s in order},
            "pending": pending,
            "reasons": reasons(reports[chosen]) if reports.get(chosen) is not None else []}


def _chart_index(chart: SizeChart | None, body: Mapping, category: str) -> float | None:
    if chart is None:
        return None
    found = chart_position(chart, body)
    deciding = [found[m] for m in CHART_DECIDES[category] if m in found]
    return max(deciding) if deciding else None


def _from_chart(order: list[str], position: float, verdicts: Mapping[str, str]) -> dict:
    last = len(order) - 1
    index = min(max(round(position), 0), last)
    frac = position - int(position // 1)
    confidence = round(max(0.2, 1 - 2 * abs(position - round(position))), 2)
    between = BETWEEN[0] <= frac <= BETWEEN[1] and 0 <= int(position // 1) < last
    alternative = None
    if between:
        lower = int(position // 1)
        index, alternative = (lower, lower + 1) if frac < 0.5 else (lower + 1, lower)
    basis = "chart and drapes" if verdicts else "chart"
    moved = _drape_move(order, index, verdicts)
    if moved != index:  # the drapes overrode the chart
        index, alternative, confidence = moved, None, 0.6
    size = order[index]
    if position > last + 0.5 and verdicts.get(size, "tight") == "tight":
        return {"recommended_size": None, "alternative_size": None, "confidence": confidence,
                "summary": "larger than the largest size", "basis": basis}
    if position < -0.5 and verdicts.get(size, "loose") == "loose":
        return {"recommended_size": size, "alternative_size": None, "confidence": confidence,
                "summary": f"{size}, the smallest size, may be loose", "basis": basis}
    return {"recommended_size": size, "alternative_size": None if alternative is None
            else order[alternative], "confidence": confidence,
            "summary": _summary(order, index, alternative), "basis": basis}


def _drape_move(order: list[str], index: int, verdicts: Mapping[str, str]) -> int:
    """The chart's size index, moved up while its drape is tight, or down while it
    is loose and the smaller size's drape is not tight."""
    while verdicts.get(order[index]) == "tight" and index + 1 < len(order) \
            and order[index + 1] in verdicts:
        index += 1
    while verdicts.get(order[index]) == "loose" and index > 0 \
            and verdicts.get(order[index - 1]) in ("fits", "loose"):
        index -= 1
    return index


def _from_drapes(order: list[str], verdicts: Mapping[str, str]) -> dict:
    fitting = [i for i, s in enumerate(order) if verdicts[s] == "fits"]
    if fitting:
        index = fitting[0]
        looser = index + 1 if index + 1 in fitting else None
        return {"recommended_size": order[index], "alternative_size":
                None if looser is None else order[looser], "confidence": 0.6 if looser else 0.8,
                "summary": _summary(order, index, looser), "basis": "drapes"}
    roomy = [i for i, s in enumerate(order) if verdicts[s] == "loose"]
    if not roomy:
        return {"recommended_size": None, "alternative_size": None, "confidence": 0.8,
                "summary": "tight even in the largest size", "basis": "drapes"}
    index = roomy[0]
    summary = (f"{order[index]}: {order[index - 1]} is tight, {order[index]} a little loose"
               if index > 0 else f"{order[index]}, the smallest size, is loose")
    return {"recommended_size": order[index], "alternative_size": None, "confidence": 0.5,
            "summary": summary, "basis": "drapes"}


def _summary(order: list[str], index: int, alternative: int | None) -> str:
    if alternative is None:
        return f"{order[index]} fits you best"
    feel = "looser" if alternative > index else "closer"
    return f"{order[index]}, or {order[alternative]} if you prefer it {feel}"
