"""The local upstream: what the guide's HTTP integration calls, on loopback.

It answers, by Host, for two names (both in its certificate from the local CA, both in the
origin map that `scripts/standins` writes):

* `pokeapi.co` — a stand-in for PokeAPI: `GET /api/v2/pokemon/ditto` (also `/132`, with or
  without a trailing slash) answers an abridged copy of PokeAPI's ditto document (the fields
  the guide's demo shows: id, name, height, weight, base experience, abilities, types, stats);
  any other Pokémon answers 404 `Not Found`, as PokeAPI does.
* `echo.flarelink.test` — for tests: any method and path answers 200 (or `?status=NNN`) with
  a JSON echo of what arrived — method, path, query, headers, body — so a test can prove what
  the data plane forwarded (path parameters, query string, headers).

Both are served over HTTPS and plain HTTP.
"""

from __future__ import annotations

import http.server
import json
import urllib.parse

from localtls import HTTPServer, LocalCA, server_context

POKEAPI_HOST = "pokeapi.co"
ECHO_HOST = "echo.flarelink.test"
NAMES = [POKEAPI_HOST, ECHO_HOST]


def _named(kind: str, name: str, number: int) -> dict:
    return {"name": name, "url": f"https://pokeapi.co/api/v2/{kind}/{number}/"}


DITTO = {
    "id": 132,
    "name": "ditto",
    "base_experience": 101,
    "height": 3,
    "weight": 40,
    "order": 214,
    "is_default": True,
    "abilities": [
        {"ability": _named("ability", "limber", 7), "is_hidden": False, "slot": 1},
        {"ability": _named("ability", "imposter", 150), "is_hidden": True, "slot": 3},
    ],
    "forms": [_named("pokemon-form", "ditto", 132)],
    "species": _named("pokemon-species", "ditto", 132),
    "types": [{"slot": 1, "type": _named("type", "normal", 1)}],
    "stats": [
        {"base_stat": 48, "effort": 1, "stat": _named("stat", name, i + 1)}
        for i, name in enumerate(
            ["hp", "attack", "defense", "special-attack", "special-defense", "speed"]
        )
    ],
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "flarelink-upstream"
    scheme = "https"

    def log_message(self, *args):  # quiet: the launcher's stderr is moto's request log
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        url = urllib.parse.urlsplit(self.path)
        if host == POKEAPI_HOST:
            path = url.path.rstrip("/")
            if self.command in ("GET", "HEAD") and path in ("/api/v2/pokemon/ditto", "/api/v2/pokemon/132"):
                self._send(200, json.dumps(DITTO).encode(), "application/json; charset=utf-8")
            else:
                self._send(404, b"Not Found", "text/plain; charset=utf-8")
            return
        if host == ECHO_HOST:
            query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
            status = int(query.get("status", ["200"])[0])
            doc = {
                "scheme": self.scheme,
                "method": self.command,
                "path": url.path,
                "query": query,
                "raw_query": url.query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            }
            self._send(status, json.dumps(doc).encode(), "application/json")
            return
        self._send(421, b"Misdirected Request", "text/plain")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class PlainHandler(Handler):
    scheme = "http"


def start(ca: LocalCA) -> dict[str, str]:
    """Starts HTTPS and HTTP listeners; returns their addresses."""
    cert, key = ca.issue(NAMES)
    context = server_context(cert, key)
    https = HTTPServer(Handler, lambda: context).start()
    plain = HTTPServer(PlainHandler).start()
    return {"https": https.address, "http": plain.address, "names": NAMES}
