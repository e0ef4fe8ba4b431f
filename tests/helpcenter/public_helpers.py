"""Building a help center through the real services, for the public pages' tests."""

from django.test import Client

from helpcenter import services
from tenants.context import tenant_context


def structure(world, category="Backups", section="Restoring", **values):
    """A category and a section in it (names also make the slugs)."""
    with tenant_context(world.tenant):
        made = services.category_save(values={"name": category, **values})
        return made, services.section_save(values={"category": made, "name": section})


def article(world, title, body="", *, section, status="published", author_role="manager"):
    with tenant_context(world.tenant):
        return services.article_save(
            values={"section": section, "title": title, "body": body, "status": status},
            author=world.users[author_role] if author_role else None,
        )


def browser(world) -> Client:
    """An anonymous visitor on the tenant's host."""
    return Client(HTTP_HOST=world.host)


def page(client, path, status=200, **extra) -> str:
    response = client.get(path, **extra)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()
