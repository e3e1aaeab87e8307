"""Signing in to the dashboard from a test, the way a browser does: read the form, post it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(browser: TestClient, name: str, password: str) -> str:
    """Sign in; returns the page that followed (the client list, or the form with an error)."""
    form = browser.get("/sign-in")
    response = browser.post(
        "/sign-in",
        data={"username": name, "password": password, "csrf": csrf_of(form.text)},
    )
    return response.text


def token_of(page_html: str) -> str:
    """The CSRF token of a signed-in page's forms."""
    return csrf_of(page_html)


SEEN = re.compile(r'name="seen" value="(\d+)"')


def mark_reviewed(browser: TestClient, code: str) -> str:
    """Open the client's page and press "Mark reviewed", as a counselor does."""
    page = browser.get(f"/clients/{code}").text
    seen = SEEN.search(page)
    assert seen, "the page has no Mark reviewed form"
    return browser.post(
        f"/clients/{code}/reviewed", data={"csrf": csrf_of(page), "seen": seen.group(1)}
    ).text
