"""Run callables at the same moment in threads, each with its own database connection."""

import threading

from django.db import connection

TIMEOUT_SECONDS = 30


def run_together(*callables):
    """Start every callable at once (a barrier releases them together) and return, in order, what
    each returned or the exception it raised. Each thread closes its own database connection."""
    barrier = threading.Barrier(len(callables))
    outcomes: list = [None] * len(callables)

    def worker(index, fn):
        try:
            barrier.wait(timeout=TIMEOUT_SECONDS)
            outcomes[index] = fn()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever was raised
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a thread is still running (deadlock?)"
    return outcomes
