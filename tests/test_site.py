"""The built site in a real browser (Chromium through Playwright): offline, typeset, complete.

Run after `make book` (``make test`` does both): ``pytest -m site tests/test_site.py``.
Screenshots of every chapter go to ``artifacts/``.
"""
import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SITE = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "artifacts"
pytestmark = pytest.mark.site


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def pages():
    if not (SITE / "index.html").is_file():
        return []
    return sorted(str(p.relative_to(SITE)) for p in SITE.rglob("*.html")
                  if p.parts[len(SITE.parts)] in ("book", "chapters") or p.name == "index.html")


@pytest.fixture(scope="module")
def server():
    if not (SITE / "index.html").is_file():
        pytest.fail("no built site in _build/html: run `make book` first")
    handler = functools.partial(QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        pytest.fail("no Chromium found: apt-get install chromium (make setup does this on Debian)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-gpu"])
        yield browser
        browser.close()


def test_site_has_the_book():
    found = pages()
    assert "index.html" in found and any(p.startswith("chapters/") for p in found), found


@pytest.mark.parametrize("page", pages() or ["index.html"])
def test_page(page, server, browser):
    outside, failed, errors = [], [], []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()

    def route(r):
        if r.request.url.startswith(server) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    tab.route("**/*", route)
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("requestfailed", lambda r: failed.append(r.url) if r.url.startswith(server) else None)
    tab.goto(f"{server}/{page}", wait_until="networkidle")

    has_math = tab.locator(".math").count() > 0
    if has_math:
        tab.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=15000)
        tab.evaluate("MathJax.startup.promise")
        assert tab.locator("mjx-container").count() > 0, f"{page}: MathJax typeset nothing"
    raw = tab.evaluate("""() => [...document.querySelectorAll('.math')]
        .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60))""")
    assert not raw, f"{page}: maths left untypeset: {raw[:3]}"
    broken = tab.evaluate("""() => [...document.images]
        .filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'))""")
    assert not broken, f"{page}: images that did not load: {broken}"
    views = tab.locator("script[type='application/vnd.jupyter.widget-view+json']").count()
    if views:
        tab.wait_for_selector(".jupyter-widgets", timeout=15000)
        assert tab.locator(".jupyter-widgets").count() >= views, f"{page}: {views} widgets, fewer rendered"
    if page.startswith("chapters/"):
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / (Path(page).stem + ".png")), full_page=False)
    context.close()
    assert not outside, f"{page}: requests left the site: {outside[:5]}"
    assert not failed, f"{page}: requests that failed: {failed[:5]}"
    assert not errors, f"{page}: console errors: {errors[:5]}"
