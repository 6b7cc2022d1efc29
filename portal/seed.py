"""Demo company for ``flask --app portal seed-demo``.

Areas add their demo data by registering a function ``(accounts: dict[str, User]) -> None``
with ``register_demo_seeder(after=...)``; it runs after the departments and users exist, and after
the seeders of the areas it names (follow-ups need the demo customers).
"""
from typing import Callable

from sqlalchemy import select

from portal.audit import acting_as
from portal.company_settings import set_setting
from portal.extensions import db
from portal.models import Department, Role, User


class DemoError(Exception):
    pass


# username, display name, role, department
DEMO_ACCOUNTS = [
    ("admin", "系统管理员", Role.ADMIN, "总经办"),
    ("hr.wang", "王芳", Role.HR, "人事部"),
    ("zhang.wei", "张伟", Role.HEAD, "水果部"),
    ("liu.yang", "刘洋", Role.SALES, "水果部"),
    ("chen.jing", "陈静", Role.SALES, "水果部"),
    ("yang.lei", "杨磊", Role.SALES, "水果部"),
    ("li.na", "李娜", Role.HEAD, "蔬菜部"),
    ("zhao.min", "赵敏", Role.SALES, "蔬菜部"),
    ("huang.qiang", "黄强", Role.SALES, "蔬菜部"),
    ("zhou.jie", "周杰", Role.SALES, "蔬菜部"),
]

# What the demo company prints on its quotes and delivery notes.
DEMO_COMPANY = {
    "company.name": "深圳鲜达果蔬贸易有限公司",
    "company.address": "深圳市龙岗区布吉街道农产品批发市场 B 区 12 号",
    "company.phone": "0755-28881234",
    "company.tax_number": "91440300MA5F8K2X3L",
    "company.bank": "招商银行深圳布吉支行\n户名：深圳鲜达果蔬贸易有限公司\n账号：7559 1234 5678 901",
}

_SEEDERS: dict[str, tuple[Callable, tuple[str, ...]]] = {}


def register_demo_seeder(area: str, after: tuple[str, ...] = ()):
    """Register an area's demo seeder, to run after the seeders of the areas in ``after``."""

    def decorator(seeder: Callable) -> Callable:
        _SEEDERS[area] = (seeder, after)
        return seeder

    return decorator


def _seeders_in_order() -> list[Callable]:
    ordered: list[str] = []

    def visit(area: str) -> None:
        if area in ordered or area not in _SEEDERS:
            return
        for dependency in _SEEDERS[area][1]:
            visit(dependency)
        ordered.append(area)

    for area in sorted(_SEEDERS):
        visit(area)
    return [_SEEDERS[area][0] for area in ordered]


def seed_demo_company(password: str) -> list[User]:
    """Create the demo departments, accounts and each area's demo records; the database must be empty."""
    if db.session.scalar(select(User.id).limit(1)) is not None:
        raise DemoError("the database has users already; seed-demo fills an empty database only")
    departments: dict[str, Department] = {}
    accounts: dict[str, User] = {}
    with acting_as(db.session, None):
        for username, display_name, role, department_name in DEMO_ACCOUNTS:
            department = departments.get(department_name)
            if department is None:
                department = departments[department_name] = Department(name=department_name)
                db.session.add(department)
            user = User(username=username, display_name=display_name, role=role.value, department=department)
            user.set_password(password)
            db.session.add(user)
            accounts[username] = user
        for key, value in DEMO_COMPANY.items():
            set_setting(key, value)
        db.session.flush()
        for seeder in _seeders_in_order():
            seeder(accounts)
        db.session.commit()
    return list(accounts.values())
