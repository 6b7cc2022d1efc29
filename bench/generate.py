"""Generated data for benchmarks: ``python -m bench.generate --size medium|large``.

Deterministic (one seeded ``random.Random``; dates relative to the day it runs), written with
bulk Core inserts in chunks — no ORM objects, so no audit entries either. Fills an empty,
migrated database on SQLite or PostgreSQL.

Shape:
- ``medium``: 10,000 customers, 100,000 follow-ups, 20 salespeople in 2 departments (10/10);
- ``large``: 100,000 customers, 1,000,000 follow-ups, 60 salespeople in 4 departments (15 each);
- a head per department, one hr, one admin; 1–3 contacts per customer (mean ~1.5);
- one customer (the "focus" customer, owned by a salesperson of the biggest department) with
  exactly 200 follow-ups, for the customer-page measurement.
"""
import itertools
import random
import secrets
import time
from array import array
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import click
from flask import current_app
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from bench import words
from bench.generate_complaints import build_complaints
from bench.generate_pool import build_pool
from bench.generate_contracts import build_contracts, build_targets
from bench.generate_quotes import build_quotes
from portal.models import (
    Competitor,
    Contact,
    Customer,
    Department,
    FollowUp,
    FollowUpKind,
    GradePolicy,
    LookupKind,
    LookupValue,
    LostOrder,
    Product,
    Quote,
    QuoteLine,
    Role,
    Stage,
    User,
)
from portal.rules.customers import normalise_name, phone_digits, search_text_for, text_grams
from portal.rules.followups import DEFAULT_GRADE_POLICIES

SEED = 20_240_601
CHUNK = 10_000
FOCUS_FOLLOW_UPS = 200
DEFAULT_PASSWORD = "bench-pass-1"


@dataclass(frozen=True)
class Size:
    customers: int
    follow_ups: int
    quotes: int
    contracts: int
    complaints: int
    # salespeople per department
    departments: tuple[int, ...]


SIZES = {
    "small": Size(customers=300, follow_ups=3_000, quotes=600, contracts=150, complaints=100, departments=(3, 2)),
    "medium": Size(customers=10_000, follow_ups=100_000, quotes=20_000, contracts=6_000, complaints=2_000, departments=(10, 10)),
    "large": Size(customers=100_000, follow_ups=1_000_000, quotes=200_000, contracts=60_000, complaints=20_000, departments=(15, 15, 15, 15)),
}
DEPARTMENT_NAMES = ["水果部", "蔬菜部", "干货部", "冻品部", "粮油部", "调料部"]
STAGE_WEIGHTS = {Stage.POTENTIAL.value: 30, Stage.INTENDED.value: 40, Stage.SIGNED.value: 20, Stage.LOST.value: 10}
# Customers further along the funnel are contacted more often.
FOLLOW_UP_WEIGHT = {Stage.POTENTIAL.value: 0.5, Stage.INTENDED.value: 1.5, Stage.SIGNED.value: 1.2, Stage.LOST.value: 0.8}
GRADE_INTERVAL = {grade: days for grade, _description, days, _mode in DEFAULT_GRADE_POLICIES}
KINDS = [kind.value for kind in FollowUpKind]
KIND_WEIGHTS = [15, 35, 20, 20, 7, 3]


class GenerateError(Exception):
    pass


def generate(size: str, engine, *, password: str = DEFAULT_PASSWORD, tz: str = "Asia/Shanghai", seed: int = SEED) -> dict:
    """Fill the empty, migrated database behind ``engine``; return the facts benchmarks need.

    Facts: usernames of the admin, the head of the biggest department and one of its
    salespeople, the focus customer's id, and the search term.
    """
    shape = SIZES[size]
    started = time.perf_counter()
    with Session(engine) as session:
        if session.scalar(select(User.id).limit(1)) is not None:
            raise GenerateError("the database has users already; gen-data fills an empty database only")
        builder = _Builder(session, shape, random.Random(seed), ZoneInfo(tz))
        facts = builder.run(generate_password_hash(password))
        if engine.dialect.name == "postgresql":
            _reset_sequences(session)
        session.commit()
    facts.update(size=size, seconds=round(time.perf_counter() - started, 1))
    return facts


class _Builder:
    def __init__(self, session: Session, shape: Size, rng: random.Random, zone: ZoneInfo):
        self.session = session
        self.shape = shape
        self.rng = rng
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.today = self.now.astimezone(zone).date()
        self.zone = zone

    def run(self, password_hash: str) -> dict:
        facts = self._people(password_hash)
        self._lookups()
        self._customers_and_contacts()
        self._follow_ups()
        build_quotes(self, self.shape.quotes)
        build_contracts(self, self.shape.contracts)
        build_targets(self)
        build_complaints(self, self.shape.complaints)
        build_pool(self)
        facts.update(focus_customer_id=self.focus_id, search_term=words.TRADE_WORDS[0])
        return facts

    # --- rows -----------------------------------------------------------------------------

    def _insert(self, table, rows: list[dict]) -> None:
        for start in range(0, len(rows), CHUNK):
            self.session.execute(insert(table), rows[start : start + CHUNK])

    def _stamp(self, when: datetime) -> dict:
        return {"created_at": when, "updated_at": when, "version": 1, "archived_at": None}

    def _person_name(self) -> str:
        rng = self.rng
        given = rng.choice(words.GIVEN_CHARS)
        if rng.random() < 0.6:
            given += rng.choice(words.GIVEN_CHARS)
        return rng.choice(words.SURNAMES) + given

    def _mobile(self) -> str:
        rng = self.rng
        return f"1{rng.choice('358')}{rng.randrange(10)}{rng.randrange(100_000_000):08d}"

    def _people(self, password_hash: str) -> dict:
        """Departments, a head per department, salespeople, one hr and one admin."""
        stamp = self._stamp(self.now - timedelta(days=1200))
        departments = [
            {"id": number, "name": DEPARTMENT_NAMES[number - 1], **stamp}
            for number in range(1, len(self.shape.departments) + 1)
        ]
        users = []

        def add(username, role, department_id):
            users.append(
                {
                    "id": len(users) + 1,
                    "username": username,
                    "display_name": self._person_name(),
                    "password_hash": password_hash,
                    "role": role,
                    "department_id": department_id,
                    "active": True,
                    "language": "zh_CN",
                    "session_token": secrets.token_urlsafe(32),
                    "last_login_at": None,
                    **stamp,
                }
            )
            return len(users)

        add("admin", Role.ADMIN.value, None)
        add("hr", Role.HR.value, None)
        self.sales: list[tuple[int, int]] = []  # (user id, department id)
        for department_id, salespeople in enumerate(self.shape.departments, start=1):
            add(f"head{department_id}", Role.HEAD.value, department_id)
            for number in range(1, salespeople + 1):
                self.sales.append((add(f"sales{department_id}.{number:02d}", Role.SALES.value, department_id), department_id))
        self._insert(Department.__table__, departments)
        self._insert(User.__table__, users)
        biggest = max(range(len(self.shape.departments)), key=lambda index: self.shape.departments[index]) + 1
        self.focus_owner_id = next(user_id for user_id, department_id in self.sales if department_id == biggest)
        return {
            "admin": "admin",
            "hr": "hr",
            "head": f"head{biggest}",
            "sales": f"sales{biggest}.01",
            "department_salespeople": self.shape.departments[biggest - 1],
        }

    def _lookups(self) -> None:
        stamp = self._stamp(self.now - timedelta(days=1200))
        rows = []
        for kind, names in ((LookupKind.CUSTOMER_TYPE, words.CUSTOMER_TYPES), (LookupKind.SOURCE, words.SOURCES)):
            for position, name in enumerate(names):
                rows.append({"id": len(rows) + 1, "kind": kind.value, "name": name, "position": position, **stamp})
        self.type_ids = [row["id"] for row in rows if row["kind"] == LookupKind.CUSTOMER_TYPE.value]
        self.source_ids = [row["id"] for row in rows if row["kind"] == LookupKind.SOURCE.value]
        self._insert(LookupValue.__table__, rows)
        policies = [
            {"id": position + 1, "grade": grade, "description": description, "interval_days": days,
             "preferred_mode": mode, "position": position, **stamp}
            for position, (grade, description, days, mode) in enumerate(DEFAULT_GRADE_POLICIES)
        ]
        self._insert(GradePolicy.__table__, policies)

    def _customers_and_contacts(self) -> None:
        """Customers with their contacts; plans each customer's follow-up count and dates."""
        rng, shape = self.rng, self.shape
        n = shape.customers
        cities = words.CITIES
        city_weights = list(itertools.accumulate(city[3] for city in words.CITIES))
        suffixes = [suffix for suffix, _ in words.SUFFIXES]
        suffix_weights = list(itertools.accumulate(weight for _, weight in words.SUFFIXES))
        self.focus_id = n // 2

        # Per customer, kept compact for the follow-up pass: owner, contacts, created, last, next.
        self.owner = array("i", [0]) * (n + 1)
        self.first_contact = array("i", [0]) * (n + 1)
        self.contact_count = array("b", [0]) * (n + 1)
        self.created_ts = array("d", [0.0]) * (n + 1)
        self.last_ts = array("d", [0.0]) * (n + 1)
        self.next_ordinal = array("i", [0]) * (n + 1)
        self.follow_up_count = self._plan_follow_up_counts(n)

        customers, contacts = [], []
        contact_id = 0
        for customer_id in range(1, n + 1):
            focus = customer_id == self.focus_id
            city, province, area_code, _ = rng.choices(cities, cum_weights=city_weights)[0]
            name = (
                city + rng.choice(words.TRADE_WORDS) + rng.choice(words.INDUSTRIES)
                + rng.choices(suffixes, cum_weights=suffix_weights)[0]
            )
            if focus:
                owner_id = self.focus_owner_id
                department_id = next(dep for uid, dep in self.sales if uid == owner_id)
                stage, grade = Stage.INTENDED.value, "A"
            else:
                owner_id, department_id = rng.choice(self.sales)
                stage = self.stages[customer_id]
                grade = rng.choice("AABBBCCCD") if stage in (Stage.POTENTIAL.value, Stage.INTENDED.value) else None
            value_grade = rng.choice(("AA", "AB", "BA", "BB", "BB")) if stage == Stage.SIGNED.value else None
            created = self.now - timedelta(seconds=rng.randrange(30 * 86400, 1100 * 86400))
            phone = f"{area_code}-{rng.randrange(2, 9)}{rng.randrange(10_000_000):07d}" if rng.random() < 0.7 else ""
            mobile = self._mobile() if rng.random() < 0.8 else ""
            next_on, last = self._plan_dates(stage, grade, created, self.follow_up_count[customer_id], focus)
            if last is not None and last < created:
                created = last - timedelta(days=rng.randrange(1, 60))

            person_count = rng.choices((1, 2, 3), (50, 45, 5))[0]
            people = []
            for _ in range(person_count):
                contact_id += 1
                birthday = date(rng.randrange(1960, 2000), rng.randrange(1, 13), rng.randrange(1, 29)) if rng.random() < 0.5 else None
                person = {
                    "id": contact_id,
                    "customer_id": customer_id,
                    "name": self._person_name(),
                    "title": rng.choice(words.TITLES),
                    "phone": "",
                    "mobile": self._mobile(),
                    "email": "",
                    "birthday": birthday,
                    "phone_key": "",
                    "birthday_md": birthday.month * 100 + birthday.day if birthday else None,
                    "notes": "",
                    **self._stamp(created),
                }
                person["mobile_key"] = phone_digits(person["mobile"])
                people.append(person)
            contacts.extend(people)

            row = {
                "id": customer_id,
                "name": name,
                "name_key": normalise_name(name),
                "customer_type_id": rng.choice(self.type_ids) if rng.random() < 0.9 else None,
                "source_id": rng.choice(self.source_ids) if rng.random() < 0.8 else None,
                "region": province + city + "市" if not province.startswith(city) else province,
                "address": f"{city}市{rng.choice(words.DISTRICTS)}{rng.choice(words.STREETS)}{rng.randrange(1, 999)}号",
                "phone": phone,
                "mobile": mobile,
                "phone_key": phone_digits(phone),
                "mobile_key": phone_digits(mobile),
                "email": f"info{customer_id}@example.cn" if rng.random() < 0.3 else "",
                "wechat": f"wx{rng.randrange(10**7, 10**8)}" if rng.random() < 0.4 else "",
                "stage": stage,
                "intention_grade": grade,
                "value_grade": value_grade,
                "owner_id": owner_id,
                "department_id": department_id,
                "notes": "",
                "next_follow_up_on": next_on,
                "last_follow_up_at": last,
                **self._stamp(created),
                "updated_at": max(created, last) if last else created,
                # Archived customers stay in the register but leave the lists.
                "archived_at": self.now - timedelta(days=rng.randrange(1, 300)) if not focus and rng.random() < 0.01 else None,
            }
            row["search_text"] = search_text_for(
                SimpleNamespace(
                    name=name, phone_key=row["phone_key"], mobile_key=row["mobile_key"], email=row["email"],
                    wechat=row["wechat"],
                    contacts=[SimpleNamespace(name=p["name"], phone=p["phone"], mobile=p["mobile"], archived_at=None) for p in people],
                )
            )
            row["search_grams"] = text_grams(row["search_text"])
            customers.append(row)

            self.owner[customer_id] = owner_id
            self.first_contact[customer_id] = people[0]["id"]
            self.contact_count[customer_id] = person_count
            self.created_ts[customer_id] = created.timestamp()
            self.last_ts[customer_id] = last.timestamp() if last else 0.0
            self.next_ordinal[customer_id] = next_on.toordinal() if next_on else 0

            if len(customers) >= CHUNK:
                self._flush_customers(customers, contacts)
        self._flush_customers(customers, contacts)

    def _flush_customers(self, customers: list, contacts: list) -> None:
        self._insert(Customer.__table__, customers)
        self._insert(Contact.__table__, contacts)
        customers.clear()
        contacts.clear()

    def _plan_follow_up_counts(self, n: int) -> array:
        """Stages first (they weight the counts), then the remaining follow-ups spread by weight."""
        rng = self.rng
        stages = list(STAGE_WEIGHTS)
        self.stages = [""] + rng.choices(stages, list(STAGE_WEIGHTS.values()), k=n)
        counts = array("i", [0]) * (n + 1)
        others = [customer_id for customer_id in range(1, n + 1) if customer_id != self.focus_id]
        weights = [FOLLOW_UP_WEIGHT[self.stages[customer_id]] for customer_id in others]
        for customer_id in rng.choices(others, weights, k=self.shape.follow_ups - FOCUS_FOLLOW_UPS):
            counts[customer_id] += 1
        counts[self.focus_id] = FOCUS_FOLLOW_UPS
        return counts

    def _plan_dates(self, stage: str, grade, created: datetime, count: int, focus: bool):
        """The next planned follow-up (spread around today) and the last one that led to it."""
        rng = self.rng
        if focus:
            next_on = self.today
        elif stage == Stage.LOST.value:
            next_on = None
        else:
            roll = rng.random()
            if roll < 0.03:
                offset = 0  # due today
            elif roll < 0.33:
                offset = -rng.randrange(1, 61)  # overdue
            else:
                offset = rng.randrange(1, 91)
            next_on = self.today + timedelta(days=offset)
        if count == 0:
            return next_on, None
        interval = GRADE_INTERVAL.get(grade or "", 30)
        anchor = (next_on or self.today - timedelta(days=rng.randrange(0, 200))) - timedelta(days=interval)
        last = datetime.combine(anchor, datetime.min.time(), self.zone).astimezone(timezone.utc)
        last += timedelta(seconds=rng.randrange(8 * 3600, 19 * 3600))
        return next_on, min(last, self.now - timedelta(minutes=rng.randrange(5, 600)))

    def _follow_ups(self) -> None:
        """Follow-ups inserted in time order, as they would accumulate in a real register."""
        rng = self.rng
        n = self.shape.customers
        total = sum(self.follow_up_count)
        stamp_ts = array("d", [0.0]) * total
        customer_of = array("i", [0]) * total
        is_last = array("b", [0]) * total
        position = 0
        for customer_id in range(1, n + 1):
            count = self.follow_up_count[customer_id]
            if not count:
                continue
            start, last = self.created_ts[customer_id], self.last_ts[customer_id]
            for _ in range(count - 1):
                stamp_ts[position] = rng.uniform(start, last)
                customer_of[position] = customer_id
                position += 1
            stamp_ts[position] = last
            customer_of[position] = customer_id
            is_last[position] = 1
            position += 1
        order = sorted(range(total), key=stamp_ts.__getitem__)

        kinds, kind_weights = KINDS, KIND_WEIGHTS
        rows = []
        for number, index in enumerate(order, start=1):
            customer_id = customer_of[index]
            happened = datetime.fromtimestamp(stamp_ts[index], timezone.utc)
            if is_last[index]:
                next_on = date.fromordinal(self.next_ordinal[customer_id]) if self.next_ordinal[customer_id] else None
            else:
                next_on = happened.astimezone(self.zone).date() + timedelta(days=rng.randrange(3, 45))
            contacts = self.contact_count[customer_id]
            summary = rng.choice(words.SUMMARY_TEMPLATES).format(
                product=rng.choice(words.PRODUCTS), reaction=rng.choice(words.REACTIONS)
            )
            rows.append(
                {
                    "id": number,
                    "customer_id": customer_id,
                    # Mostly the owner; now and then a colleague covered.
                    "user_id": self.owner[customer_id] if rng.random() < 0.9 else rng.choice(self.sales)[0],
                    "contact_id": self.first_contact[customer_id] + rng.randrange(contacts) if rng.random() < 0.8 else None,
                    "kind": rng.choices(kinds, kind_weights)[0],
                    "happened_at": happened,
                    "summary": summary,
                    "outcome": rng.choice(words.OUTCOMES),
                    "next_step": rng.choice(words.NEXT_STEPS),
                    "next_follow_up_on": next_on,
                    "created_at": happened,
                    "updated_at": happened,
                    "version": 1,
                    "archived_at": None,
                }
            )
            if len(rows) >= CHUNK:
                self._insert(FollowUp.__table__, rows)
                rows.clear()
        self._insert(FollowUp.__table__, rows)


def _reset_sequences(session: Session) -> None:
    """Rows came with explicit ids, so move each PostgreSQL sequence past them: every table with an
    ``id`` (the contracts, payments and complaints generators insert explicit ids too; a sequence
    left behind made the load test's first payments collide with generated ones)."""
    from portal.extensions import db

    for table in db.metadata.sorted_tables:
        if "id" not in table.c:
            continue
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) FROM {table.name} HAVING max(id) IS NOT NULL"
        ))


@click.command("gen-data")
@click.option("--size", type=click.Choice(list(SIZES)), default="medium", show_default=True)
@click.option("--password", default=DEFAULT_PASSWORD, show_default=True, help="Password of every generated account.")
def gen_data(size, password):
    """Fill an empty, migrated database with generated customers and follow-ups."""
    from portal.extensions import db

    try:
        facts = generate(size, db.engine, password=password, tz=current_app.config["BABEL_DEFAULT_TIMEZONE"])
    except GenerateError as error:
        raise click.ClickException(str(error)) from error
    counts = {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Customer, Contact, FollowUp, Quote)
    }
    click.echo(f"generated {size} data in {facts['seconds']} s: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    click.echo(f"accounts: admin, {facts['head']} (head), {facts['sales']} (sales); password {password!r}")


def main() -> None:
    """Run ``gen-data`` against the portal's configured database (``PORTAL_DATABASE_URL``)."""
    from portal import create_app

    with create_app().app_context():
        gen_data.main(prog_name="python -m bench.generate")


if __name__ == "__main__":
    main()
