import pytest
from hypothesis import given
from hypothesis import strategies as st
from spp_payment_core import states
from spp_payment_core.states import (
    FSP_STATUS_MAP,
    STATES,
    TRANSITIONS,
    IllegalTransition,
    check_transition,
    is_allowed,
    is_regression,
    map_fsp_status,
)

state = st.sampled_from(STATES)


@given(source=state, target=state)
def test_no_illegal_transition_is_accepted(source, target):
    if target in TRANSITIONS[source]:
        check_transition(source, target)
        assert is_allowed(source, target)
    else:
        assert not is_allowed(source, target)
        with pytest.raises(IllegalTransition):
            check_transition(source, target)


def _reachable(start):
    seen, todo = {start}, [start]
    while todo:
        for target in TRANSITIONS[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_every_state_is_reachable_and_none_is_a_dead_end():
    # (Replaces a random walk over the table, which could not fail.) A state
    # that cannot be reached is dead code; a live state from which no outcome
    # can be reached leaves money stuck with nobody able to act.
    assert _reachable(states.DRAFT) == set(STATES)
    outcomes = states.SETTLED_STATES | states.TERMINAL_STATES
    stuck = [s for s in STATES if s not in outcomes and not _reachable(s) & outcomes]
    assert stuck == []
    # Every send can still end paid, and every retryable state can be sent again.
    for source in states.IN_FLIGHT_STATES | states.RETRYABLE_STATES:
        assert states.PAID in _reachable(source), source


def test_unknown_is_never_requeued_and_terminals_have_no_exit():
    assert not is_allowed(states.UNKNOWN, states.QUEUED)
    assert states.TERMINAL_STATES == {states.REVERSED, states.CANCELLED}
    assert not is_allowed(states.PAID, states.FAILED)
    assert not is_allowed(states.PAID, states.PAID)


def test_unknown_states_refused():
    with pytest.raises(IllegalTransition, match="Unknown payment state"):
        check_transition("draft", "teleported")


def test_regressions():
    assert is_regression(states.PAID, states.PROCESSING)
    assert is_regression(states.PROCESSING, states.ACCEPTED)
    assert not is_regression(states.ACCEPTED, states.PAID)
    assert not is_regression(states.PAID, states.REVERSED)


@pytest.mark.parametrize(
    ("protocol", "raw", "expected"),
    [
        ("g2p_connect", "succ", "paid"),
        ("g2p_connect", "pdng", "processing"),
        ("g2p_connect", "rjct", "rejected"),
        ("mpesa", "0", "paid"),
        ("mpesa", 0, "paid"),
        ("mpesa", "SFC_IC0003", "failed"),
        ("mpesa", "2001", "rejected"),
        ("phee", "COMPLETED", "paid"),
        ("phee", "EXCEPTION", "unknown"),
        ("iso20022", "ACSC", "paid"),
        ("iso20022", "RJCT", "rejected"),
        ("mpesa", "9999", "unknown"),
    ],
)
def test_fsp_status_map(protocol, raw, expected):
    assert map_fsp_status(protocol, raw) == expected


def test_every_mapped_status_is_a_state():
    for table in FSP_STATUS_MAP.values():
        assert set(table.values()) <= set(STATES)
    with pytest.raises(ValueError, match="unknown FSP protocol"):
        map_fsp_status("carrier-pigeon", "ok")


@given(source=state, target=state)
def test_sources_of_is_the_inverse_of_the_table(source, target):
    assert (source in states.sources_of(target)) == is_allowed(source, target)


def test_paid_is_reached_only_from_payments_in_flight():
    assert states.sources_of(states.PAID) == {
        states.SENT,
        states.ACCEPTED,
        states.PROCESSING,
        states.UNKNOWN,
    }
    assert states.sources_of(states.DRAFT) == frozenset()


def test_every_state_is_reserved_paid_retryable_or_final():
    """A balance program counts an issued amount once: reserved while open, paid
    once paid, neither when it failed (retryable) or ended (terminal)."""
    paid = {states.PAID}
    groups = [
        states.RESERVING_STATES,
        paid,
        states.RETRYABLE_STATES,
        states.TERMINAL_STATES,
    ]
    assert set().union(*groups) == set(states.STATES)
    assert sum(len(group) for group in groups) == len(states.STATES)
