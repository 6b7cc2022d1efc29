"""Factories for customer-register tests and the access matrix."""
from portal.extensions import db
from portal.models import Contact, Customer
from portal.rules.customers import refresh_keys


def new_customer(owner, name="测试客户", contacts=(), **fields) -> Customer:
    """A saved customer of ``owner`` (department = the owner's) with its keys computed."""
    customer = Customer(name=name, owner_id=owner.id, department_id=owner.department_id, **fields)
    for contact in contacts:
        customer.contacts.append(contact if isinstance(contact, Contact) else Contact(name=contact))
    refresh_keys(customer)
    db.session.add(customer)
    db.session.commit()
    return customer
