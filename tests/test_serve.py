"""hclib.serve: the service in a subprocess on loopback; bad requests get a 4xx and it keeps answering;
the batcher runs at once when idle and batches what arrives while busy; a full queue answers 503."""
import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from hclib.compress import export_onnx
from hclib.serve import Batcher, QueueFull, create_app, free_port, load_test, start_service
from test_compress import tiny_classifier


@pytest.fixture(scope="module")
def tiny_onnx(tmp_path_factory):
    return export_onnx(tiny_classifier(), tmp_path_factory.mktemp("serve") / "tiny.onnx")


@pytest.fixture(scope="module")
def service(tiny_onnx):
    with start_service(tiny_onnx, threads=1, max_length=32) as running:
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
        assert result["errors"] == result["refused"] == 0 and result["rps"] > 0
        assert result["p50_ms"] <= result["p95_ms"] and len(result["latencies_ms"]) == 24
    stats = httpx.get(service.url + "/stats", timeout=10).json()
    assert stats["texts"] >= 48 and stats["mean_batch"] >= 1


def test_services_start_together_and_stop(tiny_onnx):
    services = [start_service(tiny_onnx, threads=1, max_length=16, startup_timeout=None) for _ in range(2)]
    for running in services:
        assert running.wait_until_ready(60) is running
        assert httpx.get(running.url + "/health", timeout=10).status_code == 200
    for running in services:
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
    (lambda: create_app(lambda t: t, max_queue=0), ValueError, "max_queue must be an integer >= 1"),
])
def test_bad_arguments_name_the_fix(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_only_loopback_hosts(tmp_path):
    path = tmp_path / "x.onnx"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="use 127.0.0.1"):
        start_service(path, host="0.0.0.0")


def slow(seconds, batches):
    """A predict that takes ``seconds`` a call and records the size of each batch."""
    def predict(texts):
        batches.append(len(texts))
        time.sleep(seconds)
        return [0.9] * len(texts)
    return predict


def test_the_batcher_runs_at_once_when_idle_and_batches_what_arrives_meanwhile():
    async def scenario():
        batches = []
        batcher = Batcher(slow(0.2, batches), max_batch=32, max_queue=16)
        batcher.queue = asyncio.Queue(batcher.max_queue)
        task = asyncio.create_task(batcher.run())
        start = time.perf_counter()
        first = asyncio.create_task(batcher.submit("alone"))
        await asyncio.sleep(0.05)  # the model is busy with the first text now
        assert batches == [1], "a lone request is dispatched at once, with no wait for company"
        rest = [asyncio.create_task(batcher.submit(f"text {i}")) for i in range(5)]
        await asyncio.gather(first, *rest)
        task.cancel()
        return batches, time.perf_counter() - start

    batches, seconds = asyncio.run(scenario())
    assert batches == [1, 5] and seconds < 0.6


def test_a_full_queue_refuses_at_once():
    async def scenario():
        batcher = Batcher(slow(0.3, []), max_batch=1, max_queue=2)
        batcher.queue = asyncio.Queue(batcher.max_queue)
        task = asyncio.create_task(batcher.run())
        busy = asyncio.create_task(batcher.submit("running"))
        await asyncio.sleep(0.05)
        waiting = [asyncio.create_task(batcher.submit(f"waiting {i}")) for i in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(QueueFull, match="2 requests are waiting"):
            await batcher.submit("one too many")
        await asyncio.gather(busy, *waiting)
        task.cancel()

    asyncio.run(scenario())


def test_the_service_answers_503_when_its_queue_is_full_and_recovers():
    import uvicorn

    app = create_app(slow(0.3, []), max_batch=1, max_queue=2)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda i: httpx.post(url + "/predict", json={"text": f"tea {i}"}, timeout=30),
                                    range(8)))
        refused = [a for a in answers if a.status_code == 503]
        assert refused and all(a.status_code in (200, 503) for a in answers)
        assert "send it again" in refused[0].json()["error"] and refused[0].headers["retry-after"] == "1"
        assert httpx.post(url + "/predict", json={"text": "fine"}, timeout=30).status_code == 200
        assert httpx.get(url + "/stats", timeout=5).json()["refused"] == len(refused)
    finally:
        server.should_exit = True
        thread.join(10)
