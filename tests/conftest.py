"""Shared test setup: no network, small threads, the ci profile."""
import os
import shutil
import socket

import pytest
import torch
from hypothesis import HealthCheck, settings

os.environ.setdefault("HCLIB_PROFILE", "ci")
torch.set_num_threads(2)
# the property-based tests (tests/test_bad_input.py): fixed examples, the same on every run, no time limit a call
settings.register_profile("hclib", max_examples=10, derandomize=True, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("thorough", max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "hclib"))


class NetworkBlocked(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any test that opens a connection outside this machine."""
    real_connect = socket.socket.connect

    def guarded(self, address, *args, **kwargs):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("/"):
            raise NetworkBlocked(f"test tried to reach {address!r}; hclib must work offline")
        return real_connect(self, address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium through Playwright, offline (the site and JupyterLab checks)."""
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
