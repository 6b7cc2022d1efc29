"""Performance metrics as plain functions over a fixed data set: counts, amounts, rates with
nothing decided, period boundaries in the company time zone, targets spread over months."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from contracts_factories import make_contract
from customer_factories import new_customer
from followups_factories import make_team
from portal.extensions import db
from portal.models import FollowUp, SalesTarget
from portal.rules.performance import Metrics, month_share, monthly_targets, rate, salesperson_metrics, total_of, utc_bounds
from portal.rules.periods import Period, month_period, week_period
from quotes_factories import make_quote

D = Decimal
NOVEMBER = month_period(date(2026, 11, 15))


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def test_a_rate_with_nothing_decided_is_none_not_zero():
    assert rate(0, 0) is None and Metrics().close_rate is None and Metrics().lost_rate is None
    assert rate(1, 3) == D("33.3") and rate(0, 4) == D("0.0")
    assert Metrics().attainment is None and Metrics().average_deal is None


def test_totals_recompute_rates_from_sums():
    a, b = Metrics(won=1, lost=0), Metrics(won=1, lost=3)
    assert total_of([a, b]).close_rate == D("40.0")  # 2 of 5, not the mean of 100 % and 25 %


def test_the_period_bounds_are_company_midnights():
    start, end = utc_bounds(Period(date(2026, 11, 1), date(2026, 11, 30)))
    assert start == datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)


def test_month_share_spreads_a_target_over_the_days_in_the_period():
    assert month_share(NOVEMBER, 2026, 11) == 1
    assert month_share(week_period(date(2026, 12, 1)), 2026, 11) == D(1) / D(30)  # Mon 30 Nov
    assert month_share(week_period(date(2026, 12, 1)), 2026, 12) == D(6) / D(31)
    assert month_share(NOVEMBER, 2026, 10) == 0


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment given in company time (UTC+8), as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc) - timedelta(hours=8)


def test_monthly_targets_add_up_the_people_and_skip_archived_ones(team):
    sales, colleague, outsider = team["sales"], team["colleague"], team["outsider"]
    db.session.add_all([
        SalesTarget(user_id=sales.id, year=2026, month=11, amount=D("10000")),
        SalesTarget(user_id=colleague.id, year=2026, month=11, amount=D("2500.50")),
        SalesTarget(user_id=outsider.id, year=2026, month=11, amount=D("99999")),
        SalesTarget(user_id=sales.id, year=2027, month=1, amount=D("7000")),
        SalesTarget(user_id=sales.id, year=2026, month=12, amount=D("5000"), archived_at=datetime(2026, 11, 1, tzinfo=timezone.utc)),
    ])
    db.session.commit()
    months = [month_period(date(2026, 11, 1)), month_period(date(2026, 12, 1)), month_period(date(2027, 1, 1))]
    assert monthly_targets(months, [sales.id, colleague.id]) == [D("12500.50"), D("0"), D("7000")]
    assert monthly_targets(months, []) == [D("0")] * 3


def test_metrics_of_a_salesperson_over_a_fixed_month(team):
    sales, colleague = team["sales"], team["colleague"]
    customer = new_customer(sales, name="华联超市")
    customer.created_at = _at(date(2026, 10, 20), 10)
    late_new = new_customer(sales, name="家乐福")
    late_new.created_at = _at(date(2026, 11, 30), 23, 30)  # last evening of November: counts
    next_month = new_customer(sales, name="沃尔玛")
    next_month.created_at = _at(date(2026, 12, 1), 0, 30)  # December already
    db.session.commit()
    for moment, kind in ((_at(date(2026, 11, 1), 0, 10), "visit"), (_at(date(2026, 11, 30), 23, 59), "call_out"),
                         (_at(date(2026, 10, 31), 23, 59), "visit")):
        db.session.add(FollowUp(customer_id=customer.id, user_id=sales.id, kind=kind, happened_at=moment, summary="x"))
    db.session.commit()
    make_quote(customer, lines=[("苹果", "10", "100", "0")], status="won", quote_date=date(2026, 11, 2), decided_on=date(2026, 11, 10))
    make_quote(customer, lines=[("梨", "10", "50", "0")], status="lost", quote_date=date(2026, 11, 3), decided_on=date(2026, 11, 12))
    make_quote(customer, lines=[("梨", "10", "50", "0")], status="lost", quote_date=date(2026, 10, 3), decided_on=date(2026, 11, 20))
    make_quote(customer, lines=[("桃", "1", "10", "0")], status="draft", quote_date=date(2026, 11, 5))
    make_contract(customer, signed_on=date(2026, 11, 11), payments=[(date(2026, 11, 25), "500.00"), (date(2026, 12, 1), "100.00")])
    make_contract(customer, signed_on=date(2026, 11, 28), status="cancelled")
    db.session.add(SalesTarget(user_id=sales.id, year=2026, month=11, amount=D("2000.00")))
    db.session.commit()

    figures = salesperson_metrics(NOVEMBER, [sales.id, colleague.id])
    mine = figures[sales.id]
    assert mine.new_customers == 1
    assert dict(mine.follow_ups) == {"visit": 1, "call_out": 1}
    assert (mine.quotes_issued, mine.quoted_amount) == (2, D("1695.00"))  # the draft is not issued
    assert (mine.won, mine.won_amount, mine.lost, mine.lost_amount) == (1, D("1130.00"), 2, D("1130.00"))
    assert mine.close_rate == D("33.3") and mine.lost_rate == D("66.7")
    assert (mine.contracts, mine.deal_amount, mine.average_deal) == (1, D("1130.00"), D("1130.00"))
    assert mine.collected == D("500.00")
    assert mine.days_to_first_deal == D("22.0")  # registered 20 Oct, first contract 11 Nov
    assert mine.target == D("2000.00") and mine.attainment == D("56.5")
    nothing = figures[colleague.id]
    assert nothing.close_rate is None and nothing.deal_amount == 0 and nothing.attainment is None


def test_days_to_first_deal_count_only_customers_whose_first_contract_falls_in_the_period(team):
    """A customer who signed before the period is not a first deal in it; a cancelled or archived
    earlier contract does not count as signed before."""
    sales = team["sales"]
    returning = new_customer(sales, name="老客户")
    returning.created_at = _at(date(2026, 9, 1), 10)
    after_cancelled = new_customer(sales, name="取消后再签")
    after_cancelled.created_at = _at(date(2026, 10, 1), 10)
    after_archived = new_customer(sales, name="归档后再签")
    after_archived.created_at = _at(date(2026, 10, 21), 10)
    db.session.commit()
    make_contract(returning, signed_on=date(2026, 10, 5))
    make_contract(returning, signed_on=date(2026, 11, 3))
    make_contract(after_cancelled, signed_on=date(2026, 10, 10), status="cancelled")
    make_contract(after_cancelled, signed_on=date(2026, 11, 11))
    make_contract(after_cancelled, signed_on=date(2026, 11, 20))  # the first in the period counts
    make_contract(after_archived, signed_on=date(2026, 10, 25), archived_at=_at(date(2026, 10, 26), 9))
    make_contract(after_archived, signed_on=date(2026, 11, 1))
    db.session.commit()
    mine = salesperson_metrics(NOVEMBER, [sales.id])[sales.id]
    assert sorted(mine.first_deal_days) == [11, 41]  # 21 Oct → 1 Nov; 1 Oct → 11 Nov


def test_weekly_activity_puts_moments_in_company_time_weeks(team):
    from portal.rules.performance import weekly_activity

    sales = team["sales"]
    customer = new_customer(sales, name="华联超市")
    customer.created_at = _at(date(2026, 11, 29), 23, 30)  # Sunday evening: the week of 23 November
    db.session.add(FollowUp(customer_id=customer.id, user_id=sales.id, kind="visit", happened_at=_at(date(2026, 11, 30), 0, 5), summary="x"))
    db.session.commit()
    make_quote(customer, lines=[("苹果", "1", "10", "0")], status="sent", quote_date=date(2026, 11, 30))
    make_quote(customer, lines=[("苹果", "1", "10", "0")], status="draft", quote_date=date(2026, 11, 30))
    weeks, activity = weekly_activity(NOVEMBER, [sales.id])
    assert [week.start for week in weeks] == [date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16),
                                              date(2026, 11, 23), date(2026, 11, 30)]
    assert activity[(sales.id, date(2026, 11, 23))].new_customers == 1
    last = activity[(sales.id, date(2026, 11, 30))]
    assert dict(last.follow_ups) == {"visit": 1} and last.quotes == 1


def test_collection_rate_is_collected_over_the_deal_amount():
    from portal.rules.performance import collection_rate

    assert collection_rate(D("565.00"), D("1130.00")) == D("50.0")
    assert collection_rate(D("2000.00"), D("1000.00")) == D("200.0")  # payments of earlier deals count too
    assert collection_rate(D("100.00"), D("0")) is None and Metrics().collection_rate is None
    assert Metrics(collected=D("1"), deal_amount=D("3")).collection_rate == D("33.3")
    assert total_of([Metrics(collected=D("100"), deal_amount=D("100")), Metrics(collected=D("0"), deal_amount=D("300"))]).collection_rate == D("25.0")


def test_a_period_that_has_not_ended_stops_today():
    from portal.rules.periods import months_of, up_to

    today = date(2026, 12, 9)  # a Wednesday
    assert up_to(NOVEMBER, today) == NOVEMBER and not up_to(NOVEMBER, today).to_date
    running = up_to(month_period(today), today)
    assert (running.start, running.end, running.to_date) == (date(2026, 12, 1), today, True)
    last_day = up_to(month_period(date(2026, 12, 31)), date(2026, 12, 31))  # its last day has not ended either
    assert last_day.end == date(2026, 12, 31) and last_day.to_date
    not_begun = up_to(month_period(date(2027, 1, 5)), today)
    assert not_begun.days == 0 and months_of(not_begun) == []
    assert months_of(up_to(Period(date(2026, 1, 1), date(2026, 12, 31), "year"), date(2026, 3, 9))) == ["2026-01", "2026-02", "2026-03"]


def test_weekly_activity_has_no_week_after_today(team):
    from portal.rules.performance import weekly_activity

    december = month_period(date(2026, 12, 1))
    weeks, _activity = weekly_activity(december, [team["sales"].id], today=date(2026, 12, 9))
    assert [(week.start, week.end, week.to_date) for week in weeks] == [
        (date(2026, 11, 30), date(2026, 12, 6), False), (date(2026, 12, 7), date(2026, 12, 9), True)]
    assert weekly_activity(month_period(date(2027, 1, 1)), [team["sales"].id], today=date(2026, 12, 9))[0] == []
    assert len(weekly_activity(NOVEMBER, [team["sales"].id], today=date(2026, 12, 9))[0]) == 6  # a past month is whole
