"""Every endpoint is behind login, and each role gets exactly its scope."""
from types import SimpleNamespace

import pytest
from flask import url_for

from access_matrix import OK, PUBLIC_ENDPOINTS, RECORD_BUILDERS, ROLES, RULES, SCOPES
from conftest import HTMX_HEADERS, login_as


def _placeholder_args(rule):
    return {name: ("users" if name == "record_type" else 1) for name in rule.arguments}


def test_every_endpoint_requires_login(app, client, make_user):
    make_user("admin")  # past the first-run set-up page
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **_placeholder_args(rule))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code == 302, f"{method} {url} answered {response.status_code} without login"
            assert "/login" in response.headers["Location"]
            checked += 1
    assert checked >= 10


def test_htmx_request_without_login_gets_client_redirect(client, make_user):
    make_user("admin")
    response = client.get("/", headers=HTMX_HEADERS)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_matrix_names_every_endpoint(app):
    existing = {rule.endpoint for rule in app.url_map.iter_rules()}
    covered = {rule.endpoint for rule in RULES}
    assert existing - PUBLIC_ENDPOINTS - covered == set(), "endpoints missing from tests/access_matrix.py"
    # A public endpoint may have rules too (the calendar feed: a session without its token gets nothing).
    assert covered - existing == set(), "tests/access_matrix.py names endpoints that do not exist"


def _cases():
    for rule in RULES:
        for role in ROLES:
            for scope in SCOPES if rule.scoped else (None,):
                yield pytest.param(rule, role, scope, id=f"{rule.endpoint}-{role}-{scope or 'any'}")


@pytest.mark.parametrize("rule, role, scope", list(_cases()))
def test_access_matrix(app, client, world, rule, role, scope):
    world.actor = world.actors[role]
    url_args = {}
    if rule.scoped:
        records = SimpleNamespace()
        for build in RECORD_BUILDERS:
            build(world, scope, records)
        url_args = rule.url_args(records)
    login_as(client, world.actor)
    with app.test_request_context():
        url = url_for(rule.endpoint, **url_args)
    response = client.open(url, method=rule.method, data=rule.data)
    expected = rule.expected(role, scope)
    if expected == OK:
        assert response.status_code not in (401, 403, 404, 405) and response.status_code < 500, (
            f"{role} {rule.method} {url}: {response.status_code}"
        )
    else:
        assert response.status_code == expected, f"{role} {rule.method} {url}: {response.status_code}"
