"""Generated products, competitors, quotes with lines, and lost orders for the benchmarks.

Quotes go to random customers over the last 18 months, one to five lines each (about three),
numbered per year as the portal numbers them; older ones are decided (won 40 %, lost 40 %,
left to expire 20 %), recent ones are drafts or sent. Amounts use the portal's own rules.
"""
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

from portal.models import LOST_REASON, PRODUCT_CATEGORY, Competitor, LookupValue, LostOrder, Product, Quote, QuoteCounter, QuoteLine
from portal.rules.quotes import line_amount, quote_number, quote_totals

CATEGORIES = ["水果", "蔬菜", "干货", "冻品", "粮油"]
REASONS = ["价格", "质量", "交期", "服务", "关系", "付款条件", "需求取消", "其他"]
COMPETITORS = ["佳沛果业", "百果源供应链", "鲜农达", "绿源生鲜", "果多多", "丰收农业", "四季鲜", "优果汇", "农夫优选", "大地生鲜", "鲜丰集团", "永盛果蔬"]
PRICES = [Decimal(p) for p in ("12.50", "36.00", "58.00", "75.00", "98.00", "128.00", "260.00", "600.00")]
TAX = Decimal("13")


def build_quotes(builder, count: int) -> None:
    rng, now, today = builder.rng, builder.now, builder.today
    stamp = builder._stamp(now - timedelta(days=1200))
    next_lookup = builder.session.execute(LookupValue.__table__.select().with_only_columns(LookupValue.__table__.c.id)).all()
    lookup_id = max((row[0] for row in next_lookup), default=0)
    lookups, category_ids, reason_ids = [], [], []
    for kind, names, ids in ((PRODUCT_CATEGORY, CATEGORIES, category_ids), (LOST_REASON, REASONS, reason_ids)):
        for position, name in enumerate(names):
            lookup_id += 1
            lookups.append({"id": lookup_id, "kind": kind, "name": name, "position": position, **stamp})
            ids.append(lookup_id)
    builder._insert(LookupValue.__table__, lookups)
    products = []
    for number in range(1, 201):
        price = rng.choice(PRICES)
        products.append({
            "id": number, "code": f"P{number:04d}", "name": f"{rng.choice(CATEGORIES)}商品{number}", "spec": f"规格{number % 7 + 1}",
            "category_id": rng.choice(category_ids), "unit": rng.choice(("箱", "袋", "件", "吨")), "list_price": price,
            "unit_cost": (price * Decimal("0.72")).quantize(Decimal("0.01")), "active": number % 20 != 0,
            "search_text": f"p{number:04d}", **stamp,
        })
    builder._insert(Product.__table__, products)
    builder._insert(Competitor.__table__, [{"id": n, "name": name, "merged_into_id": None, **stamp} for n, name in enumerate(COMPETITORS, start=1)])

    department_of = dict(builder.sales)
    n_customers = builder.shape.customers
    dates = sorted(today - timedelta(days=rng.randrange(0, 540)) for _ in range(count))
    sequences: dict[int, int] = {}
    quotes, lines, lost_orders = [], [], []
    line_id = 0
    for quote_id, quote_date in enumerate(dates, start=1):
        customer_id = rng.randrange(1, n_customers + 1)
        owner_id = builder.owner[customer_id]
        year = quote_date.year
        sequences[year] = sequences.get(year, 0) + 1
        created = datetime.combine(quote_date, time(9), timezone.utc)
        amounts = []
        for position in range(1, rng.choice((1, 2, 3, 3, 4, 5)) + 1):
            product = products[rng.randrange(len(products))]
            quantity = Decimal(rng.choice((5, 10, 20, 50, 100)))
            discount = Decimal(rng.choice((0, 0, 3, 5)))
            amount = line_amount(quantity, product["list_price"], discount)
            amounts.append(amount)
            line_id += 1
            lines.append({
                "id": line_id, "quote_id": quote_id, "position": position, "product_id": product["id"], "name": product["name"],
                "spec": product["spec"], "quantity": quantity, "unit": product["unit"], "unit_price": product["list_price"],
                "discount_percent": discount, "amount": amount, **builder._stamp(created),
            })
        net, tax, gross = quote_totals(amounts, TAX)
        age = (today - quote_date).days
        roll = rng.random()
        status, decided = "sent", None
        if age < 14 and roll < 0.3:
            status = "draft"
        elif age > 30:
            if roll < 0.4:
                status, decided = "won", quote_date + timedelta(days=rng.randrange(2, 30))
            elif roll < 0.8:
                status, decided = "lost", quote_date + timedelta(days=rng.randrange(2, 30))
        quotes.append({
            "id": quote_id, "number": quote_number("BJ", year, sequences[year]), "year": year, "sequence": sequences[year],
            "revision": 1, "previous_id": None, "is_latest": True, "customer_id": customer_id, "contact_id": None,
            "owner_id": owner_id, "department_id": department_of.get(owner_id, 1), "quote_date": quote_date,
            "valid_until": quote_date + timedelta(days=30), "tax_rate": TAX, "delivery_terms": "", "payment_terms": "",
            "notes": "", "status": status, "sent_at": created if status != "draft" else None, "decided_on": decided,
            "amount_net": net, "amount_tax": tax, "amount_gross": gross, **builder._stamp(created),
        })
        if status == "lost":
            reason = rng.randrange(len(reason_ids))
            lost_orders.append({
                "id": len(lost_orders) + 1, "customer_id": customer_id, "quote_id": quote_id, "owner_id": owner_id,
                "department_id": department_of.get(owner_id, 1), "lost_on": decided, "reason_id": reason_ids[reason],
                "competitor_id": None if REASONS[reason] == "需求取消" else rng.randrange(1, len(COMPETITORS) + 1),
                "competitor_model": "", "competitor_price": (gross * Decimal("0.93")).quantize(Decimal("0.01")) if rng.random() < 0.5 else None,
                "amount": gross, "details": "", **builder._stamp(created),
            })
        if len(lines) >= 20_000:
            builder._insert(Quote.__table__, quotes)
            builder._insert(QuoteLine.__table__, lines)
            quotes.clear()
            lines.clear()
    builder._insert(Quote.__table__, quotes)
    builder._insert(QuoteLine.__table__, lines)
    builder._insert(LostOrder.__table__, lost_orders)
    builder._insert(QuoteCounter.__table__, [{"year": year, "last_number": last} for year, last in sequences.items()])
