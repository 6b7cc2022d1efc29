"""Contract figures and status rules, as plain functions: numbering, status steps, the payment plan,
payment status and allocation, delivery limits and flags."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.rules.quotes import HUNDRED, to_fen

IN_PROGRESS, DELIVERED, COMPLETED, CANCELLED = "in_progress", "delivered", "completed", "cancelled"
# Steps a contract may take; completed and cancelled are final.
ALLOWED_TRANSITIONS = {
    IN_PROGRESS: frozenset({DELIVERED, CANCELLED}),
    DELIVERED: frozenset({COMPLETED, CANCELLED}),
    COMPLETED: frozenset(),
    CANCELLED: frozenset(),
}

UNPAID, PARTLY_PAID, PAID, OVERDUE = "unpaid", "partly_paid", "paid", "overdue"
PAYMENT_STATUSES = (UNPAID, PARTLY_PAID, PAID, OVERDUE)
ZERO = Decimal("0.00")


def contract_number(prefix: str, year: int, sequence: int) -> str:
    """``<prefix><year>-<sequence, 4 digits>`` (HT2026-0001), gap-free per year like quotes."""
    return f"{prefix}{year}-{sequence:04d}"


def delivery_number(contract_number_text: str, sequence: int) -> str:
    """The delivery note's number: ``<contract number>-S<n>`` (HT2026-0001-S2)."""
    return f"{contract_number_text}-S{sequence}"


def can_transition(current: str, target: str) -> bool:
    """Only the steps in ``ALLOWED_TRANSITIONS``: in progress → delivered → completed, or cancelled
    from in progress or delivered."""
    return target in ALLOWED_TRANSITIONS.get(current, frozenset())


def is_open(status: str) -> bool:
    """A contract still being carried out takes payments plan changes, deliveries and lines."""
    return status in (IN_PROGRESS, DELIVERED)


def plan_difference(instalment_amounts, total: Decimal) -> Decimal:
    """total − Σ instalments; the plan is valid when this is exactly 0.00."""
    return to_fen(Decimal(total) - sum((Decimal(amount) for amount in instalment_amounts), ZERO))


def outstanding(total: Decimal, received: Decimal) -> Decimal:
    """What the customer still owes: total − received, never below 0."""
    return max(to_fen(Decimal(total) - Decimal(received)), ZERO)


def amount_due_before(instalments, today: date) -> Decimal:
    """Σ amounts of the instalments ``(due_on, amount)`` due before ``today`` (due today is not late)."""
    return sum((Decimal(amount) for due_on, amount in instalments if due_on < today), ZERO)


def payment_status(total: Decimal, received: Decimal, due_before_today: Decimal) -> str:
    """The contract's payment status, from its total, the amount received and Σ of its instalments
    due before today:

    - 已付清 paid: received ≥ total;
    - 逾期 overdue: otherwise, when received < Σ instalments due before today (payments cover the
      oldest instalment first, so some instalment past its due date is not covered);
    - 部分付款 partly paid: otherwise, when something was received;
    - 未付 unpaid: nothing received and nothing late.

    Lists filter with the same rule in SQL (``blueprints.contracts.queries.payment_status_condition``).
    """
    total, received = Decimal(total), Decimal(received)
    if received >= total:
        return PAID
    if received < Decimal(due_before_today):
        return OVERDUE
    if received > 0:
        return PARTLY_PAID
    return UNPAID


@dataclass
class Allocation:
    instalment: object
    due_on: date
    amount: Decimal
    paid: Decimal
    open: Decimal
    overdue: bool


def allocate(instalments, received: Decimal, today: date) -> list[Allocation]:
    """Spread ``received`` over the instalments oldest due date first: each takes
    min(its amount, what is left). An instalment still open after that and due before today is overdue.
    ``instalments`` are objects with ``due_on`` and ``amount``, in any order."""
    left = Decimal(received)
    allocations = []
    for instalment in sorted(instalments, key=lambda item: (item.due_on, getattr(item, "position", 0), getattr(item, "id", 0) or 0)):
        paid = min(Decimal(instalment.amount), max(left, ZERO))
        left -= paid
        still_open = to_fen(Decimal(instalment.amount) - paid)
        allocations.append(Allocation(instalment, instalment.due_on, Decimal(instalment.amount), to_fen(paid), still_open,
                                      still_open > 0 and instalment.due_on < today))
    return allocations


def collected_share(total: Decimal, received: Decimal) -> Decimal | None:
    """回款率 of a contract: received ÷ total × 100, to one decimal; None for a contract with no amount."""
    total = Decimal(total)
    if total <= 0:
        return None
    return (Decimal(received) * HUNDRED / total).quantize(Decimal("0.1"))


def remaining_quantity(ordered: Decimal, delivered: Decimal) -> Decimal:
    """What is left to deliver of a line: ordered − delivered so far, never below 0."""
    return max(Decimal(ordered) - Decimal(delivered), Decimal("0"))


def delivery_overdue(planned_on: date, delivered_on: date | None, today: date) -> bool:
    """A delivery not delivered by the end of its planned day is overdue (planned today is not)."""
    return delivered_on is None and planned_on < today


def fully_delivered(lines_ordered_and_delivered) -> bool:
    """Every line ``(ordered, delivered)`` delivered in full."""
    return all(Decimal(delivered) >= Decimal(ordered) for ordered, delivered in lines_ordered_and_delivered)


def transition_blocker(current: str, target: str, *, all_delivered: bool, paid_in_full: bool) -> str | None:
    """Why a contract cannot take a step, or None when it can: ``"not_allowed"`` for a step outside
    ``ALLOWED_TRANSITIONS``; ``"not_delivered"`` to mark delivered before every line was delivered;
    ``"not_paid"`` to complete before it is paid in full."""
    if not can_transition(current, target):
        return "not_allowed"
    if target == DELIVERED and not all_delivered:
        return "not_delivered"
    if target == COMPLETED and not paid_in_full:
        return "not_paid"
    return None
