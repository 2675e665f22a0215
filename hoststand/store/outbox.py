"""The durable outbox (DESIGN.md §4): every host action waits here until its vendor acknowledges it.

Life of an action:
    pending ──claim──▶ in_flight ──ack──▶ done
       ▲                  │ ├──fail──▶ failed (retry at next_attempt_at) ──claim──▶ in_flight …
       │                  │ └──dead──▶ dead (kept with the vendor's reason; a manager may retry or discard)
       └── cancel (superseded before it was sent) ──▶ cancelled

- `enqueue` runs inside the command's own write transaction, so the cache change and its actions commit
  together or not at all.
- `claim` is its own short transaction: the oldest due action of each `order_key` whose predecessors with
  the same key are all settled (done, dead or cancelled). Dead actions never block the queue.
- An action left `in_flight` by a killed process is recovered at start-up as `failed` + `uncertain`: the
  replayer must read back from the vendor before sending it again.
- `next_due` looks only at actions `claim` could take (the head of each order key): an action waiting behind
  a predecessor that backs off is not "due", so a waiting replayer sleeps instead of spinning.
- `release_failed` makes an API's failed actions due at once when the API comes back (after an outage the
  queue should not sit out the rest of each action's backoff).

Crash points (a test hook, off by default): `kill_point(name)` marks places where the kill tests
(tests/chaos/) stop the process with SIGKILL. Nothing happens unless a point was armed in this process with
`arm_kill_point(name, nth)` (or `arm_kill_points_from_env()`, which reads `HOSTSTAND_KILL_AT="point:nth,…"`):
then the `nth` time the point is reached the process kills itself, mid-transaction where the point sits
inside one. Points: `command` (in `enqueue`, inside the host command's own write transaction),
`claimed` and `before_ack` (replayer), `applied` and `pull` (sync/worker.py).
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from hoststand.domain.model import ActionState, ActionTarget, OutboxAction
from hoststand.store import repos
from hoststand.store.entities import action_from_row
from hoststand.store.engine import Store
from hoststand.store.rows import OutboxRow
from hoststand.store.types import JSONText, UTCDateTime

UNSETTLED = (ActionState.PENDING.value, ActionState.IN_FLIGHT.value, ActionState.FAILED.value)
RATE_LIMITED = "the vendor asked us to slow down"  # last_error of an action held back by a rate limit

# ------------------------------------------------------------------------------ crash points (tests)

KILL_ENV = "HOSTSTAND_KILL_AT"
_kill_armed: dict[str, int] = {}


def arm_kill_point(name: str, nth: int = 1) -> None:
    """Test hook: the `nth` time `kill_point(name)` is reached in this process, SIGKILL it."""
    if nth < 1:
        raise ValueError("nth must be >= 1")
    _kill_armed[name] = nth


def disarm_kill_points() -> None:
    _kill_armed.clear()


def arm_kill_points_from_env(env: Mapping[str, str] | None = None) -> dict[str, int]:
    """Arm the points named in `HOSTSTAND_KILL_AT` ("point" or "point:nth", comma-separated)."""
    spec = (env if env is not None else os.environ).get(KILL_ENV, "").strip()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, nth = part.partition(":")
        arm_kill_point(name.strip(), int(nth) if nth.strip() else 1)
    return dict(_kill_armed)


def kill_point(name: str) -> None:
    """A place where the kill tests may stop the process. A no-op unless armed (see the module docstring)."""
    if not _kill_armed or name not in _kill_armed:
        return
    _kill_armed[name] -= 1
    if _kill_armed[name] > 0:
        return
    os.write(2, f"hoststand: kill point {name!r} reached: SIGKILL\n".encode())
    os.kill(os.getpid(), signal.SIGKILL)



def enqueue(
    s: Session,
    *,
    kind: str,
    target: ActionTarget,
    order_key: str,
    payload: dict[str, Any],
    now: datetime,
    reservation_id: str | None = None,
    table_id: str | None = None,
    action_id: str | None = None,
) -> OutboxAction:
    action = OutboxAction(
        id=action_id or str(uuid.uuid4()),
        kind=kind,
        target=target,
        order_key=order_key,
        payload=dict(payload),
        created_at=now,
        next_attempt_at=now,
        reservation_id=reservation_id,
        table_id=table_id,
    )
    # a plain insert, not an ORM object and a flush of the unit of work: a pull that opens a few dozen
    # placeholder tickets in one transaction paid several milliseconds each
    values = asdict(action)
    del values["seq"]  # the store assigns it
    values.update(target=target.value, state=action.state.value, uncertain=False, claimed_at=None, settled_at=None,
                  outcome={})
    seq = repos.insert_row(s, OutboxRow, values)
    kill_point("command")  # test hook: inside the command's transaction, with this action written but not committed
    return replace(action, seq=int(seq))


def get(s: Session, action_id: str) -> OutboxAction | None:
    row = s.exec(select(OutboxRow).where(OutboxRow.id == action_id)).first()
    return action_from_row(row) if row else None


def is_uncertain(s: Session, action_id: str) -> bool:
    row = s.exec(select(OutboxRow).where(OutboxRow.id == action_id)).first()
    return bool(row and row.uncertain)


_CLAIM_SQL = text(
    """
    SELECT o.seq FROM outbox o
    WHERE o.state IN ('pending', 'failed')
      AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= :now)
      AND (:target IS NULL OR o.target = :target)
      AND NOT EXISTS (
        SELECT 1 FROM outbox p
        WHERE p.order_key = o.order_key AND p.seq < o.seq
          AND p.state IN ('pending', 'in_flight', 'failed')
      )
    ORDER BY o.seq
    LIMIT :limit
    """
)


def claim(store: Store, *, now: datetime, limit: int = 50, target: ActionTarget | None = None) -> list[OutboxAction]:
    """Mark up to `limit` ready actions in flight, in one transaction, and return them (oldest first)."""
    with store.write() as s:
        return claim_in(s, now=now, limit=limit, target=target)


def claim_in(
    s: Session,
    *,
    now: datetime,
    limit: int = 50,
    target: ActionTarget | None = None,
    uncertain: dict[str, bool] | None = None,
) -> list[OutboxAction]:
    """`claim` inside a write transaction the caller holds (the replayer claims and settles in one).
    `uncertain`, when given, receives each claimed action's flag (may have landed: read back first)."""
    if limit <= 0:
        return []
    now_text = UTCDateTime().process_bind_param(now, None)
    seqs = [
        r[0]
        for r in s.connection().execute(
            _CLAIM_SQL, {"now": now_text, "limit": limit, "target": target.value if target else None}
        )
    ]
    if not seqs:
        return []
    rows = list(s.exec(select(OutboxRow).where(col(OutboxRow.seq).in_(seqs)).order_by(OutboxRow.seq)))
    for r in rows:
        r.state = ActionState.IN_FLIGHT.value
        r.attempts += 1
        r.claimed_at = now
        s.add(r)
        if uncertain is not None:
            uncertain[r.id] = bool(r.uncertain)
    s.flush()
    return [action_from_row(r) for r in rows]


def _row(s: Session, action_id: str) -> OutboxRow:
    row = s.exec(select(OutboxRow).where(OutboxRow.id == action_id)).first()
    if row is None:
        raise KeyError(action_id)
    return row


_ACK_SQL = text(
    "UPDATE outbox SET state = :state, settled_at = :at, uncertain = 0, last_error = NULL, outcome = :outcome "
    "WHERE id = :id"
)


def ack(s: Session, action_id: str, *, now: datetime, outcome: dict[str, Any] | None = None) -> None:
    """Done. One UPDATE, no load (a replay settles hundreds a second); KeyError if there is no such action."""
    s.flush()  # whatever the session holds for this row goes first, the acknowledgement after it
    result = s.connection().execute(
        _ACK_SQL,
        {
            "state": ActionState.DONE.value,
            "at": UTCDateTime().process_bind_param(now, None),
            "outcome": JSONText().process_bind_param(outcome or {}, None),
            "id": action_id,
        },
    )
    if result.rowcount == 0:
        raise KeyError(action_id)
    for obj in list(s.identity_map.values()):
        if isinstance(obj, OutboxRow) and obj.__dict__.get("id") == action_id:
            s.expire(obj)  # a row loaded earlier in this session reads the new values


def fail(s: Session, action_id: str, *, error: str, next_attempt_at: datetime, uncertain: bool = False) -> None:
    """A transient failure: retry at `next_attempt_at`. `uncertain` = it may have landed; read back first."""
    row = _row(s, action_id)
    row.state = ActionState.FAILED.value
    row.last_error = error
    row.next_attempt_at = next_attempt_at
    row.uncertain = row.uncertain or uncertain
    s.add(row)


def clear_uncertain(s: Session, action_id: str) -> None:
    row = _row(s, action_id)
    row.uncertain = False
    s.add(row)


def dead(s: Session, action_id: str, *, reason: str, now: datetime) -> None:
    row = _row(s, action_id)
    row.state = ActionState.DEAD.value
    row.last_error = reason
    row.settled_at = now
    s.add(row)


def cancel(s: Session, action_id: str, *, now: datetime, reason: str = "superseded") -> bool:
    """Withdraw an action that has not been sent. Returns False if it is in flight or settled."""
    row = _row(s, action_id)
    if row.state not in (ActionState.PENDING.value, ActionState.FAILED.value) or row.uncertain:
        return False
    row.state = ActionState.CANCELLED.value
    row.settled_at = now
    row.last_error = reason
    s.add(row)
    return True


def retry_dead(s: Session, action_id: str, *, now: datetime) -> None:
    row = _row(s, action_id)
    if row.state != ActionState.DEAD.value:
        return
    row.state = ActionState.PENDING.value
    row.next_attempt_at = now
    row.settled_at = None
    s.add(row)


def discard_dead(s: Session, action_id: str, *, now: datetime) -> None:
    row = _row(s, action_id)
    if row.state != ActionState.DEAD.value:
        return
    row.state = ActionState.CANCELLED.value
    row.last_error = f"discarded by a manager: {row.last_error or ''}".strip()
    row.settled_at = now
    s.add(row)


def recover_in_flight(store: Store, *, now: datetime) -> int:
    """At start-up: actions a killed process left in flight become failed+uncertain, due now."""
    with store.write() as s:
        rows = list(s.exec(select(OutboxRow).where(OutboxRow.state == ActionState.IN_FLIGHT.value)))
        for r in rows:
            r.state = ActionState.FAILED.value
            r.uncertain = True
            r.next_attempt_at = now
            r.last_error = "interrupted while sending; checking with the vendor before retrying"
            s.add(r)
        return len(rows)


def counts(s: Session) -> dict[ActionState, int]:
    stmt = select(OutboxRow.state, func.count()).group_by(OutboxRow.state)
    out = {st: 0 for st in ActionState}
    for state, n in s.exec(stmt):
        out[ActionState(state)] = n
    return out


def unsettled(s: Session, *, target: ActionTarget | None = None) -> list[OutboxAction]:
    stmt = select(OutboxRow).where(col(OutboxRow.state).in_(UNSETTLED))
    if target is not None:
        stmt = stmt.where(OutboxRow.target == target.value)
    return [action_from_row(r) for r in s.exec(stmt.order_by(OutboxRow.seq))]


def tickets_being_voided(s: Session) -> set[str]:
    """Tickets whose void waits in the outbox (an unsettled `pos.void_ticket`): until the POS has it, a pull
    that still sees the order open must not bring the ticket back."""
    stmt = select(OutboxRow.payload).where(OutboxRow.kind == "pos.void_ticket", col(OutboxRow.state).in_(UNSETTLED))
    return {p["ticket_id"] for p in s.exec(stmt) if isinstance(p, dict) and p.get("ticket_id")}


def unsettled_for(s: Session, reservation_ids: Iterable[str] | None = None) -> dict[str, list[OutboxAction]]:
    """Unsettled actions grouped by reservation id (all reservations when `reservation_ids` is None)."""
    stmt = select(OutboxRow).where(col(OutboxRow.state).in_(UNSETTLED), col(OutboxRow.reservation_id).is_not(None))
    if reservation_ids is not None:
        stmt = stmt.where(col(OutboxRow.reservation_id).in_(list(reservation_ids)))
    out: dict[str, list[OutboxAction]] = {}
    for r in s.exec(stmt.order_by(OutboxRow.seq)):
        out.setdefault(r.reservation_id, []).append(action_from_row(r))
    return out


def settled_for(
    s: Session, reservation_ids: Iterable[str], *, states: Iterable[ActionState] = (ActionState.DONE,)
) -> dict[str, list[OutboxAction]]:
    """Actions of these reservations in `states` (acknowledged by default), oldest first, by reservation."""
    wanted = [st.value for st in states]
    out: dict[str, list[OutboxAction]] = {}
    ids = list(set(reservation_ids))
    for i in range(0, len(ids), 500):
        stmt = select(OutboxRow).where(col(OutboxRow.reservation_id).in_(ids[i : i + 500]), col(OutboxRow.state).in_(wanted))
        for r in s.exec(stmt.order_by(OutboxRow.seq)):
            out.setdefault(r.reservation_id, []).append(action_from_row(r))
    return out


def by_state(s: Session, states: Iterable[ActionState], limit: int = 500) -> list[OutboxAction]:
    stmt = (
        select(OutboxRow)
        .where(col(OutboxRow.state).in_([st.value for st in states]))
        .order_by(col(OutboxRow.seq).desc())
        .limit(limit)
    )
    return [action_from_row(r) for r in s.exec(stmt)]


_NEXT_DUE_SQL = text(
    """
    SELECT o.target, MIN(o.next_attempt_at) FROM outbox o
    WHERE o.state IN ('pending', 'failed')
      AND NOT EXISTS (
        SELECT 1 FROM outbox p
        WHERE p.order_key = o.order_key AND p.seq < o.seq
          AND p.state IN ('pending', 'in_flight', 'failed')
      )
    GROUP BY o.target
    """
)


def _as_datetime(value: object) -> datetime | None:
    if value is None:
        return None
    return UTCDateTime().process_result_value(value, None) if isinstance(value, str) else value  # type: ignore[return-value]


def next_due_by_target(s: Session) -> dict[ActionTarget, datetime]:
    """When the next action `claim` could take becomes due, per target (heads of their order key only)."""
    out: dict[ActionTarget, datetime] = {}
    for target, value in s.connection().execute(_NEXT_DUE_SQL):
        when = _as_datetime(value)
        if when is not None:
            out[ActionTarget(target)] = when
    return out


def next_due(s: Session, *, target: ActionTarget | None = None) -> datetime | None:
    """The earliest moment an action `claim` could take is due (None when nothing waits)."""
    due = next_due_by_target(s)
    if target is not None:
        return due.get(target)
    return min(due.values(), default=None)


def release_failed(store: Store, *, target: ActionTarget, now: datetime) -> int:
    """The API is back: its failed actions (except those held back by a rate limit) are due now."""
    now_text = UTCDateTime().process_bind_param(now, None)
    with store.write() as s:
        result = s.connection().execute(
            text(
                "UPDATE outbox SET next_attempt_at = :now WHERE state = 'failed' AND target = :target "
                "AND next_attempt_at > :now AND COALESCE(last_error, '') != :limited"
            ),
            {"now": now_text, "target": target.value, "limited": RATE_LIMITED},
        )
        return int(result.rowcount or 0)


def outcome(s: Session, action_id: str) -> dict[str, Any]:
    return dict(_row(s, action_id).outcome)
