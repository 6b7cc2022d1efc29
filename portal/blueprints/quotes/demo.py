"""Demo products, competitors and quotes for ``flask --app portal seed-demo``: drafts, sent, won,
lost to several competitors for several reasons and expired ones, every month of the 13 months
ending today."""
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.company_settings import get_setting
from portal.extensions import db
from portal.lookups import ensure_default_entries, lookup_entries
from portal.models import (
    LOST_REASON, PRODUCT_CATEGORY, Competitor, Customer, CustomerLoss, LookupValue, LostOrder, Product, Quote, QuoteCounter,
    QuoteLine, Stage,
)
from portal.rules.followups import company_today, local_date, local_to_utc
from portal.rules.quotes import line_amount, quote_number, quote_totals
from portal.seed import register_demo_seeder

CATEGORIES = ["水果", "蔬菜", "冷链服务"]
# code, name, spec, category, unit, list price, unit cost
PRODUCTS = [
    ("SG-001", "红富士苹果", "80#一级 10kg/箱", "水果", "箱", "128.00", "96.00"),
    ("SG-002", "赣南脐橙", "75-80mm 9kg/箱", "水果", "箱", "98.00", "70.00"),
    ("SG-003", "海南香蕉", "A级 13kg/箱", "水果", "箱", "85.00", "62.00"),
    ("SG-004", "阳光玫瑰葡萄", "精品 2kg×4/箱", "水果", "箱", "260.00", "195.00"),
    ("SC-001", "山东大白菜", "净菜 20kg/袋", "蔬菜", "袋", "36.00", "24.00"),
    ("SC-002", "云南西兰花", "冰鲜 10kg/箱", "蔬菜", "箱", "75.00", "52.00"),
    ("SC-003", "寿光西红柿", "一级 10kg/箱", "蔬菜", "箱", "68.00", "47.00"),
    ("LL-001", "冷链配送服务", "市内 4.2m 冷藏车", "冷链服务", "车次", "600.00", "420.00"),
]
COMPETITORS = ["佳沛果业", "百果源供应链", "鲜农达", "绿源生鲜"]
REASON_WEIGHTS = {"价格": 45, "交期": 15, "质量": 10, "服务": 10, "关系": 8, "付款条件": 5, "需求取消": 4}
WEAK_SELLER = "chen.jing"


@register_demo_seeder("quotes", after=("customers",))
def seed_quotes(accounts: dict) -> None:
    rng = random.Random(2026)
    categories = {}
    for position, name in enumerate(CATEGORIES):
        categories[name] = LookupValue(kind=PRODUCT_CATEGORY, name=name, position=position)
        db.session.add(categories[name])
    ensure_default_entries(LOST_REASON)
    db.session.flush()
    products = []
    for code, name, spec, category, unit, price, cost in PRODUCTS:
        product = Product(code=code, name=name, spec=spec, category_id=categories[category].id, unit=unit,
                          list_price=Decimal(price), unit_cost=Decimal(cost), search_text=f"{code} {name} {spec}".lower())
        db.session.add(product)
        products.append(product)
    competitors = [Competitor(name=name) for name in COMPETITORS]
    db.session.add_all(competitors)
    db.session.flush()
    reasons = lookup_entries(LOST_REASON)
    today = company_today()
    prefix = get_setting("quotes.prefix")
    sequences: dict[int, int] = {}
    weights = [REASON_WEIGHTS.get(entry.name, 3) for entry in reasons]
    for quote_date, customer, outcome in _quote_plan(rng, today, accounts):
        year = quote_date.year
        sequences[year] = sequences.get(year, 0) + 1
        quote = Quote(
            year=year, sequence=sequences[year], number=quote_number(prefix, year, sequences[year]),
            customer_id=customer.id, owner_id=customer.owner_id, department_id=customer.department_id,
            quote_date=quote_date, valid_until=quote_date + timedelta(days=30), tax_rate=Decimal("13"),
            delivery_terms="收到订单后 3 日内送货", payment_terms="月结 30 天", status="draft",
        )
        db.session.add(quote)
        db.session.flush()
        lines = []
        for position, product in enumerate(rng.sample(products, rng.randint(1, 3)), start=1):
            quantity = Decimal(rng.choice([10, 20, 50, 100, 200]))
            discount = Decimal(rng.choice([0, 0, 3, 5, 8]))
            lines.append(QuoteLine(quote_id=quote.id, position=position, product_id=product.id, name=product.name,
                                   spec=product.spec, unit=product.unit, quantity=quantity, unit_price=product.list_price,
                                   discount_percent=discount, amount=line_amount(quantity, product.list_price, discount)))
        db.session.add_all(lines)
        quote.amount_net, quote.amount_tax, quote.amount_gross = quote_totals([line.amount for line in lines], quote.tax_rate)
        if outcome == "draft":
            continue
        quote.status, quote.sent_at = "sent", local_to_utc(datetime.combine(quote_date, time(10)))
        if outcome in ("sent", "expired"):
            continue  # waiting for the customer, or left past its valid-until date so it shows as expired
        decided_on = _decision_day(rng, quote_date, today, this_week=outcome.endswith("now"))
        if decided_on is None:
            continue  # the customer has not answered yet
        if outcome.startswith("won"):
            quote.status, quote.decided_on = "won", decided_on
            if customer.stage != Stage.LOST.value:
                customer.stage = Stage.SIGNED.value
            continue
        quote.status, quote.decided_on = "lost", decided_on
        # A dominant reason (price) and two strong competitors, as a real department sees them.
        reason = rng.choices(reasons, weights=weights)[0]
        competitor = None if reason.name == "需求取消" else rng.choices(competitors, weights=[45, 35, 12, 8])[0]
        db.session.add(LostOrder(
            customer_id=customer.id, quote_id=quote.id, owner_id=quote.owner_id, department_id=quote.department_id,
            lost_on=quote.decided_on, reason_id=reason.id, competitor_id=competitor.id if competitor else None,
            competitor_model=rng.choice(["", "同规格", "二级果"]) if competitor else "",
            competitor_price=(quote.amount_gross * Decimal(rng.choice(["0.88", "0.92", "0.95"]))).quantize(Decimal("0.01")) if competitor and rng.random() < 0.6 else None,
            amount=quote.amount_gross, details="客户选择了报价更低的供应商" if reason.name == "价格" else "",
        ))
    for year, last in sequences.items():
        db.session.add(QuoteCounter(year=year, last_number=last))
    # The customers in the 流失 stage went to a competitor half a year ago, after their last lost quote.
    for customer in db.session.scalars(select(Customer).where(Customer.stage == Stage.LOST.value).order_by(Customer.id)):
        losses = [order.lost_on for order in db.session.scalars(select(LostOrder).where(LostOrder.customer_id == customer.id))]
        db.session.add(CustomerLoss(customer_id=customer.id, owner_id=customer.owner_id, department_id=customer.department_id,
                                    lost_on=max(losses, default=today - timedelta(days=190)) + timedelta(days=10),
                                    reason_id=reasons[0].id, competitor_id=competitors[customer.id % 2].id,
                                    details="整体转向了竞争对手的年度供货"))


def _decision_day(rng: random.Random, quote_date: date, today: date, this_week: bool) -> date | None:
    """When the customer answered: 3 to 25 days after the quote, None when that is still to come; a
    decision of this week falls between the Monday (or the first of the month) and today."""
    if this_week:
        earliest = max(quote_date, today - timedelta(days=min(today.weekday(), today.day - 1)))
        return earliest + timedelta(days=rng.randint(0, (today - earliest).days))
    day = quote_date + timedelta(days=rng.randint(3, 25))
    return day if day <= today else None


def _quote_plan(rng: random.Random, today: date, accounts: dict) -> list[tuple[date, Customer, str]]:
    """(quote date, customer, outcome) of every demo quote: three to five a month for each
    salesperson over the 13 months ending today, and for every salesperson a quote won and one
    lost this week. Outcomes: draft, sent (waiting), expired, won, lost (``won-now``/``lost-now``
    decided this week). Lost (流失) customers are quoted only before they left, half a year ago."""
    by_owner: dict[int, list[Customer]] = {}
    for customer in db.session.scalars(select(Customer).order_by(Customer.id)):
        by_owner.setdefault(customer.owner_id, []).append(customer)
    weak = accounts[WEAK_SELLER].id
    plan = []
    first = today.replace(year=today.year - 1, day=1)
    for owner_id, customers in sorted(by_owner.items()):
        won_share = 0.15 if owner_id == weak else 0.45  # one salesperson loses far more often than the others
        month = first
        while month <= today:
            last_day = min((month + timedelta(days=32)).replace(day=1) - timedelta(days=1), today)
            for _ in range(rng.randint(3, 5)):
                quote_date = month + timedelta(days=rng.randint(0, (last_day - month).days))
                age = (today - quote_date).days
                pool = _quotable(customers, quote_date, age > 180)
                roll = rng.random()
                if age < 10 and roll < 0.3:
                    outcome = "draft"
                elif age <= 25 and roll < 0.6:
                    outcome = "sent"
                elif roll < won_share:
                    outcome = "won"
                elif roll < 0.88:
                    outcome = "lost"
                else:
                    outcome = "expired" if age > 30 else "sent"
                plan.append((quote_date, rng.choice(pool), outcome))
            month = (month + timedelta(days=32)).replace(day=1)
        for outcome in ("won-now", "lost-now"):
            quote_date = today - timedelta(days=rng.randint(5, 20))
            plan.append((quote_date, rng.choice(_quotable(customers, quote_date, False)), outcome))
    return sorted(plan, key=lambda item: (item[0], item[1].id))


def _quotable(customers: list[Customer], quote_date: date, lost_too: bool) -> list[Customer]:
    """The customers registered by ``quote_date``; the lost (流失) ones only when ``lost_too``; never
    the cold leads (potential, grade D or none), which the pool takes back."""
    known = [customer for customer in customers if local_date(customer.created_at) <= quote_date
             and not (customer.stage == Stage.POTENTIAL.value and customer.intention_grade in (None, "D"))]
    return [customer for customer in known if lost_too or customer.stage != Stage.LOST.value] or known or customers
