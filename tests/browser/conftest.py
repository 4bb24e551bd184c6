"""Real Chromium against the app served on a loopback port: skipped, saying why, without it."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.support.browser import DESKTOP, PHONE, Checked, missing

REQUIRE = os.environ.get("CIRCUIT_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Launch Debian's Chromium through Playwright once for the session."""
    why = missing()
    if why:
        if REQUIRE:
            pytest.fail(f"CIRCUIT_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(f"browser tests skipped: {why}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    """Serve the test app with a real HTTP server on 127.0.0.1 in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone-390", "desktop-1280"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    return request.param  # type: ignore[no-any-return]


def _contexts(chromium: Any, live_url: str, contexts: list[Any]) -> Any:
    """Return make(who, viewport): a fresh, checked page (own cookies) at that viewport."""

    def make(who: str, viewport: dict[str, int]) -> Checked:
        phone = viewport is PHONE
        context = chromium.new_context(
            viewport=viewport,
            base_url=live_url,
            accept_downloads=True,
            locale="ro-RO",
            is_mobile=phone,
            has_touch=phone,
        )
        contexts.append(context)
        return Checked(context.new_page(), f"{viewport['width']}-{who}")

    return make


@pytest.fixture
def page_at(chromium: Any, live_url: str) -> Iterator[Any]:
    """Return a function giving a fresh, checked page (own cookies) at a given viewport."""
    contexts: list[Any] = []
    yield _contexts(chromium, live_url, contexts)
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(chromium: Any, live_url: str, viewport: dict[str, int]) -> Iterator[Any]:
    """Return a function giving a fresh, checked page (own cookies) at the test's viewport."""
    contexts: list[Any] = []
    make = _contexts(chromium, live_url, contexts)
    yield lambda who="citizen": make(who, viewport)
    for context in contexts:
        context.close()
