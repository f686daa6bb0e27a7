"""The origin map the stand-ins share instead of DNS.

A JSON file `{"<exact host or *.suffix>": {"https": "127.0.0.1:PORT", "http": "127.0.0.1:PORT"}}`
written by `scripts/standins`: the Cloudflare edge reads it to find a CNAME target (e.g.
`d-xxxx.execute-api.us-east-1.amazonaws.com`), the data plane to find an integration's upstream
(e.g. `pokeapi.co`). Nothing here ever asks the system resolver, so nothing leaves loopback.
The file is re-read whenever its modification time or size changes.
"""

from __future__ import annotations

import json
import os
import threading


class OriginMap:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._entries: dict[str, dict[str, str]] = {}

    def _load(self) -> dict[str, dict[str, str]]:
        if not self.path:
            return {}
        with self._lock:
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                self._entries, self._stamp = {}, None
                return self._entries
            stamp = (st.st_mtime, st.st_size)
            if stamp != self._stamp:
                try:
                    with open(self.path, encoding="utf-8") as f:
                        entries = json.load(f)
                    self._entries = {k.lower().rstrip("."): v for k, v in entries.items()}
                    self._stamp = stamp
                except (OSError, ValueError):
                    pass  # a half-written file: keep the previous entries, read again next time
            return self._entries

    def lookup(self, host: str) -> dict[str, str] | None:
        """The entry for `host`: an exact name first, then the longest matching `*.suffix`."""
        host = host.lower().rstrip(".")
        entries = self._load()
        if host in entries:
            return entries[host]
        best = None
        for pattern, entry in entries.items():
            if pattern.startswith("*.") and host.endswith(pattern[1:]) and host != pattern[2:]:
                if best is None or len(pattern) > len(best[0]):
                    best = (pattern, entry)
        return best[1] if best else None

    def address(self, host: str, scheme: str) -> tuple[str, int] | None:
        entry = self.lookup(host)
        if not entry or not entry.get(scheme):
            return None
        h, _, p = entry[scheme].rpartition(":")
        return h, int(p)
