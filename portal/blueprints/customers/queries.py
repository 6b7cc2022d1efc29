"""Customer queries: the scoped keyset-paginated list, duplicate matching and choice lists."""
import re
from collections import defaultdict
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import Integer, and_, bindparam, or_, select
from sqlalchemy.orm import joinedload

from portal.access import scope_clause
from portal.extensions import db
from portal.models import VALUE_GRADES, Contact, Customer, GradePolicy, LookupKind, LookupValue, Role, Stage, User
from portal.rules.customers import normalise_name, phone_digits
from portal.rules.followups import company_today
from portal.search import gram_clause, gram_query, indexed_contains
from portal.forms import int_or_none, like_pattern

PAGE_SIZE = 25
SORTS = ("newest", "name", "next")
NO_GRADE = "none"
# A search term made only of these is a phone number: it is matched on its digits.
_PHONE_TERM = re.compile(r"[\d\s+\-()]+")
_LIKE_SPECIALS = re.compile(r"([\\%_])")


# --- the list -----------------------------------------------------------------------------------


@dataclass
class CustomerFilters:
    """The list's filters, read from and written back to the query string (bookmarkable)."""

    q: str = ""
    stage: str = ""
    grade: str = ""
    owner: int | None = None
    department: int | None = None
    source: int | None = None
    customer_type: int | None = None
    region: str = ""
    # The value grade (AA, AB, BA, BB) of the latest grading.
    value_grade: str = ""
    overdue: bool = False
    sort: str = "newest"

    @classmethod
    def from_args(cls, args) -> "CustomerFilters":
        sort = args.get("sort", "newest")
        return cls(
            q=args.get("q", "").strip()[:100],
            stage=args.get("stage", "") if args.get("stage") in {s.value for s in Stage} else "",
            grade=args.get("grade", "").strip()[:10],
            owner=int_or_none(args.get("owner")),
            department=int_or_none(args.get("department")),
            source=int_or_none(args.get("source")),
            customer_type=int_or_none(args.get("type")),
            region=args.get("region", "").strip()[:100],
            value_grade=args.get("value", "") if args.get("value") in VALUE_GRADES else "",
            overdue=args.get("overdue") in {"1", "on", "y"},
            sort=sort if sort in SORTS else "newest",
        )

    def as_args(self) -> dict:
        """The non-default filters as query-string arguments."""
        args = {
            "q": self.q,
            "stage": self.stage,
            "grade": self.grade,
            "owner": self.owner,
            "department": self.department,
            "source": self.source,
            "type": self.customer_type,
            "region": self.region,
            "value": self.value_grade,
            "overdue": "1" if self.overdue else None,
            "sort": self.sort if self.sort != "newest" else None,
        }
        return {key: value for key, value in args.items() if value not in (None, "")}

    @property
    def active(self) -> bool:
        return bool(set(self.as_args()) - {"sort"})


@dataclass
class CustomerPage:
    rows: list
    next_cursor: str | None
    is_first: bool


def search_terms(q: str) -> list[str]:
    """The LIKE terms for a search: NFKC, lower case, one per word; a phone-like term as its digits."""
    text = unicodedata.normalize("NFKC", q or "").lower().strip()
    if not text:
        return []
    if _PHONE_TERM.fullmatch(text) and any(ch.isdigit() for ch in text):
        return [re.sub(r"\D", "", text)]
    return text.split()


# Only what a row shows, with the owner's name from the same query: plain rows, no N+1 and no
# ORM objects to build (the list is the portal's busiest page).
_ROW_COLUMNS = (
    Customer.id,
    Customer.name,
    Customer.stage,
    Customer.intention_grade,
    Customer.region,
    Customer.phone,
    Customer.mobile,
    Customer.customer_type_id,
    Customer.next_follow_up_on,
    User.display_name.label("owner_name"),
)
MAX_TERMS = 5
_NEXT = Customer.next_follow_up_on
# Each optional clause by name; its values are bound parameters named in the clause.
_CLAUSES = {
    **{f"term{n}": Customer.search_text.like(bindparam(f"term{n}"), escape="\\") for n in range(MAX_TERMS)},
    "stage": Customer.stage == bindparam("stage"),
    "grade": Customer.intention_grade == bindparam("grade"),
    "no_grade": Customer.intention_grade.is_(None),
    "owner": Customer.owner_id == bindparam("owner"),
    "department": Customer.department_id == bindparam("department"),
    "source": Customer.source_id == bindparam("source"),
    "type": Customer.customer_type_id == bindparam("type"),
    "region": Customer.region.like(bindparam("region"), escape="\\"),
    "value": Customer.value_grade == bindparam("value"),
    "overdue": _NEXT < bindparam("today"),
    "planned": _NEXT.is_not(None),
    "unplanned": _NEXT.is_(None),
    "after_newest": Customer.id < bindparam("after_id"),
    "after_name": or_(
        Customer.name > bindparam("after_name"),
        and_(Customer.name == bindparam("after_name"), Customer.id > bindparam("after_id")),
    ),
    "after_planned": or_(
        _NEXT > bindparam("after_date"), and_(_NEXT == bindparam("after_date"), Customer.id > bindparam("after_id"))
    ),
    "after_unplanned": Customer.id > bindparam("after_id"),
}
_ORDERS = {
    "newest": (Customer.id.desc(),),
    "name": (Customer.name, Customer.id),
    "planned": (_NEXT, Customer.id),
    "unplanned": (Customer.id,),
}


class _ScopeParameters:
    """Takes the user's place in ``scope_clause``, so a cached statement receives the user's ids
    as parameters rather than as fixed values (``scope_clause`` decides by role and reads only the
    user's id and department, hence one statement per role)."""

    id = bindparam("scope_user", type_=Integer)
    department_id = bindparam("scope_department", type_=Integer)

    def __init__(self, role: str):
        self.role = role


# The search index's narrowing condition for each term, per engine (portal/search.py).
_INDEX_CLAUSES = {
    dialect: {f"index{n}": gram_clause(f"index{n}", dialect) for n in range(MAX_TERMS)}
    for dialect in ("sqlite", "postgresql")
}


def _clause(name: str, dialect: str):
    return _INDEX_CLAUSES[dialect][name] if name.startswith("index") else _CLAUSES[name]


@lru_cache(maxsize=512)
def _statement(dialect: str, role: str, clauses: tuple[str, ...], order: str, limit: int):
    """The list's SELECT for one role and combination of clauses, built once per process (building
    and cache-keying a statement costs more than running it on an index)."""
    return (
        select(*_ROW_COLUMNS)
        .join(User, User.id == Customer.owner_id)
        .where(Customer.archived_at.is_(None), scope_clause(Customer, _ScopeParameters(role)))
        .where(*(_clause(name, dialect) for name in clauses))
        .order_by(*_ORDERS[order])
        .limit(limit)
    )


def _filter_clauses(user, filters: CustomerFilters) -> tuple[tuple[str, ...], dict]:
    """The names of the clauses ``filters`` need and their parameter values."""
    names, params = [], {"scope_user": user.id, "scope_department": user.department_id}

    def use(name, **values):
        names.append(name)
        params.update(values)

    dialect = db.engine.dialect.name
    for number, term in enumerate(search_terms(filters.q)[:MAX_TERMS]):
        use(f"term{number}", **{f"term{number}": like_pattern(term)})
        index_query = gram_query(term, dialect)
        if index_query is not None:
            use(f"index{number}", **{f"index{number}": index_query})
    if filters.stage:
        use("stage", stage=filters.stage)
    if filters.grade == NO_GRADE:
        use("no_grade")
    elif filters.grade:
        use("grade", grade=filters.grade)
    if filters.owner:
        use("owner", owner=filters.owner)
    if filters.department and user.role == Role.ADMIN:
        use("department", department=filters.department)
    if filters.source:
        use("source", source=filters.source)
    if filters.customer_type:
        use("type", type=filters.customer_type)
    if filters.region:
        use("region", region=_LIKE_SPECIALS.sub(r"\\\1", filters.region) + "%")
    if filters.value_grade:
        use("value", value=filters.value_grade)
    if filters.overdue:
        use("overdue", today=company_today())
    return tuple(names), params


def encode_cursor(sort: str, customer) -> str:
    """``after=<sort value>,<id>``; just ``<id>`` when sorting newest first."""
    if sort == "name":
        return f"{customer.name},{customer.id}"
    if sort == "next":
        value = customer.next_follow_up_on.isoformat() if customer.next_follow_up_on else ""
        return f"{value},{customer.id}"
    return str(customer.id)


def decode_cursor(sort: str, raw: str | None):
    """``(value, id)`` from an ``after`` argument, or None for the first page (also when malformed)."""
    if not raw:
        return None
    value, _, id_text = raw.rpartition(",") if sort != "newest" else ("", "", raw)
    customer_id = int_or_none(id_text)
    if customer_id is None:
        return None
    if sort == "next" and value:
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return None
    if sort != "name":
        value = value or None
    return value, customer_id


def list_customers(user, filters: CustomerFilters, after: str | None, page_size: int = PAGE_SIZE) -> CustomerPage:
    """One page of the customers ``user`` may see, by keyset: ``page_size + 1`` rows tell whether
    another page follows, so there is no OFFSET and no COUNT.

    Orders: newest (id desc), name (name, id), next follow-up (date ascending, id; customers with
    no date planned come last, read as a second index range so both stay index-friendly).
    """
    clauses, params = _filter_clauses(user, filters)
    cursor = decode_cursor(filters.sort, after)
    limit = page_size + 1

    def fetch(order: str, *extra: str, **values) -> list:
        statement = _statement(db.engine.dialect.name, user.role, clauses + extra, order, limit)
        # Plain rows on the session's connection: the ORM result machinery would add nothing.
        return list(db.session.connection().execute(statement, {**params, **values}))

    if filters.sort == "name":
        rows = fetch("name", "after_name", after_name=cursor[0], after_id=cursor[1]) if cursor else fetch("name")
    elif filters.sort == "next":
        rows = []
        if cursor is None:
            rows = fetch("planned", "planned")
        elif cursor[0] is not None:
            rows = fetch("planned", "planned", "after_planned", after_date=cursor[0], after_id=cursor[1])
        if len(rows) < limit:
            # Past the planned dates: customers with none, by id.
            if cursor is None or cursor[0] is not None:
                rows += fetch("unplanned", "unplanned")
            else:
                rows += fetch("unplanned", "unplanned", "after_unplanned", after_id=cursor[1])
    else:
        rows = fetch("newest", "after_newest", after_id=cursor[1]) if cursor else fetch("newest")
    has_next = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = encode_cursor(filters.sort, rows[-1]) if has_next else None
    return CustomerPage(rows=rows, next_cursor=next_cursor, is_first=cursor is None)


# --- duplicates ---------------------------------------------------------------------------------


@dataclass
class DuplicateMatch:
    customer: Customer
    reasons: list[str]


def find_duplicates(name: str, phones, email: str, exclude_id: int | None = None, limit: int = 20) -> list[DuplicateMatch]:
    """Non-archived customers, in any department, that look like the one being saved.

    A customer matches when ``normalise_name`` of its name equals that of ``name`` (full/half
    width, case, spaces and company suffixes ignored); when its phone or mobile, or a contact's
    phone or mobile, has the same digits (``phone_digits``) as one of ``phones``; or when its
    e-mail is the same, ignoring case. Each match lists its reasons: "name", "phone", "email".
    """
    name_key = normalise_name(name or "")
    digits = {d for d in (phone_digits(p) for p in phones if p) if len(d) >= 7}
    email = (email or "").strip().lower()
    conditions = []
    if name_key:
        conditions.append(Customer.name_key == name_key)
    if digits:
        # search_text holds every phone of the customer and its contacts as digits; a number
        # inside a longer one is dropped below, where whole words are compared.
        dialect = db.engine.dialect.name
        conditions += [
            and_(Customer.search_text.like(f"%{d}%"), indexed_contains(d, dialect, f"phone{number}"))
            for number, d in enumerate(sorted(digits))
        ]
    if email:
        conditions.append(Customer.email == email)
    if not conditions:
        return []
    stmt = (
        select(Customer)
        .where(Customer.archived_at.is_(None), or_(*conditions))
        .options(joinedload(Customer.owner))
        .order_by(Customer.id)
        .limit(limit)
    )
    if exclude_id is not None:
        stmt = stmt.where(Customer.id != exclude_id)
    matches = []
    for customer in db.session.scalars(stmt).unique():
        reasons = []
        if name_key and customer.name_key == name_key:
            reasons.append("name")
        if digits & set(customer.search_text.split()):
            reasons.append("phone")
        if email and customer.email == email:
            reasons.append("email")
        if reasons:
            matches.append(DuplicateMatch(customer, reasons))
    return matches


def visible_customer_ids(user, ids) -> set[int]:
    """Which of ``ids`` lie inside ``user``'s scope (those may be linked to)."""
    if not ids:
        return set()
    stmt = select(Customer.id).where(Customer.id.in_(list(ids)), scope_clause(Customer, user))
    return set(db.session.scalars(stmt))


# --- choice lists -------------------------------------------------------------------------------


def owner_filter_choices(user) -> list[User]:
    """The owners a list of customer records (quotes, contracts…) can be filtered by: a head's
    department's salespeople and head, everyone's for the administrator, none for a salesperson."""
    if user.role == Role.SALES:
        return []
    stmt = select(User).where(User.role.in_([Role.SALES.value, Role.HEAD.value]), User.department_id.is_not(None))
    if user.role == Role.HEAD:
        stmt = stmt.where(User.department_id == user.department_id)
    return list(db.session.scalars(stmt.order_by(User.display_name)))


def salespeople_for(user, active_only: bool = True) -> list[User]:
    """Salespeople ``user`` may give customers to: a head's own department's, any for admin."""
    stmt = select(User).where(User.role == Role.SALES.value).order_by(User.display_name, User.id)
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    if user.role == Role.HEAD:
        stmt = stmt.where(User.department_id == user.department_id)
    elif user.role != Role.ADMIN:
        stmt = stmt.where(User.id == user.id)
    return list(db.session.scalars(stmt))


def lookup_values(kind: LookupKind, keep_id: int | None = None) -> list[LookupValue]:
    """The active entries of a list in their order, plus ``keep_id`` even when archived."""
    condition = LookupValue.archived_at.is_(None)
    if keep_id:
        condition = or_(condition, LookupValue.id == keep_id)
    stmt = select(LookupValue).where(LookupValue.kind == kind.value, condition)
    return list(db.session.scalars(stmt.order_by(LookupValue.position, LookupValue.id)))


def lookup_names() -> dict[int, str]:
    """Every list entry's name by id (the lists are short; one query serves a whole page)."""
    return {value_id: name for value_id, name in db.session.execute(select(LookupValue.id, LookupValue.name))}


def active_grades() -> list[str]:
    stmt = select(GradePolicy.grade).where(GradePolicy.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(GradePolicy.position, GradePolicy.grade)))


class DuplicateIndex:
    """``find_duplicates`` for many rows at once (an import): the same rules — equal name key, a
    phone of 7+ digits equal to one of the customer's or its contacts', equal e-mail — checked
    against the non-archived customers. Only the customers and contacts sharing a key with the rows
    are read (indexed lookups in chunks)."""

    CHUNK = 500

    def __init__(self, rows=()):
        """``rows``: (name, phones, email) of everything that will be matched."""
        self.names: dict[int, str] = {}
        self.by_name, self.by_phone, self.by_email = defaultdict(set), defaultdict(set), defaultdict(set)
        name_keys, digits, emails = set(), set(), set()
        for name, phones, email in rows:
            if name:
                name_keys.add(normalise_name(name))
            digits.update(d for d in (phone_digits(p) for p in phones if p) if len(d) >= 7)
            if email:
                emails.add(email.strip().lower())
        live = Customer.archived_at.is_(None)
        columns = (Customer.id, Customer.name, Customer.name_key, Customer.phone_key, Customer.mobile_key, Customer.email)
        lookups = [(Customer.name_key, name_keys), (Customer.phone_key, digits), (Customer.mobile_key, digits), (Customer.email, emails)]
        for column, values in lookups:
            values = sorted(values)
            for start in range(0, len(values), self.CHUNK):
                for customer_id, name, name_key, phone_key, mobile_key, email in db.session.execute(
                    select(*columns).where(live, column.in_(values[start:start + self.CHUNK]))
                ):
                    self.names[customer_id] = name
                    self.add(customer_id, name_key, (phone_key, mobile_key), email)
        numbers = sorted(digits)
        for column in (Contact.phone_key, Contact.mobile_key):
            for start in range(0, len(numbers), self.CHUNK):
                for customer_id, name, number in db.session.execute(
                    select(Contact.customer_id, Customer.name, column).join(Customer, Customer.id == Contact.customer_id)
                    .where(live, Contact.archived_at.is_(None), column != "", column.in_(numbers[start:start + self.CHUNK]))
                ):
                    self.names[customer_id] = name
                    self.by_phone[number].add(customer_id)

    def add(self, customer_id: int, name_key: str, digits, email: str) -> None:
        if name_key:
            self.by_name[name_key].add(customer_id)
        for number in digits:
            if number and len(number) >= 7:
                self.by_phone[number].add(customer_id)
        if email:
            self.by_email[email.lower()].add(customer_id)

    def matches(self, name: str, phones, email: str) -> list[tuple[int, list[str]]]:
        """(customer id, reasons) of the customers that look like this one, by id."""
        found = defaultdict(list)
        for customer_id in self.by_name.get(normalise_name(name or ""), ()):
            found[customer_id].append("name")
        for number in {phone_digits(phone) for phone in phones if phone}:
            for customer_id in self.by_phone.get(number, ()) if len(number) >= 7 else ():
                if "phone" not in found[customer_id]:
                    found[customer_id].append("phone")
        for customer_id in self.by_email.get((email or "").strip().lower(), ()) if email else ():
            found[customer_id].append("email")
        return sorted(found.items())
