"""Grading, churn and staffing rules on fixed figures: a customer exactly at the 80 % line, a tie in
revenue, margins, exactly 3 purchases, a fall of exactly 30 %."""
from datetime import date
from decimal import Decimal

from portal.rules.grading import FALL, INTERVAL, QUIET, churn_signal, grade_customers, salespeople_needed, visits_per_year

D = Decimal


def _grades(rows, share="80", threshold="1500"):
    return {g.customer_id: g.grade for g in grade_customers(rows, D(share), D(threshold))}


def test_the_customer_that_reaches_the_line_is_a_and_the_next_is_b():
    # 500 + 300 = 800 of 1,000: the second reaches 80 % exactly and is A; the third is B.
    rows = [(1, D("500"), D("0"), D("0")), (2, D("300"), D("0"), D("0")), (3, D("150"), D("0"), D("0")), (4, D("50"), D("0"), D("0"))]
    assert _grades(rows) == {1: "AB", 2: "AB", 3: "BB", 4: "BB"}


def test_the_customer_that_crosses_the_line_is_included():
    rows = [(1, D("700"), D("0"), D("0")), (2, D("200"), D("0"), D("0")), (3, D("100"), D("0"), D("0"))]
    assert _grades(rows) == {1: "AB", 2: "AB", 3: "BB"}  # 700 < 800, so the second (crossing to 900) is A


def test_customers_with_the_same_revenue_share_the_grade():
    rows = [(1, D("600"), D("0"), D("0")), (2, D("200"), D("0"), D("0")), (3, D("200"), D("0"), D("0"))]
    # 600 < 800: customer 2 is A; customer 3 has the same revenue, so A too though the line is reached.
    assert _grades(rows) == {1: "AB", 2: "AB", 3: "AB"}
    assert [g.rank for g in grade_customers(rows, D("80"), D("1500"))] == [1, 2, 3]


def test_margin_is_gross_profit_per_unit_above_the_threshold():
    rows = [(1, D("100000"), D("30000"), D("20")),   # 1,500 a unit: not above → B
            (2, D("100000"), D("30020"), D("20")),   # 1,501 a unit → A
            (3, D("100"), D("0"), D("0"))]            # no known cost → B
    assert _grades(rows, share="100") == {1: "AB", 2: "AA", 3: "AB"}
    assert grade_customers(rows, D("100"), D("1500"))[1].profit_per_unit == D("1501.00")


def test_cumulative_share_and_empty_input():
    graded = grade_customers([(1, D("3"), D("0"), D("0")), (2, D("1"), D("0"), D("0"))], D("80"), D("0"))
    assert [g.cumulative_share for g in graded] == [D("0.7500"), D("1.0000")]
    assert grade_customers([], D("80"), D("1500")) == []


TODAY = date(2026, 12, 1)


def _signal(**fields):
    base = dict(purchase_days=0, first_on=None, last_on=None, today=TODAY, last_follow_up_on=TODAY, known_since=date(2020, 1, 1),
                amount_last=D("0"), amount_before=D("0"), factor=D("1.5"), quiet_days=60, fall_percent=D("30"))
    base.update(fields)
    return churn_signal(**base)


def test_the_buying_rhythm_needs_three_purchases():
    # Purchases 1 Jan, 31 Jan, 2 Mar 2026: every 30 days; 1.5 × 30 = 45 days.
    three = dict(purchase_days=3, first_on=date(2026, 1, 1), last_on=date(2026, 3, 2))
    late = _signal(**three, today=date(2026, 4, 17))  # 46 days after the last
    assert late.rules == [INTERVAL] and late.average_interval == D("30.0") and late.days_overdue == 1
    assert _signal(**three, today=date(2026, 4, 16)).rules == []  # exactly 45 days: not yet
    two = _signal(purchase_days=2, first_on=date(2025, 1, 1), last_on=date(2025, 2, 1))
    assert INTERVAL not in two.rules and not two.interval_applies


def test_quiet_customers():
    assert _signal(last_follow_up_on=date(2026, 10, 2)).rules == []  # 60 days
    quiet = _signal(last_follow_up_on=date(2026, 10, 1))
    assert quiet.rules == [QUIET] and quiet.days_overdue == 1
    never = _signal(last_follow_up_on=None, known_since=date(2026, 9, 1))
    assert never.rules == [QUIET] and never.days_since_follow_up is None


def test_a_fall_of_exactly_thirty_percent_is_not_flagged():
    assert _signal(amount_before=D("1000"), amount_last=D("700")).rules == []
    assert _signal(amount_before=D("1000"), amount_last=D("699.99")).rules == [FALL]
    assert _signal(amount_before=D("0"), amount_last=D("0")).rules == []


def test_staffing():
    assert visits_per_year(7) == D(365) / D(7) and visits_per_year(None) == 0
    assert salespeople_needed(D("4000"), 800) == D("5.0")
