"""Customer business rules as plain functions: duplicates, handover, merge, the keyset list."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from customer_factories import new_customer
from portal.blueprints.customers.operations import (
    CUSTOMER_REFERENCES,
    CustomerOperationError,
    hand_over,
    merge_customers,
    register_customer_reference,
)
from portal.blueprints.customers.queries import (
    CustomerFilters,
    decode_cursor,
    find_duplicates,
    list_customers,
    search_terms,
)
from portal.database import utcnow
from portal.extensions import db
from portal.models import AuditEntry, Contact, FollowUp


@pytest.fixture
def people(make_department, make_user):
    fruit, veg = make_department("水果部"), make_department("蔬菜部")
    return {
        "liu": make_user("sales", fruit, display_name="刘洋"),
        "chen": make_user("sales", fruit, display_name="陈静"),
        "zhao": make_user("sales", veg, display_name="赵敏"),
        "head": make_user("head", fruit),
        "admin": make_user("admin", fruit),
        "fruit": fruit,
        "veg": veg,
    }


def _names(matches):
    return sorted(match.customer.name for match in matches)


# --- duplicates ---------------------------------------------------------------------------------


def test_name_matches_across_widths_case_spaces_and_company_suffixes(people):
    new_customer(people["zhao"], "ＡＢＣ 水果有限公司")
    new_customer(people["liu"], "华润万家")
    assert _names(find_duplicates("abc水果", [], "")) == ["ＡＢＣ 水果有限公司"]
    assert _names(find_duplicates("ABC水果公司", [], "")) == ["ＡＢＣ 水果有限公司"]
    assert _names(find_duplicates("  Abc 水果 股份有限公司 ", [], "")) == ["ＡＢＣ 水果有限公司"]
    assert _names(find_duplicates("华润万家有限公司", [], "")) == ["华润万家"]
    assert find_duplicates("华润万家超市", [], "") == []
    assert find_duplicates("ABC蔬菜", [], "") == []


def test_phone_matches_on_digits_including_contacts(people):
    new_customer(people["liu"], "甲", phone="0755-2668 1234")
    new_customer(people["chen"], "乙", mobile="+86 139 0288 1234")
    new_customer(people["zhao"], "丙", contacts=[Contact(name="王经理", mobile="137-1552-6677")])
    assert _names(find_duplicates("别的名字", ["075526681234"], "")) == ["甲"]
    assert _names(find_duplicates("别的名字", ["", "13902881234"], "")) == ["乙"]
    assert _names(find_duplicates("别的名字", ["１３７１５５２６６７７"], "")) == ["丙"]
    matches = find_duplicates("别的名字", ["13715526677"], "")
    assert matches[0].reasons == ["phone"]
    # A part of a number is not the number.
    assert find_duplicates("别的名字", ["1552667"], "") == []


def test_email_matches_ignoring_case_and_reasons_are_listed(people):
    new_customer(people["liu"], "永辉超市", email="buyer@yonghui.cn", phone="020-38801234")
    [match] = find_duplicates("永辉超市有限公司", ["02038801234"], "Buyer@YongHui.cn")
    assert match.reasons == ["name", "phone", "email"]
    assert match.customer.owner.display_name == "刘洋"


def test_archived_and_excluded_customers_do_not_match(people):
    archived = new_customer(people["liu"], "旧客户", archived_at=utcnow())
    current = new_customer(people["liu"], "新客户")
    assert find_duplicates("旧客户", [], "") == []
    assert find_duplicates("新客户", [], "", exclude_id=current.id) == []
    assert archived.id and find_duplicates("", [], "") == []


# --- handover -----------------------------------------------------------------------------------


def test_hand_over_moves_selected_customers_with_their_follow_ups(people):
    liu, chen, zhao = people["liu"], people["chen"], people["zhao"]
    planned = date(2030, 5, 1)
    first = new_customer(liu, "一号", next_follow_up_on=planned)
    second = new_customer(liu, "二号")
    kept = new_customer(liu, "三号")
    others = new_customer(zhao, "别人的")
    db.session.add(FollowUp(customer_id=first.id, user_id=liu.id, kind="visit", happened_at=utcnow(),
                            summary="拜访", next_follow_up_on=planned))
    db.session.commit()

    moved = hand_over([first.id, second.id, others.id], liu, chen)
    db.session.commit()

    assert {customer.name for customer in moved} == {"一号", "二号"}
    assert (first.owner_id, first.department_id, first.next_follow_up_on) == (chen.id, chen.department_id, planned)
    assert second.owner_id == chen.id and kept.owner_id == liu.id and others.owner_id == zhao.id
    follow_up = db.session.scalar(select(FollowUp))
    assert follow_up.customer_id == first.id and follow_up.summary == "拜访"
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.record_type == "customers", AuditEntry.action == "handover")
    ).all()
    assert sorted(entry.record_id for entry in entries) == sorted([first.id, second.id])
    assert entries[0].changes["owner_id"] == [liu.id, chen.id]


def test_hand_over_all_changes_department_and_skips_archived(people):
    liu, zhao = people["liu"], people["zhao"]
    live = new_customer(liu, "在用")
    archived = new_customer(liu, "已归档", archived_at=utcnow())
    hand_over(None, liu, zhao)
    db.session.commit()
    assert (live.owner_id, live.department_id) == (zhao.id, people["veg"].id)
    assert archived.owner_id == liu.id


def test_hand_over_refuses_the_same_person_and_non_salespeople(people, make_user):
    with pytest.raises(CustomerOperationError):
        hand_over(None, people["liu"], people["liu"])
    with pytest.raises(CustomerOperationError):
        hand_over(None, people["liu"], people["head"])
    with pytest.raises(CustomerOperationError):
        hand_over(None, people["liu"], make_user("sales", people["fruit"], active=False))


# --- merge --------------------------------------------------------------------------------------


def test_merge_moves_contacts_and_follow_ups_and_archives_the_duplicate(people):
    liu, chen = people["liu"], people["chen"]
    survivor = new_customer(liu, "华润万家", phone="0755-26681234", notes="老客户",
                            next_follow_up_on=date(2030, 6, 1))
    duplicate = new_customer(chen, "华润万家有限公司", mobile="13902881234", email="a@b.cn", region="深圳",
                             notes="展会认识", next_follow_up_on=date(2030, 5, 1), contacts=["王建国"])
    db.session.add(FollowUp(customer_id=duplicate.id, user_id=chen.id, kind="call_out", happened_at=utcnow(),
                            summary="电话"))
    db.session.commit()

    merge_customers(survivor, duplicate)
    db.session.commit()

    assert [contact.name for contact in survivor.contacts] == ["王建国"]
    assert db.session.scalar(select(FollowUp.customer_id)) == survivor.id
    assert duplicate.archived_at is not None
    assert (survivor.phone, survivor.mobile, survivor.email, survivor.region) == (
        "0755-26681234", "13902881234", "a@b.cn", "深圳")
    assert survivor.notes == "老客户\n\n展会认识"
    assert survivor.next_follow_up_on == date(2030, 5, 1)
    assert "王建国" in survivor.search_text and survivor.mobile_key == "13902881234"
    assert survivor.owner_id == liu.id
    actions = {
        (entry.record_type, entry.record_id): entry.action
        for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_(["merge", "archive"])))
    }
    assert actions[("customers", survivor.id)] == "merge"
    assert actions[("contacts", survivor.contacts[0].id)] == "merge"
    assert actions[("follow_ups", db.session.scalar(select(FollowUp.id)))] == "merge"
    assert actions[("customers", duplicate.id)] == "archive"


def test_merge_refuses_itself_and_archived_customers(people):
    customer = new_customer(people["liu"], "甲")
    archived = new_customer(people["liu"], "乙", archived_at=utcnow())
    with pytest.raises(CustomerOperationError):
        merge_customers(customer, customer)
    with pytest.raises(CustomerOperationError):
        merge_customers(customer, archived)


def test_later_tables_join_the_merge_by_registering():
    before = list(CUSTOMER_REFERENCES)
    register_customer_reference(Contact)
    assert CUSTOMER_REFERENCES == before
    assert (FollowUp, "customer_id") in CUSTOMER_REFERENCES


# --- search and the keyset list -----------------------------------------------------------------


def test_search_terms():
    assert search_terms("  ＡＢＣ  超市 ") == ["abc", "超市"]
    assert search_terms("138-0013 8000") == ["13800138000"]
    assert search_terms("（０２１）５８８８") == ["0215888"]
    assert search_terms("") == []


def test_search_finds_names_contacts_and_phones_and_escapes_wildcards(people):
    liu = people["liu"]
    new_customer(liu, "深圳华润万家超市", phone="0755-26681234")
    new_customer(liu, "广州江南果菜批发市场", contacts=[Contact(name="黄伟", mobile="13802231122")])
    new_customer(liu, "100%鲜果")

    def search(q):
        return sorted(c.name for c in list_customers(liu, CustomerFilters(q=q), None).rows)

    assert search("华润") == ["深圳华润万家超市"]
    assert search("黄伟") == ["广州江南果菜批发市场"]
    assert search("138 0223") == ["广州江南果菜批发市场"]
    assert search("26681234") == ["深圳华润万家超市"]
    assert search("%") == ["100%鲜果"]
    assert search("_") == []


def _walk(user, filters, page_size=4):
    seen, after, pages = [], None, 0
    while True:
        page = list_customers(user, filters, after, page_size=page_size)
        seen += [customer.id for customer in page.rows]
        pages += 1
        assert page.is_first == (after is None)
        if page.next_cursor is None:
            return seen, pages
        after = page.next_cursor


@pytest.mark.parametrize("sort", ["newest", "name", "next"])
def test_keyset_pages_cover_every_customer_once_in_order(people, sort):
    liu = people["liu"]
    names = ["乙", "甲", "丙", "甲", "丁", "戊", "己", "庚", "辛", "壬", "癸"]
    dates = [date(2030, 1, 1), None, date(2030, 1, 1), date(2029, 12, 1), None, date(2030, 1, 1), None,
             date(2030, 2, 1), date(2029, 1, 1), None, date(2030, 1, 1)]
    customers = [new_customer(liu, name, next_follow_up_on=day) for name, day in zip(names, dates)]
    new_customer(people["chen"], "别人的客户")
    seen, pages = _walk(liu, CustomerFilters(sort=sort))
    expected = {
        "newest": sorted(customers, key=lambda c: -c.id),
        "name": sorted(customers, key=lambda c: (c.name, c.id)),
        "next": sorted(customers, key=lambda c: (c.next_follow_up_on is None, c.next_follow_up_on or date.min, c.id)),
    }[sort]
    assert seen == [customer.id for customer in expected]
    assert pages == 3


def test_list_filters_and_scope(people):
    liu, chen, zhao, head, admin = (people[key] for key in ("liu", "chen", "zhao", "head", "admin"))
    today = datetime.now(timezone(timedelta(hours=8))).date()
    overdue = new_customer(liu, "逾期", next_follow_up_on=today - timedelta(days=1), intention_grade="A",
                           stage="intended", region="深圳南山")
    new_customer(liu, "未到期", next_follow_up_on=today + timedelta(days=3), region="广州")
    new_customer(chen, "同事的")
    new_customer(zhao, "蔬菜部的")

    def names(user, **filters):
        return sorted(c.name for c in list_customers(user, CustomerFilters(**filters), None).rows)

    assert names(liu) == ["未到期", "逾期"]
    assert names(head) == ["同事的", "未到期", "逾期"]
    assert names(admin) == ["同事的", "未到期", "蔬菜部的", "逾期"]
    assert names(admin, department=people["veg"].id) == ["蔬菜部的"]
    assert names(liu, overdue=True) == [overdue.name]
    assert names(liu, grade="A") == names(liu, stage="intended") == ["逾期"]
    assert names(liu, grade="none") == ["未到期"]
    assert names(liu, region="深圳") == ["逾期"]
    assert names(head, owner=chen.id) == ["同事的"]
    assert names(liu, owner=chen.id) == []


def test_malformed_cursors_mean_the_first_page():
    assert decode_cursor("newest", "abc") is None
    assert decode_cursor("next", "2030-02-30,5") is None
    assert decode_cursor("name", "甲,乙,7") == ("甲,乙", 7)
    assert decode_cursor("next", ",7") == (None, 7)
