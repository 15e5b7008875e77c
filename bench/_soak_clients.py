"""The soak's world and clients (bench/soak.py): keys, a consenting model's twin and its
use grants, made through the CLI and the API; then shoppers, merchants and a studio
as client threads, every request recorded.

Connections cut by a killed worker are expected: they are recorded as
``error: <exception class>`` and the client goes on.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import requests

from _soak_stack import make_key

SHOP = "https://shop.example.com"
TIMEOUT = (5, 130)  # connect, read: a render waits up to its 8 s budget, a twin fit 90 s
FOLLOW_S = 120  # a job is followed this long: a killed worker's job comes back after a lease
WOMEN = ["f155-eu44", "f160-eu50", "f165-eu40", "f170-eu46", "f176-eu36", "n160"]
MEN = ["m168-eu52", "m175-eu48", "m182-eu54", "m188-eu52", "n185"]
SIZES = ["XS", "S", "M", "L", "XL"]
CACHED = [("f165-eu40", "A-line skirt", "M", 256), ("m175-eu48", "Classic T-shirt", "L", 256),
          ("f170-eu46", "Midi dress", "S", 320)]
# action -> weight: what a busy storefront, its merchants and its studio send
MIX = {"cached render": 30, "cold render": 12, "fit": 18, "upload": 8, "twin render": 25}
DOCUMENT = b"%PDF-1.4\n% signed consent of the model (soak benchmark document)\n"


@dataclass
class Record:
    route: str
    status: str  # "200", or "error: ConnectionError" when no answer came
    start: float  # time.time() when the request was sent
    ms: float
    key: int | None = None  # twin requests: which shop key (0 is never revoked)


@dataclass
class Recorder:
    records: list[Record] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)  # (operation, how it ended)
    created: set[str] = field(default_factory=set)  # garment ids answered 201
    refused: list[str] = field(default_factory=list)  # names of uploads answered 422
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, session: requests.Session, route: str, method: str, url: str,
             key: int | None = None, **kwargs) -> requests.Response | None:
        start, t0 = time.time(), time.perf_counter()
        try:
            response = session.request(method, url, timeout=TIMEOUT, **kwargs)
            response.content  # read the whole body inside the timing
            status = str(response.status_code)
        except requests.RequestException as e:
            response, status = None, f"error: {type(e).__name__}"
        with self.lock:
            self.records.append(Record(route, status, start, (time.perf_counter() - t0) * 1e3, key))
        return response

    def outcome(self, operation: str, how: str) -> None:
        with self.lock:
            self.outcomes[(operation, how)] += 1


@dataclass
class World:
    """What the clients use: keys, the sample garments, the twin and its use grants
    (``grants[k]`` covers ``shop[k]`` only; grants 1.. are revoked during the soak)."""

    base: str
    studio: str
    merchant: str
    shop: list[str]
    grants: list[str]
    garments: dict[str, str]  # name -> id
    twin: str
    upload_obj: bytes

    def headers(self, role: str, k: int = 0) -> dict:
        if role == "shop":
            return {"Authorization": f"Bearer {self.shop[k]}", "Origin": SHOP}
        return {"Authorization": f"Bearer {getattr(self, role)}"}


def _ok(response, *statuses: int) -> dict:
    if response.status_code not in statuses:
        raise RuntimeError(f"{response.request.method} {response.url}: {response.status_code} "
                           f"{response.text[:500]}")
    return response.json()


def make_world(base: str, env: dict, revocations: int, scan: bytes, upload_obj: bytes) -> World:
    """Keys by `tryon keys create`; a talent, a creation grant, one use grant per shop key
    and a twin fitted from a synthetic scan, by the API (as a studio would)."""
    studio, merchant = make_key(env, "studio")[1], make_key(env, "merchant")[1]
    shops = [make_key(env, "publishable", SHOP) for _ in range(1 + revocations)]
    s = requests.Session()
    auth = {"Authorization": f"Bearer {studio}"}
    listed = _ok(s.get(f"{base}/v1/garments", headers={"Authorization": f"Bearer {shops[0][1]}",
                                                       "Origin": SHOP}, timeout=TIMEOUT), 200)
    garments = {g["name"]: g["id"] for g in listed["garments"]}
    talent = _ok(s.post(f"{base}/v1/talents", json={"name": "Soak Model"}, headers=auth,
                        timeout=TIMEOUT), 201)["id"]
    today = date.today()
    common = {"talent": talent, "obtained_by": "Studio Nord (soak)", "pay_currency": "USD",
              "starts_at": (today - timedelta(days=1)).isoformat(),
              "ends_at": (today + timedelta(days=30)).isoformat()}

    def grant(**fields) -> str:
        files = {"document": ("consent.pdf", DOCUMENT, "application/pdf")}
        return _ok(s.post(f"{base}/v1/consents", data={**common, **fields}, files=files,
                          headers=auth, timeout=TIMEOUT), 201)["id"]

    creation = grant(kind="creation", purpose="digital twin for try-on", pay_basis="flat",
                     pay_amount_minor=50000, scan_retention="delete")
    grants = [grant(kind="use", purpose=f"shop try-on, key {k}", pay_basis="per-render",
                    pay_amount_minor=25, channels="e-commerce", scope_keys=prefix)
              for k, (prefix, _) in enumerate(shops)]
    made = s.post(f"{base}/v1/twins", data={"consent": creation, "sex": "female", "skin_tone": "6"},
                  files={"scan": ("scan.ply", scan)}, headers=auth, timeout=(5, 200))
    twin = _ok(made, 201, 202)
    deadline = time.monotonic() + 600
    while twin["status"] == "fitting" and time.monotonic() < deadline:
        time.sleep(2)
        twin = _ok(s.get(f"{base}/v1/twins/{twin['id']}", headers=auth, timeout=TIMEOUT), 200)
    if twin["status"] != "ready":
        raise RuntimeError(f"the twin did not become ready: {twin}")
    return World(base, studio, merchant, [p for _, p in shops], grants, garments, twin["id"],
                 upload_obj)


class Revocations:
    """When each revocable grant (1..R) is revoked: spread evenly over the soak; and when
    each revocation was confirmed (its 200 arrived)."""

    def __init__(self, count: int, start: float, seconds: float):
        self.due = [(start + seconds * k / (count + 1), k) for k in range(1, count + 1)]
        self.confirmed: dict[int, float] = {}  # key index -> time.time() of the answer
        self.lock = threading.Lock()

    def take(self) -> int | None:
        with self.lock:
            if self.due and self.due[0][0] <= time.time():
                return self.due.pop(0)[1]
        return None


class Client:
    """One client thread: a weighted mix of requests until ``deadline``."""

    def __init__(self, number: int, world: World, recorder: Recorder, revocations: Revocations,
                 deadline: float):
        self.n, self.world, self.rec, self.revocations = number, world, recorder, revocations
        self.deadline, self.rng = deadline, random.Random(1000 + number)
        self.session, self.uploads = requests.Session(), 0

    def run(self) -> None:
        actions = {"cached render": self.cached_render, "cold render": self.cold_render,
                   "fit": self.fit, "upload": self.upload, "twin render": self.twin_render}
        while time.time() < self.deadline:
            k = self.revocations.take()
            if k is not None:
                self.revoke(k)
                continue
            name = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
            try:
                actions[name]()
            except Exception as e:  # a client bug must not end the soak; it is counted
                self.rec.outcome(name, f"client exception {type(e).__name__}: {e}"[:120])
                time.sleep(1)

    def _render(self, route: str, avatar: str, garment: str, size: str, width: int,
                k: int | None = None) -> None:
        params = {"avatar": avatar, "garment": self.world.garments[garment], "size": size,
                  "width": width, "height": width * 3 // 2}
        headers = self.world.headers("shop", k or 0)
        r = self.rec.call(self.session, route, "GET", f"{self.world.base}/v1/render", key=k,
                          params=params, headers=headers)
        self._settle(route, r, headers, k, "twin blob" if k is not None else "blob")

    def _settle(self, operation: str, r, headers: dict, k: int | None, blob_route: str) -> str:
        """Follow a 202's job to its end; the operation's outcome, recorded."""
        if r is None or r.status_code != 202:
            how = "no answer" if r is None else f"{r.status_code} at once"
        else:
            how = self._follow(r.headers["Location"], headers, k, blob_route)
        self.rec.outcome(operation, how)
        return how

    def _follow(self, location: str, headers: dict, k: int | None, blob_route: str) -> str:
        end = min(time.time() + FOLLOW_S, self.deadline + 30)  # the drain check sees the rest
        while time.time() < end:
            r = self.rec.call(self.session, "job", "GET", self.world.base + location,
                              headers=headers)
            job = r.json() if r is not None and r.status_code == 200 else None
            if job is not None and job["status"] == "done":
                if not job["result_url"]:
                    return "job done"
                blob = self.rec.call(self.session, blob_route, "GET",
                                     self.world.base + job["result_url"], key=k, headers=headers)
                return f"job done, blob {blob.status_code if blob is not None else 'no answer'}"
            if job is not None and job["status"] == "failed":
                return f"job failed ({job['error_code']})"
            time.sleep(1)
        return "job not ended while followed"

    def cached_render(self) -> None:
        self._render("render cached", *self.rng.choice(CACHED))

    def cold_render(self) -> None:
        garment = self.rng.choice(list(self.world.garments))
        men = garment in ("Classic T-shirt", "Zip jacket")
        avatar = self.rng.choice(MEN if men else WOMEN)
        self._render("render cold", avatar, garment, self.rng.choice(SIZES),
                     self.rng.randrange(160, 720, 2))

    def fit(self) -> None:
        garment = self.rng.choice(["A-line skirt", "Midi dress", "Straight jeans"])
        params = {"avatar": self.rng.choice(WOMEN), "garment": self.world.garments[garment],
                  "size": self.rng.choice(SIZES)}
        headers = self.world.headers("shop")
        r = self.rec.call(self.session, "fit", "GET", f"{self.world.base}/v1/fit", params=params,
                          headers=headers)
        if self._settle("fit", r, headers, None, "blob").startswith("job done"):
            self.rec.call(self.session, "fit", "GET", f"{self.world.base}/v1/fit", params=params,
                          headers=headers)  # answered from the store now

    def upload(self) -> None:
        self.uploads += 1
        name = f"Soak skirt {self.n}-{self.uploads}"
        valid = self.rng.random() < 0.8
        data = self.world.upload_obj if valid else b"v 0 0 0\nv 1 0 0\nf 1 2 9\n"
        form = {"name": name if valid else f"Soak refused {self.n}-{self.uploads}",
                "category": "skirt", "fabric": "woven-cotton", "fit": "women"}
        route = "upload" if valid else "upload (invalid)"
        r = self.rec.call(self.session, route, "POST", f"{self.world.base}/v1/garments", data=form,
                          files={"size_M": ("skirt.obj", data)},
                          headers=self.world.headers("merchant"))
        if r is not None and r.status_code == 201:
            with self.rec.lock:
                self.rec.created.add(r.json()["id"])
        elif r is not None and r.status_code == 422:
            with self.rec.lock:
                self.rec.refused.append(form["name"])
        self.rec.outcome(route, "no answer" if r is None else str(r.status_code))

    def twin_render(self) -> None:
        k = self.rng.randrange(len(self.world.shop))
        garment = self.rng.choice(["A-line skirt", "Midi dress"])
        self._render("twin render", self.world.twin, garment, "M",
                     self.rng.choice([200, 240, 280]), k)

    def revoke(self, k: int) -> None:
        """Revoke grant k as the studio; retried (bounded) when the answer is cut off."""
        url = f"{self.world.base}/v1/consents/{self.world.grants[k]}/revoke"
        for _ in range(5):
            r = self.rec.call(self.session, "revoke", "POST", url,
                              headers=self.world.headers("studio"),
                              json={"reason": "soak: the model withdrew this shop's consent"})
            if r is not None and r.status_code == 200:
                with self.revocations.lock:
                    self.revocations.confirmed[k] = time.time()
                self.rec.outcome("revoke", "200")
                return
            time.sleep(1)
        self.rec.outcome("revoke", "not confirmed after 5 tries")
