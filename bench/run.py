"""The benchmark: `make bench SIZE=city` (see bench/README.md).

1. Makes sure a database of the chosen size exists (`generate_scale`), on BENCH_DATABASE_URL or
   postgres://postgres@127.0.0.1:5432/jianbei_bench_<size>.
2. Starts gunicorn (2 × cores + 1 sync workers, DEBUG off, the production middleware) on loopback.
3. Measures each page with wrk (Debian's `wrk`): one client for p50/p90/p99, then several for requests/s on
   a list page; the write paths (a visit with 3 requests; a transition) over HTTP, p50/p95.
4. Profiles each page in-process: queries, SQL time, page time ÷ SQL time; and for the hot queries the ORM
   (the page's own statement, read as the page reads it) ÷ the same SQL run raw.
5. Writes a Markdown report to bench/reports/ and prints it.

Ratios are what to compare across machines; absolute times depend on a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", choices=["small", "city", "province"], default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--seconds", type=int, default=8, help="wrk duration per page")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--writes", type=int, default=40, help="timed writes of each kind")
    return parser.parse_args()


def ensure_database(url: str, size: str, seed: int, env: dict) -> float | None:
    """Create, migrate and fill the database if it is empty; returns the generation time if it ran."""
    import psycopg2
    from psycopg2 import sql

    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    subprocess.run([PY, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([PY, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    count = "from apps.service.models import Request; print(Request.objects.count())"
    probe = subprocess.run(
        [PY, "manage.py", "shell", "-c", count],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    if int(probe.stdout.strip().splitlines()[-1]) > 0:
        return None
    started = time.perf_counter()
    command = [PY, "manage.py", "generate_scale", "--size", size, "--seed", str(seed)]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def wait_for(url: str, seconds: float = 30) -> None:
    import urllib.request

    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (loopback only)
            return
        except Exception:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer at {url}")


def wrk(url: str, cookie: str, *, seconds: int, clients: int = 1) -> dict:
    threads = min(clients, 2)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout

    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "p50": ms("50"),
        "p90": ms("90"),
        "p99": ms("99"),
        "rps": float(rps.group(1)) if rps else 0.0,
        "errors": int(bad.group(1)) if bad else 0,
    }


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    url = args.database_url or f"postgres://postgres@127.0.0.1:5432/jianbei_bench_{args.size}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECURE_SSL": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-" + "x" * 60),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    generated = ensure_database(url, args.size, args.seed, env)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jianbei.settings")
    import django

    django.setup()
    from bench.measure import board_phases, hot_queries, prepare, profile_pages, while_writing, write_paths

    world = prepare()
    workers = 2 * (os.cpu_count() or 1) + 1
    base = f"http://127.0.0.1:{args.port}"
    gunicorn = [str(Path(PY).parent / "gunicorn"), "jianbei.wsgi", "-w", str(workers)]
    server = subprocess.Popen(
        [*gunicorn, "-b", f"127.0.0.1:{args.port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(base + "/healthz")
        results = {}
        for name, (path, cookie) in world["pages"].items():
            # warm-up: every worker's first page compiles its templates and loads its catalogues (~0.3 s)
            wrk(base + path, world["cookies"][cookie], seconds=2)
            results[name] = wrk(base + path, world["cookies"][cookie], seconds=args.seconds)
        list_path, list_cookie = world["pages"]["request list, first page"]
        throughput = wrk(base + list_path, world["cookies"][list_cookie], seconds=args.seconds, clients=12)
        busy = while_writing(lambda path, cookie, s: wrk(base + path, cookie, seconds=s), world, args.seconds)
        writes = write_paths(base, world, n=args.writes)
    finally:
        server.terminate()
        server.wait(timeout=30)
    profile = profile_pages(world)
    orm = hot_queries(world)
    figures = {"busy": busy, "board": board_phases(world)}
    report = render(args, generated, workers, world, results, throughput, figures, writes, profile, orm)
    out = ROOT / "bench" / "reports" / f"{args.size}-{time.strftime('%Y%m%d-%H%M%S')}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report, encoding="utf-8")
    print(report)
    print(f"(written to {out.relative_to(ROOT)})")


def render(args, generated, workers, world, results, throughput, figures, writes, profile, orm) -> str:
    busy = figures["busy"]

    def f(v, digits=1):
        return "—" if v is None else f"{v:.{digits}f}"

    lines = [
        f"# Benchmark — {args.size} (seed {args.seed}), {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"Machine: {os.cpu_count()} cores, {platform_line()}; gunicorn {workers} sync workers, DEBUG off.",
        f"Data: {world['counts']}",
        f"Generation: {f(generated, 0)} s (this run)" if generated else "Generation: an existing database",
        "",
        "## Pages (one client, wrk, latency in ms)",
        "",
        "| page | p50 | p90 | p99 | req/s | non-2xx | queries | SQL ms | page ms | page ÷ SQL |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        p = profile.get(name, {})
        lines.append(
            f"| {name} | {f(r['p50'])} | {f(r['p90'])} | {f(r['p99'])} | {f(r['rps'], 0)} | {r['errors']} | "
            f"{p.get('queries', '—')} | {f(p.get('sql_ms'))} | {f(p.get('page_ms'))} | {f(p.get('ratio'))} |"
        )
    lines += [
        "",
        "The figure pages compute their figures from the roll-ups on every request: nothing is kept between "
        "requests, so the figures are the same right after a write. The ranking board shows one peer group "
        "(the leader's default: the first) and computes that group only; the month before last is published "
        "(the district publishes each month at its meeting), so last month's board computes one month and "
        "compares with the published one. Its figures and its drawing, in-process (median of 9, ms):",
        "",
        "| page | rows | figures (SQL + Python) | drawing (template) |",
        "|---|---|---|---|",
    ]
    for name, b in figures["board"].items():
        lines.append(f"| {name} | {b['rows']} | {f(b['figures'])} | {f(b['drawing'])} |")
    lines += [
        "",
        f"## Figure pages while another connection writes at the data's own pace (one write every "
        f"{busy['interval']:.1f} s through the services: a request logged, then acknowledged; wrk, ms)",
        "",
        "| page | p50 | p90 | p99 | req/s | writes during the run |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in busy["pages"].items():
        lines.append(
            f"| {name} | {f(r['p50'])} | {f(r['p90'])} | {f(r['p99'])} | {f(r['rps'], 0)} | {r['writes']} |"
        )
    lines += [
        "",
        f"Throughput, request list (12 connections): **{throughput['rps']:.0f} requests/s**, "
        f"p50 {f(throughput['p50'])} ms, p99 {f(throughput['p99'])} ms, non-2xx {throughput['errors']}.",
        "",
        "## Writes (HTTP, sequential, ms)",
        "",
        "| write | n | p50 | p95 | failures |",
        "|---|---|---|---|---|",
    ]
    for name, w in writes.items():
        times = w["ms"]
        lines.append(
            f"| {name} | {len(times)} | {f(statistics.median(times) if times else None)} | "
            f"{f(percentile(times, 95) if times else None)} | {w['failures']} |"
        )
    lines += ["", "## Hot queries: ORM ÷ raw SQL (median of 15)", ""]
    lines += ["| query | ORM ms | raw ms | ORM ÷ raw |", "|---|---|---|---|"]
    for name, o in orm.items():
        lines.append(f"| {name} | {f(o['orm'], 2)} | {f(o['raw'], 2)} | {f(o['ratio'], 2)} |")
    return "\n".join(lines) + "\n"


def platform_line() -> str:
    import platform

    return f"Python {platform.python_version()}, {platform.platform()}"


if __name__ == "__main__":
    main()
