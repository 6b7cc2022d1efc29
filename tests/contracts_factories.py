"""Factories for contract tests and the access matrix."""
from datetime import timedelta
from decimal import Decimal

from portal.extensions import db
from portal.models import Contract, ContractCounter, ContractLine, Delivery, DeliveryLine, Instalment, Payment
from portal.rules.contracts import contract_number
from portal.rules.followups import company_today
from portal.rules.quotes import line_amount, quote_totals


def make_contract(customer, lines=(("苹果", "10", "100.00"),), signed_on=None, tax_rate="13", plan=None,
                  payments=(), status="in_progress", **fields) -> Contract:
    """A contract of ``customer`` numbered like the app numbers them. ``lines`` are (name, quantity,
    unit price) tuples; ``plan`` is [(due_on, amount)] (default: none); ``payments`` [(received_on, amount)]."""
    signed_on = signed_on or company_today()
    year = signed_on.year
    counter = db.session.get(ContractCounter, year)
    if counter is None:
        counter = ContractCounter(year=year, last_number=0)
        db.session.add(counter)
    counter.last_number += 1
    contract = Contract(
        number=contract_number("HT", year, counter.last_number), year=year, sequence=counter.last_number,
        customer_id=customer.id, owner_id=customer.owner_id, department_id=customer.department_id,
        signed_on=signed_on, tax_rate=Decimal(tax_rate), status=status, **fields,
    )
    db.session.add(contract)
    db.session.flush()
    saved = []
    for position, (name, quantity, price) in enumerate(lines, start=1):
        line = ContractLine(contract_id=contract.id, position=position, name=name, spec="一级", unit="箱",
                            quantity=Decimal(quantity), unit_price=Decimal(price),
                            amount=line_amount(Decimal(quantity), Decimal(price)))
        db.session.add(line)
        saved.append(line)
    contract.amount_net, contract.amount_tax, contract.amount_gross = quote_totals([l.amount for l in saved], contract.tax_rate)
    for position, (due_on, amount) in enumerate(plan or [], start=1):
        db.session.add(Instalment(contract_id=contract.id, position=position, due_on=due_on, amount=Decimal(amount)))
    for received_on, amount in payments:
        db.session.add(Payment(contract_id=contract.id, customer_id=customer.id, owner_id=contract.owner_id,
                               department_id=contract.department_id, received_on=received_on, amount=Decimal(amount),
                               method="transfer"))
        contract.amount_received += Decimal(amount)
    db.session.commit()
    return contract


def make_delivery(contract, quantities=None, planned_on=None, delivered_on=None, address="上海市浦东新区 1 号") -> Delivery:
    """A delivery of ``contract``: ``quantities`` maps line position (1-based) to quantity (default all)."""
    lines = sorted([line for line in db.session.query(ContractLine).filter_by(contract_id=contract.id, archived_at=None)],
                   key=lambda line: line.position)
    sequence = db.session.query(Delivery).filter_by(contract_id=contract.id).count() + 1
    delivery = Delivery(contract_id=contract.id, customer_id=contract.customer_id, owner_id=contract.owner_id,
                        department_id=contract.department_id, sequence=sequence,
                        planned_on=planned_on or contract.signed_on + timedelta(days=3), delivered_on=delivered_on,
                        address=address, receiver="李收货", receiver_phone="13900000000")
    db.session.add(delivery)
    db.session.flush()
    for line in lines:
        quantity = Decimal(str((quantities or {}).get(line.position, line.quantity)))
        if quantity:
            db.session.add(DeliveryLine(delivery_id=delivery.id, contract_line_id=line.id, quantity=quantity))
    db.session.commit()
    return delivery
