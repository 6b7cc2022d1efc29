"""Contract rules as plain functions: numbering, status steps, the plan, payment status on fixed
dates, allocation to the oldest instalment, collected share and delivery limits."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from portal.rules.contracts import (
    CANCELLED, COMPLETED, DELIVERED, IN_PROGRESS, OVERDUE, PAID, PARTLY_PAID, UNPAID, allocate, amount_due_before,
    can_transition, collected_share, contract_number, delivery_number, delivery_overdue, fully_delivered, outstanding,
    payment_status, plan_difference, remaining_quantity, transition_blocker,
)

D = Decimal
TODAY = date(2026, 12, 1)


@dataclass
class Due:
    due_on: date
    amount: Decimal
    position: int = 0


def test_numbers():
    assert contract_number("HT", 2026, 7) == "HT2026-0007"
    assert delivery_number("HT2026-0007", 2) == "HT2026-0007-S2"


@pytest.mark.parametrize("current, target, allowed", [
    (IN_PROGRESS, DELIVERED, True), (IN_PROGRESS, CANCELLED, True), (IN_PROGRESS, COMPLETED, False),
    (DELIVERED, COMPLETED, True), (DELIVERED, CANCELLED, True), (DELIVERED, IN_PROGRESS, False),
    (COMPLETED, CANCELLED, False), (CANCELLED, IN_PROGRESS, False), ("nonsense", DELIVERED, False),
])
def test_allowed_transitions(current, target, allowed):
    assert can_transition(current, target) is allowed


def test_transition_blockers():
    assert transition_blocker(IN_PROGRESS, DELIVERED, all_delivered=False, paid_in_full=True) == "not_delivered"
    assert transition_blocker(IN_PROGRESS, DELIVERED, all_delivered=True, paid_in_full=False) is None
    assert transition_blocker(DELIVERED, COMPLETED, all_delivered=True, paid_in_full=False) == "not_paid"
    assert transition_blocker(DELIVERED, COMPLETED, all_delivered=True, paid_in_full=True) is None
    assert transition_blocker(IN_PROGRESS, COMPLETED, all_delivered=True, paid_in_full=True) == "not_allowed"


def test_plan_difference_is_exact_to_the_fen():
    assert plan_difference([D("300.00"), D("830.00")], D("1130.00")) == 0
    assert plan_difference([D("300.00"), D("830.01")], D("1130.00")) == D("-0.01")
    assert plan_difference([], D("10")) == D("10.00")


@pytest.mark.parametrize("received, due_before, expected", [
    ("0", "0", UNPAID),
    ("0", "100", OVERDUE),
    ("50", "0", PARTLY_PAID),
    ("50", "100", OVERDUE),
    ("100", "100", PARTLY_PAID),   # the late instalment is covered
    ("1130", "1130", PAID),
    ("1130", "0", PAID),
])
def test_payment_status(received, due_before, expected):
    assert payment_status(D("1130"), D(received), D(due_before)) == expected


def test_due_today_is_not_overdue_due_yesterday_is():
    plan_today = [(TODAY, D("100"))]
    plan_yesterday = [(date(2026, 11, 30), D("100"))]
    assert payment_status(D("100"), D("0"), amount_due_before(plan_today, TODAY)) == UNPAID
    assert payment_status(D("100"), D("0"), amount_due_before(plan_yesterday, TODAY)) == OVERDUE


def test_payments_cover_the_oldest_instalment_first():
    plan = [Due(date(2026, 12, 20), D("700")), Due(date(2026, 11, 1), D("300")), Due(date(2027, 1, 20), D("130"))]
    spread = allocate(plan, D("500"), TODAY)
    assert [(a.due_on, a.paid, a.open, a.overdue) for a in spread] == [
        (date(2026, 11, 1), D("300.00"), D("0.00"), False),
        (date(2026, 12, 20), D("200.00"), D("500.00"), False),
        (date(2027, 1, 20), D("0.00"), D("130.00"), False),
    ]
    late = allocate(plan, D("100"), TODAY)
    assert late[0].overdue and late[0].open == D("200.00") and not late[1].overdue


def test_outstanding_and_collected_share():
    assert outstanding(D("1130"), D("300")) == D("830.00")
    assert outstanding(D("100"), D("100")) == D("0.00")
    assert collected_share(D("1130"), D("565")) == D("50.0")
    assert collected_share(D("3"), D("1")) == D("33.3")
    assert collected_share(D("0"), D("0")) is None


def test_delivery_limits_and_flags():
    assert remaining_quantity(D("10"), D("4")) == D("6")
    assert remaining_quantity(D("10"), D("12")) == D("0")
    assert fully_delivered([(D("10"), D("10")), (D("2"), D("2.000"))])
    assert not fully_delivered([(D("10"), D("9.999"))])
    assert delivery_overdue(date(2026, 11, 30), None, TODAY)
    assert not delivery_overdue(TODAY, None, TODAY)
    assert not delivery_overdue(date(2026, 11, 30), date(2026, 12, 1), TODAY)
