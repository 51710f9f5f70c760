"""Real `flowdesk worker` processes on Redis for transport and fault tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from celery import Celery

REDIS_URL = os.environ.get("FLOWDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
ROOT = Path(__file__).resolve().parents[2]


def redis_or_skip() -> None:
    """Skip without Redis, except in CI where it must be there."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis must be reachable in CI at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")


def spawn_worker(*, database_url: str, queue: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """A `flowdesk worker --pool solo` process on the test database and queue."""
    full_env = {**os.environ, "FLOWDESK_BROKER_URL": REDIS_URL, "FLOWDESK_DATABASE_URL": database_url,
                "FLOWDESK_QUEUE": queue, **env}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "flowdesk.cli", "worker", "--pool", "solo", "--concurrency", "1",
             "--loglevel", "warning"], env=full_env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a worker (kill it if it does not stop)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def wait_for(predicate: Callable[[], bool], timeout: float = 45.0, every: float = 0.2) -> bool:
    """Poll until predicate() or timeout; True if it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def use_queue(queue: str, broker_url: str = REDIS_URL) -> Celery:
    """Send this process's committed jobs to Celery on the given broker and queue; the app to sweep with."""
    from tasks import celery_app as transport

    app = transport.make_app(broker_url, queue)
    transport.install_dispatcher(app)
    return app
