"""Headless Debian Chromium driven by Playwright, for the console's browser tests.

Playwright's own browser downloads are never used: the tests point it at the system's
``chromium`` (``make browser`` installs Debian's package where apt is available) and
skip with the reason when either is missing. Every page gets a route that aborts and
records any request leaving loopback, and console errors are collected.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def chromium_or_skip() -> str:
    """The system Chromium's path, or skip the test saying what is missing."""
    found = next((p for p in CHROMIUM_PATHS if Path(p).exists()), None)
    found = found or shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no Chromium on this machine: `make browser` installs Debian's chromium")
    return found


@dataclass
class Watch:
    """What a page did that a test must fail on: errors in its console, requests that
    left loopback (aborted before they were sent)."""

    errors: list[tuple[str, str]] = field(default_factory=list)  # (text, page address)
    outside: list[str] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # pages a test expects a 4xx from

    def attach(self, context: Any) -> None:
        context.route("**/*", self._route)
        context.on("page", self._page)

    def _page(self, page: Any) -> None:
        def on_console(message: Any) -> None:
            if message.type == "error":
                self.errors.append((message.text, message.location.get("url", "")))

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append((str(error), "")))

    def expect_refusal(self, url: str) -> None:
        """Chromium logs every 4xx page as a console error; a test that asserts the
        status of ``url`` itself says so here."""
        self.refused.add(url)

    def _route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname in LOOPBACK:
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def assert_clean(self) -> None:
        assert self.outside == [], f"requests left loopback: {self.outside}"
        unexpected = [
            text
            for text, url in self.errors
            if not (
                text.startswith("Failed to load resource: the server responded with a status of 4")
                and url in self.refused
            )
        ]
        assert unexpected == [], f"console errors: {unexpected}"
