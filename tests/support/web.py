"""The web app as a person at a browser uses it: forms posted with their CSRF token, and the
pages a test looked at, checked for what every page must have."""

from __future__ import annotations

import io
import re
from typing import Any

from tests.support.seed import PASSWORD

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
CEDILLA = re.compile("[şţŞŢ]")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token field"
    return match.group(1)


class Browser:
    """A logged-in web user on the Flask test client, posting forms with their CSRF token."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def submit(
        self, page_url: str, data: dict[str, Any], action: str | None = None, **kw: Any
    ) -> Any:
        """GET the page, take its CSRF token, POST the form to its action (or the page)."""
        page = self.client.get(page_url)
        assert page.status_code == 200, page.status_code
        payload = {"csrf_token": csrf_from(page.get_data(as_text=True)), **data}
        return self.client.post(action or page_url, data=payload, **kw)

    def login(self, email: str, password: str = PASSWORD) -> Any:
        response = self.submit("/autentificare", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response


class Pages:
    """Every page a test looked at, to check what all of them must have."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def html(self, response: Any, status: int = 200) -> str:
        assert response.status_code == status, (response.status_code, response.location)
        text = response.get_data(as_text=True)
        if response.mimetype == "text/html":
            self.seen.append((response.request.path, text))
        return text

    def get(self, browser: Any, url: str, status: int = 200) -> str:
        return self.html(browser.get(url), status)

    def check_all(self) -> None:
        assert self.seen
        for path, text in self.seen:
            assert not CEDILLA.search(text), f"{path} uses ş/ţ with cedilla"
            assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
            assert '<html lang="ro">' in text


def file(content: bytes, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(content), name


def submit_petition(browser: Any, subject: str = "Groapă în asfalt pe strada Morilor") -> Any:
    return browser.submit(
        "/proceduri/petitie",
        {
            "subiect": subject,
            "continut": "În fața casei cu nr. 12 s-a format o groapă adâncă, periculoasă noaptea.",
            "anexe": file(PDF, "fotografie.pdf"),
        },
        content_type="multipart/form-data",
    )
