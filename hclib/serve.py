"""A text classifier behind a small HTTP API (FastAPI on uvicorn), with request batching.

``POST /predict`` with ``{"text": "..."}`` answers ``{"label": "great" | "other", "p_great": p}``.
Requests that arrive together are served together: when the model is idle, the batcher runs it at
once on every text waiting (up to ``max_batch``), with no fixed wait; requests that arrive while it
runs (in a worker thread, so the server keeps accepting them) wait in a queue and form the next
batch. ``max_batch=1`` turns batching off. The queue holds at most ``max_queue`` texts: when it is
full, a request gets 503 at once, with a message to retry, instead of waiting without end.
``GET /health`` says the service is up; ``GET /stats`` counts requests, batches and rejections.

Bad requests get a 4xx answer that says what to fix, and the service keeps answering:

- a body that is not ``application/json``: 415;
- a body over ``max_body_bytes`` (read no further): 413;
- a body that is not valid JSON: 400;
- JSON of the wrong shape or types, an empty or blank text, a text over ``max_chars``, unknown
  fields: 422.

The service binds the loopback address only (it is for measuring on one machine). Run it with
``python -m hclib.serve --onnx model.onnx --port 8000``, or from Python with :func:`start_service`,
and measure it with :func:`load_test`.

>>> app = create_app(lambda texts: [0.9] * len(texts))
>>> sorted(r.path for r in app.routes if r.path in ("/predict", "/health", "/stats"))
['/health', '/predict', '/stats']
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from fastapi import Request  # at module level: FastAPI reads the handler's annotation by name

from hclib.validate import check_int, check_number, check_path, check_strings

LOOPBACK = ("127.0.0.1", "localhost", "::1")
LABELS = ("other", "great")


class QueueFull(Exception):
    """The batcher's queue holds ``max_queue`` texts already; the request should be retried later."""


class Batcher:
    """Collects texts from concurrent requests into batches for one ``predict`` call each.

    >>> async def demo():
    ...     batcher = Batcher(lambda texts: [0.5] * len(texts), max_queue=4)
    ...     batcher.queue = asyncio.Queue(batcher.max_queue)
    ...     task = asyncio.create_task(batcher.run())
    ...     p = await batcher.submit("good tea")
    ...     task.cancel()
    ...     return p, batcher.batches
    >>> asyncio.run(demo())
    (0.5, 1)
    """

    def __init__(self, predict: Callable[[list[str]], Sequence[float]], max_batch: int = 32,
                 max_queue: int = 256):
        if not callable(predict):
            raise TypeError(f"predict must be a function from a list of texts to probabilities, got {predict!r}")
        self.predict = predict
        self.max_batch = check_int("max_batch", max_batch, minimum=1)
        self.max_queue = check_int("max_queue", max_queue, minimum=1)
        self.queue: asyncio.Queue | None = None  # made in the server's event loop (create_app's lifespan)
        self.batches = self.texts = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predict")

    async def submit(self, text: str) -> float:
        """Queue one text and return its probability once its batch has run; :class:`QueueFull` at once
        when ``max_queue`` texts are waiting already."""
        future = asyncio.get_running_loop().create_future()
        try:
            self.queue.put_nowait((text, future))
        except asyncio.QueueFull:
            raise QueueFull(f"{self.queue.qsize()} requests are waiting already") from None
        return await future

    async def run(self) -> None:
        """The batching loop (runs for the life of the app): wait for a text, take every text waiting
        (up to ``max_batch``), run the model, repeat. No fixed wait: a lone request goes at once."""
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.max_batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            texts = [text for text, _ in batch]
            try:
                probs = await loop.run_in_executor(self._executor, self.predict, texts)
                probs = [float(p) for p in probs]
                if len(probs) != len(texts):
                    raise RuntimeError(f"predict returned {len(probs)} values for {len(texts)} texts")
            except Exception as error:  # every waiting request learns of the failure
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            self.batches += 1
            self.texts += len(texts)
            for (_, future), p in zip(batch, probs):
                if not future.done():
                    future.set_result(p)


def create_app(predict: Callable[[list[str]], Sequence[float]], max_batch: int = 32, max_queue: int = 256,
               max_chars: int = 20_000, max_body_bytes: int | None = None, name: str = "model"):
    """The FastAPI application around ``predict`` (texts -> probabilities of class 1).

    ``max_body_bytes`` defaults to four bytes a character of ``max_chars`` plus 1 KiB.
    """
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

    max_chars = check_int("max_chars", max_chars, minimum=1)
    max_body = check_int("max_body_bytes", max_body_bytes if max_body_bytes is not None else 4 * max_chars + 1024,
                         minimum=16)
    batcher = Batcher(predict, max_batch, max_queue)
    counts = {"requests": 0, "rejected": 0, "refused": 0}

    class Review(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")
        text: str = Field(max_length=max_chars)

        @field_validator("text")
        @classmethod
        def not_blank(cls, value: str) -> str:
            if not value.strip():
                raise ValueError("text is empty or blank; send the review's words")
            return value

    @asynccontextmanager
    async def lifespan(app):
        batcher.queue = asyncio.Queue(batcher.max_queue)
        task = asyncio.create_task(batcher.run())
        yield
        task.cancel()

    app = FastAPI(title="hclib review classifier", lifespan=lifespan)

    def reject(status: int, message: str) -> JSONResponse:
        counts["rejected"] += 1
        return JSONResponse({"error": message}, status_code=status)

    @app.post("/predict")
    async def predict_one(request: Request):
        counts["requests"] += 1
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return reject(415, f"content type {kind or 'none'!r} is not supported; send JSON with "
                               "Content-Type: application/json")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_body:
            return reject(413, f"body of {int(declared):,} bytes is over the limit of {max_body:,}; "
                               f"send one review of at most {max_chars:,} characters")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_body:
                return reject(413, f"body is over the limit of {max_body:,} bytes; send one review of at "
                                   f"most {max_chars:,} characters")
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            return reject(400, f"body is not valid JSON ({error}); send {{\"text\": \"...\"}}")
        try:
            review = Review.model_validate(data)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors())
            return reject(422, f"{problems}; send {{\"text\": \"...\"}} with a non-empty string of at most "
                               f"{max_chars:,} characters")
        try:
            p = await batcher.submit(review.text)
        except QueueFull as error:
            counts["refused"] += 1
            return JSONResponse({"error": f"the service is at capacity ({error}); send it again in a moment"},
                                status_code=503, headers={"Retry-After": "1"})
        return {"label": LABELS[int(p > 0.5)], "p_great": p, "model": name}

    @app.get("/health")
    async def health():
        return {"status": "ok", "model": name}

    @app.get("/stats")
    async def stats():
        mean = batcher.texts / batcher.batches if batcher.batches else 0.0
        return {**counts, "batches": batcher.batches, "texts": batcher.texts, "mean_batch": mean}

    return app


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    """A service running in a subprocess; stop it with :meth:`stop` (or use it in a ``with`` block)."""

    def __init__(self, process: subprocess.Popen, url: str, log: Path | None = None):
        self.process, self.url, self.log = process, url, log

    def wait_until_ready(self, timeout: float = 60.0) -> "Service":
        """Wait until ``/health`` answers (stopping the process and raising if it exits or ``timeout``
        seconds pass); return the service."""
        import httpx

        timeout = check_number("timeout", timeout, minimum=0, low_open=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited with code {self.process.returncode} before answering"
                                   + (f"; see {self.log}" if self.log else "; pass log= to see why"))
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"the service did not answer within {timeout:g} s; raise startup_timeout")

    def stop(self, timeout: float = 10.0) -> int:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout`` seconds); return its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> "Service":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_service(onnx: str | Path, port: int | None = None, host: str = "127.0.0.1", threads: int = 1,
                  max_length: int = 128, max_batch: int = 32, max_queue: int = 256,
                  startup_timeout: float | None = 60.0, log: str | Path | None = None) -> Service:
    """Start ``python -m hclib.serve`` on ``onnx`` in a subprocess on the loopback address and wait until
    ``/health`` answers. Returns a :class:`Service`. With ``startup_timeout=None`` it returns at once, so
    that several services start together; call :meth:`Service.wait_until_ready` on each.
    """
    onnx = check_path("onnx", onnx, must_exist=True)
    if host not in LOOPBACK:
        raise ValueError(f"host={host!r}: this service is for measuring on one machine; use 127.0.0.1")
    port = check_int("port", port, 1024, 65535, optional=True) or free_port()
    if startup_timeout is not None:
        startup_timeout = check_number("startup_timeout", startup_timeout, minimum=0, low_open=True)
    command = [sys.executable, "-m", "hclib.serve", "--onnx", str(onnx), "--host", host, "--port", str(port),
               "--threads", str(threads), "--max-length", str(max_length), "--max-batch", str(max_batch),
               "--max-queue", str(max_queue)]
    out = open(log, "w") if log is not None else subprocess.DEVNULL  # noqa: SIM115 (closed with the process)
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": str(threads)}
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    service = Service(process, f"http://{host}:{port}", Path(log) if log else None)
    return service if startup_timeout is None else service.wait_until_ready(startup_timeout)


def load_test(url: str, texts: Sequence[str], concurrency: int, requests: int, timeout: float = 60.0) -> dict:
    """Send ``requests`` POST /predict requests from ``concurrency`` clients at once (each sends its next
    request when the last is answered); return the latency percentiles (ms) and requests a second of the
    answered ones, the requests ``refused`` (503, queue full) and the other ``errors``.

    The clients are threads of this process, on the same machine as the server.
    """
    import httpx

    texts = check_strings("texts", texts)
    concurrency = check_int("concurrency", concurrency, minimum=1, maximum=256)
    requests = check_int("requests", requests, minimum=1)
    if not (isinstance(url, str) and url.split("//")[-1].split(":")[0] in LOOPBACK + ("[::1]",)):
        raise ValueError(f"url={url!r}: load tests run against the loopback address only, e.g. http://127.0.0.1:8000")
    latencies: list[float] = []
    failed = {"refused": 0, "errors": 0}
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx.Client(timeout=timeout) as session:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                start = time.perf_counter()
                try:
                    status = session.post(f"{url}/predict", json={"text": texts[i % len(texts)]}).status_code
                except httpx.HTTPError:
                    status = None
                elapsed = time.perf_counter() - start
                with lock:
                    if status == 200:
                        latencies.append(elapsed)
                    else:
                        failed["refused" if status == 503 else "errors"] += 1

    start = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(concurrency)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - start
    ms = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    return {"concurrency": concurrency, "requests": requests, **failed,
            "p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
            "rps": len(latencies) / wall, "latencies_ms": ms}


def main(argv: list[str] | None = None) -> None:
    """Command line: serve an ONNX classifier on the loopback address."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--onnx", required=True, help="ONNX file from hclib.compress.export_onnx")
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--max-queue", type=int, default=256)
    parser.add_argument("--max-chars", type=int, default=20_000)
    args = parser.parse_args(argv)
    import uvicorn

    from hclib.inference import OnnxPredictor

    predictor = OnnxPredictor(args.onnx, max_length=args.max_length, batch_size=args.max_batch,
                              threads=args.threads)
    app = create_app(predictor, max_batch=args.max_batch, max_queue=args.max_queue,
                     max_chars=args.max_chars, name=Path(args.onnx).name)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
