"""hclib.serve: the service in a subprocess on loopback; bad requests get a 4xx and it keeps answering."""
import httpx
import pytest

from hclib.compress import export_onnx
from hclib.serve import create_app, load_test, start_service
from test_compress import tiny_classifier


@pytest.fixture(scope="module")
def tiny_onnx(tmp_path_factory):
    return export_onnx(tiny_classifier(), tmp_path_factory.mktemp("serve") / "tiny.onnx")


@pytest.fixture(scope="module")
def service(tiny_onnx):
    with start_service(tiny_onnx, threads=1, max_length=32, max_wait_ms=2.0) as running:
        yield running


@pytest.mark.parametrize("request_kwargs,status", [
    (dict(json={"text": ""}), 422),
    (dict(json={"text": "   "}), 422),
    (dict(json={"text": "a" * 1_000_000}), 413),
    (dict(json={"text": 5}), 422),
    (dict(json={"text": ["good"]}), 422),
    (dict(json={"review": "good"}), 422),
    (dict(json=["good"]), 422),
    (dict(content=b"{text: good", headers={"content-type": "application/json"}), 400),
    (dict(data={"text": "good"}), 415),
    (dict(content=b'{"text": "good"}', headers={"content-type": "text/plain"}), 415),
])
def test_bad_requests_get_a_clear_4xx_and_the_service_keeps_answering(service, request_kwargs, status):
    answer = httpx.post(service.url + "/predict", timeout=30, **request_kwargs)
    assert answer.status_code == status and "send" in answer.json()["error"]
    good = httpx.post(service.url + "/predict", json={"text": "Lovely tea, will buy again."}, timeout=30)
    assert good.status_code == 200 and good.json()["label"] in ("great", "other")
    assert 0 <= good.json()["p_great"] <= 1


def test_a_short_load_is_served_in_batches(service):
    texts = ["good tea", "stale chips, never again", "fine"]
    for concurrency in (1, 8):
        result = load_test(service.url, texts, concurrency=concurrency, requests=24)
        assert result["errors"] == 0 and result["rps"] > 0 and result["p50_ms"] <= result["p95_ms"]
    stats = httpx.get(service.url + "/stats", timeout=10).json()
    assert stats["texts"] >= 48 and stats["mean_batch"] >= 1


def test_the_service_stops(tiny_onnx):
    running = start_service(tiny_onnx, threads=1, max_length=16)
    assert httpx.get(running.url + "/health", timeout=10).status_code == 200
    running.stop()
    assert running.process.poll() is not None
    with pytest.raises(httpx.ConnectError):
        httpx.get(running.url + "/health", timeout=2)


@pytest.mark.parametrize("call,error,match", [
    (lambda: start_service("tiny.onnx"), FileNotFoundError, "onnx: no file"),
    (lambda: load_test("http://10.0.0.1:80", ["a"], 1, 1), ValueError, "loopback address only"),
    (lambda: load_test("http://127.0.0.1:9", ["a"], 0, 1), ValueError, "concurrency must be an integer"),
    (lambda: create_app("model"), TypeError, "predict must be a function"),
    (lambda: create_app(lambda t: t, max_batch=0), ValueError, "max_batch must be an integer >= 1"),
])
def test_bad_arguments_name_the_fix(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_only_loopback_hosts(tmp_path):
    path = tmp_path / "x.onnx"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="use 127.0.0.1"):
        start_service(path, host="0.0.0.0")
