"""Factories for quote tests and the access matrix."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Competitor, Product, Quote, QuoteCounter, QuoteLine
from portal.rules.followups import company_today
from portal.rules.quotes import line_amount, quote_number, quote_totals


def make_product(code="SG-001", name="红富士苹果", price="128.00", cost="96.00", **fields) -> Product:
    product = Product(code=code, name=name, list_price=Decimal(price), unit_cost=Decimal(cost) if cost else None,
                      unit=fields.pop("unit", "箱"), spec=fields.pop("spec", "80# 10kg"), **fields)
    product.search_text = f"{product.code} {product.name} {product.spec}".lower()
    db.session.add(product)
    db.session.commit()
    return product


def make_quote(customer, lines=(), status="draft", quote_date=None, valid_days=30, tax_rate="13", **fields) -> Quote:
    """A quote of ``customer`` (owner and department from it), numbered like the app numbers them;
    ``lines`` are (name, quantity, unit price, discount %) tuples."""
    quote_date = quote_date or company_today()
    year = quote_date.year
    counter = db.session.get(QuoteCounter, year)
    if counter is None:
        counter = QuoteCounter(year=year, last_number=0)
        db.session.add(counter)
    counter.last_number += 1
    quote = Quote(
        year=year, sequence=counter.last_number, number=quote_number("BJ", year, counter.last_number),
        customer_id=customer.id, owner_id=customer.owner_id, department_id=customer.department_id,
        quote_date=quote_date, valid_until=quote_date + timedelta(days=valid_days), tax_rate=Decimal(tax_rate),
        status=status, **fields,
    )
    db.session.add(quote)
    db.session.flush()
    saved = []
    for position, (name, quantity, price, discount) in enumerate(lines, start=1):
        line = QuoteLine(quote_id=quote.id, position=position, name=name, quantity=Decimal(quantity),
                         unit_price=Decimal(price), discount_percent=Decimal(discount),
                         amount=line_amount(Decimal(quantity), Decimal(price), Decimal(discount)))
        db.session.add(line)
        saved.append(line)
    quote.amount_net, quote.amount_tax, quote.amount_gross = quote_totals([line.amount for line in saved], quote.tax_rate)
    db.session.commit()
    return quote


def make_competitor(name="佳沛果业") -> Competitor:
    competitor = Competitor(name=name)
    db.session.add(competitor)
    db.session.commit()
    return competitor


def quote_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Quote))
