"""A chapter opened in JupyterLab (``make lab``) reads as on the site: MyST rendered, numbers shown.

JupyterLab renders markdown cells with jupyterlab-myst; this opens a chapter, without running it,
in headless Chromium on a loopback-only server and checks that no raw MyST (roles, directive
fences) is visible, that the boxes render as admonitions and that the numbers stored with the
chapter appear. A screenshot goes to ``artifacts/lab_<chapter>.png``.

    pytest -m site tests/test_lab.py                                   # make test runs it
    HCBOOK_LAB_NOTEBOOK=/tmp/copy/02_cost.ipynb pytest -m site tests/test_lab.py
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from hclib.prose import METADATA_KEY, shown_text

ROOT = Path(__file__).parents[1]
ARTIFACTS = ROOT / "artifacts"
NOTEBOOK = Path(os.environ.get("HCBOOK_LAB_NOTEBOOK", ROOT / "chapters" / "02_cost.ipynb")).resolve()
pytestmark = [pytest.mark.site, pytest.mark.lab]
RAW_MYST = re.compile(r"\{(?:glue|eval|doc|numref|ref|exercise|solution)[:}\w-]*\}`|`{3,}\{|:{3,}\{|\bglued\(")
SETTINGS = {  # every cell rendered (no windowing), nothing fetched from the internet
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 serving the notebook's folder; yields its base URL and token."""
    tmp = tmp_path_factory.mktemp("lab")
    for name, values in SETTINGS.items():
        path = tmp / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), "hcbook-test-token"
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(tmp / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={NOTEBOOK.parent}", "--LabApp.news_url=", "--ServerApp.open_browser=False"]
    log = open(tmp / "lab.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start: {(tmp / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_chapter_renders_in_jupyterlab(lab, browser):
    base, token = lab
    nb = nbformat.read(NOTEBOOK, as_version=4)
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    stored = [shown_text(e["result"]) for c in markdown for e in c.metadata.get(METADATA_KEY, [])]
    stored = [s for s in stored if s]
    box = re.compile(r"^(?::{3,}|`{3,})\{admonition\}", re.M)
    boxes = sum(len(box.findall(c.source)) for c in markdown)
    # the cell to photograph: the first box with numbers in it, else the first with numbers
    with_numbers = [i for i, c in enumerate(markdown) if c.metadata.get(METADATA_KEY)]
    shown = next((i for i in with_numbers if box.search(markdown[i].source)), with_numbers[0] if with_numbers else 0)
    exercises = next((i for i, c in enumerate(markdown) if "{exercise}" in c.source), None)

    outside, logs = [], []
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    tab = context.new_page()

    def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    tab.route("**/*", route)
    tab.on("console", lambda m: logs.append(m.text))
    tab.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}")
    rendered = ".jp-NotebookPanel .jp-MarkdownCell .myst"   # jupyterlab-myst's widget in each markdown cell
    tab.wait_for_function(f"document.querySelectorAll('{rendered}').length >= {len(markdown)}", timeout=45000)
    tab.wait_for_timeout(1000)   # inline expressions render in a second pass
    assert any("jupyterlab-myst is activated" in line for line in logs), "jupyterlab-myst did not load"
    # textContent, not innerText: folded solutions count too
    texts = tab.evaluate(f"() => [...document.querySelectorAll('{rendered}')].map(e => e.textContent)")
    admonitions = tab.locator(f"{rendered} .myst-admonition").count()
    ARTIFACTS.mkdir(exist_ok=True)
    tab.locator(rendered).nth(shown).scroll_into_view_if_needed()
    tab.screenshot(path=str(ARTIFACTS / f"lab_{NOTEBOOK.stem}.png"))
    if exercises is not None:
        tab.locator(rendered).nth(exercises).scroll_into_view_if_needed()
        tab.screenshot(path=str(ARTIFACTS / f"lab_{NOTEBOOK.stem}_exercises.png"))
    context.close()

    assert len(texts) == len(markdown), f"{len(markdown)} markdown cells, {len(texts)} rendered by jupyterlab-myst"
    text = "\n".join(texts)
    raw = sorted(set(RAW_MYST.findall(text)))
    assert not raw, f"{NOTEBOOK.name}: raw MyST visible in JupyterLab: {raw[:5]}"
    assert admonitions >= boxes, f"{NOTEBOOK.name}: {boxes} admonitions in the source, {admonitions} rendered"
    missing = [s for s in stored if s not in text]
    assert stored and not missing, f"{NOTEBOOK.name}: stored numbers not shown: {missing[:5]}"
    assert not outside, f"requests left the machine: {outside[:5]}"
