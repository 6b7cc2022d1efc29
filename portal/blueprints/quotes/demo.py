"""Demo products, competitors and quotes for ``flask --app portal seed-demo``: drafts, sent, won,
lost to several competitors for several reasons and expired ones, over the last 18 months."""
import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.company_settings import get_setting
from portal.database import utcnow
from portal.extensions import db
from portal.lookups import ensure_default_entries, lookup_entries
from portal.models import (
    LOST_REASON, PRODUCT_CATEGORY, Competitor, Customer, LookupValue, LostOrder, Product, Quote, QuoteCounter,
    QuoteLine, Stage,
)
from portal.rules.followups import company_today
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
    dates = []
    customers = db.session.scalars(select(Customer).order_by(Customer.id)).all()
    for customer in customers:
        for _ in range(rng.randint(1, 3)):
            dates.append((today - timedelta(days=rng.randint(0, 540)), customer))
    for quote_date, customer in sorted(dates, key=lambda item: (item[0], item[1].id)):
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
        age = (today - quote_date).days
        roll = rng.random()
        if age < 10 and roll < 0.4:
            continue  # a recent draft
        quote.status, quote.sent_at = "sent", utcnow() - timedelta(days=age)
        if age <= 30 and roll < 0.7:
            continue  # sent, waiting for the customer
        # One salesperson loses far more often than the others (the analysis should show who).
        won_share = 0.15 if customer.owner_id == accounts[WEAK_SELLER].id else 0.45
        if roll < won_share:
            quote.status, quote.decided_on = "won", quote_date + timedelta(days=rng.randint(3, 25))
            customer.stage = Stage.SIGNED.value
        elif roll < 0.85:
            quote.status, quote.decided_on = "lost", quote_date + timedelta(days=rng.randint(3, 25))
            # A dominant reason (price) and two strong competitors, as a real department sees them.
            reason = rng.choices(reasons, weights=[REASON_WEIGHTS.get(entry.name, 3) for entry in reasons])[0]
            competitor = None if reason.name == "需求取消" else rng.choices(competitors, weights=[45, 35, 12, 8])[0]
            db.session.add(LostOrder(
                customer_id=customer.id, quote_id=quote.id, owner_id=quote.owner_id, department_id=quote.department_id,
                lost_on=quote.decided_on, reason_id=reason.id, competitor_id=competitor.id if competitor else None,
                competitor_model=rng.choice(["", "同规格", "二级果"]) if competitor else "",
                competitor_price=(quote.amount_gross * Decimal(rng.choice(["0.88", "0.92", "0.95"]))).quantize(Decimal("0.01")) if competitor and rng.random() < 0.6 else None,
                amount=quote.amount_gross, details="客户选择了报价更低的供应商" if reason.name == "价格" else "",
            ))
        # else: left sent past its valid-until date, so it shows as expired
    for year, last in sequences.items():
        db.session.add(QuoteCounter(year=year, last_number=last))
