"""Running calls at the same moment, each on its own database connection (concurrency tests on
PostgreSQL)."""

from __future__ import annotations

import threading

from django.db import connection


def at_once(calls) -> list[Exception]:
    """Run every call in its own thread (so its own database connection), all released
    together; returns the errors."""
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait(timeout=30)
            call()
        except Exception as error:  # reported by the caller's assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors
