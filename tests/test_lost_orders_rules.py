"""Lost-order figures against hand-computed values on a fixed data set."""
from datetime import date
from decimal import Decimal

import pytest

from customer_factories import new_customer
from followups_factories import make_team
from portal.extensions import db
from portal.lookups import ensure_default_entries, lookup_entries
from portal.models import LOST_REASON, LostOrder
from portal.rules import lost_orders as figures
from portal.rules.lost_orders import Period, month_period, quarter_period, year_period
from quotes_factories import make_competitor, make_product, make_quote

NOVEMBER = month_period(date(2026, 11, 1))


@pytest.fixture
def data(make_department, make_user):
    """Fruit department, November 2026:
    Q1 刘洋 won 11-05 (10 × 100 = 1,000; 1,130.00 with tax);
    Q2 刘洋 lost 11-30, the period's last day, on price to 佳沛 (2 × 500 = 1,000; 1,130.00), who asked 1,000.00;
    Q3 陈静 lost 11-10 on quality to "佳沛果" — merged into 佳沛 afterwards (5 × 20 = 100; 113.00);
    R  刘洋 lost 11-15 without a quote, on price to 佳沛, estimate 500.00, competitor 400.00, product 苹果;
    outside: Q4 陈静 lost 12-01, Q5 陈静 won 10-31, and 赵敏 of 蔬菜部 lost 11-12 (1 × 300; 339.00)."""
    team = make_team(make_department, make_user)
    ensure_default_entries(LOST_REASON)
    db.session.commit()
    reasons = {entry.name: entry.id for entry in lookup_entries(LOST_REASON)}
    apple = make_product(code="A-1", name="苹果")
    jiapei, typo = make_competitor("佳沛"), make_competitor("佳沛果")
    mine, theirs = new_customer(team["sales"], name="甲客户"), new_customer(team["colleague"], name="乙客户")
    far = new_customer(team["outsider"], name="丙客户")

    def quote(customer, status, decided, lines):
        return make_quote(customer, lines=lines, status=status, decided_on=decided, quote_date=date(2026, 10, 1), valid_days=90)

    def lost(customer, decided_quote, reason, competitor, amount, price=None, on=None, product=None):
        db.session.add(LostOrder(customer_id=customer.id, quote_id=decided_quote.id if decided_quote else None,
                                 owner_id=customer.owner_id, department_id=customer.department_id,
                                 lost_on=on or decided_quote.decided_on, reason_id=reasons[reason],
                                 competitor_id=competitor.id if competitor else None, amount=Decimal(amount),
                                 competitor_price=Decimal(price) if price else None, product_id=product))
        db.session.commit()

    quote(mine, "won", date(2026, 11, 5), [("苹果", "10", "100", "0")])
    q2 = quote(mine, "lost", date(2026, 11, 30), [("梨", "2", "500", "0")])
    lost(mine, q2, "价格", jiapei, "1130.00", price="1000.00")
    q3 = quote(theirs, "lost", date(2026, 11, 10), [("桃", "5", "20", "0")])
    lost(theirs, q3, "质量", typo, "113.00")
    lost(mine, None, "价格", jiapei, "500.00", price="400.00", on=date(2026, 11, 15), product=apple.id)
    q4 = quote(theirs, "lost", date(2026, 12, 1), [("桃", "1", "1", "0")])
    lost(theirs, q4, "价格", jiapei, "1.13")
    quote(theirs, "won", date(2026, 10, 31), [("桃", "1", "1", "0")])
    q6 = quote(far, "lost", date(2026, 11, 12), [("菜", "1", "300", "0")])
    lost(far, q6, "交期", None, "339.00")
    # The merge moves the typed name's lost orders, as the competitors page does.
    for order in db.session.query(LostOrder).filter_by(competitor_id=typo.id):
        order.competitor_id = jiapei.id
    typo.merged_into_id = jiapei.id
    db.session.commit()
    return {"team": team, "fruit": team["fruit"].id, "reasons": reasons, "jiapei": jiapei, "apple": apple}


def test_periods():
    assert month_period(date(2024, 2, 10)) == Period(date(2024, 2, 1), date(2024, 2, 29), "month")
    assert quarter_period(date(2026, 11, 25)) == Period(date(2026, 10, 1), date(2026, 12, 31), "quarter")
    assert quarter_period(date(2026, 1, 1)).previous() == Period(date(2025, 10, 1), date(2025, 12, 31), "quarter")
    assert year_period(2026).previous() == year_period(2025)
    assert NOVEMBER.previous() == month_period(date(2026, 10, 31))
    assert Period(date(2026, 1, 10), date(2026, 1, 19)).previous() == Period(date(2025, 12, 31), date(2026, 1, 9))
    assert figures.months_of(quarter_period(date(2026, 11, 1))) == ["2026-10", "2026-11", "2026-12"]


def test_totals_and_rate_of_the_department(data):
    totals = figures.totals(NOVEMBER, data["fruit"])
    assert (totals.count, totals.amount) == (3, Decimal("1743.00"))  # 1,130 + 113 + 500
    assert (totals.rate.won, totals.rate.lost, totals.rate.rate) == (1, 2, Decimal("66.7"))
    previous = figures.totals(NOVEMBER.previous(), data["fruit"])
    assert (previous.count, previous.rate.won, previous.rate.lost, previous.rate.rate) == (0, 1, 0, Decimal("0.0"))


def test_all_departments_include_the_others(data):
    totals = figures.totals(NOVEMBER, None)
    assert (totals.count, totals.amount, totals.rate.lost) == (4, Decimal("2082.00"), 3)


def test_an_empty_period_gives_zeros_and_no_rate(data):
    totals = figures.totals(month_period(date(2020, 1, 1)), data["fruit"])
    assert (totals.count, totals.amount, totals.rate.rate) == (0, Decimal("0"), None)
    assert figures.lost_by("reason", month_period(date(2020, 1, 1)), data["fruit"]) == []
    assert figures.price_gap(month_period(date(2020, 1, 1)), data["fruit"]).average_percent is None


def test_by_reason_competitor_salesperson_and_month(data):
    by_reason = {b.label: (b.count, b.amount) for b in figures.lost_by("reason", NOVEMBER, data["fruit"])}
    assert by_reason == {"价格": (2, Decimal("1630.00")), "质量": (1, Decimal("113.00"))}
    by_competitor = {b.label: (b.count, b.amount) for b in figures.lost_by("competitor", NOVEMBER, data["fruit"])}
    assert by_competitor == {"佳沛": (3, Decimal("1743.00"))}  # the merged name's order counts for 佳沛
    by_person = {b.label: b.count for b in figures.lost_by("salesperson", NOVEMBER, data["fruit"])}
    assert by_person == {"刘洋": 2, "陈静": 1}
    assert [(b.key, b.count) for b in figures.lost_by("month", quarter_period(date(2026, 11, 1)), data["fruit"])] == [("2026-11", 3), ("2026-12", 1)]


def test_by_product_uses_line_amounts_and_the_records_product(data):
    by_product = {b.label: (b.count, b.amount) for b in figures.lost_by("product", NOVEMBER, data["fruit"])}
    assert by_product == {"苹果": (1, Decimal("500.00"))}  # quote lines here name no catalogue product


def test_rates_by_salesperson_and_month(data):
    by_person = {r.label: (r.won, r.lost, r.rate) for r in figures.lost_rate(NOVEMBER, data["fruit"], by="salesperson")}
    assert by_person == {"刘洋": (1, 1, Decimal("50.0")), "陈静": (0, 1, Decimal("100.0"))}
    by_month = {r.key: r.rate for r in figures.lost_rate(quarter_period(date(2026, 11, 1)), data["fruit"], by="month")}
    assert by_month == {"2026-10": Decimal("0.0"), "2026-11": Decimal("66.7"), "2026-12": Decimal("100.0")}


def test_competitor_share_of_decided_quotes(data):
    shares = figures.competitor_share(NOVEMBER, data["fruit"])
    assert [(r.label, r.lost, r.rate) for r in shares] == [("佳沛", 2, Decimal("66.7"))]


def test_price_gap_is_the_average_of_relative_differences(data):
    """(1,130 − 1,000) ÷ 1,000 = 13 %; (500 − 400) ÷ 400 = 25 %; average 19 %."""
    gap = figures.price_gap(NOVEMBER, data["fruit"])
    assert (gap.compared, gap.average_percent) == (2, Decimal("19.0"))


def test_price_gap_by_competitor_sums_both_prices_where_both_are_known(data):
    """佳沛: 1,130 + 500 of ours against 1,000 + 400 of theirs; Q3 (no price known) is left out."""
    rows = figures.price_gap_by_competitor(NOVEMBER, data["fruit"])
    assert [(r.label, r.compared, r.ours, r.theirs, r.average_percent) for r in rows] == [
        ("佳沛", 2, Decimal("1630.00"), Decimal("1400.00"), Decimal("19.0"))]
    assert figures.price_gap_by_competitor(month_period(date(2020, 1, 1)), data["fruit"]) == []


def test_drill_down_conditions_add_up_to_the_figures(data):
    from sqlalchemy import func, select

    for dimension in ("reason", "competitor", "salesperson", "month"):
        for bucket in figures.lost_by(dimension, NOVEMBER, data["fruit"]):
            count, amount = db.session.execute(
                select(func.count(), func.sum(LostOrder.amount)).where(
                    *figures.lost_conditions(NOVEMBER, data["fruit"]), figures.drill_down_condition(dimension, bucket.key)
                )
            ).one()
            assert (count, Decimal(amount)) == (bucket.count, bucket.amount), (dimension, bucket.label)


def test_product_shares_add_up_to_the_product_figures(data):
    for dimension in ("product", "category"):
        for bucket in figures.lost_by(dimension, NOVEMBER, data["fruit"]):
            shares = figures.product_amounts(dimension, bucket.key, NOVEMBER, data["fruit"])
            assert (len(shares), sum(shares.values())) == (bucket.count, bucket.amount), (dimension, bucket.label)
