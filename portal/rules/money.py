"""Amounts in words as printed on Chinese quotes, contracts and invoices (大写金额)."""
from decimal import Decimal

from portal.rules.quotes import to_fen

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
BIG_UNITS = ("", "万", "亿", "万亿")


def _four_digits(number: int) -> str:
    """0–9999 in capitals, with 零 for inner gaps (1001 → 壹仟零壹) and none at the ends."""
    text, zero_pending = "", False
    for position in range(3, -1, -1):
        digit = number // 10**position % 10
        if digit == 0:
            zero_pending = bool(text)
            continue
        if zero_pending:
            text += "零"
            zero_pending = False
        text += DIGITS[digit] + SMALL_UNITS[position]
    return text


def _yuan(number: int) -> str:
    """Whole yuan in capitals, grouping by 万 and 亿; a gap between groups is one 零
    (100,010 → 壹拾万零壹拾)."""
    if number == 0:
        return ""
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    text = ""
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        # A group below 1000 after a higher group needs 零 (壹万零伍佰), as does a skipped group.
        if text and (group < 1000 or groups[index + 1] == 0):
            if not text.endswith("零"):
                text += "零"
        text += _four_digits(group) + BIG_UNITS[index]
    return text


def amount_in_chinese_capitals(amount: Decimal) -> str:
    """The amount in financial capitals, rounded half-up to the fen first.

    Rules (as on 增值税发票 and bank forms): yuan, then 角 and 分; a whole amount ends in 整
    (10.00 → 壹拾元整; the leading 壹 of 壹拾 is always written); no 角 but some 分 gives 零 before
    the 分 (1,000,000,000.01 → 壹拾亿元零壹分); amounts below one yuan have no 元 (0.05 → 伍分);
    zero is 零元整; a negative amount is prefixed 负.
    """
    value = to_fen(Decimal(amount))
    sign = "负" if value < 0 else ""
    fen_total = int(abs(value) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    text = _yuan(yuan)
    if text:
        text += "元"
    if jiao == 0 and fen == 0:
        return sign + text + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif text:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    return sign + text
