"""A token-carrying client for API tests: ``api(world, "agent").get(...)``."""

from __future__ import annotations

import json

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import tokens
from tenants.context import tenant_context


class Api:
    def __init__(self, world, role: str = "agent", scope: str = "write"):
        with tenant_context(world.tenant):
            self.raw = tokens.token_create(
                user=world.users[role], name=f"{role} test", scope=scope, expires_in_days=None
            )[1]
        self.client = Client(HTTP_HOST=world.host)

    def _headers(self, extra: dict) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.raw}", **extra}

    def get(self, url: str, params=None, **headers):
        return self.client.get(url, params or {}, **self._headers(headers))

    def send(self, method: str, url: str, data=None, **headers):
        call = getattr(self.client, method)
        return call(
            url, json.dumps(data or {}), content_type="application/json", **self._headers(headers)
        )

    def post(self, url: str, data=None, **headers):
        return self.send("post", url, data, **headers)

    def patch(self, url: str, data=None, **headers):
        return self.send("patch", url, data, **headers)

    def listing_cost(self, url: str, params=None) -> tuple[int, int]:
        """(SQL statements, rows listed) of one GET of a list: for constant-query checks."""
        with CaptureQueriesContext(connection) as captured:
            response = self.get(url, params)
        assert response.status_code == 200, response.content
        return len(captured), len(response.json()["results"])

    def multipart(self, url: str, data: dict, **headers):
        return self.client.post(url, data, **self._headers(headers))


def api(world, role: str = "agent", scope: str = "write") -> Api:
    return Api(world, role, scope)
