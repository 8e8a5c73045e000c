"""The built site in a real browser (Chromium through Playwright): offline, typeset, complete.

Run after `make book` (``make test`` does both): ``pytest -m site tests/test_site.py``.
Screenshots of every chapter go to ``artifacts/`` (``<chapter>.png``: the top of the page;
``<chapter>-key-terms.png``: the English-Chinese key-term table); the bytes of web font each
page downloads go to ``artifacts/font-bytes.json``.
"""
import functools
import http.server
import json
import re
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SITE = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "artifacts"
pytestmark = pytest.mark.site
CJK_FAMILY = "Noto Sans SC"        # the web font the site serves for Chinese (site-assets/fonts/)
FONT_BYTES_PER_PAGE = 1_500_000    # a page downloads only the unicode-range subsets it uses
FONT_BYTES = {}

# Every rendered text that holds Chinese, grouped by its font; for each group, the width of up to
# eight of its distinct Chinese characters and of U+10FFFD, a code point no font has (the
# missing-glyph box), each set alone in a span with the same font as the text.
CJK_RENDERING = r"""async () => {
    await document.fonts.ready;
    const han = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g;
    const groups = new Map();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const chars = walker.currentNode.textContent.match(han);
        const element = walker.currentNode.parentElement;
        if (!chars || !element || element.getClientRects().length === 0) continue;
        const style = getComputedStyle(element);
        const font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        if (!groups.has(font)) groups.set(font, {font, chars: new Set(), where: element.tagName});
        chars.forEach(c => groups.get(font).chars.add(c));
    }
    const width = (font, text) => {
        const span = document.createElement('span');
        span.style.cssText = 'position:absolute;left:0;top:0;white-space:pre;visibility:hidden';
        span.style.font = font;
        span.textContent = text;
        document.body.appendChild(span);
        const w = span.getBoundingClientRect().width;
        span.remove();
        return w;
    };
    const faces = [...document.fonts].filter(f => f.family.replace(/["']/g, '') === FAMILY);
    return {
        faces: faces.length,
        loaded: faces.filter(f => f.status === 'loaded').length,
        groups: [...groups.values()].map(g => {
            const chars = [...g.chars].slice(0, 8);
            return {font: g.font, where: g.where, chars: chars.join(''),
                    widths: chars.map(c => width(g.font, c)), tofu: width(g.font, '\u{10FFFD}'),
                    check: document.fonts.check(`16px "${FAMILY}"`, chars.join(''))};
        }),
    };
}""".replace("FAMILY", json.dumps(CJK_FAMILY))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def pages():
    if not (SITE / "index.html").is_file():
        return []
    return sorted(str(p.relative_to(SITE)) for p in SITE.rglob("*.html")
                  if p.parts[len(SITE.parts)] in ("book", "chapters") or p.name == "index.html")


# On a chapter page: the time-and-prerequisites box, code blocks wider than their box, and images
# that are not in a figure whose caption starts with "Figure N".
PAGE_LAYOUT = """() => ({
  info: (document.querySelector('div.chapter-info') || {innerText: ''}).innerText,
  cut: [...document.querySelectorAll('div.cell_input pre, div.cell_output pre')]
         .filter(e => e.scrollWidth > e.clientWidth + 1).length,
  uncaptioned: [...document.querySelectorAll('article img')]
         .filter(i => !/^Figure \\d+/.test(((i.closest('figure') || {}).querySelector?.('figcaption') || {})
                                               .textContent?.trim() || ''))
         .map(i => i.getAttribute('src')),
})"""


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
    fonts = []   # (url, bytes) of every font the page downloads
    tab.on("response", lambda r: fonts.append((r.url, int(r.headers.get("content-length", 0))))
           if r.request.resource_type == "font" else None)
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
    cjk = tab.evaluate(CJK_RENDERING)
    boxes = [g for g in cjk["groups"] if all(abs(w - g["tofu"]) < 0.5 for w in g["widths"])]
    if page.startswith("chapters/"):
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / (Path(page).stem + ".png")), full_page=False)
        key_terms = tab.locator("h2", has_text="Key terms")
        if key_terms.count():
            key_terms.first.evaluate("h => { h.scrollIntoView({block: 'start'}); window.scrollBy(0, -80); }")
            tab.evaluate("document.fonts.ready.then(() => true)")
            tab.screenshot(path=str(ARTIFACTS / (Path(page).stem + "-key-terms.png")), full_page=False)
    layout = tab.evaluate(PAGE_LAYOUT) if page.startswith("chapters/") else None
    context.close()
    if layout:
        info = layout["info"]
        assert re.search(r"Reading: about \d+ min", info) and all(f"{p} " in info for p in ("ci", "cpu", "gpu")), \
            f"{page}: no reading time and run time per profile under the title: {info!r}"
        assert "Builds on:" in info, f"{page}: the chapter box does not say what the chapter builds on"
        assert not re.search(r"\b(ci|cpu) not yet run", info), f"{page}: run times not recorded: {info!r} " \
            "(python scripts/run_chapters.py --profile ci --times-only chapters/*.ipynb)"
        assert not layout["cut"], f"{page}: code runs off the page in {layout['cut']} blocks"
        assert not layout["uncaptioned"], f"{page}: figures without a numbered caption: {layout['uncaptioned'][:3]}"
    font_bytes = sum(n for _, n in fonts)
    FONT_BYTES[page] = {"all fonts": font_bytes, "files": len(fonts),
                        "CJK": sum(n for url, n in fonts if "noto-sans-sc" in url)}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "font-bytes.json").write_text(json.dumps(FONT_BYTES, indent=1, sort_keys=True) + "\n")
    if cjk["groups"]:
        assert cjk["loaded"] > 0, f"{page}: Chinese text but no {CJK_FAMILY!r} face loaded ({cjk['faces']} declared)"
        unloaded = [g["chars"] for g in cjk["groups"] if not g["check"]]
        assert not unloaded, f"{page}: {CJK_FAMILY!r} not loaded for {unloaded[:3]}"
        assert not boxes, f"{page}: Chinese drawn as missing-glyph boxes: {boxes[:3]}"
    assert font_bytes <= FONT_BYTES_PER_PAGE, f"{page}: {font_bytes} bytes of fonts: {fonts[:5]}"
    assert not outside, f"{page}: requests left the site: {outside[:5]}"
    assert not failed, f"{page}: requests that failed: {failed[:5]}"
    assert not errors, f"{page}: console errors: {errors[:5]}"
