"""The benchmark data generator: deterministic, consistent and without audit entries."""
import re

import pytest
from sqlalchemy import func, select

from bench.generate import FOCUS_FOLLOW_UPS, SIZES, GenerateError, generate
from portal.extensions import db
from portal.models import AuditEntry, Contact, Customer, FollowUp, Role, User
from portal.rules.customers import normalise_name, phone_digits
from portal.rules.followups import company_today


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_generates_the_shape_of_a_size():
    facts = generate("small", db.engine)
    shape = SIZES["small"]
    assert _count(Customer) == shape.customers
    assert _count(FollowUp) == shape.follow_ups
    assert _count(User, User.role == Role.SALES.value) == sum(shape.departments)
    assert _count(User, User.role == Role.HEAD.value) == len(shape.departments)
    assert shape.customers <= _count(Contact) <= 3 * shape.customers
    assert _count(AuditEntry) == 0
    # The focus customer: exactly 200 follow-ups, owned by a salesperson of the biggest department.
    focus = db.session.get(Customer, facts["focus_customer_id"])
    assert _count(FollowUp, FollowUp.customer_id == focus.id) == FOCUS_FOLLOW_UPS
    assert focus.owner.username == facts["sales"]
    assert db.session.scalar(select(User).where(User.username == facts["head"])).department_id == focus.department_id


def test_rows_saved_after_the_generated_ones_get_fresh_ids():
    """On PostgreSQL the generator moves every table's sequence past the ids it gave: the load
    test's payments, follow-ups and quotes must not collide with generated rows."""
    from decimal import Decimal

    from portal.models import Contract, Payment

    generate("small", db.engine)
    contract = db.session.scalar(select(Contract).order_by(Contract.id).limit(1))
    highest = db.session.scalar(select(func.max(Payment.id)))
    payment = Payment(contract_id=contract.id, customer_id=contract.customer_id, owner_id=contract.owner_id,
                      department_id=contract.department_id, received_on=company_today(), amount=Decimal("1.00"),
                      method="transfer", note="", recorded_by_id=contract.owner_id)
    db.session.add(payment)
    db.session.commit()
    assert payment.id > highest


def test_rows_are_consistent_and_realistic():
    generate("small", db.engine)
    today = company_today()
    customers = db.session.scalars(select(Customer)).all()
    for customer in customers:
        assert customer.name_key == normalise_name(customer.name)
        assert customer.mobile_key == phone_digits(customer.mobile)
        assert customer.department_id == customer.owner.department_id
        assert customer.name.lower() in customer.search_text
        assert all(contact.name in customer.search_text for contact in customer.contacts)
        assert re.fullmatch(r"(1[358]\d{9})?", customer.mobile)
        assert re.fullmatch(r"(0\d{2,3}-\d{8})?", customer.phone)
        newest = db.session.scalar(select(func.max(FollowUp.happened_at)).where(FollowUp.customer_id == customer.id))
        assert customer.last_follow_up_at == newest
    planned = [customer.next_follow_up_on for customer in customers if customer.next_follow_up_on]
    assert any(day < today for day in planned) and any(day == today for day in planned) and any(day > today for day in planned)
    assert "鲜果" in "".join(customer.name for customer in customers)


def _empty() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def test_same_seed_same_data_and_only_into_an_empty_database():
    generate("small", db.engine, seed=7)
    with pytest.raises(GenerateError):
        generate("small", db.engine, seed=7)
    rows = select(Customer.name, Customer.mobile, Customer.stage, Customer.next_follow_up_on).order_by(Customer.id)
    first = db.session.execute(rows).all()
    _empty()
    generate("small", db.engine, seed=7)
    assert db.session.execute(rows).all() == first


def test_contracts_are_consistent():
    from bench.generate_contracts import FOCUS_CONTRACTS
    from portal.models import Contract, Instalment, Payment

    facts = generate("small", db.engine)
    assert _count(Contract) == SIZES["small"].contracts + FOCUS_CONTRACTS
    assert _count(Contract, Contract.customer_id == facts["focus_customer_id"]) >= FOCUS_CONTRACTS
    planned = dict(db.session.execute(select(Instalment.contract_id, func.sum(Instalment.amount)).group_by(Instalment.contract_id)).all())
    paid = dict(db.session.execute(select(Payment.contract_id, func.sum(Payment.amount)).group_by(Payment.contract_id)).all())
    for contract in db.session.scalars(select(Contract)):
        assert planned[contract.id] == contract.amount_gross
        assert paid.get(contract.id, 0) == contract.amount_received <= contract.amount_gross
    assert 1.5 < _count(Payment) / _count(Contract) < 3.5


def test_complaints_are_generated_with_deadlines():
    from portal.models import Complaint

    generate("small", db.engine)
    complaints = db.session.scalars(select(Complaint)).all()
    assert len(complaints) == SIZES["small"].complaints
    assert all(c.respond_by > c.received_at for c in complaints)
    assert all(c.satisfaction is None or 1 <= c.satisfaction <= 5 for c in complaints)
