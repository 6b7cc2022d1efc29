"""My day as the browser shows it: the page, with the part htmx loads after the first paint put in
place of its placeholder."""
import html
import re

LATER_PLACEHOLDER = re.compile(r'<div id="my-day-later" hx-get="([^"]+)".*?</div>', re.S)


def my_day_page(client) -> str:
    """GET / and, as htmx does on load, GET the rest and swap it in; the page as one string."""
    response = client.get("/")
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    found = LATER_PLACEHOLDER.search(page)
    assert found, "My day has no placeholder for the rest of its reminders"
    later = client.get(html.unescape(found.group(1)), headers={"HX-Request": "true", "HX-Target": "my-day-later"})
    assert later.status_code == 200, later.status_code
    return page[:found.start()] + later.get_data(as_text=True) + page[found.end():]
