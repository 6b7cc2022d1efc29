"""Generated contracts with lines, payment plans, payments and deliveries for the benchmarks.

Two thirds of the contracts come from won quotes (their lines copied, as the portal does), signed a
few days after the quote was won; a third are older (18 to 36 months ago), so three years of
contracts are there to grade; the focus customer gets a dozen more so its page has a purchase history. Each
has a plan of a 30 % deposit and the rest 40 days later; older contracts are mostly paid (about
2.5 payments a contract), some are overdue; most have one delivery, done unless it is recent.
"""
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from portal.models import (
    Contract, ContractCounter, ContractLine, Delivery, DeliveryLine, Instalment, Payment, Product, Quote, QuoteLine,
)
from portal.rules.contracts import contract_number
from portal.rules.quotes import line_amount, quote_totals, to_fen

TAX = Decimal("13")
FOCUS_CONTRACTS = 12
METHODS = ("transfer", "transfer", "transfer", "acceptance", "cash", "other")
BATCH = 20_000


def build_contracts(builder, count: int) -> None:
    rng, today = builder.rng, builder.today
    session = builder.session
    won = session.execute(
        select(Quote.id, Quote.customer_id, Quote.owner_id, Quote.department_id, Quote.decided_on, Quote.amount_net,
               Quote.amount_tax, Quote.amount_gross)
        .where(Quote.status == "won").order_by(Quote.id)
    ).all()
    # Two thirds from the won quotes of the last 18 months; a third older history (see below), so
    # grading and the churn rules read three years of contracts.
    history = count // 3
    chosen = sorted(rng.sample(won, min(count - history, len(won))), key=lambda row: (row.decided_on, row.id))
    quote_lines: dict[int, list] = {}
    wanted = {row.id for row in chosen}
    for line in session.execute(
        select(QuoteLine.quote_id, QuoteLine.position, QuoteLine.product_id, QuoteLine.name, QuoteLine.spec,
               QuoteLine.quantity, QuoteLine.unit, QuoteLine.unit_price, QuoteLine.discount_percent, QuoteLine.amount)
    ):
        if line.quote_id in wanted:
            quote_lines.setdefault(line.quote_id, []).append(line)
    products = session.execute(select(Product.id, Product.name, Product.spec, Product.unit, Product.list_price, Product.unit_cost)).all()
    costs = {product.id: product.unit_cost for product in products}

    plans = []  # (quote id or None, customer, owner, department, signed on, [line dicts])
    for row in chosen:
        signed_on = min(row.decided_on + timedelta(days=rng.randrange(0, 6)), today)
        lines = [
            {"position": line.position, "product_id": line.product_id, "name": line.name, "spec": line.spec,
             "quantity": line.quantity, "unit": line.unit, "unit_price": line.unit_price,
             "discount_percent": line.discount_percent, "amount": line.amount, "unit_cost": costs.get(line.product_id)}
            for line in quote_lines.get(row.id, [])
        ]
        plans.append((row.id, row.customer_id, row.owner_id, row.department_id, signed_on, lines))
    focus = builder.focus_id
    focus_owner = builder.owner[focus]
    department_of = dict(builder.sales)
    for _ in range(history):  # 18 to 36 months ago, signed without a quote in the portal
        customer_id = rng.randrange(1, builder.shape.customers + 1)
        owner_id = builder.owner[customer_id]
        lines = []
        for position in range(1, rng.choice((1, 2, 3)) + 1):
            product = products[rng.randrange(len(products))]
            quantity = Decimal(rng.choice((10, 20, 50, 100)))
            lines.append({"position": position, "product_id": product.id, "name": product.name, "spec": product.spec,
                          "quantity": quantity, "unit": product.unit, "unit_price": product.list_price, "discount_percent": Decimal("0"),
                          "amount": line_amount(quantity, product.list_price), "unit_cost": product.unit_cost})
        plans.append((None, customer_id, owner_id, department_of.get(owner_id, 1), today - timedelta(days=rng.randrange(545, 1095)), lines))
    for _ in range(FOCUS_CONTRACTS):
        product = products[rng.randrange(len(products))]
        quantity = Decimal(rng.choice((10, 20, 50)))
        lines = [{"position": 1, "product_id": product.id, "name": product.name, "spec": product.spec, "quantity": quantity,
                  "unit": product.unit, "unit_price": product.list_price, "discount_percent": Decimal("0"),
                  "amount": line_amount(quantity, product.list_price), "unit_cost": product.unit_cost}]
        plans.append((None, focus, focus_owner, department_of.get(focus_owner, 1),
                      today - timedelta(days=rng.randrange(5, 500)), lines))
    plans.sort(key=lambda plan: plan[4])

    sequences: dict[int, int] = {}
    contracts, lines_out, instalments, payments, deliveries, delivery_lines = [], [], [], [], [], []
    ids = {"line": 0, "instalment": 0, "payment": 0, "delivery": 0, "delivery_line": 0}

    def flush():
        for table, rows in ((Contract.__table__, contracts), (ContractLine.__table__, lines_out),
                            (Instalment.__table__, instalments), (Payment.__table__, payments),
                            (Delivery.__table__, deliveries), (DeliveryLine.__table__, delivery_lines)):
            builder._insert(table, rows)
            rows.clear()

    for contract_id, (quote_id, customer_id, owner_id, department_id, signed_on, lines) in enumerate(plans, start=1):
        year = signed_on.year
        sequences[year] = sequences.get(year, 0) + 1
        stamp = builder._stamp(datetime.combine(signed_on, time(10), timezone.utc))
        net, tax, gross = quote_totals([line["amount"] for line in lines], TAX)
        deposit = to_fen(gross * Decimal("0.3"))
        plan = [(signed_on + timedelta(days=3), deposit), (signed_on + timedelta(days=40), gross - deposit)]
        age = (today - signed_on).days
        roll = rng.random()
        parts = []
        if age > 45 and roll < 0.75:
            # Paid: the deposit, then the rest in two or three payments (about 2.5 payments a contract).
            rest, pieces = gross - deposit, rng.choice((2, 3))
            share = to_fen(rest / pieces)
            amounts = [share] * (pieces - 1) + [rest - share * (pieces - 1)]
            parts = [(plan[0][0], deposit)] + [(plan[1][0] + timedelta(days=10 * n), amount) for n, amount in enumerate(amounts)]
        elif age > 5 and roll < 0.9:
            parts = [(plan[0][0], deposit)]
        received = Decimal("0")
        for received_on, amount in parts:
            ids["payment"] += 1
            payments.append({
                "id": ids["payment"], "contract_id": contract_id, "customer_id": customer_id, "owner_id": owner_id,
                "department_id": department_id, "received_on": min(received_on + timedelta(days=rng.randrange(-2, 5)), today),
                "amount": amount, "method": rng.choice(METHODS), "note": "", "recorded_by_id": owner_id, **stamp,
            })
            received += amount
        running_total = Decimal("0")
        for position, (due_on, amount) in enumerate(plan, start=1):  # the plan is in due-date order
            ids["instalment"] += 1
            running_total += amount
            instalments.append({"id": ids["instalment"], "contract_id": contract_id, "position": position, "due_on": due_on,
                                "amount": amount, "running_total": running_total, **stamp})
        planned_on = signed_on + timedelta(days=rng.randrange(2, 12))
        delivered_on = planned_on + timedelta(days=rng.randrange(0, 3)) if planned_on < today - timedelta(days=2) and rng.random() < 0.92 else None
        status = "in_progress"
        if delivered_on:
            status = "completed" if received >= gross else "delivered"
        contracts.append({
            "id": contract_id, "number": contract_number("HT", year, sequences[year]), "year": year, "sequence": sequences[year],
            "customer_id": customer_id, "contact_id": None, "quote_id": quote_id, "owner_id": owner_id,
            "department_id": department_id, "signed_on": signed_on, "tax_rate": TAX, "payment_terms": "预付 30%",
            "delivery_terms": "", "usage": "", "notes": "", "status": status, "cancel_reason": "",
            "amount_net": net, "amount_tax": tax, "amount_gross": gross, "amount_received": received,
            "scan_file": None, "scan_name": "", "scan_type": "", "scan_size": 0, **stamp,
        })
        ids["delivery"] += 1
        deliveries.append({
            "id": ids["delivery"], "contract_id": contract_id, "customer_id": customer_id, "owner_id": owner_id,
            "department_id": department_id, "sequence": 1, "planned_on": planned_on, "delivered_on": delivered_on,
            "address": "收货仓库", "receiver": "", "receiver_phone": "", "notes": "", **stamp,
        })
        for line in lines:
            ids["line"] += 1
            lines_out.append({"id": ids["line"], "contract_id": contract_id, **line, **stamp})
            ids["delivery_line"] += 1
            delivery_lines.append({"id": ids["delivery_line"], "delivery_id": ids["delivery"], "contract_line_id": ids["line"],
                                   "quantity": line["quantity"], **stamp})
        if len(lines_out) >= BATCH:
            flush()
    flush()
    builder._insert(ContractCounter.__table__, [{"year": year, "last_number": last} for year, last in sequences.items()])


def build_targets(builder) -> None:
    """A monthly target for every salesperson over the last 24 months and the rest of this year."""
    from portal.models import SalesTarget

    rng, today = builder.rng, builder.today
    months, year, month = [], today.year - 2, today.month
    while (year, month) <= (today.year, 12):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    stamp = builder._stamp(builder.now)
    rows, target_id = [], 0
    for user_id, _department_id in builder.sales:
        base = Decimal(rng.choice((200_000, 300_000, 400_000)))
        for year, month in months:
            target_id += 1
            rows.append({"id": target_id, "user_id": user_id, "year": year, "month": month, "amount": base, **stamp})
    builder._insert(SalesTarget.__table__, rows)
