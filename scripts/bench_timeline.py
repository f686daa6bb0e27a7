"""Per-call timeline of one flarelink run on the benchmark's stand-ins (run it with
scripts/bench-timeline): where a run's latencies go.

Both stand-ins wait L per call as in scripts/bench (the emulator through its knob, moto behind
the benchmark's delay proxy). A second proxy, with no delay of its own, sits in front of the
emulator; both proxies record every request's arrival and answer. The script prints each call
(start and end in ms from the process start, and in L), then the critical path: from the last
answer back, each call's predecessor is the call that answered last before it was sent; the
gap between the two is local work (planning, key generation, TLS, process start). A long gap
means the call waited for local work, not for the call listed before it.

Scenarios: a first link-domain of one hostname, a re-run of it, a first link-domain of N
hostnames (default 5). Not a test; a tool for reading where the time goes.

Usage: bench_timeline.py FLARELINK_BIN EMULATOR_BIN [--latency-ms L] [--hostnames N] [--quota S]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def label(cloud, e):
    """A short name for one call: the ACM operation, or the method and the path without ids."""
    if e["op"]:
        return f"{cloud} {e['op']}"
    url = urllib.parse.urlsplit(e["path"])
    path = url.path
    if cloud == "cf":
        path = re.sub(r"^/client/v4", "", path)
        path = re.sub(r"/zones/[0-9a-f]{16,}", "/zones/Z", path)
        path = re.sub(r"/[0-9a-f]{20,}", "/ID", path)
        query = urllib.parse.parse_qs(url.query)
        name = query.get("name", [""])[0]
        if name:
            path += f"?name={name}"
        if "_flarelink-lock" in e["body"]:
            path += " [lock marker]"
    else:
        path = urllib.parse.unquote(path)
        path = re.sub(r"/restapis/[a-z0-9]+", "/restapis/R", path)
    return f"{cloud} {e['method']} {path}"


def critical_path(calls):
    """From the last answer back: each call's predecessor answered last before it started."""
    path = []
    current = max(calls, key=lambda c: c["end"]) if calls else None
    while current is not None:
        path.append(current)
        before = [c for c in calls if c["end"] <= current["start"] + 0.0005 and c is not current]
        current = max(before, key=lambda c: c["end"]) if before else None
    return list(reversed(path))


def timeline(stand, name, cmd, env, L):
    stand.proxy.log, stand.cf_proxy.log = [], []
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    finished = time.perf_counter()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    calls = []
    for cloud, log in (("aws", stand.proxy.log), ("cf", stand.cf_proxy.log)):
        for e in log:
            calls.append({"cloud": cloud, "label": label(cloud, e), "start": e["start"] - started,
                          "end": e.get("end", finished) - started})
    stand.proxy.log = stand.cf_proxy.log = None
    calls.sort(key=lambda c: c["start"])
    wall = finished - started
    ms = lambda s: f"{s * 1000:7.0f}"  # noqa: E731
    inL = lambda s: f"{s / L:5.1f}"  # noqa: E731
    out = [f"## {name}", "", f"wall {wall:.3f} s = {wall / L:.1f} L (L = {L * 1000:.0f} ms); {len(calls)} calls", "",
           "```", "  start    end   (in L)        call"]
    for c in calls:
        out.append(f"{ms(c['start'])} {ms(c['end'])}  {inL(c['start'])}-{inL(c['end'])}  {c['label']}")
    out += ["```", "", "Critical path (gap = local work before the call):", "", "```"]
    path = critical_path(calls)
    prev = 0.0
    for i, c in enumerate(path, 1):
        out.append(f"{i:2}. {inL(c['start'])}-{inL(c['end'])} L  gap {ms(c['start'] - prev).strip():>4} ms  {c['label']}")
        prev = c["end"]
    out.append(f"    then {ms(wall - prev).strip()} ms to exit")
    out += ["```", ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("flarelink")
    ap.add_argument("emulator")
    ap.add_argument("--hostnames", type=int, default=5)
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--quota", type=float, default=0, help="API Gateway's domain quota window in seconds (0: none)")
    args = ap.parse_args()
    L = args.latency_ms / 1000
    work = tempfile.mkdtemp()
    one, many = bench.config(work, 1), bench.config(work, args.hostnames)
    link = lambda cfg: [args.flarelink, "--config", cfg, "link-domain"]  # noqa: E731
    moto_env = {"FLARELINK_MOTO_DOMAIN_QUOTA_SECONDS": str(args.quota)} if args.quota else None
    stand = bench.Stand(args.emulator, work, moto_env)
    # A recording proxy with no delay of its own in front of the emulator (which waits L itself).
    port = int(urllib.parse.urlsplit(stand.cf_base).port)
    stand.cf_proxy = bench.DelayProxy(port)
    env = dict(stand.env, CLOUDFLARE_API_BASE=stand.cf_base.replace(f":{port}/", f":{stand.cf_proxy.port}/"))
    try:
        stand.latency(L)
        sections = []
        stand.reset()
        sections.append(timeline(stand, "first run, 1 hostname", link(one), env, L))
        sections.append(timeline(stand, "re-run, 1 hostname", link(one), env, L))
        stand.reset()
        if args.quota:
            time.sleep(args.quota + 0.1)
        sections.append(timeline(stand, f"first run, {args.hostnames} hostnames", link(many), env, L))
    finally:
        stand.stop()
    print("\n".join(sections))


if __name__ == "__main__":
    main()
