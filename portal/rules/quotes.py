"""Quote figures and status rules, as plain functions."""
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
HUNDRED = Decimal("100")

DRAFT, SENT, WON, LOST, EXPIRED = "draft", "sent", "won", "lost", "expired"
# Stored statuses a quote can still be acted on in (expired is derived from them).
OPEN_STATUSES = (DRAFT, SENT)


def to_fen(amount: Decimal) -> Decimal:
    """Round half-up to the fen (0.01 yuan), the one rounding every amount gets."""
    return Decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal = Decimal("0")) -> Decimal:
    """amount = quantity × unit price × (100 − discount %) ÷ 100, rounded half-up to the fen once."""
    return to_fen(Decimal(quantity) * Decimal(unit_price) * (HUNDRED - Decimal(discount_percent)) / HUNDRED)


def quote_totals(line_amounts, tax_rate: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(without tax, tax, with tax): net = Σ line amounts (each already in fen);
    tax = net × tax rate % rounded half-up to the fen; gross = net + tax."""
    net = sum((Decimal(amount) for amount in line_amounts), Decimal("0.00"))
    tax = to_fen(net * Decimal(tax_rate) / HUNDRED)
    return to_fen(net), tax, to_fen(net + tax)


def effective_status(status: str, valid_until: date, today: date) -> str:
    """A draft or sent quote whose valid-until date has passed is expired; others keep their status.

    Lists filter with the same rule in SQL (``queries.status_condition``), so every page agrees.
    """
    if status in OPEN_STATUSES and valid_until < today:
        return EXPIRED
    return status


def quote_number(prefix: str, year: int, sequence: int, revision: int = 1) -> str:
    """``<prefix><year>-<sequence, 4 digits>``, and ``-R<n>`` from the second revision on
    (BJ2026-0001, BJ2026-0001-R2)."""
    number = f"{prefix}{year}-{sequence:04d}"
    return number if revision <= 1 else f"{number}-R{revision}"


def can_edit(status: str) -> bool:
    """Only a draft is edited in place; a sent quote is changed through a new revision."""
    return status == DRAFT


def can_send(status: str, valid_until: date, today: date, line_count: int) -> bool:
    """A draft with at least one line that has not expired can be sent."""
    return effective_status(status, valid_until, today) == DRAFT and line_count > 0


def can_revise(status: str, is_latest: bool) -> bool:
    """The newest revision of a sent (or expired-after-sending) quote can be revised."""
    return is_latest and status == SENT


def can_decide(status: str, is_latest: bool) -> bool:
    """Won or lost: only the newest revision, and only once it was sent and not yet decided.

    An expired quote can still be decided (a customer may sign a little late)."""
    return is_latest and status == SENT
