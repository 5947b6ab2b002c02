"""Rally's benchmarks, on this machine, against gunicorn on loopback.

    .venv/bin/python bench/run.py [--database-url postgres://postgres@127.0.0.1:5432/rally_bench]

1. Pages of a 300-shift bucket-drive day: requests per second, latency and size of the
   public event page (anonymous, as cached for the public), the organizer's shift board, and a
   bare Django view (/healthz) on the same server as the yardstick; the street drive's sites
   board and drive-day view; the treasurers' drive books, count session and deposit pages
   for a drive of 100 counted buckets.
2. The sign-up race: 20 volunteers press "Sign up" on a 10-place shift at the same instant.

The database is dropped and rebuilt each run. Results print as Markdown; copy them into
bench/RESULTS.md with the date and the machine.
"""

import argparse
import http.client
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765


def reset_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = f"{parts.scheme}://{parts.netloc}/postgres".replace("postgres://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def get(conn: http.client.HTTPConnection, path: str, cookie: str = "",
        headers: dict | None = None) -> tuple[int, int]:
    conn.request("GET", path, headers={**({"Cookie": cookie} if cookie else {}),
                                       **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    return response.status, len(body)


def measure(path: str, *, seconds: float, threads: int, cookie: str = "",
            headers: dict | None = None) -> dict:
    latencies: list[float] = []
    sizes: set[int] = set()
    statuses: set[int] = set()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine = []
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            status, size = get(conn, path, cookie, headers)
            mine.append(time.perf_counter() - began)
            statuses.add(status)
            sizes.add(size)
        with lock:
            latencies.extend(mine)

    for _ in range(3):  # warm up: templates, connections, the public cache
        get(http.client.HTTPConnection("127.0.0.1", PORT, timeout=30), path, cookie, headers)
    workers = [threading.Thread(target=loop) for _ in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "path": path, "requests": len(latencies), "rps": len(latencies) / elapsed,
        "median_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "kb": max(sizes) / 1024, "statuses": sorted(statuses),
    }


def race(shift_pk: int, sessions: list[str]) -> dict:
    barrier = threading.Barrier(len(sessions))
    results: list[int] = []

    def click(session: str) -> None:
        token = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        barrier.wait()
        conn.request("POST", f"/shifts/{shift_pk}/signup/", body="",
                     headers={"Cookie": f"sessionid={session}; csrftoken={token}",
                              "X-CSRFToken": token,
                              "Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        response.read()
        results.append(response.status)

    threads = [threading.Thread(target=click, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"statuses": sorted(results)}


def wrk(path: str, *, seconds: float, cookie: str = "", headers: dict | None = None) -> float:
    """Requests per second from ``wrk -t2 -c16`` (the issue's method)."""
    command = ["wrk", "-t2", "-c16", f"-d{seconds:g}s", "--latency"]
    for name, value in {**({"Cookie": cookie} if cookie else {}), **(headers or {})}.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, f"http://127.0.0.1:{PORT}{path}"], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(f"wrk printed no rate:\n{out}")


def once(path: str, cookie: str = "", headers: dict | None = None) -> tuple[int, int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    conn.request("GET", path, headers={**({"Cookie": cookie} if cookie else {}),
                                       **(headers or {})})
    response = conn.getresponse()
    body = response.read()
    return response.status, len(body), dict(response.getheaders())


def alternate(path: str, *, seconds: float, rounds: int, client: str, cookie: str = "",
              headers: dict | None = None) -> dict:
    """The page and the bare view, one after the other, ``rounds`` times: medians of each."""
    for _ in range(3):  # warm up: templates, connections, caches
        once(path, cookie, headers)
    status, size, _headers = once(path, cookie, headers)
    page, bare = [], []
    for _ in range(rounds):
        if client == "wrk":
            bare.append(wrk("/healthz", seconds=seconds))
            page.append(wrk(path, seconds=seconds, cookie=cookie, headers=headers))
        else:
            bare.append(measure("/healthz", seconds=seconds, threads=4)["rps"])
            page.append(measure(path, seconds=seconds, threads=4, cookie=cookie,
                                headers=headers)["rps"])
    return {"rps": statistics.median(page), "bare": statistics.median(bare),
            "status": status, "kb": size / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/rally_bench")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="measure only rows whose label has this")
    parser.add_argument("--setup-only", action="store_true",
                        help="build the database and stop (for profiling)")
    parser.add_argument("--skip-rush", action="store_true")
    parser.add_argument("--skip-reminders", action="store_true")
    parser.add_argument("--reminders", type=int, default=10000)
    args = parser.parse_args()
    client = "wrk" if shutil.which("wrk") else "python"

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DATABASE_URL": args.database_url, "SECRET_KEY": secrets.token_urlsafe(40),
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
           "DATABASE_CONN_MAX_AGE": "60", "REDIS_URL": os.environ.get(
               "REDIS_URL", "redis://127.0.0.1:6379/9"),
           "CELERY_QUEUE": "rally-bench", "LOG_LEVEL": "WARNING"}
    reset_database(args.database_url)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT,
                   env=env, check=True)
    subprocess.run([python, "-c", "import redis,os; redis.Redis.from_url("
                    "os.environ['REDIS_URL']).flushdb()"], env=env, check=True)
    seeded = json.loads(subprocess.run([python, "bench/seed.py"], cwd=ROOT, env=env,
                                       check=True, capture_output=True, text=True).stdout)
    if args.setup_only:
        print(json.dumps(seeded, indent=1))
        return
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{PORT}",
         "-w", str(args.workers), "--log-level", "warning"], cwd=ROOT, env=env)
    organizer = f"sessionid={seeded['organizer_session']}"
    treasurer = f"sessionid={seeded['treasurer_session']}"
    volunteer = f"sessionid={seeded['volunteer_session']}"
    event, street, money = seeded["event"], seeded["street_event"], seeded["money_event"]
    feed = f"/calendar/{seeded['feed_token']}/shifts.ics"
    pages = [
        ("event page, 300 shifts, anonymous (cached)", f"/events/{event}/", "", 50),
        ("event page, 300 shifts, logged-in volunteer", f"/events/{event}/", volunteer, 10),
        ("shift board, 300 shifts, organizer", f"/organize/events/{event}/board/",
         organizer, 10),
        ("My shifts, volunteer with 200 sign-ups", "/my/shifts/",
         f"sessionid={seeded['my_shifts_session']}", 10),
        ("team page, 100 members, organizer", f"/teams/{seeded['team']}/", organizer, 10),
        ("personal feed, 1,000 shifts", feed, "", None),
        ("personal feed, 1,000 shifts, unchanged (304)", feed, "", 50),
        ("public feed", "/calendar/events.ics", "", None),
        ("assignment board: 50 sites x 6 windows, 30 teams", f"/organize/events/{street}/sites/",
         organizer, 10),
        ("drive-day view: 50 sites, 100 buckets", f"/organize/events/{street}/live/",
         organizer, 10),
        ("treasurer dashboard: 100 buckets, 30 teams, 1,000 card gifts",
         f"/money/drives/{money}/dashboard/", treasurer, 10),
        ("public total page (cached)", f"/events/{money}/raised/", "", 10),
        ("treasurer: drive's books, 100 counted buckets", f"/money/drives/{money}/",
         treasurer, None),
        ("treasurer: count session, 100 buckets", f"/money/sessions/{seeded['money_session']}/",
         treasurer, None),
        ("treasurer: deposit, 50 buckets, matched",
         f"/money/deposits/{seeded['money_deposit']}/", treasurer, None),
    ]
    rows = []
    rush = reminders = None
    try:
        for _ in range(100):
            try:
                get(http.client.HTTPConnection("127.0.0.1", PORT, timeout=2), "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        for label, path, cookie, goal in pages:
            if args.only and args.only not in label:
                continue
            headers = None
            if "(304)" in label:
                _status, _size, got = once(path, cookie)
                headers = {"If-None-Match": got.get("ETag", "")}
            row = alternate(path, seconds=args.seconds, rounds=args.rounds, client=client,
                            cookie=cookie, headers=headers)
            rows.append((label, goal, row))
            print(f"{label}: {row['rps']:.0f} req/s, bare {row['bare']:.0f}", file=sys.stderr)
        clicks = race(seeded["race_shift"], seeded["racer_sessions"])
        check = subprocess.run(
            [python, "-c", "import django; django.setup(); from volunteers.models import Signup;"
             f"q=Signup.objects.filter(shift_id={seeded['race_shift']});"
             "print(q.filter(status='confirmed').count(), q.filter(status='waitlisted').count())"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.split()
        if not args.skip_rush:
            rush = json.loads(subprocess.run(
                [python, "bench/rush.py", "--port", str(PORT)], cwd=ROOT, env=env, check=True,
                capture_output=True, text=True).stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=20)
    if not args.skip_reminders:
        reminders = json.loads(subprocess.run(
            [python, "bench/reminders.py", "--count", str(args.reminders)], cwd=ROOT, env=env,
            check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])

    print(f"Client: {client} ({'wrk -t2 -c16' if client == 'wrk' else '4 Python threads'}), "
          f"{args.seconds:g} s per measure, each page alternated with the bare view "
          f"{args.rounds} times (medians); gunicorn {args.workers} sync workers.\n")
    print("| page | req/s | bare view, same rounds | ratio | goal | size KB | HTTP |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for label, goal, row in rows:
        ratio = 100 * row["rps"] / row["bare"]
        mark = "" if goal is None else (f"{goal}% " + ("met" if ratio >= goal else "**missed**"))
        print(f"| {label} | {row['rps']:.0f} | {row['bare']:.0f} | {ratio:.1f}% | {mark} "
              f"| {row['kb']:.1f} | {row['status']} |")
    print(f"\nSign-up race: 20 volunteers, a 10-place shift: {check[0]} confirmed, "
          f"{check[1]} waitlisted; HTTP statuses {clicks['statuses']}")
    if rush:
        print(f"\nSign-up rush over HTTP: {rush}")
    if reminders:
        print(f"\nReminders: {reminders}")


if __name__ == "__main__":
    main()
