"""Demo contracts for ``flask --app portal seed-demo``: one for most won quotes, with two-part
payment plans, payments (paid in full, partly, overdue, nothing yet) and deliveries (done, late,
coming)."""
import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.company_settings import get_setting
from portal.extensions import db
from portal.models import Contract, ContractCounter, ContractLine, Delivery, DeliveryLine, Instalment, Payment, Product, Quote
from portal.rules.contracts import COMPLETED, DELIVERED, IN_PROGRESS, contract_number
from portal.rules.followups import company_today
from portal.rules.quotes import to_fen
from portal.seed import register_demo_seeder

ADDRESSES = ["仓库收货区 3 号门", "门店后仓", "配送中心 B 区"]
METHODS = ["transfer", "transfer", "transfer", "acceptance", "cash"]


@register_demo_seeder("contracts", after=("quotes",))
def seed_contracts(accounts: dict) -> None:
    rng = random.Random(2027)
    today = company_today()
    prefix = get_setting("contracts.prefix")
    costs = dict(db.session.execute(select(Product.id, Product.unit_cost)).all())
    sequences: dict[int, int] = {}
    won = db.session.scalars(select(Quote).where(Quote.status == "won").order_by(Quote.decided_on, Quote.id)).all()
    this_week = today - timedelta(days=min(today.weekday(), today.day - 1))
    for quote in won:
        if rng.random() < 0.15 and quote.decided_on < this_week:
            continue  # won, contract not entered yet
        signed_on = min(quote.decided_on + timedelta(days=rng.randint(0, 5)), today)
        year = signed_on.year
        sequences[year] = sequences.get(year, 0) + 1
        contract = Contract(
            number=contract_number(prefix, year, sequences[year]), year=year, sequence=sequences[year],
            customer_id=quote.customer_id, contact_id=quote.contact_id, quote_id=quote.id, owner_id=quote.owner_id,
            department_id=quote.department_id, signed_on=signed_on, tax_rate=quote.tax_rate,
            payment_terms="预付 30%，到货后 30 天内付清", delivery_terms=quote.delivery_terms,
            usage=rng.choice(["门店零售", "食堂供应", "节日礼品", "加工原料"]),
            amount_net=quote.amount_net, amount_tax=quote.amount_tax, amount_gross=quote.amount_gross,
        )
        db.session.add(contract)
        db.session.flush()
        lines = [
            ContractLine(contract_id=contract.id, position=line.position, product_id=line.product_id, name=line.name,
                         spec=line.spec, unit=line.unit, quantity=line.quantity, unit_price=line.unit_price,
                         discount_percent=line.discount_percent, amount=line.amount, unit_cost=costs.get(line.product_id))
            for line in quote.lines
        ]
        db.session.add_all(lines)
        db.session.flush()
        deposit = to_fen(contract.amount_gross * Decimal("0.3"))
        plan = [(signed_on + timedelta(days=3), deposit), (signed_on + timedelta(days=40), contract.amount_gross - deposit)]
        for position, (due_on, amount) in enumerate(plan, start=1):
            db.session.add(Instalment(contract_id=contract.id, position=position, due_on=due_on, amount=amount))
        # Most instalments are paid a few days either side of their date; some stay overdue, and the
        # ones falling due these days are still open.
        for position, (due_on, amount) in enumerate(plan, start=1):
            day = due_on + timedelta(days=rng.randint(-2, 6))
            paid = rng.random() < (0.88 if position == 1 else 0.8)
            if signed_on >= this_week and position == 1:
                day, paid = signed_on, True  # a deal of this week brought its deposit on the day it was signed
            if day > today or not paid:
                break
            db.session.add(Payment(contract_id=contract.id, customer_id=contract.customer_id, owner_id=contract.owner_id,
                                   department_id=contract.department_id, received_on=max(day, signed_on), amount=amount,
                                   method=rng.choice(METHODS)))
            contract.amount_received += amount
        planned_on = signed_on + timedelta(days=rng.randint(2, 12))
        delivery = Delivery(contract_id=contract.id, customer_id=contract.customer_id, owner_id=contract.owner_id,
                            department_id=contract.department_id, sequence=1, planned_on=planned_on,
                            address=rng.choice(ADDRESSES), receiver="收货员", receiver_phone="13800000000")
        if planned_on < today - timedelta(days=2) and rng.random() < 0.9:
            delivery.delivered_on = planned_on + timedelta(days=rng.randint(0, 2))
        db.session.add(delivery)
        db.session.flush()
        db.session.add_all([DeliveryLine(delivery_id=delivery.id, contract_line_id=line.id, quantity=line.quantity) for line in lines])
        if delivery.delivered_on:
            contract.status = COMPLETED if contract.amount_received >= contract.amount_gross else DELIVERED
        else:
            contract.status = IN_PROGRESS
    for year, last in sequences.items():
        db.session.add(ContractCounter(year=year, last_number=last))
