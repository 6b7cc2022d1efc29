"""Pool rules on fixed dates: each recycling rule, locks and open contracts, the claim limits."""
from datetime import datetime, timedelta, timezone

import pytest

from portal.rules.pool import CustomerFacts, claim_problem, is_due, recycling

RULES = {"grade:A": 30, "grade:B": 20, "grade:C": 15, "grade:D": 10, "stage:intended": 90}
T0 = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)


def facts(**fields):
    base = dict(intention_grade="B", stage="potential", owned_since=T0, last_follow_up_at=None, locked=False,
                open_contract=False, contract_since_owned=False)
    base.update(fields)
    return CustomerFacts(**base)


@pytest.mark.parametrize("grade, days", [("A", 30), ("B", 20), ("C", 15), ("D", 10)])
def test_each_grade_returns_after_its_days_without_a_follow_up(grade, days):
    plan = recycling(facts(intention_grade=grade), RULES)
    assert plan.rule == f"grade:{grade}" and plan.due_at == T0 + timedelta(days=days)
    assert not is_due(plan, T0 + timedelta(days=days) - timedelta(seconds=1))
    assert is_due(plan, T0 + timedelta(days=days))


def test_a_follow_up_restarts_the_count_and_a_new_owner_too():
    later = T0 + timedelta(days=12)
    assert recycling(facts(last_follow_up_at=later), RULES).due_at == later + timedelta(days=20)
    # A follow-up before the present owner got it does not count: the owner's own time does.
    assert recycling(facts(last_follow_up_at=T0 - timedelta(days=100)), RULES).due_at == T0 + timedelta(days=20)


def test_an_intended_customer_without_a_contract():
    plan = recycling(facts(intention_grade=None, stage="intended"), RULES)
    assert plan.rule == "stage:intended" and plan.due_at == T0 + timedelta(days=90)
    assert recycling(facts(intention_grade=None, stage="intended", contract_since_owned=True), RULES) is None
    # Both rules: the earlier wins.
    assert recycling(facts(intention_grade="D", stage="intended"), RULES).rule == "grade:D"


def test_locked_and_contract_in_progress_are_never_recycled():
    assert recycling(facts(locked=True), RULES) is None
    assert recycling(facts(open_contract=True, stage="intended"), RULES) is None
    assert recycling(facts(intention_grade=None), RULES) is None  # no grade, not intended: no rule


def test_claim_limits():
    now = T0
    ok = dict(owned=10, max_owned=11, claims_today=2, max_claims=3, recycled_from_me_at=None, claim_back_days=30, now=now)
    assert claim_problem(**ok) is None
    assert claim_problem(**{**ok, "owned": 11}) == "owned"
    assert claim_problem(**{**ok, "claims_today": 3}) == "daily"
    assert claim_problem(**{**ok, "recycled_from_me_at": now - timedelta(days=29)}) == "too_early"
    assert claim_problem(**{**ok, "recycled_from_me_at": now - timedelta(days=30)}) is None
