"""Size advice: is the recommended size the chart's, and the same from every size?

Every library body against every sample garment of its fit (a neutral body
against all of them), asked through the API as the widget asks it: ``GET
/v1/fit?avatar=&garment=`` and then ``&size=`` for each size. Reports the
share of pairs where the recommendation

- is the same whichever size is asked about (target 100 %),
- is the size the garment's chart gives the body, read as a shop's size
  guide is read: the size whose chart entry is nearest the body in the
  measurement furthest off among those that decide the category (target
  >= 90 %), and within one size of it (target 100 %);

then the same for bodies made from random measurements (``POST
/v1/avatars``), with the time to the first recommendation (the chart's,
while every size's drape is still cold; target <= 5 s on 2 cores) and to
the full one (all drapes done). In-process jobs, a fresh database and blob
store; drapes cached in the data dir are reused.
Run: .venv/bin/python bench/bench_size_advice.py [--random 8] [--pairs N] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from avatars.library import library  # noqa: E402
from garments.store import GarmentStore  # noqa: E402
from tryon.core.settings import settings  # noqa: E402
from tryon.fit.advice import CHART_DECIDES  # noqa: E402

FIT_SEX = {"women": "female", "men": "male"}
POLL_S = 0.1
TIMEOUT_S = 600


def chart_size(chart, body: dict, category: str) -> str | None:
    """The size a shop's size guide gives ``body``, read the common way: nearest in
    its worst measurement."""
    deciding = [m for m in CHART_DECIDES[category] if body.get(m) is not None]
    best, best_gap = None, None
    for size, row in zip(chart.sizes, chart.rows):
        gaps = [max(row[m][0] - body[m], body[m] - row[m][1], 0.0) for m in deciding if m in row]
        if gaps and (best_gap is None or max(gaps) < best_gap):
            best, best_gap = size, max(gaps)
    return best


def larger_rule_size(chart, body: dict, category: str, slack_cm: float = 2.0) -> str | None:
    """The size guide read by the other common rule, "between sizes, take the larger":
    the smallest size at least as large as every deciding measurement (within
    ``slack_cm`` of wearing ease); None when the body is over the largest size by
    more than half a size step (the shop has no size for it)."""
    deciding = [m for m in CHART_DECIDES[category] if body.get(m) is not None]
    needed = 0
    for m in deciding:
        tops = [row[m][1] for row in chart.rows if m in row]
        fits = [i for i, top in enumerate(tops) if body[m] <= top + slack_cm]
        if not fits:
            step = (tops[-1] - tops[0]) / max(len(tops) - 1, 1)
            if body[m] > tops[-1] + step / 2:
                return None
            fits = [len(tops) - 1]
        needed = max(needed, fits[0])
    return chart.sizes[needed]


def until_done(client, url: str, headers: dict) -> tuple[dict, float | None, float]:
    """The 200 answer of ``url``, the seconds to the first answer that named a size
    (None if none did before the 200) and to the 200."""
    start, first = time.perf_counter(), None
    while time.perf_counter() - start < TIMEOUT_S:
        response = client.get(url, headers=headers)
        body = response.get_json()
        if first is None and (body.get("recommendation") or {}).get("recommended_size"):
            first = time.perf_counter() - start
        if response.status_code == 200:
            return body, first, time.perf_counter() - start
        assert response.status_code == 202, body
        time.sleep(POLL_S)
    raise TimeoutError(url)


def check_pair(client, headers, garment, avatar_id: str, body: dict, chart) -> dict:
    url = f"/v1/fit?avatar={avatar_id}&garment={garment.id}"
    every, first, full = until_done(client, url, headers)
    answers = {every["recommended_size"]}
    for size in garment.sizes:
        answers.add(until_done(client, f"{url}&size={size}", headers)[0]["recommended_size"])
    expected = chart_size(chart, body, garment.category)
    larger = larger_rule_size(chart, body, garment.category)
    got = every["recommendation"]["recommended_size"]
    order = list(chart.sizes)

    def steps(reference):  # sizes between got and reference; "no size" is its own answer
        if got is None or reference is None:
            return 0 if got == reference else None
        return abs(order.index(got) - order.index(reference))

    distance = min((d for d in (steps(expected), steps(larger)) if d is not None), default=None)
    alternative = every["recommendation"]["alternative_size"]
    return {"same": len(answers) == 1, "chart": got == expected, "larger_rule": got == larger,
            "either_rule": got in (expected, larger),
            "chart_or_alternative": expected in (got, alternative),
            "within_one": distance is not None and distance <= 1, "got": got,
            "expected": expected, "first_s": first, "full_s": full,
            "basis": every["recommendation"]["basis"],
            "summary": every["recommendation"]["summary"]}


def random_bodies(client, headers, count: int, seed: int = 7) -> list[tuple[str, str, dict]]:
    """Bodies made from random measurements within the sample charts' range (XS to XL),
    in proportions that vary around the chart's (+-4 cm)."""
    import random

    rng = random.Random(seed)
    made = []
    for _ in range(count):
        sex = rng.choice(["female", "male"])
        if sex == "female":
            waist = rng.uniform(64, 87)
            body = {"height": rng.uniform(155, 180), "waist": waist,
                    "hips": waist + 26 + rng.uniform(-4, 4), "chest": waist + 18 + rng.uniform(-4, 4)}
        else:
            chest = rng.uniform(86, 110)
            body = {"height": rng.uniform(165, 192), "chest": chest,
                    "waist": chest - 14 + rng.uniform(-4, 4), "hips": chest + rng.uniform(-4, 4)}
        body = {"sex": sex, **{k: round(v) for k, v in body.items()}}
        response = client.post("/v1/avatars", json=body, headers=headers)
        assert response.status_code in (200, 201), response.get_json()
        made.append((response.get_json()["id"], sex, response.get_json()["measurements"]))
    return made


def report(title: str, results: list[dict]) -> None:
    n = len(results)
    share = lambda key: 100.0 * sum(r[key] for r in results) / n  # noqa: E731
    print(f"{title}: {n} body-garment pairs")
    print(f"  same recommendation from every size   {share('same'):5.1f} %   (target 100 %)")
    print(f"  the chart's size                      {share('chart'):5.1f} %   (target >= 90 %)")
    print(f"  the chart's, or the between-sizes other {share('chart_or_alternative'):5.1f} %")
    print(f"  the chart read 'between sizes, take the larger' (no size past the largest) "
          f"{share('larger_rule'):5.1f} %")
    print(f"  the chart by either reading          {share('either_rule'):5.1f} %")
    print(f"  within one size of the chart's (either reading) {share('within_one'):5.1f} %   "
          "(target 100 %)")
    for r in results:
        if not r["chart"]:
            print(f"    off the chart: {r['pair']}: {r['got']} (chart {r['expected']}, {r['basis']}; "
                  f"{r['summary']})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--random", type=int, default=8, help="bodies from random measurements")
    parser.add_argument("--pairs", type=int, default=0, help="at most this many library pairs")
    parser.add_argument("--seed", type=int, default=7, help="of the random bodies (a new seed: "
                                                             "bodies never draped, drapes cold)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TRYON_DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        os.environ["TRYON_BLOB_URL"] = f"file://{tmp}/blobs"
        os.environ.pop("TRYON_BROKER_URL", None)
        from api import create_app  # after the environment: the app reads it
        from tryon.storage.api_keys import create_key
        from tryon.storage.database import session_scope, upgrade_database

        upgrade_database()
        with session_scope() as session:
            key = create_key(session, "merchant", [])[1]
        app = create_app({"TESTING": True, "RENDER_BUDGET_S": 0, "RATELIMIT_ENABLED": False,
                          "DEMO_KEY_FILE": f"{tmp}/demo-key.json"})
        client, headers = app.test_client(), {"Authorization": f"Bearer {key}"}
        store = GarmentStore(settings().garments_dir)
        garments = [g for g in store.list() if g.size_chart is not None]
        charts = {g.id: store.size_chart(g.id) for g in garments}
        pairs = [(g, a) for a in library().values() for g in garments
                 if a.sex == "neutral" or FIT_SEX[g.fit] == a.sex]
        pairs = pairs[:args.pairs] if args.pairs else pairs
        results = []
        for garment, avatar in pairs:
            result = check_pair(client, headers, garment, avatar.id, avatar.measurements,
                                charts[garment.id])
            results.append({**result, "pair": f"{avatar.id} x {garment.name}"})
        report("library bodies", results)
        made = []
        for avatar_id, sex, measurements in random_bodies(client, headers, args.random, args.seed):
            for garment in (g for g in garments if FIT_SEX[g.fit] == sex):
                result = check_pair(client, headers, garment, avatar_id, measurements,
                                    charts[garment.id])
                made.append({**result, "pair": f"{avatar_id} x {garment.name}"})
        if made:
            report("bodies from random measurements", made)
            firsts = [r["first_s"] for r in made if r["first_s"] is not None]
            print(f"  first recommendation, drapes cold: {len(firsts)} of {len(made)} before the "
                  f"drapes, median {statistics.median(firsts or [float('nan')]):.2f} s, max "
                  f"{max(firsts or [float('nan')]):.2f} s (target <= 5 s); every size draped: "
                  f"median {statistics.median(r['full_s'] for r in made):.1f} s")


if __name__ == "__main__":
    main()
