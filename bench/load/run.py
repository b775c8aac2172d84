"""The load test: gunicorn with 2 workers on PostgreSQL (database bench_load, built by
bench/load/world.py) and Redis, localstripe as the payment gateway, on 127.0.0.1:5501;
locust headless with a fixed number of users, spawn rate and duration, first against
/healthz alone (the server's ceiling on this machine: the baseline), then the park's mix
(bench/load/locustfile.py). Prints requests per second, p50/p99 per request type and in
total, errors, the CPU time locust itself used (it shares the 2 cores with the server),
the load average, and the verdict against the target: >= 300 requests/s at p99 <= 200 ms.

    .venv/bin/python -m bench.load.run                      # 250 users, 2 min (+ 30 s baseline)
    .venv/bin/python -m bench.load.run --users 100 --duration 60 --baseline-duration 20
    .venv/bin/python -m bench.load.run --build               # build the 1M-listing world first

Traffic goes to 127.0.0.1 only. Exit status 1 if the server did not come up or a run
failed to produce figures; a missed target is reported, not an error.
"""

import argparse
import csv
import json
import math
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv" / "bin"
HERE = Path(__file__).resolve().parent
TARGET_RPS, TARGET_P99_MS = 300, 200
MIX = ["Browser", "Visitor", "Matcher", "Bidder", "ManifestCrew"]


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def wait_for(port: int, seconds: float, path: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if listening(port):
            if not path:
                return
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
        time.sleep(0.3)
    raise SystemExit(f"nothing answered on 127.0.0.1:{port}{path} within {seconds:.0f} s")


def cpu_seconds(pids) -> float:
    """User + system CPU seconds of these processes (from /proc; 0 for one that is gone)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError):
            pass
    return total


def children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return []
    return [int(p) for p in out.split()]


def start_server(args, env) -> subprocess.Popen:
    log = open(args.server_log, "w")  # noqa: SIM115 - kept open for the server's life
    return subprocess.Popen(
        [str(VENV / "gunicorn"), "-c", "scripts/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def analyze(url: str) -> None:
    """Fresh planner statistics, as autovacuum keeps them in production: earlier runs add
    bids, deals and manifests, and where autovacuum is off (this machine's PostgreSQL) the
    planner kept estimating one active bid for thousands and chose a 9 ms plan for the
    desk's lots-with-bids query."""
    from sqlalchemy import create_engine, text

    from market.config import normalise_database_url

    engine = create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    print(f"ANALYZE (planner statistics): {time.perf_counter() - started:.1f} s", flush=True)


def warm(args) -> None:
    """Each worker builds its matching index on its first ranking: done before the
    measured runs, by a few logged-in match pages at once (both workers get some)."""
    from concurrent.futures import ThreadPoolExecutor

    world = json.loads(Path(args.world).read_text())
    lots = world["lots"][:8]

    def one(pair):
        import http.cookiejar
        import re

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = f"http://127.0.0.1:{args.port}"
        page = opener.open(f"{base}/login", timeout=300).read().decode()
        token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"email": pair[1], "password": world["password"], "csrf_token": token}
        ).encode()
        opener.open(f"{base}/login", data=data, timeout=300).read()
        started = time.perf_counter()
        opener.open(f"{base}/matching/supply/{pair[0]}", timeout=600).read()
        return time.perf_counter() - started

    with ThreadPoolExecutor(len(lots)) as pool:
        times = list(pool.map(one, lots))
    print(
        f"warm-up: matching indexes built; first match pages took "
        f"{min(times):.1f}-{max(times):.1f} s",
        flush=True,
    )


def run_locust(
    args, classes: list[str], duration: int, users: int, prefix: str, rate: float
) -> dict:
    env = {**os.environ, "BENCH_LOAD_WORLD": args.world}
    cmd = [
        str(VENV / "locust"),
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--host",
        f"http://127.0.0.1:{args.port}",
        "-u",
        str(users),
        "-r",
        str(rate),
        "-t",  # the figures cover `duration` seconds after the last user has spawned
        f"{duration + math.ceil(users / rate)}s",
        "--csv",
        prefix,
        "--reset-stats",
        "--only-summary",
        "--loglevel",
        "WARNING",
        *classes,
    ]
    server = [args.server_pid, *children(args.server_pid)]
    server_cpu = cpu_seconds(server)
    load_before = os.getloadavg()
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(f"{prefix}.log", "w")
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))
    failures = list(csv.DictReader(open(f"{prefix}_failures.csv")))
    return {
        "rows": rows,
        "failures": failures,
        "wall_s": wall,
        "locust_cpu_s": usage.ru_utime + usage.ru_stime,
        "server_cpu_s": cpu_seconds(server) - server_cpu,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "exit": os.waitstatus_to_exitcode(status),
    }


def fnum(row: dict, key: str) -> float:
    value = row.get(key) or "0"
    return float(value) if value != "N/A" else float("nan")


def report(title: str, result: dict, duration: int) -> dict:
    print(f"\n== {title} ==")
    print(f"{'request':44} {'count':>7} {'fail':>5} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}")
    total = {}
    for row in result["rows"]:
        line = (
            f"{(row['Type'] + ' ' + row['Name'])[:44]:44} {row['Request Count']:>7} "
            f"{row['Failure Count']:>5} {fnum(row, 'Requests/s'):7.1f} {fnum(row, '50%'):7.0f} "
            f"{fnum(row, '99%'):7.0f}"
        )
        print(line)
        if row["Name"] == "Aggregated":
            total = row
    count, failed = int(total.get("Request Count", 0)), int(total.get("Failure Count", 0))
    rps = fnum(total, "Requests/s")  # locust's: since the stats were reset (all users spawned)
    p50, p99 = fnum(total, "50%"), fnum(total, "99%")
    share = result["locust_cpu_s"] / result["wall_s"]
    print(
        f"total: {count} requests, {rps:.1f} req/s; p50 {p50:.0f} ms, "
        f"p99 {p99:.0f} ms; errors {failed} ({100 * failed / max(count, 1):.2f} %)"
    )
    print(
        f"locust's own CPU: {result['locust_cpu_s']:.1f} s in {result['wall_s']:.0f} s "
        f"= {share:.2f} of a core; gunicorn (master + workers): "
        f"{result['server_cpu_s']:.1f} s = {result['server_cpu_s'] / result['wall_s']:.2f} cores"
    )
    print(
        "load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
            *result["load_before"], *result["load_after"]
        )
    )
    for f in result["failures"][:8]:
        print(f"  failure x{f['Occurrences']}: {f['Method']} {f['Name']}: {f['Error'][:120]}")
    return {
        "requests": count,
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "errors": failed,
        "locust_cpu_share": share,
        "server_cores": result["server_cpu_s"] / result["wall_s"],
        "load_before": result["load_before"],
        "load_after": result["load_after"],
        "per_request": {
            f"{r['Type']} {r['Name']}": {
                "count": int(r["Request Count"]),
                "fail": int(r["Failure Count"]),
                "rps": fnum(r, "Requests/s"),
                "p50": fnum(r, "50%"),
                "p99": fnum(r, "99%"),
            }
            for r in result["rows"]
        },
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/bench_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--port", type=int, default=5501)
    parser.add_argument("--stripe-port", type=int, default=6501)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--users", type=int, default=250)
    # slow enough that the logins (scrypt) are mostly done before the figures start
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--duration", type=int, default=120, help="seconds of the mix")
    parser.add_argument("--baseline-duration", type=int, default=30)
    parser.add_argument("--build", action="store_true", help="build the world first")
    parser.add_argument("--world", default=str(HERE / "world.json"))
    parser.add_argument("--out", default="", help="folder for the CSVs (default: a temp dir)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="load-"))
    out.mkdir(parents=True, exist_ok=True)
    args.server_log = out / "gunicorn.log"
    if listening(args.port):
        raise SystemExit(f"port {args.port} is taken: stop what listens there first")
    started_here = []
    try:
        if not listening(args.stripe_port):
            started_here.append(
                subprocess.Popen(
                    [
                        str(VENV / "python"),
                        "-m",
                        "localstripe",
                        "--port",
                        str(args.stripe_port),
                        "--from-scratch",
                    ],
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
            wait_for(args.stripe_port, 30)
        world = [
            str(VENV / "python"),
            "-m",
            "bench.load.world",
            "--database-url",
            args.database_url,
            "--stripe",
            f"http://127.0.0.1:{args.stripe_port}",
            "--out",
            args.world,
        ]
        subprocess.run(world + ([] if args.build else ["--describe-only"]), cwd=ROOT, check=True)
        env = {
            **os.environ,
            "DATABASE_URL": args.database_url,
            "MARKET_REDIS_URL": args.redis_url,
            "MARKET_SECRET_KEY": "load-test-only-" + "x" * 32,
            "HOST": "127.0.0.1",
            "PORT": str(args.port),
            "MARKET_WEB_WORKERS": str(args.workers),
            "MARKET_WEB_THREADS": str(args.threads),
            "MARKET_LOG_FORMAT": "json",
            "MARKET_STRIPE_API_BASE": f"http://127.0.0.1:{args.stripe_port}",
            "MARKET_REDIS_PREFIX": "loadtest",
            # every locust user logs in from 127.0.0.1: the per-address login limit
            # (10 a minute) would refuse all but the first few
            "MARKET_LOGIN_RATE_LIMIT": "100000 per minute",
        }
        server = start_server(args, env)
        started_here.append(server)
        args.server_pid = server.pid
        wait_for(args.port, 60, "/healthz")
        analyze(args.database_url)
        warm(args)
        figures = {
            "users": args.users,
            "spawn_rate": args.spawn_rate,
            "workers": args.workers,
            "threads": args.threads,
            "nproc": os.cpu_count(),
        }
        base = run_locust(
            args,
            ["Health"],
            args.baseline_duration,
            args.users,
            str(out / "baseline"),
            rate=args.users,  # no logins: all at once
        )
        figures["baseline"] = report("baseline: GET /healthz alone", base, args.baseline_duration)
        mix = run_locust(args, MIX, args.duration, args.users, str(out / "mix"), args.spawn_rate)
        figures["mix"] = report("the park's mix (1M listings)", mix, args.duration)
    finally:
        for proc in reversed(started_here):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
    m = figures["mix"]
    ok = m["rps"] >= TARGET_RPS and m["p99_ms"] <= TARGET_P99_MS
    print(
        f"\ntarget >= {TARGET_RPS} req/s at p99 <= {TARGET_P99_MS} ms: "
        f"{'MET' if ok else 'MISSED'} ({m['rps']:.0f} req/s, p99 {m['p99_ms']:.0f} ms, "
        f"{m['errors']} errors); baseline /healthz {figures['baseline']['rps']:.0f} req/s "
        f"at p99 {figures['baseline']['p99_ms']:.0f} ms; CSVs and logs in {out}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
