"""Which size shoppers bought after a recommendation: the size match rate.

Fit vendors are judged by how often the size they recommended is the size
kept. A store reports each purchase of a recommended garment (``POST
/v1/fit/outcomes``): the recommendation (its id, as ``GET /v1/fit`` gave it)
and the size bought. Nothing about the shopper is kept: no body, no avatar,
no address or key; only the garment, the sizes and the day.

``match_rates`` reports, per garment and per recommended size, how many
purchases followed a recommendation and how many bought that size (or the
alternative of a "between sizes" answer).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tryon.storage.models import Base, UtcDateTime, utcnow


class FitOutcome(Base):
    """One purchase after a recommendation. ``alternative_size``: the other size of
    a "between sizes" answer; ``day``: when it was reported (a date's precision is
    all a rate needs, and all that is kept)."""

    __tablename__ = "fit_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(40), index=True)
    garment_id: Mapped[str] = mapped_column(String(200), index=True)
    recommended_size: Mapped[str] = mapped_column(String(16))
    alternative_size: Mapped[str | None] = mapped_column(String(16), nullable=True)
    bought_size: Mapped[str] = mapped_column(String(16))
    day: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def record_outcome(session: Session, tenant: str, garment_id: str, recommended: str,
                   alternative: str | None, bought: str) -> FitOutcome:
    """Keep one purchase (the caller checked the garment and sizes)."""
    now = utcnow()
    outcome = FitOutcome(tenant_id=tenant, garment_id=garment_id, recommended_size=recommended,
                         alternative_size=alternative, bought_size=bought,
                         day=now.replace(hour=0, minute=0, second=0, microsecond=0))
    session.add(outcome)
    return outcome


def match_rates(session: Session, tenant: str | None = None,
                garment_id: str | None = None) -> dict:
    """Per garment: purchases after a recommendation, how many bought the recommended
    size, how many the alternative, the match rate, and the same per recommended
    size; ``tenant`` None: every tenant's. JSON-ready."""
    query = select(FitOutcome)
    if tenant is not None:
        query = query.where(FitOutcome.tenant_id == tenant)
    if garment_id is not None:
        query = query.where(FitOutcome.garment_id == garment_id)
    counts: dict = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for outcome in session.scalars(query):
        row = counts[outcome.garment_id][outcome.recommended_size]
        row[0] += 1
        row[1] += outcome.bought_size == outcome.recommended_size
        row[2] += outcome.bought_size == outcome.alternative_size
    return {garment: {**_rate(*map(sum, zip(*sizes.values()))),
                      "by_recommended_size": {size: _rate(*row) for size, row in sizes.items()}}
            for garment, sizes in counts.items()}


def _rate(purchases: int, matched: int, alternative: int) -> dict:
    return {"purchases": purchases, "bought_recommended": matched,
            "bought_alternative": alternative,
            "match_rate": round(matched / purchases, 3) if purchases else None}
