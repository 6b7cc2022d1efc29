"""Customer pool (公海) rules as plain functions: when a neglected customer goes back to the pool,
and whether a salesperson may claim one."""
from dataclasses import dataclass
from datetime import datetime, timedelta

GRADE_RULES = {"A": 30, "B": 20, "C": 15, "D": 10}  # days without a follow-up, per intention grade
INTENDED_RULE_DAYS = 90  # days an intended customer may go without a contract
INTENDED = "intended"


@dataclass
class CustomerFacts:
    intention_grade: str | None
    stage: str
    owned_since: datetime  # when the present owner got it (registered, claimed, assigned…)
    last_follow_up_at: datetime | None
    locked: bool
    open_contract: bool  # a contract in progress or delivered and not completed
    contract_since_owned: bool  # a contract signed since the present owner got it


@dataclass
class Recycling:
    due_at: datetime
    rule: str  # "grade:A", "stage:intended"
    days: int


def recycling(facts: CustomerFacts, rules: dict[str, int]) -> Recycling | None:
    """When the customer goes back to the pool and by which rule (the earliest that applies), or None.

    - ``grade:<G>`` with N days: N days after the later of its last follow-up and the day the owner
      got it;
    - ``stage:intended`` with M days: an intended customer with no contract signed since the owner
      got it, M days after that day;
    - never while it is locked or has a contract in progress.
    """
    if facts.locked or facts.open_contract:
        return None
    candidates = []
    grade_days = rules.get(f"grade:{facts.intention_grade}") if facts.intention_grade else None
    if grade_days is not None:
        activity = max(facts.owned_since, facts.last_follow_up_at) if facts.last_follow_up_at else facts.owned_since
        candidates.append(Recycling(activity + timedelta(days=grade_days), f"grade:{facts.intention_grade}", grade_days))
    intended_days = rules.get(f"stage:{INTENDED}")
    if facts.stage == INTENDED and intended_days is not None and not facts.contract_since_owned:
        candidates.append(Recycling(facts.owned_since + timedelta(days=intended_days), f"stage:{INTENDED}", intended_days))
    return min(candidates, key=lambda item: item.due_at) if candidates else None


def is_due(plan: Recycling | None, now: datetime) -> bool:
    """Recycled once its moment has come (at the moment itself, not a second later)."""
    return plan is not None and now >= plan.due_at


def claim_problem(*, owned: int, max_owned: int, claims_today: int, max_claims: int,
                  recycled_from_me_at: datetime | None, claim_back_days: int, now: datetime) -> str | None:
    """Why a salesperson may not claim a pool customer now, or None:
    ``"owned"`` — already owns ``max_owned`` customers; ``"daily"`` — claimed ``max_claims`` today;
    ``"too_early"`` — the pool took it from them less than ``claim_back_days`` days ago."""
    if owned >= max_owned:
        return "owned"
    if claims_today >= max_claims:
        return "daily"
    if recycled_from_me_at is not None and now < recycled_from_me_at + timedelta(days=claim_back_days):
        return "too_early"
    return None
