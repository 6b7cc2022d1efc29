"""Demo grade policies and follow-ups for whatever demo customers exist when it runs.

It runs after the customer register's seeder (blueprints register in that order) and only reads
the customers it finds, so with no customers it adds the grade policies and nothing else.
"""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.database import utcnow
from portal.extensions import db
from portal.models import Customer, FollowUp, FollowUpKind, Stage
from portal.rules.followups import (
    birthday_key,
    company_today,
    ensure_default_grade_policies,
    local_date,
    local_to_utc,
    next_follow_up_for_grade,
    refresh_schedule,
)
from portal.seed import register_demo_seeder

K = FollowUpKind
# kind, summary, outcome, next step
DEMO_FOLLOW_UPS = [
    (K.CALL_IN, "客户来电询问本周红富士苹果到货情况和批发价格。", "已报口头价格", "发送正式报价单"),
    (K.VISIT, "上门拜访采购经理，品尝了新到的赣南脐橙样品，对口感满意。", "对方有意试单", "准备试单合同"),
    (K.WECHAT, "微信发送了最新的蔬菜价格表，客户表示会和老板商量。", "等待答复", "三天后电话确认"),
    (K.CALL_OUT, "电话回访上批货的质量反馈，客户反映有少量磕碰。", "答应下批加强包装", "跟进下批到货情况"),
    (K.EMAIL, "邮件发送了年度供货框架协议草稿。", "客户法务审核中", "下周催问审核意见"),
    (K.VISIT, "陪同客户参观冷库和分拣车间，介绍冷链配送能力。", "客户认可配送能力", "安排报价"),
    (K.CALL_OUT, "电话沟通春节备货需求，客户预计需要车厘子和砂糖橘。", "初步确认需求量", "月底前报价"),
    (K.CALL_IN, "客户来电投诉送货晚了两个小时，已致歉并说明原因。", "客户接受解释", "调整送货时间窗"),
    (K.WECHAT, "微信确认了下周一的送货地址和收货联系人。", "地址已确认", "安排物流"),
    (K.OTHER, "在农产品展会上碰面，交换了新的采购负责人名片。", "认识新负责人", "约时间拜访"),
]


def _local_moment(day: date, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(datetime.combine(day, time(hour, minute)))


def _next_date(index: int, last: bool, customer: Customer, happened_on: date, today: date) -> date | None:
    """Earlier entries planned the next one; on the last, every fifth customer is due today, the next
    one overdue by a few days, the rest by their grade; a lost customer has nothing planned."""
    if not last:
        return happened_on + timedelta(days=6 + index % 5)
    if customer.stage == Stage.LOST:
        return None
    if index % 5 == 0:
        return today
    if index % 5 == 1:
        return today - timedelta(days=2 + index % 9)
    return next_follow_up_for_grade(customer.intention_grade, happened_on) or today + timedelta(days=3 + index % 20)


@register_demo_seeder("followups", after=("customers",))
def seed_follow_ups(accounts) -> None:
    """Grade policies, a year of monthly follow-ups and two to four recent ones per demo customer, and a
    few birthdays this week."""
    ensure_default_grade_policies()
    today = company_today()
    customers = db.session.scalars(
        select(Customer)
        .where(Customer.archived_at.is_(None))
        .options(selectinload(Customer.contacts))
        .order_by(Customer.id)
    ).all()
    for index, customer in enumerate(customers):
        contacts = [contact for contact in customer.contacts if contact.archived_at is None]
        # A year of history: about one contact a month since the customer was registered.
        registered = local_date(customer.created_at)
        for month in range(12, 0, -1):
            happened_on = today - timedelta(days=30 * month + 20 + index % 7)
            if happened_on <= registered:
                continue
            kind, summary, outcome, next_step = DEMO_FOLLOW_UPS[(index + month) % len(DEMO_FOLLOW_UPS)]
            db.session.add(FollowUp(
                customer=customer, user_id=customer.owner_id, contact=contacts[month % len(contacts)] if contacts else None,
                kind=kind.value, happened_at=_local_moment(happened_on, 9 + (index + month) % 8), summary=summary,
                outcome=outcome, next_step=next_step, next_follow_up_on=happened_on + timedelta(days=30),
            ))
        count = 2 + index % 3
        # Overdue customers were last contacted before their missed date.
        shift = 14 if index % 5 == 1 else 0
        for step in range(count):
            days_ago = (count - step) * (6 + index % 5) - 5 + shift
            happened_on = today - timedelta(days=days_ago)
            kind, summary, outcome, next_step = DEMO_FOLLOW_UPS[(index + step) % len(DEMO_FOLLOW_UPS)]
            planned = _next_date(index, step == count - 1, customer, happened_on, today)
            db.session.add(
                FollowUp(
                    customer=customer,
                    user_id=customer.owner_id,
                    contact=contacts[step % len(contacts)] if contacts else None,
                    kind=kind.value,
                    happened_at=_local_moment(happened_on, 9 + (index + step) % 8, 15 * (step % 4)),
                    summary=summary,
                    outcome=outcome,
                    next_step=next_step,
                    next_follow_up_on=planned,
                )
            )
        if index % 3 == 2 and index % 5 > 1 and customer.stage != Stage.LOST:
            # Called this morning (or just after midnight when the demo is built that early), keeping
            # the date the last contact planned.
            kind, summary, outcome, next_step = DEMO_FOLLOW_UPS[(index + 5) % len(DEMO_FOLLOW_UPS)]
            db.session.add(FollowUp(
                customer=customer, user_id=customer.owner_id, contact=contacts[0] if contacts else None, kind=kind.value,
                happened_at=max(utcnow() - timedelta(minutes=20 + 7 * index), _local_moment(today, 0, 1)), summary=summary,
                outcome=outcome, next_step=next_step, next_follow_up_on=planned,
            ))
        refresh_schedule(customer)
        if index % 7 == 3 and contacts and contacts[0].birthday is None:
            # 1988 is a leap year, so a window over 29 February still makes a valid date.
            upcoming = today + timedelta(days=index % 7)
            contacts[0].birthday = date(1988, upcoming.month, upcoming.day)
            contacts[0].birthday_md = birthday_key(upcoming)
    db.session.flush()
