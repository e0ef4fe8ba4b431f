"""List answers ("one per line") are split on lines and commas, never on the spaces inside one."""

from django.test import Client

from tenants.context import tenant_context
from tests.tickets.test_submission_form import form_tenant, valid_data  # noqa: F401 (fixture)
from tickets.models import Ticket
from tickets.portal.forms import split_list


def test_entries_are_split_on_lines_commas_and_semicolons_only():
    assert split_list("Jane Doe\r\njo@example.net, backup-admin;ops\n\n  ") == [
        "Jane Doe",
        "jo@example.net",
        "backup-admin",
        "ops",
    ]


def test_a_name_with_a_space_stays_one_entry_and_is_refused_as_written(form_tenant):  # noqa: F811
    data = valid_data(q_affected_users="Jane Doe\njo@example.net")
    response = Client(HTTP_HOST=form_tenant.host).post("/tickets/new/", data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "not valid email addresses or usernames: Jane Doe." in page
    assert "Jane Doe\njo@example.net" in page  # what was typed is kept
    with tenant_context(form_tenant.tenant):
        assert Ticket.objects.count() == 1  # only the world's own ticket


def test_one_entry_per_line_is_saved_as_typed(form_tenant):  # noqa: F811
    data = valid_data(q_affected_users="jo@example.net\nbackup-admin\n")
    response = Client(HTTP_HOST=form_tenant.host).post("/tickets/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(form_tenant.tenant):
        ticket = Ticket.objects.order_by("-number").first()
    assert ticket.form_answers["affected_users"] == ["jo@example.net", "backup-admin"]
