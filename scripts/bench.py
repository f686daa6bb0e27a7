"""flarelink's speed and memory benchmark, on the local stand-ins (run it with scripts/bench).

What it measures, and the targets it checks:
  * a converged `link-domain` (nothing to do) over N hostnames, with the Cloudflare emulator
    answering every call after an added latency (default 50 ms, like a real API far away):
    wall time, Cloudflare requests, writes, and how many latencies deep the run waited in
    sequence. Target: zero writes, and a critical path of at most 4 Cloudflare round trips
    whatever N is (zone lookup, then the per-zone and per-hostname reads side by side) — a
    sequential implementation would need 3 + N.
  * the same as `--dry-run`.
  * the peak resident memory of the flarelink process. Target: under 64 MiB.
moto adds its own (small, loopback) time to every AWS call; it is reported, not targeted.

Usage: bench.py FLARELINK_BIN EMULATOR_BIN [--hostnames N] [--runs K] [--latency-ms L]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(cmd, env=None):
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    line = proc.stdout.readline()
    if not line:
        sys.exit(f"could not start {cmd[0]}")
    return proc, json.loads(line)


def admin(root, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(root + "/__emulator/" + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def run(cmd, env):
    """Runs one command; returns (seconds, peak RSS in KiB, exit code)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = proc.stderr.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{stderr}")
    return elapsed, usage.ru_maxrss, code


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("flarelink")
    ap.add_argument("emulator")
    ap.add_argument("--hostnames", type=int, default=5)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--latency-ms", type=int, default=50)
    args = ap.parse_args()

    token = "bench-" + os.urandom(12).hex()
    moto, moto_info = start([sys.executable, os.path.join(ROOT, "scripts/moto_launcher.py")])
    work = tempfile.mkdtemp()
    emu, emu_info = start([args.emulator, "--zone", "example.com", "--token", token, "--ca-out", os.path.join(work, "root.pem")])
    root = emu_info["base_url"].split("/client/v4/")[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CLOUDFLARE_", "FLARELINK_"))}
    env.update({
        "AWS_ENDPOINT_URL": moto_info["endpoint"], "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "CLOUDFLARE_API_BASE": emu_info["base_url"], "CLOUDFLARE_API_TOKEN": token,
    })
    try:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts/sample_api.py"), "ditto-api", "prod"], env=env, check=True, stdout=subprocess.DEVNULL)
        domains = "".join(
            f'[[domain]]\nhostname = "api{i}.example.com"\nrest_api = "ditto-api"\nstage = "prod"\n'
            f'[domain.certificate]\nkey_type = "ecdsa-p256"\n\n'
            for i in range(args.hostnames)
        )
        config = os.path.join(work, "config.toml")
        with open(config, "w") as f:
            f.write(f'[cloudflare]\nzone = "example.com"\norigin_ca_roots = ["root.pem"]\n[aws]\nregion = "us-east-1"\n'
                    f'[retry]\nmax_quota_waits = 40\n\n{domains}')
        link = [args.flarelink, "--config", config, "link-domain"]
        print(f"linking {args.hostnames} hostnames (first run, creates everything) …", file=sys.stderr)
        cold, _, _ = run(link, env)

        admin(root, "latency", {"ms": args.latency_ms})
        rows = []
        for label, cmd in (("link-domain (converged)", link), ("link-domain --dry-run", link + ["--dry-run"])):
            times, rss, requests, writes = [], [], [], []
            for _ in range(args.runs):
                before = admin(root, "stats")
                t, peak, _ = run(cmd, env)
                after = admin(root, "stats")
                times.append(t)
                rss.append(peak)
                requests.append(after["requests"] - before["requests"])
                writes.append(after["writes"] - before["writes"])
            rows.append((label, times, rss, requests, writes))
    finally:
        for p in (moto, emu):
            p.stdin.close()
            p.wait(timeout=20)

    latency = args.latency_ms / 1000
    print(f"\nfirst run (creates {args.hostnames} certificates, domains, mappings, records; "
          f"includes API Gateway's domain quota as moto enforces it — i.e. none): {cold:.2f} s\n")
    print(f"{'command':<28}{'median s':>10}{'min s':>8}{'CF requests':>13}{'writes':>8}{'CF depth':>10}{'peak RSS':>11}")
    failures = []
    for label, times, rss, requests, writes in rows:
        median = statistics.median(times)
        depth = min(times) / latency if latency else float("nan")
        peak_mib = max(rss) / 1024
        print(f"{label:<28}{median:>10.3f}{min(times):>8.3f}{max(requests):>13}{max(writes):>8}{depth:>10.1f}{peak_mib:>8.1f} MiB")
        if max(writes):
            failures.append(f"{label}: {max(writes)} writes (target 0)")
        if latency and depth > 4.9:
            failures.append(f"{label}: waited {depth:.1f} Cloudflare latencies in sequence (target ≤ 4)")
        if peak_mib >= 64:
            failures.append(f"{label}: peak RSS {peak_mib:.1f} MiB (target < 64 MiB)")
    print("\nCF depth = fastest wall time / emulator latency: the Cloudflare round trips waited for in sequence,")
    print("plus everything else (moto, process start) counted in the same unit, so it is an upper bound.")
    if failures:
        print("\nMISSED TARGETS:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("\nall targets met")


if __name__ == "__main__":
    main()
