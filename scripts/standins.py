"""Every local stand-in, standing: run by `scripts/standins` (which installs and builds first).

Starts, on 127.0.0.1 only:
  * moto (AWS control planes) with, in the same process, the API Gateway data plane and the
    local upstream (PokeAPI's stand-in) — `scripts/moto_launcher.py --dataplane`;
  * flarelink's Cloudflare emulator (API v4) with its edge (`--edge`), whose Full (strict)
    trusts, beside the Origin CA root, the stand-in public CA that signs moto's ACM-issued
    certificates (`acm-public-ca.pem` in the directory; `moto.public_ca` in the line);
and writes the origin map they share instead of DNS: every `*.execute-api.<region>.amazonaws.com`
name (the custom domains' regional names, which Cloudflare's CNAMEs point at, and the default
endpoints) → the data plane; `pokeapi.co` and `echo.flarelink.test` → the upstream.

Then prints ONE JSON line:
  {"env": {...}, "edge": {"address", "ca_file"}, "cloudflare": {...}, "moto": {...},
   "dataplane": {...}, "upstream": {...}, "origin_map": PATH, "dir": DIR, "zone", "region"}
where `env` holds what to export so that flarelink, boto3 and Cloudflare's official SDK reach
the stand-ins, and serves until its standard input closes, SIGTERM, or Ctrl-C; then stops every
part and removes its directory (which holds only public certificates and the origin map).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
STARTUP_SECONDS = 90


class Child:
    """A stand-in process that announces itself with one JSON line and serves until stdin closes."""

    def __init__(self, name: str, argv: list[str], log_path: str, env=None):
        self.name = name
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env
        )

    def announce(self) -> dict:
        result: dict = {}

        def read():
            line = self.proc.stdout.readline()
            try:
                result["line"] = json.loads(line)
            except ValueError:
                result["error"] = f"unexpected first line {line!r}"

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(STARTUP_SECONDS)
        if "line" not in result:
            why = result.get("error") or f"no announcement within {STARTUP_SECONDS} s"
            raise RuntimeError(f"{self.name} did not start: {why} (log: {self.log.name})")
        # Keep draining stdout so a chatty child never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        return result["line"]

    def stop(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def write_json_atomically(path: str, doc) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emulator-bin", required=True, help="the cloudflare-emulator binary")
    parser.add_argument("--zone", action="append", help="Cloudflare zone to seed (repeatable; default example.com)")
    parser.add_argument("--region", default="us-east-1", help="AWS region (default us-east-1)")
    parser.add_argument("--ssl-mode", default="flexible", help="the zones' initial SSL/TLS mode (Cloudflare's default: flexible)")
    parser.add_argument("--acm-validation-wait", type=int, help="seconds after which moto issues a requested ACM certificate (MOTO_ACM_VALIDATION_WAIT; moto's default is 60)")
    parser.add_argument("--dir", help="where to put the logs, certificates (public) and the origin map (default: a temporary directory, removed at exit)")
    args = parser.parse_args()
    zones = args.zone or ["example.com"]

    own_dir = args.dir is None
    work = args.dir or tempfile.mkdtemp(prefix="flarelink-standins-")
    os.makedirs(work, exist_ok=True)
    origin_map = os.path.join(work, "origin-map.json")
    write_json_atomically(origin_map, {})
    token = "standins-" + secrets.token_hex(16)
    # The stand-in public CA behind ACM-issued certificates (moto_launcher.py), trusted by the
    # edge in Full (strict) as Cloudflare trusts publicly trusted roots.
    public_ca = os.path.join(work, "acm-public-ca.pem")

    children: list[Child] = []
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["PYTHONUNBUFFERED"] = "1"
        if args.acm_validation_wait is not None:
            env["MOTO_ACM_VALIDATION_WAIT"] = str(args.acm_validation_wait)
        moto = Child(
            "moto",
            [sys.executable, os.path.join(HERE, "moto_launcher.py"), "--dataplane",
             "--origin-map", origin_map, "--ca-out", os.path.join(work, "aws-local-ca.pem"),
             "--public-ca-out", public_ca, "--region", args.region],
            os.path.join(work, "moto.log"),
            env,
        )
        children.append(moto)
        aws = moto.announce()
        upstream = aws["upstream"]
        entries = {f"*.execute-api.{args.region}.amazonaws.com": {"https": aws["dataplane"]["https"]}}
        for name in upstream["names"]:
            entries[name] = {"https": upstream["https"], "http": upstream["http"]}
        write_json_atomically(origin_map, entries)

        argv = [args.emulator_bin, "--listen", "127.0.0.1:0", "--token", token,
                "--ssl-mode", args.ssl_mode, "--ca-out", os.path.join(work, "origin-ca-root.pem"),
                "--edge", "--edge-listen", "127.0.0.1:0", "--edge-ca-out", os.path.join(work, "edge-ca.pem"),
                "--origin-map", origin_map, "--edge-public-roots", public_ca]
        for z in zones:
            argv += ["--zone", z]
        cloudflare = Child("cloudflare-emulator", argv, os.path.join(work, "cloudflare.log"))
        children.append(cloudflare)
        cf = cloudflare.announce()
        edge = cf.get("edge")
        if not edge or not edge.get("address"):
            raise RuntimeError(f"the Cloudflare emulator started without an edge: {cf}")

        base_url = cf["base_url"]
        line = {
            "env": {
                "AWS_ENDPOINT_URL": aws["endpoint"],
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": args.region,
                "AWS_DEFAULT_REGION": args.region,
                "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
                "CLOUDFLARE_API_BASE": base_url,  # flarelink
                "CLOUDFLARE_BASE_URL": base_url.rstrip("/"),  # Cloudflare's official SDKs
                "CLOUDFLARE_API_TOKEN": token,
            },
            "edge": {"address": edge["address"], "ca_file": edge.get("ca_file")},
            "cloudflare": {
                "base_url": base_url,
                "zones": cf.get("zones"),
                "origin_ca_root": cf.get("ca_pem"),
            },
            "moto": {"endpoint": aws["endpoint"], "public_ca": public_ca},
            "dataplane": aws["dataplane"],
            "upstream": upstream,
            "origin_map": origin_map,
            "dir": work,
            "zones": zones,
            "region": args.region,
        }
        print(json.dumps(line), flush=True)

        def watch_stdin():
            try:
                while sys.stdin.buffer.read1(4096):
                    pass
            except Exception:
                pass
            stop.set()

        if not sys.stdin.isatty():
            threading.Thread(target=watch_stdin, daemon=True).start()
        while not stop.is_set():
            for child in children:
                if child.proc.poll() is not None:
                    print(f"standins: {child.name} exited ({child.proc.returncode}); see {child.log.name}", file=sys.stderr)
                    stop.set()
            stop.wait(0.5)
        return 0
    except Exception as e:
        print(f"standins: {e}", file=sys.stderr)
        for child in children:
            try:
                with open(child.log.name, "rb") as f:
                    sys.stderr.write(f.read()[-4000:].decode("utf-8", "replace"))
            except OSError:
                pass
        return 1
    finally:
        for child in reversed(children):
            child.stop()
        if own_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
