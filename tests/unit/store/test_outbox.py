"""The outbox's guarantees on a real SQLite file: order per key, dead letters never block, claims are
exclusive, and a crash mid-send leaves the action to be read back before it is sent again."""

from __future__ import annotations

from datetime import timedelta

from hoststand.domain.model import ActionState, ActionTarget
from hoststand.store import outbox


def _enqueue(store, now, key, kind="k", target=ActionTarget.POS):
    with store.write() as s:
        return outbox.enqueue(s, kind=kind, target=target, order_key=key, payload={"k": key}, now=now)


def test_actions_with_one_key_go_one_at_a_time_in_order(store, clock):
    now = clock.now()
    a1, a2, a3 = (_enqueue(store, now, "res-1", kind=f"k{i}") for i in range(3))
    b1 = _enqueue(store, now, "res-2")
    first = outbox.claim(store, now=now)
    assert [a.id for a in first] == [a1.id, b1.id]
    assert outbox.claim(store, now=now) == []  # a2 waits for a1
    with store.write() as s:
        outbox.ack(s, a1.id, now=now)
    assert [a.id for a in outbox.claim(store, now=now)] == [a2.id]
    with store.write() as s:
        outbox.ack(s, a2.id, now=now)
    assert [a.id for a in outbox.claim(store, now=now)] == [a3.id]


def test_a_dead_action_never_blocks_the_ones_behind_it(store, clock):
    now = clock.now()
    a1 = _enqueue(store, now, "res-1")
    a2 = _enqueue(store, now, "res-1")
    outbox.claim(store, now=now)
    with store.write() as s:
        outbox.dead(s, a1.id, reason="Table 99 is not known", now=now)
    assert [a.id for a in outbox.claim(store, now=now)] == [a2.id]
    with store.read() as s:
        dead = outbox.by_state(s, [ActionState.DEAD])
    assert dead[0].last_error == "Table 99 is not known"


def test_a_failed_action_waits_for_its_time_and_holds_its_key(store, clock):
    now = clock.now()
    a1 = _enqueue(store, now, "res-1")
    a2 = _enqueue(store, now, "res-1")
    outbox.claim(store, now=now)
    with store.write() as s:
        outbox.fail(s, a1.id, error="unreachable", next_attempt_at=now + timedelta(seconds=30))
    assert outbox.claim(store, now=now + timedelta(seconds=10)) == []
    again = outbox.claim(store, now=now + timedelta(seconds=31))
    assert [a.id for a in again] == [a1.id] and again[0].attempts == 2
    assert a2.id not in [a.id for a in again]


def test_a_claimed_action_is_not_claimed_twice(store, clock):
    now = clock.now()
    for i in range(20):
        _enqueue(store, now, f"res-{i}")
    first = outbox.claim(store, now=now, limit=12)
    second = outbox.claim(store, now=now, limit=12)
    assert len(first) == 12 and len(second) == 8
    assert not {a.id for a in first} & {a.id for a in second}


def test_claims_can_be_limited_to_one_api(store, clock):
    now = clock.now()
    pos = _enqueue(store, now, "pos:1", target=ActionTarget.POS)
    _enqueue(store, now, "booking:1", target=ActionTarget.BOOKING)
    assert [a.id for a in outbox.claim(store, now=now, target=ActionTarget.POS)] == [pos.id]


def test_in_flight_actions_are_recovered_as_uncertain_after_a_crash(store, clock):
    now = clock.now()
    a = _enqueue(store, now, "res-1")
    outbox.claim(store, now=now)
    assert outbox.recover_in_flight(store, now=now) == 1
    with store.read() as s:
        assert outbox.is_uncertain(s, a.id)
        assert outbox.get(s, a.id).state is ActionState.FAILED
    # uncertain actions cannot be silently cancelled: they may have landed
    with store.write() as s:
        assert outbox.cancel(s, a.id, now=now) is False
    assert [x.id for x in outbox.claim(store, now=now)] == [a.id]


def test_cancel_withdraws_only_what_was_not_sent(store, clock):
    now = clock.now()
    a = _enqueue(store, now, "res-1")
    b = _enqueue(store, now, "res-2")
    outbox.claim(store, now=now, limit=1)  # a is in flight
    with store.write() as s:
        assert outbox.cancel(s, a.id, now=now) is False
        assert outbox.cancel(s, b.id, now=now) is True
    with store.read() as s:
        assert outbox.get(s, b.id).state is ActionState.CANCELLED


def test_a_manager_can_retry_or_discard_a_dead_action(store, clock):
    now = clock.now()
    a = _enqueue(store, now, "res-1")
    b = _enqueue(store, now, "res-2")
    outbox.claim(store, now=now)
    with store.write() as s:
        outbox.dead(s, a.id, reason="refused", now=now)
        outbox.dead(s, b.id, reason="refused", now=now)
        outbox.retry_dead(s, a.id, now=now)
        outbox.discard_dead(s, b.id, now=now)
    with store.read() as s:
        counts = outbox.counts(s)
    assert counts[ActionState.PENDING] == 1 and counts[ActionState.CANCELLED] == 1 and counts[ActionState.DEAD] == 0


def test_a_rolled_back_command_leaves_no_action(store, clock):
    now = clock.now()
    try:
        with store.write() as s:
            outbox.enqueue(s, kind="k", target=ActionTarget.POS, order_key="r", payload={}, now=now)
            raise RuntimeError("validation failed after enqueue")
    except RuntimeError:
        pass
    with store.read() as s:
        assert outbox.unsettled(s) == []
