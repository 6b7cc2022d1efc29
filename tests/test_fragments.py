"""Every htmx fragment response is the fragment alone: no page chrome around it.

The test finds the elements the templates name as ``hx-target``, then asks every GET endpoint
(with a record of the actor's own from the access matrix) for each of them as htmx would. Any
response rendered from a fragment template (``_name.html``) must carry no ``<html>``, ``<head>``,
``<body>`` or navigation.
"""
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import template_rendered, url_for

from access_matrix import PUBLIC_ENDPOINTS, RECORD_BUILDERS, RULES
from conftest import HTMX_HEADERS, login_as

TEMPLATES = Path(__file__).resolve().parent.parent / "portal" / "templates"
TARGET = re.compile(r"""hx-target["']?\s*[:=]\s*["']#([\w-]+)""")
CHROME = re.compile(r"<(html|head|body|nav)\b|<header\b", re.IGNORECASE)


def _targets() -> set[str]:
    found = set()
    for path in TEMPLATES.rglob("*.html"):
        found.update(TARGET.findall(path.read_text(encoding="utf-8")))
    return found


def _get_urls(app, records) -> list[str]:
    scoped = {}
    for rule in RULES:
        if rule.url_args is not None and rule.method == "GET":
            scoped.setdefault(rule.endpoint, rule)
    urls = []
    for url_rule in app.url_map.iter_rules():
        if url_rule.endpoint in PUBLIC_ENDPOINTS or "GET" not in url_rule.methods:
            continue
        if url_rule.arguments and url_rule.endpoint not in scoped:
            continue
        args = scoped[url_rule.endpoint].url_args(records) if url_rule.arguments else {}
        with app.test_request_context():
            urls.append(url_for(url_rule.endpoint, **args))
    return urls


@pytest.mark.parametrize("role", ["sales", "head", "admin"])
def test_fragment_responses_carry_no_page_chrome(app, client, world, role):
    world.actor = world.actors[role]
    records = SimpleNamespace()
    for build in RECORD_BUILDERS:
        build(world, "own", records)
    login_as(client, world.actor)
    rendered: list[str] = []

    def remember(sender, template, context, **extra):
        rendered.append(template.name)

    targets = sorted(_targets())
    assert {"customer-rows", "contacts", "follow-ups"} <= set(targets)
    fragments_seen = set()
    problems = []
    with template_rendered.connected_to(remember, app):
        for url in _get_urls(app, records):
            for target in targets:
                rendered.clear()
                response = client.get(url, headers={**HTMX_HEADERS, "HX-Target": target})
                if not rendered or not Path(rendered[0]).name.startswith("_"):
                    continue
                fragments_seen.add(rendered[0])
                if CHROME.search(response.get_data(as_text=True)):
                    problems.append(f"{url} for #{target} ({rendered[0]})")
    assert problems == []
    # The walk must reach the fragments the customer register is built from.
    assert len(fragments_seen) >= 3, fragments_seen
