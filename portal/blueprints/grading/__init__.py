"""Customer value grading (客户价值分级 AA/AB/BA/BB), churn early warning (流失预警) by each
customer's own buying rhythm, and the staffing estimate (工作量法)."""
from decimal import Decimal

import click
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.company_settings import SettingDefinition, register_setting
from portal.models import Role
from portal.navigation import ANALYSIS, NavItem, register_nav_item

bp = Blueprint("grading", __name__)

GRADING, CHURN = _l("Customer value grading"), _l("Churn early warning")
for _setting in (
    SettingDefinition("grading.window_months", _l("Months of contracts graded"), kind="int", default=12, group=GRADING, minimum=1, maximum=60),
    SettingDefinition("grading.volume_share", _l("Share of revenue that makes an A by volume (%)"), kind="decimal", default=Decimal("80"),
                      group=GRADING, minimum=Decimal("0"), maximum=Decimal("100")),
    SettingDefinition("grading.margin_threshold", _l("Gross profit per unit that makes an A by margin (¥)"), kind="decimal",
                      default=Decimal("1500"), group=GRADING, minimum=Decimal("0"), maximum=Decimal("9999999999")),
    SettingDefinition("grading.policy_AA", _l("Service policy for AA customers"), kind="textarea", default="部门经理每月拜访一次", group=GRADING),
    SettingDefinition("grading.policy_AB", _l("Service policy for AB customers"), kind="textarea", default="销售每两周拜访一次，关注利润", group=GRADING),
    SettingDefinition("grading.policy_BA", _l("Service policy for BA customers"), kind="textarea", default="销售每月拜访一次，争取上量", group=GRADING),
    SettingDefinition("grading.policy_BB", _l("Service policy for BB customers"), kind="textarea", default="电话维护，每季度回访", group=GRADING),
    SettingDefinition("churn.interval_factor", _l("Warn after this many times the customer's usual interval"), kind="decimal",
                      default=Decimal("1.5"), group=CHURN, minimum=Decimal("1"), maximum=Decimal("10")),
    SettingDefinition("churn.quiet_days", _l("Warn after this many days without a follow-up"), kind="int", default=60,
                      group=CHURN, minimum=1, maximum=3650),
    SettingDefinition("churn.fall_percent", _l("Warn when the year's amount fell by more than (%)"), kind="decimal",
                      default=Decimal("30"), group=CHURN, minimum=Decimal("0"), maximum=Decimal("100")),
    SettingDefinition("staffing.visits_per_year", _l("Visits one salesperson makes in a year"), kind="int", default=800,
                      group=GRADING, minimum=1, maximum=10000),
):
    register_setting(_setting)

register_nav_item(NavItem("grading.index", _l("Customer value"), frozenset({Role.HEAD, Role.ADMIN})), group=ANALYSIS)
register_nav_item(NavItem("grading.churn", _l("Churn warnings"), frozenset({Role.SALES, Role.HEAD, Role.ADMIN})), group=ANALYSIS)


@click.command("grade-customers")
def grade_customers_command():
    """Grade every customer AA/AB/BA/BB from the contracts of the window (nightly cron)."""
    from portal.blueprints.grading.compute import run_grading
    from portal.extensions import db
    from portal.rules.followups import company_today

    run = run_grading(company_today())
    db.session.commit()
    click.echo(f"graded {run.customers} customers over {run.window_start} – {run.window_end}")


@click.command("flag-churn")
def flag_churn_command():
    """Check every signed customer for churn warnings (nightly cron)."""
    from portal.blueprints.grading.compute import run_churn
    from portal.extensions import db
    from portal.rules.followups import company_today

    flagged = run_churn(company_today())
    db.session.commit()
    click.echo(f"{flagged} customers flagged")


@bp.record_once
def _add_commands(state) -> None:
    state.app.cli.add_command(grade_customers_command)
    state.app.cli.add_command(flag_churn_command)


from portal.blueprints.grading import demo, reminders, routes  # noqa: E402,F401
