"""The business-hours page saves what a browser sends back, spare rows included."""

from datetime import time
from html.parser import HTMLParser

from desk.models import BusinessHours
from tenants.context import tenant_context
from tests.conftest import login_client

URL = "/agent/settings/hours/"


class BrowserForm(HTMLParser):
    """The POST form's fields as a browser submits them: a select without a selected option
    sends its first option (even a blank one), an unchecked checkbox sends nothing."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._chosen = False
        self._in_post_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_post_form = (attrs.get("method") or "").lower() == "post"
        if not self._in_post_form:
            return
        if tag == "select":
            self._select, self._chosen = attrs["name"], False
        elif tag == "option" and self._select:
            if self._select not in self.data or ("selected" in attrs and not self._chosen):
                self.data[self._select] = attrs.get("value", "")
                self._chosen = self._chosen or "selected" in attrs
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind == "checkbox" and "checked" not in attrs:
                return
            self.data[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._in_post_form = False


def page_form(client) -> dict[str, str]:
    parser = BrowserForm()
    parser.feed(client.get(URL).content.decode())
    return parser.data


def schedule(world) -> set[tuple[int, time, time]]:
    with tenant_context(world.tenant):
        return set(BusinessHours.objects.values_list("weekday", "opens", "closes"))


def test_changing_only_fridays_closing_time_saves_with_the_spare_rows_left_blank(world_a):
    admin = login_client(world_a.users["admin"], world_a.tenant)
    before = schedule(world_a)
    friday = BusinessHours.Weekday.FRIDAY
    assert (friday, time(8), time(17)) in before
    data = page_form(admin)
    total = int(data["hours-TOTAL_FORMS"])
    assert total > int(data["hours-INITIAL_FORMS"])  # the page offers spare rows
    row = next(i for i in range(total) if data[f"hours-{i}-weekday"] == str(friday))
    data[f"hours-{row}-closes"] = "16:00"

    response = admin.post(URL, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    expected = (before - {(friday, time(8), time(17))}) | {(friday, time(8), time(16))}
    assert schedule(world_a) == expected


def test_a_spare_row_with_a_day_but_no_times_is_an_error_and_nothing_changes(world_a):
    admin = login_client(world_a.users["admin"], world_a.tenant)
    before = schedule(world_a)
    data = page_form(admin)
    spare = int(data["hours-INITIAL_FORMS"])  # the first spare row
    data[f"hours-{spare}-weekday"] = str(BusinessHours.Weekday.SATURDAY)
    response = admin.post(URL, data)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert schedule(world_a) == before


def test_a_filled_spare_row_adds_an_interval(world_a):
    admin = login_client(world_a.users["admin"], world_a.tenant)
    data = page_form(admin)
    spare = int(data["hours-INITIAL_FORMS"])
    saturday = BusinessHours.Weekday.SATURDAY
    data |= {
        f"hours-{spare}-weekday": str(saturday),
        f"hours-{spare}-opens": "09:00",
        f"hours-{spare}-closes": "12:00",
    }
    assert admin.post(URL, data).status_code == 302
    assert (saturday, time(9), time(12)) in schedule(world_a)
