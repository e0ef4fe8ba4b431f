"""core.cache: Django's Redis cache with one client per connection pool."""

import os
import threading

import pytest

from core.cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (CI sets it)")


def test_one_client_serves_every_call_and_the_cache_works():
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-cache-{os.getpid()}"})
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client() is client  # one server: reads and writes share the pool
    cache.set("answer", {"n": 42}, 30)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(cache.get("answer"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [{"n": 42}] * 8
    assert cache.add("answer-count", 1) and cache.incr("answer-count") == 2
    cache.delete_many(["answer", "answer-count"])
    assert cache.get("answer") is None


def test_each_server_of_several_has_its_own_client():
    url = REDIS_URL.rsplit("/", 1)[0]
    cache = RedisCache(f"{url}/14,{url}/15", {})
    writer = cache._cache.get_client(write=True)
    reader = cache._cache.get_client()
    # Writes go to the first server, reads to the other (a replica), each through its own.
    assert writer.connection_pool.connection_kwargs["db"] == 14
    assert reader.connection_pool.connection_kwargs["db"] == 15
    assert cache._cache.get_client() is reader and cache._cache.get_client(write=True) is writer
