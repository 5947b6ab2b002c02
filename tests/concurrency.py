"""Release many jobs at the same instant, each thread on its own database connection."""

import threading

from django.db import connections


def run_at_once(jobs) -> list[BaseException]:
    """Start every job in its own thread, release them together, return their errors."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(job):
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as error:  # reported by the test
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return errors
