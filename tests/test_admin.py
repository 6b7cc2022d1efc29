"""Administration: users, departments, archive and restore, stale forms."""
from sqlalchemy import select

from conftest import HTMX_HEADERS, TEST_PASSWORD, login_as
from portal.extensions import db
from portal.models import AuditEntry, Department, Role, User


def _admin(client, make_user):
    admin = make_user(Role.ADMIN, username="boss")
    login_as(client, admin)
    return admin


def test_admin_creates_a_salesperson_who_can_log_in(app, client, make_user, make_department):
    _admin(client, make_user)
    fruit = make_department("水果部")
    response = client.post(
        "/admin/users/new",
        data={"username": "liu.yang", "display_name": "刘洋", "role": "sales", "department_id": fruit.id,
              "language": "zh_CN", "password": "first-password-1"},
    )
    assert response.status_code == 302
    user = User.by_username("liu.yang")
    assert (user.role, user.department_id, user.display_name) == ("sales", fruit.id, "刘洋")
    other = app.test_client()
    assert other.post("/login", data={"username": "liu.yang", "password": "first-password-1"}).status_code == 302


def test_salesperson_without_department_is_refused(client, make_user):
    _admin(client, make_user)
    response = client.post(
        "/admin/users/new",
        data={"username": "x1", "display_name": "某人", "role": "sales", "department_id": 0, "language": "zh_CN",
              "password": "first-password-1"},
    )
    assert response.status_code == 422
    assert "必须属于一个部门" in response.get_data(as_text=True)
    assert User.by_username("x1") is None


def test_duplicate_username_is_refused_case_insensitively(client, make_user):
    _admin(client, make_user)
    response = client.post(
        "/admin/users/new",
        data={"username": "BOSS", "display_name": "重名", "role": "hr", "department_id": 0, "language": "zh_CN",
              "password": "first-password-1"},
    )
    assert response.status_code == 422
    assert "已被占用" in response.get_data(as_text=True)


def test_user_list_filters_in_place_with_htmx(client, make_user, make_department):
    _admin(client, make_user)
    fruit, veg = make_department("水果部"), make_department("蔬菜部")
    make_user(Role.SALES, fruit, username="fruit.seller")
    make_user(Role.SALES, veg, username="veg.seller")
    full = client.get(f"/admin/users?department={fruit.id}")
    assert "<html" in full.get_data(as_text=True)
    fragment = client.get(f"/admin/users?department={fruit.id}", headers={**HTMX_HEADERS, "HX-Target": "user-rows"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="user-rows"' in body
    assert "fruit.seller" in body and "veg.seller" not in body
    assert "HX-Request" in fragment.headers["Vary"]
    # A boosted navigation still gets the whole page.
    boosted = client.get("/admin/users", headers={**HTMX_HEADERS, "HX-Boosted": "true", "HX-Target": "user-rows"})
    assert "<html" in boosted.get_data(as_text=True)


def test_user_list_shows_an_empty_state(client, make_user):
    _admin(client, make_user)
    body = client.get("/admin/users?role=hr").get_data(as_text=True)
    assert "没有符合条件的用户" in body


def test_changing_role_is_audited_and_ends_the_users_sessions(app, client, make_user, make_department):
    admin = _admin(client, make_user)
    fruit = make_department("水果部")
    seller = make_user(Role.SALES, fruit, username="liu")
    seller_client = app.test_client()
    login_as(seller_client, seller)
    assert seller_client.get("/").status_code == 200
    response = client.post(
        f"/admin/users/{seller.id}",
        data={"display_name": "刘洋", "role": "head", "department_id": fruit.id, "language": "zh_CN",
              "version": seller.version},
    )
    assert response.status_code == 302
    assert db.session.get(User, seller.id).role == "head"
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.record_type == "users", AuditEntry.record_id == seller.id,
                                 AuditEntry.action == "update")
    ).one()
    assert entry.user_id == admin.id
    assert entry.changes["role"] == ["sales", "head"]
    assert "session_token" not in entry.changes and "password_hash" not in entry.changes
    assert seller_client.get("/").status_code == 302


def test_stale_edit_form_shows_a_conflict_instead_of_overwriting(client, make_user, make_department):
    _admin(client, make_user)
    fruit = make_department("水果部")
    seller = make_user(Role.SALES, fruit, username="liu", display_name="刘洋")
    opened_at = seller.version
    # Someone else saves first.
    client.post(f"/admin/users/{seller.id}",
                data={"display_name": "刘洋洋", "role": "sales", "department_id": fruit.id, "language": "zh_CN",
                      "version": opened_at})
    response = client.post(
        f"/admin/users/{seller.id}",
        data={"display_name": "刘阳", "role": "sales", "department_id": fruit.id, "language": "en", "version": opened_at},
    )
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "其他人已保存过它" in body
    assert "刘洋洋" in body  # what the other person changed
    saved = db.session.get(User, seller.id)
    assert (saved.display_name, saved.language) == ("刘洋洋", "zh_CN")


def test_reset_password_and_deactivate_with_confirmation(app, client, make_user, make_department):
    _admin(client, make_user)
    seller = make_user(Role.SALES, make_department(), username="liu")
    client.post(f"/admin/users/{seller.id}/password", data={"password": "brand-new-pass", "confirm": "brand-new-pass"})
    assert db.session.get(User, seller.id).check_password("brand-new-pass")
    confirm_page = client.get(f"/admin/users/{seller.id}/active")
    assert "停用" in confirm_page.get_data(as_text=True)
    assert db.session.get(User, seller.id).active  # nothing happens on GET
    client.post(f"/admin/users/{seller.id}/active")
    assert not db.session.get(User, seller.id).active
    refused = app.test_client().post("/login", data={"username": "liu", "password": "brand-new-pass"})
    assert refused.status_code == 401
    client.post(f"/admin/users/{seller.id}/active")
    assert db.session.get(User, seller.id).active


def test_admin_cannot_deactivate_themselves(client, make_user):
    admin = _admin(client, make_user)
    client.post(f"/admin/users/{admin.id}/active")
    assert db.session.get(User, admin.id).active


def test_department_archive_and_restore_are_audited(client, make_user, make_department):
    _admin(client, make_user)
    empty = make_department("旧部门")
    busy = make_department("水果部")
    make_user(Role.SALES, busy)
    client.post(f"/admin/departments/{busy.id}/archive")
    assert db.session.get(Department, busy.id).archived_at is None
    client.post(f"/admin/departments/{empty.id}/archive")
    assert db.session.get(Department, empty.id).archived_at is not None
    assert "旧部门</a>" not in client.get("/admin/departments").get_data(as_text=True)
    assert "旧部门" in client.get("/admin/archived").get_data(as_text=True)
    client.post(f"/admin/archived/departments/{empty.id}/restore")
    assert db.session.get(Department, empty.id).archived_at is None
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.record_type == "departments", AuditEntry.record_id == empty.id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["create", "archive", "restore"]


def test_restore_of_unknown_record_type_is_404(client, make_user):
    _admin(client, make_user)
    assert client.post("/admin/archived/nonsense/1/restore").status_code == 404


def test_department_names_are_unique(client, make_user, make_department):
    _admin(client, make_user)
    make_department("水果部")
    response = client.post("/admin/departments", data={"name": " 水果部 "})
    assert response.status_code == 422
    assert "已存在同名部门" in response.get_data(as_text=True)


def test_history_fragment_lists_changes(client, make_user, make_department):
    _admin(client, make_user)
    department = make_department("水果部")
    client.post(f"/admin/departments/{department.id}", data={"name": "鲜果部", "version": department.version})
    body = client.get(f"/history/departments/{department.id}").get_data(as_text=True)
    assert "水果部 → 鲜果部" in body


def test_language_switch_changes_the_interface(client, make_user):
    user = make_user(Role.SALES)
    login_as(client, user)
    assert "我的一天" in client.get("/").get_data(as_text=True)
    client.post("/account/language", data={"language": "en", "back": "/"})
    assert db.session.get(User, user.id).language == "en"
    page = client.get("/").get_data(as_text=True)
    assert "My day" in page and 'lang="en"' in page


def test_language_switch_back_refuses_off_site_targets(client, make_user):
    login_as(client, make_user(Role.SALES))
    response = client.post("/account/language", data={"language": "en", "back": "//evil.example"})
    assert response.headers["Location"] == "/"


def test_login_page_language_switch_keeps_where_the_user_was_going(client, make_user):
    make_user(Role.ADMIN)
    chinese = client.get("/login?next=/customers/").get_data(as_text=True)
    assert "登录" in chinese and 'href="/login?next=/customers/&amp;lang=en"' in chinese
    english = client.get("/login?next=/customers/&lang=en").get_data(as_text=True)
    assert "Log in" in english and 'name="next" type="hidden" value="/customers/"' in english
    assert "Log in" in client.get("/login").get_data(as_text=True)  # remembered for the visit
    client.get("/login?lang=xx")  # not a language: ignored
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_navigation_shows_only_what_the_role_may_use(client, make_user, make_department):
    department = make_department()
    for role in (Role.SALES, Role.HEAD, Role.HR):
        login_as(client, make_user(role, department))
        page = client.get("/").get_data(as_text=True)
        assert "/admin/users" not in page, role
    login_as(client, make_user(Role.ADMIN))
    page = client.get("/").get_data(as_text=True)
    assert "/admin/users" in page and "/admin/departments" in page


def test_login_password_is_hashed_with_scrypt(client, make_user):
    _admin(client, make_user)
    client.post("/admin/users/new", data={"username": "new1", "display_name": "新人", "role": "hr", "department_id": 0,
                                          "language": "zh_CN", "password": TEST_PASSWORD})
    assert User.by_username("new1").password_hash.startswith("scrypt:")


def test_history_names_fields_and_referenced_records_in_words(client, make_user, make_department):
    _admin(client, make_user)
    fruit, veg = make_department("水果部"), make_department("蔬菜部")
    seller = make_user(Role.SALES, fruit, username="liu")
    client.post(f"/admin/users/{seller.id}",
                data={"display_name": seller.display_name, "role": "head", "department_id": veg.id,
                      "language": "zh_CN", "version": seller.version})
    body = client.get(f"/admin/users/{seller.id}").get_data(as_text=True)
    assert "部门: 水果部 → 蔬菜部" in body
    assert "角色: 销售员 → 部门经理" in body
    assert "department_id:" not in body


def test_after_a_conflict_saving_again_is_deliberate_and_works(client, make_user, make_department):
    _admin(client, make_user)
    fruit = make_department("水果部")
    seller = make_user(Role.SALES, fruit, username="liu", display_name="刘洋")
    opened_at = seller.version
    client.post(f"/admin/users/{seller.id}", data={"display_name": "刘洋洋", "role": "sales", "department_id": fruit.id,
                                                   "language": "zh_CN", "version": opened_at})
    conflict = client.post(f"/admin/users/{seller.id}", data={"display_name": "刘阳", "role": "sales",
                                                              "department_id": fruit.id, "language": "zh_CN",
                                                              "version": opened_at})
    assert conflict.status_code == 409
    body = conflict.get_data(as_text=True)
    current_version = body.split('id="version" name="version" type="hidden" value="', 1)[1].split('"', 1)[0]
    assert 'value="刘阳"' in body  # what the user typed is kept
    again = client.post(f"/admin/users/{seller.id}", data={"display_name": "刘阳", "role": "sales",
                                                           "department_id": fruit.id, "language": "zh_CN",
                                                           "version": current_version})
    assert again.status_code == 302
    assert db.session.get(User, seller.id).display_name == "刘阳"


def test_filter_form_keeps_the_chosen_filters(client, make_user, make_department):
    _admin(client, make_user)
    fruit = make_department("水果部")
    make_department("蔬菜部")
    body = client.get(f"/admin/users?department={fruit.id}&role=head").get_data(as_text=True)
    assert f'<option value="{fruit.id}" selected>水果部</option>' in body
    assert '<option value="head" selected>' in body
    assert body.count(" selected>") == 3  # department, role and the default status
