"""Handovers between the units of a district: most decided long ago, some pending in
the inboxes, a few returned."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from tqdm import tqdm

from bokvar import bulk
from cases.models import Handover

from ..generate import GenContext, batched

SHARE = 0.25  # a quarter of the cases passes between units at least once


def run(ctx: GenContext) -> None:
    rng = ctx.rng
    units_by_district: dict[int, list[int]] = {}
    for unit_id, district_id, _kind, _group in ctx.units:
        units_by_district.setdefault(district_id, []).append(unit_id)
    staff_by_unit: dict[int, list[int]] = {}
    for users in ctx.staff.values():
        for user_id, _district, unit_id in users:
            staff_by_unit.setdefault(unit_id, []).append(user_id)
    fallback = ctx.system_user_id
    chosen = [c for c in ctx.cases if rng.random() < SHARE]
    bar = tqdm(total=len(chosen), desc="handovers", unit="case", file=ctx.stdout, mininterval=2)
    now = datetime.now(UTC)
    for chunk in batched(chosen, 10_000):
        handovers = []
        for case_id, _household, unit_id, district_id, opened, _kind in chunk:
            others = [u for u in units_by_district[district_id] if u != unit_id]
            other = others[case_id % len(others)]
            sent = datetime.combine(opened, time(9), tzinfo=UTC) + timedelta(
                hours=rng.randint(1, 24 * 30)
            )
            sent = min(sent, now - timedelta(hours=1))
            sender = (staff_by_unit.get(unit_id) or [fallback])[0]
            decider = (staff_by_unit.get(other) or [fallback])[0]
            roll = rng.random()
            values = {
                "case_id": case_id,
                "reason": "Behöver stöd med missbruk och boende.",
                "expectations": "Kontakta klienten inom en vecka.",
                "sent_at": sent,
                "sent_by_id": sender,
                "seen_at": sent + timedelta(hours=2),
                "seen_by_id": decider,
            }
            if roll < 0.08:  # still pending in the receiving unit's inbox
                handovers.append(
                    Handover(
                        kind=Handover.Kind.CONSULTATION,
                        from_unit_id=unit_id,
                        to_unit_id=other,
                        **{**values, "seen_at": None, "seen_by_id": None},
                    )
                )
            elif roll < 0.15:  # returned to the sender
                handovers.append(
                    Handover(
                        kind=Handover.Kind.TRANSFER,
                        from_unit_id=unit_id,
                        to_unit_id=other,
                        status=Handover.Status.RETURNED,
                        returned_at=sent + timedelta(days=2),
                        returned_by_id=decider,
                        return_reason="Fel enhet.",
                        **values,
                    )
                )
            elif roll < 0.6:  # the case came here by an accepted transfer
                handovers.append(
                    Handover(
                        kind=Handover.Kind.TRANSFER,
                        from_unit_id=other,
                        to_unit_id=unit_id,
                        status=Handover.Status.ACCEPTED,
                        accepted_at=sent + timedelta(days=1),
                        accepted_by_id=sender,
                        **values,
                    )
                )
            else:  # a consultation answered and closed
                handovers.append(
                    Handover(
                        kind=Handover.Kind.CONSULTATION,
                        from_unit_id=unit_id,
                        to_unit_id=other,
                        status=Handover.Status.CLOSED,
                        accepted_at=sent + timedelta(days=1),
                        accepted_by_id=decider,
                        closed_at=sent + timedelta(days=20),
                        closed_by_id=decider,
                        **values,
                    )
                )
        bulk.insert(Handover, handovers, user_id=ctx.system_user_id, reason="generated")
        bar.update(len(chunk))
    bar.close()
