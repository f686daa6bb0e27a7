"""flarelink's speed and memory benchmark, on the local stand-ins (run it with scripts/bench).

Every call to either stand-in waits an added latency L (default 50 ms, like a real API far away):
the Cloudflare emulator through its admin latency knob, moto through a small loopback proxy in
this script that holds each request for L before forwarding it (and counts reads and writes).
Each scenario runs K times (default 5) at L = 0 and at L; medians are compared, so what is
measured is how many latencies a run waits for in sequence beyond its local work:

    depth = (median wall at L − median wall at 0) / L

Targets (checked; the script exits 1 when one is missed):
  * first link-domain, one hostname:                  depth ≤ 5.5
  * a re-run with nothing to do, one hostname:        depth ≤ 2.2, and 0 writes on both clouds
  * first link-domain, five hostnames (no quota):     depth ≤ 8
  * five hostnames with API Gateway's domain quota scaled to 2 s (moto launcher's
    FLARELINK_MOTO_DOMAIN_QUOTA_SECONDS): wall at L − wall of the unthrottled run at 0
    ≤ 2 s·4 + 8·L (four hostnames must wait their turn)
  * flarelink's first run (with all its reads) faster at L than the baseline: the same six writes
    one after another by a plain script (scripts/bench_baseline.py)
  * peak RSS of flarelink, five hostnames:             < 64 MiB

Not timed tests: figures depend on the machine; the README has the latest.

Usage: bench.py FLARELINK_BIN EMULATOR_BIN [--runs K] [--latency-ms L] [--hostnames N]
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class DelayProxy:
    """A loopback HTTP/1.1 proxy in front of moto: each request waits `latency` seconds before it
    is forwarded; answers flow back at once. It counts requests, and writes (API Gateway: any
    method but GET/HEAD; ACM's JSON protocol: an X-Amz-Target not List*/Describe*/Get*).
    Hand-written because it is a few lines and the benchmark must not need more packages."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.latency = 0.0
        self.requests = 0
        self.writes = 0
        # When a list, every request is recorded in it (scripts/bench_timeline.py): arrival and
        # answer times (time.perf_counter), method, path, X-Amz-Target and a peek at the body.
        self.log = None
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait()

    def _serve(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _handle(self, creader, cwriter):
        try:
            sreader, swriter = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            cwriter.close()
            return

        pending = []  # this connection's requests awaiting their answer (clients do not pipeline)

        async def back():
            try:
                while data := await sreader.read(65536):
                    if pending:
                        pending.pop(0)["end"] = time.perf_counter()
                    cwriter.write(data)
                    await cwriter.drain()
            except (ConnectionError, OSError):
                pass
            cwriter.close()

        answers = asyncio.ensure_future(back())
        try:
            while True:
                head = await creader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method = lines[0].split(" ", 1)[0]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                op = headers.get("x-amz-target", "").rsplit(".", 1)[-1]
                arrived = time.perf_counter()
                self.requests += 1
                if (not op.startswith(("List", "Describe", "Get"))) if op else method not in ("GET", "HEAD"):
                    self.writes += 1
                if self.latency:
                    await asyncio.sleep(self.latency)
                swriter.write(head)
                length = int(headers.get("content-length") or 0)
                body = await creader.readexactly(length) if length else b""
                swriter.write(body)
                if self.log is not None:
                    entry = {"start": arrived, "method": method, "path": lines[0].split(" ")[1], "op": op,
                             "body": body[:2000].decode("utf-8", "replace")}
                    self.log.append(entry)
                    pending.append(entry)
                await swriter.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, OSError):
            pass
        swriter.close()
        await asyncio.wait([answers], timeout=5)

    def counts(self):
        return self.requests, self.writes


def start(cmd, env=None):
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    line = proc.stdout.readline()
    if not line:
        sys.exit(f"could not start {cmd[0]}")
    return proc, json.loads(line)


def post(url, body=None):
    data = json.dumps(body if body is not None else {}).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        text = r.read()
    return json.loads(text) if text.strip().startswith((b"{", b"[")) else None


def get(url):
    with urllib.request.urlopen(url) as r:
        return json.load(r)


def run(cmd, env):
    """Runs one command; returns (seconds, peak RSS in KiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = proc.stderr.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{stderr}")
    return elapsed, usage.ru_maxrss


class Stand:
    """moto (behind the delay proxy) and the Cloudflare emulator, with the env to reach them."""

    def __init__(self, emulator_bin, work, moto_env=None):
        self.token = "bench-" + os.urandom(12).hex()
        env = dict(os.environ)
        env.update(moto_env or {})
        self.moto, info = start([sys.executable, os.path.join(ROOT, "scripts/moto_launcher.py")], env)
        self.moto_url = info["endpoint"]
        self.proxy = DelayProxy(int(self.moto_url.rsplit(":", 1)[1]))
        self.root_pem = os.path.join(work, "root.pem")
        self.emu, emu = start([emulator_bin, "--zone", "example.com", "--token", self.token, "--ca-out", self.root_pem])
        self.cf_base = emu["base_url"]
        self.cf_root = self.cf_base.split("/client/v4/")[0]
        self.zone_id = emu["zones"]["example.com"]
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLOUDFLARE_", "FLARELINK_"))}
        base.update({
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "CLOUDFLARE_API_BASE": self.cf_base, "CLOUDFLARE_API_TOKEN": self.token,
        })
        self.direct_env = dict(base, AWS_ENDPOINT_URL=self.moto_url)
        self.env = dict(base, AWS_ENDPOINT_URL=f"http://127.0.0.1:{self.proxy.port}")

    def latency(self, seconds):
        self.proxy.latency = seconds
        post(self.cf_root + "/__emulator/latency", {"ms": int(seconds * 1000)})

    def reset(self):
        """Empty state but for the sample REST API (made directly, not through the proxy)."""
        post(self.moto_url + "/moto-api/reset")
        post(self.cf_root + "/__emulator/reset")
        out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts/sample_api.py"), "ditto-api", "prod"],
                             env=self.direct_env, check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def writes(self):
        cf = get(self.cf_root + "/__emulator/stats")
        return cf["writes"] + self.proxy.counts()[1]

    def stop(self):
        for p in (self.moto, self.emu):
            p.stdin.close()
            p.wait(timeout=20)


def config(work, hostnames):
    domains = "".join(
        f'[[domain]]\nhostname = "api{i}.example.com"\nrest_api = "ditto-api"\nstage = "prod"\n\n'
        for i in range(hostnames)
    )
    path = os.path.join(work, f"config-{hostnames}.toml")
    with open(path, "w") as f:
        f.write(f'[cloudflare]\nzone = "example.com"\norigin_ca_roots = ["root.pem"]\n[aws]\nregion = "us-east-1"\n'
                f'[retry]\nmax_quota_waits = 40\n\n{domains}')
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("flarelink")
    ap.add_argument("emulator")
    ap.add_argument("--hostnames", type=int, default=5)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--latency-ms", type=int, default=50)
    args = ap.parse_args()
    L = args.latency_ms / 1000
    work = tempfile.mkdtemp()
    one, many = config(work, 1), config(work, args.hostnames)
    link = lambda cfg: [args.flarelink, "--config", cfg, "link-domain"]  # noqa: E731
    samples = {}  # (scenario, latency) -> list of (seconds, rss KiB, writes)

    def sample(stand, name, latency, cmd, env=None):
        before = stand.writes()
        t, rss = run(cmd, env or stand.env)
        samples.setdefault((name, latency), []).append((t, rss, stand.writes() - before))

    stand = Stand(args.emulator, work)
    try:
        for latency in (0.0, L):
            stand.latency(latency)
            for k in range(args.runs):
                print(f"L = {latency * 1000:.0f} ms, run {k + 1}/{args.runs} …", file=sys.stderr)
                stand.reset()
                sample(stand, "first run, 1 hostname", latency, link(one))
                sample(stand, "re-run, 1 hostname", latency, link(one))
                stand.reset()
                sample(stand, f"first run, {args.hostnames} hostnames", latency, link(many))
                api_id = stand.reset()
                sample(stand, "baseline: 6 writes in a row", latency, [
                    sys.executable, os.path.join(ROOT, "scripts/bench_baseline.py"),
                    "api0.example.com", stand.zone_id, api_id, "prod", stand.root_pem])
    finally:
        stand.stop()

    quota_runs = max(1, min(args.runs, 3))
    stand = Stand(args.emulator, work, {"FLARELINK_MOTO_DOMAIN_QUOTA_SECONDS": "2"})
    try:
        stand.latency(L)
        for k in range(quota_runs):
            print(f"domain quota 2 s, L = {L * 1000:.0f} ms, run {k + 1}/{quota_runs} …", file=sys.stderr)
            stand.reset()
            time.sleep(2.1)  # the quota window of the previous run's domain calls
            sample(stand, f"first run, {args.hostnames} hostnames, quota 2 s", L, link(many))
    finally:
        stand.stop()

    med = lambda name, lat: statistics.median(t for t, _, _ in samples[(name, lat)])  # noqa: E731
    depth = lambda name: (med(name, L) - med(name, 0.0)) / L  # noqa: E731
    n = args.hostnames
    rows, failures = [], []

    def row(name, value, target, ok, note=""):
        rows.append((name, value, target, "ok" if ok else "MISSED", note))
        if not ok:
            failures.append(f"{name}: {value} (target {target})")

    for name, target in (("first run, 1 hostname", 5.5), ("re-run, 1 hostname", 2.2), (f"first run, {n} hostnames", 8.0)):
        d = depth(name)
        row(f"{name}: depth", f"{d:.2f} L", f"≤ {target} L", d <= target,
            f"median {med(name, 0.0):.3f} s at 0, {med(name, L):.3f} s at L")
    rerun_writes = max(w for (s, _), v in samples.items() if s == "re-run, 1 hostname" for _, _, w in v)
    row("re-run, 1 hostname: writes", str(rerun_writes), "0", rerun_writes == 0)
    qname = f"first run, {n} hostnames, quota 2 s"
    extra = med(qname, L) - med(f"first run, {n} hostnames", 0.0)
    budget = 2 * 4 + 8 * L
    row(f"{qname}: wall at L − unthrottled wall at 0", f"{extra:.2f} s", f"≤ {budget:.2f} s (2 s·4 + 8·L)", extra <= budget,
        f"median {med(qname, L):.3f} s")
    base, ours = med("baseline: 6 writes in a row", L), med("first run, 1 hostname", L)
    row("first run vs baseline at L", f"{ours:.3f} s vs {base:.3f} s ({ours / base:.2f}×)", "< 1×", ours < base,
        f"baseline depth {depth('baseline: 6 writes in a row'):.2f} L")
    rss = max(r for (s, _), v in samples.items() if s.startswith(f"first run, {n} hostnames") for _, r, _ in v) / 1024
    row(f"peak RSS, {n} hostnames", f"{rss:.1f} MiB", "< 64 MiB", rss < 64)

    print(f"\nflarelink benchmark: L = {args.latency_ms} ms on both stand-ins, medians of {args.runs} runs "
          f"({quota_runs} with the quota), release build\n")
    widths = [max(len(r[i]) for r in rows + [("figure", "value", "target", "", "")]) for i in range(4)]
    print(f"{'figure':<{widths[0]}}  {'value':<{widths[1]}}  {'target':<{widths[2]}}  {'':<6}  detail")
    for r in rows:
        print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:<6}  {r[4]}")
    print("\ndepth = (median wall at L − median wall at 0) / L: the latencies a run waits for in sequence beyond its local work.")
    if failures:
        print("\nMISSED TARGETS:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("\nall targets met")


if __name__ == "__main__":
    main()
