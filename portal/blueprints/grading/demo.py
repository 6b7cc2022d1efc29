"""Demo grading and churn for ``flask --app portal seed-demo``: the grades computed from the demo
contracts (after a few repeat buyers are added so every grade and churn rule has examples), and the
churn warnings."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from portal.blueprints.grading.compute import run_churn, run_grading
from portal.company_settings import get_setting, set_setting
from portal.database import utcnow
from portal.extensions import db
from portal.models import Contract, ContractCounter, ContractLine, Customer, Product, Stage
from portal.rules.contracts import contract_number
from portal.rules.followups import company_today
from portal.rules.quotes import line_amount, quote_totals
from portal.seed import register_demo_seeder

# (days ago of each purchase, quantity, product code): a regular buyer gone quiet (interval rule), a
# buyer whose second year fell (fall rule), a big-volume thin-margin buyer, a small high-margin one.
HISTORIES = [
    ([400, 340, 280, 220, 160], 40, "SG-004"),
    ([700, 640, 580, 300], 600, "SG-002"),
    ([90, 60, 30], 900, "SC-001"),
    ([45], 8, "LL-001"),
]


@register_demo_seeder("grading", after=("contracts", "complaints", "performance"))
def seed_grading(accounts: dict) -> None:
    today = company_today()
    prefix = get_setting("contracts.prefix")
    products = {product.code: product for product in db.session.scalars(select(Product))}
    # The customers that bought least in the last year get the histories, so their own contracts do
    # not hide the signs (the quiet buyer and the fall come first).
    year_ago = today - timedelta(days=365)
    bought = dict(db.session.execute(
        select(Contract.customer_id, func.sum(Contract.amount_gross)).where(Contract.signed_on > year_ago).group_by(Contract.customer_id)
    ).all())
    signed = sorted(db.session.scalars(select(Customer).where(Customer.stage == Stage.SIGNED.value).order_by(Customer.id)),
                    key=lambda customer: (bought.get(customer.id, 0), customer.id))
    counters = {counter.year: counter for counter in db.session.scalars(select(ContractCounter))}
    for customer, (days, quantity, code) in zip(signed, HISTORIES):
        product = products[code]
        for days_ago in days:
            signed_on = today - timedelta(days=days_ago)
            counter = counters.get(signed_on.year)
            if counter is None:
                counter = counters[signed_on.year] = ContractCounter(year=signed_on.year, last_number=0)
                db.session.add(counter)
            counter.last_number += 1
            amount = line_amount(Decimal(quantity), product.list_price)
            net, tax, gross = quote_totals([amount], Decimal("13"))
            contract = Contract(number=contract_number(prefix, signed_on.year, counter.last_number), year=signed_on.year,
                                sequence=counter.last_number, customer_id=customer.id, owner_id=customer.owner_id,
                                department_id=customer.department_id, signed_on=signed_on, tax_rate=Decimal("13"),
                                status="completed", amount_net=net, amount_tax=tax, amount_gross=gross, amount_received=gross)
            db.session.add(contract)
            db.session.flush()
            db.session.add(ContractLine(contract_id=contract.id, position=1, product_id=product.id, name=product.name,
                                        spec=product.spec, unit=product.unit, quantity=Decimal(quantity),
                                        unit_price=product.list_price, amount=amount, unit_cost=product.unit_cost))
    # One of them has not been followed up for three months (the quiet rule).
    quiet = signed[2]
    quiet.last_follow_up_at = utcnow() - timedelta(days=90)
    db.session.flush()
    # Fruit earns tens of yuan a unit, not thousands: the demo company grades margin at ¥50 a unit.
    set_setting("grading.margin_threshold", Decimal("50"))
    db.session.flush()
    run_grading(today)
    run_churn(today)
