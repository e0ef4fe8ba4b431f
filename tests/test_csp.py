"""Content-Security-Policy on every page: scripts and styles only from our origin or with the
response's nonce, no style attributes, no framing; the few inline scripts carry the nonce.
(The browser tests check that Chromium reports no violation on any page they visit.)"""

from __future__ import annotations

import re

import pytest

from tests.conftest import login_client

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


def test_every_page_carries_the_policy(world_a, client):
    page = client.get("/accounts/login/", HTTP_HOST=world_a.host)
    policy = directives(page)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
    assert "style-src-attr" not in policy


def test_inline_scripts_carry_this_responses_nonce(world_a):
    agent = login_client(world_a.users["agent"], world_a.tenant)
    first = agent.get(f"/agent/tickets/{world_a.ticket.number}/")
    second = agent.get(f"/agent/tickets/{world_a.ticket.number}/")
    nonces = []
    for page in (first, second):
        (nonce,) = re.findall(r"'nonce-([^']+)'", " ".join(directives(page)["script-src"]))
        html = page.content.decode()
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        assert inline, "the ticket page has an inline script to check"
        assert all(
            f'nonce="{nonce}"' in attributes
            for attributes in inline
            if "application/json" not in attributes
        )
        assert ' style="' not in html
        nonces.append(nonce)
    assert nonces[0] != nonces[1], "a nonce is used once"


def test_the_json_api_is_not_an_html_page_but_still_framed_by_none(world_a):
    agent = login_client(world_a.users["agent"], world_a.tenant)
    response = agent.get("/api/v1/tickets/")
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
