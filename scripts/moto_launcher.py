"""Start moto's standalone server on a free loopback port for flarelink's tests and demo.

Prints one JSON line, {"endpoint": "http://127.0.0.1:PORT"}, once the server listens, then
serves until its standard input closes (so it never outlives the process that started it) or
it receives SIGTERM/SIGINT.

Two deliberate departures from stock moto, both to make it answer as AWS does:
  * GetBasePathMapping(s) on a domain that never had a mapping raises KeyError inside moto
    (HTTP 500); AWS answers NotFound / an empty list. The mappings table becomes a defaultdict
    so flarelink's own NotFound handling is what gets exercised.
  * Optional, off unless FLARELINK_MOTO_DOMAIN_QUOTA_SECONDS is set: API Gateway's per-account
    quota of one CreateDomainName/DeleteDomainName per 30 s. Within the window, those calls
    answer 429 TooManyRequestsException with a Retry-After header, as AWS does, so the retry
    path is proved against a real throttle rather than assumed. Tests use a short window.
"""

import collections
import json
import os
import signal
import sys
import threading
import time


def patch_base_path_mappings() -> None:
    from moto.apigateway.models import APIGatewayBackend

    original_init = APIGatewayBackend.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.base_path_mappings = collections.defaultdict(dict)

    APIGatewayBackend.__init__ = init


def patch_domain_quota(window_seconds: float) -> None:
    from moto.apigateway.exceptions import ApiGatewayException
    from moto.apigateway.models import APIGatewayBackend

    class TooManyRequestsException(ApiGatewayException):
        code = 429

        def __init__(self, retry_after: int):
            super().__init__(
                "TooManyRequestsException",
                "Too Many Requests: CreateDomainName/DeleteDomainName allow one call per "
                f"{window_seconds:g} seconds per account",
            )
            self.retry_after = str(retry_after)

        def get_headers(self, *args, **kwargs):  # moto's JsonRESTError builds headers here
            headers = list(super().get_headers(*args, **kwargs))
            headers.append(("Retry-After", self.retry_after))
            return headers

    lock = threading.Lock()
    last_call: dict[str, float] = {}

    def throttled(name):
        original = getattr(APIGatewayBackend, name)

        def wrapper(self, *args, **kwargs):
            with lock:
                now = time.monotonic()
                previous = last_call.get(self.account_id)
                if previous is not None and now - previous < window_seconds:
                    wait = max(1, int(window_seconds - (now - previous) + 0.999))
                    raise TooManyRequestsException(wait)
                last_call[self.account_id] = now
            return original(self, *args, **kwargs)

        setattr(APIGatewayBackend, name, wrapper)

    throttled("create_domain_name")
    throttled("delete_domain_name")


def main() -> None:
    patch_base_path_mappings()
    quota = os.environ.get("FLARELINK_MOTO_DOMAIN_QUOTA_SECONDS")
    if quota:
        patch_domain_quota(float(quota))

    from moto.server import ThreadedMotoServer

    port = int(os.environ.get("FLARELINK_MOTO_PORT", "0"))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(json.dumps({"endpoint": f"http://{host}:{port}"}), flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_stdin():
        try:
            while sys.stdin.read(4096):
                pass
        except Exception:
            pass
        stop.set()

    if not sys.stdin.isatty():
        threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
