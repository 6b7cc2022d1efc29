"""Quote figures and status rules, and amounts in Chinese capitals, as plain functions."""
from datetime import date
from decimal import Decimal as D

import pytest

from portal.rules.money import amount_in_chinese_capitals
from portal.rules.quotes import (
    can_decide, can_edit, can_revise, can_send, effective_status, line_amount, quote_number, quote_totals,
)


def test_a_line_is_rounded_half_up_to_the_fen_once():
    assert line_amount(D("1"), D("0.25"), D("50")) == D("0.13")  # 0.125: half-up, not to even
    assert line_amount(D("3"), D("33.33"), D("5")) == D("94.99")  # 94.9905
    assert line_amount(D("2.5"), D("12.35"), D("10")) == D("27.79")  # 27.7875
    assert line_amount(D("10"), D("128.00")) == D("1280.00")


def test_totals_of_a_hand_computed_quote_with_tax():
    """3 × 33.33 less 5 % = 94.99; 2.5 × 12.35 less 10 % = 27.79; net 122.78;
    tax 13 % = 15.9614 → 15.96; with tax 138.74."""
    lines = [line_amount(D("3"), D("33.33"), D("5")), line_amount(D("2.5"), D("12.35"), D("10"))]
    assert quote_totals(lines, D("13")) == (D("122.78"), D("15.96"), D("138.74"))


def test_totals_of_no_lines_are_zero():
    assert quote_totals([], D("13")) == (D("0.00"), D("0.00"), D("0.00"))


def test_tax_is_rounded_on_the_total_not_per_line():
    lines = [D("0.05")] * 3  # 0.0065 of tax each would round to 0.01 each; on 0.15 it is 0.0195 → 0.02
    assert quote_totals(lines, D("13"))[1] == D("0.02")


@pytest.mark.parametrize(
    "amount, words",
    [
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("10.00", "壹拾元整"),
        ("100010.50", "壹拾万零壹拾元伍角"),
        ("1000000000.01", "壹拾亿元零壹分"),
        ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
        ("1001", "壹仟零壹元整"),
        ("20300", "贰万零叁佰元整"),
        ("105000", "壹拾万伍仟元整"),
        ("100000000", "壹亿元整"),
        ("138.74", "壹佰叁拾捌元柒角肆分"),
        ("-3.20", "负叁元贰角"),
        ("0.125", "壹角叁分"),
    ],
)
def test_amount_in_chinese_capitals(amount, words):
    assert amount_in_chinese_capitals(D(amount)) == words


def test_a_quote_expires_the_day_after_its_valid_until_date():
    valid_until = date(2026, 11, 30)
    assert effective_status("sent", valid_until, date(2026, 11, 30)) == "sent"
    assert effective_status("sent", valid_until, date(2026, 12, 1)) == "expired"
    assert effective_status("draft", valid_until, date(2026, 12, 1)) == "expired"
    assert effective_status("won", valid_until, date(2027, 1, 1)) == "won"
    assert effective_status("lost", valid_until, date(2027, 1, 1)) == "lost"


def test_numbers_and_revisions():
    assert quote_number("BJ", 2026, 1) == "BJ2026-0001"
    assert quote_number("BJ", 2026, 12, 2) == "BJ2026-0012-R2"
    assert quote_number("Q-", 2027, 10000) == "Q-2027-10000"


def test_allowed_steps():
    today, later = date(2026, 11, 25), date(2026, 12, 25)
    assert can_edit("draft") and not can_edit("sent") and not can_edit("won")
    assert can_send("draft", later, today, 1)
    assert not can_send("draft", later, today, 0)  # no lines
    assert not can_send("draft", date(2026, 11, 1), today, 1)  # expired
    assert not can_send("sent", later, today, 1)
    assert can_revise("sent", True) and not can_revise("sent", False) and not can_revise("draft", True)
    assert can_decide("sent", True)
    assert not can_decide("sent", False) and not can_decide("draft", True) and not can_decide("won", True)
