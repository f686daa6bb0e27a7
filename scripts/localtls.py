"""TLS for the local stand-ins (the API Gateway data plane and the upstream), kept off disk.

* `LocalCA` is a throwaway certificate authority made at start-up (RSA 2048, `cryptography`,
  which moto already depends on). It stands in for the public CAs behind the certificates AWS
  serves on `*.execute-api.<region>.amazonaws.com` and PokeAPI serves on `pokeapi.co`. Its
  certificate (public) can be written out so that curl (`--cacert`) trusts those names; its
  private key and the leaves' keys live only in this process's memory.
* `server_context` builds an `ssl.SSLContext` from PEM held in memory. Python's `ssl` loads a
  certificate and key only from a path, so the PEM goes into an anonymous memory file
  (`memfd_create`, Linux) read back through `/proc/self/fd/N` and closed at once: the private
  key never touches a file system.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class LocalCA:
    """A certificate authority for loopback stand-ins; thread-safe leaf issuing, cached."""

    def __init__(self, common_name: str = "flarelink local stand-in CA") -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.datetime.now(datetime.timezone.utc)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, key_cert_sign=True, crl_sign=True,
                    content_commitment=False, key_encipherment=False, data_encipherment=False,
                    key_agreement=False, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        self._lock = threading.Lock()
        self._leaves: dict[tuple[str, ...], tuple[bytes, bytes]] = {}

    @property
    def cert_pem(self) -> bytes:
        return self._cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, names: list[str]) -> tuple[bytes, bytes]:
        """(certificate PEM, private key PEM) for `names` (DNS names; wildcards allowed)."""
        key_id = tuple(names)
        with self._lock:
            if key_id in self._leaves:
                return self._leaves[key_id]
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            now = datetime.datetime.now(datetime.timezone.utc)
            sans: list[x509.GeneralName] = []
            for n in names:
                try:
                    sans.append(x509.IPAddress(ipaddress.ip_address(n)))
                except ValueError:
                    sans.append(x509.DNSName(n))
            cert = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
                .issuer_name(self._cert.subject)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                    critical=False,
                )
                .sign(self._key, hashes.SHA256())
            )
            leaf = (cert.public_bytes(serialization.Encoding.PEM), _pem_key(key))
            self._leaves[key_id] = leaf
            return leaf

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA only (and checks host names)."""
        ctx = ssl.create_default_context(cadata=self.cert_pem.decode())
        return ctx


def server_context(cert_and_chain_pem: bytes, key_pem: bytes) -> ssl.SSLContext:
    """A TLS 1.2+ server context for a certificate (with its chain) and key held in memory."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    fd = os.memfd_create("flarelink-tls", os.MFD_CLOEXEC)
    try:
        os.write(fd, cert_and_chain_pem.rstrip(b"\n") + b"\n" + key_pem)
        ctx.load_cert_chain(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)
    return ctx


class HTTPServer:
    """A threaded HTTP/1.1 server on loopback, TLS optional, with the handshake done in the
    request's own thread (a slow or broken client never stalls the accept loop).

    `context_for_handshake()` returns the server context to start each handshake with (SNI
    callbacks may switch it); `None` serves plain HTTP.
    """

    def __init__(self, handler_class, context_factory=None, port: int = 0) -> None:
        import http.server
        import socketserver

        outer = self

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def finish_request(self, request, client_address):
                if context_factory is not None:
                    request.settimeout(10)
                    try:
                        request = context_factory().wrap_socket(request, server_side=True)
                    except (ssl.SSLError, OSError):
                        try:
                            request.close()
                        except OSError:
                            pass
                        return
                    request.settimeout(None)
                outer.handler_class(request, client_address, self)

            def handle_error(self, request, client_address):
                pass  # a client that went away is not an error worth a traceback

        self.handler_class = handler_class
        self.server = Server(("127.0.0.1", port), handler_class, bind_and_activate=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> "HTTPServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
