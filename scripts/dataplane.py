"""The API Gateway (REST, v1) data plane for flarelink's local run, inside the moto launcher.

moto emulates API Gateway's control plane only: in server mode a deployed API cannot be invoked,
no authorizer is enforced and base paths are ignored (moto's own APIGatewayBackend docstring says
its invocation mock "only works when using the decorators, not in ServerMode"). This module
serves what a request to API Gateway meets, reading moto's state directly from inside the
launcher's process rather than through moto's API, because:

* the certificate a custom domain serves is an *imported* ACM certificate, and ACM's
  ExportCertificate refuses imported certificates — only the process holding moto's state has
  its private key (which therefore never leaves memory: see localtls.server_context);
* what a stage serves is what its deployment snapshotted, which moto does not keep. The
  launcher records a snapshot of the API (resources, methods, integrations, authorizers,
  disableExecuteApiEndpoint) at every CreateDeployment (`patch_deployment_snapshots`), so an
  authorizer added without a redeploy is not enforced — as on AWS.

What it does (each point as AWS documents it; sources in the README and below):

* TLS by SNI: the regional custom domain named by SNI serves its ACM certificate with the
  chain that was imported (an ACM-issued one: with the chain ACM reports, the launcher's
  stand-in public CA); `{api-id}.execute-api.{region}.amazonaws.com` and any unknown name
  serve a `*.execute-api.{region}.amazonaws.com` certificate from the local CA (AWS's
  knowledge-center article "Why was the wrong certificate returned when invoking my API Gateway
  custom domain name?" shows the execute-api certificate coming back for a name API Gateway
  does not know).
* Routing by Host: an unknown host → 403 {"message":"Forbidden"}; on a custom domain the longest
  matching base-path mapping, else `(none)`, with the base path stripped (AWS knowledge center:
  "troubleshoot 403 missing authentication token errors ... custom domain name"); on the
  default endpoint the first path segment is the stage. Then the deployed resource: literal
  segments before `{param}` before `{proxy+}`; the method, else ANY; nothing → 403
  {"message":"Missing Authentication Token"}.
* The Cognito user-pool authorizer (COGNITO_USER_POOLS): the token from the identity-source
  header; missing → 401 {"message":"Unauthorized"}; not a JWT, not RS256, a signature the pool's
  key does not verify, an `iss` that is none of the authorizer's providerARNs pools (moto signs
  every pool with one key, so the issuer is what tells pools apart), the wrong `token_use` →
  401 Unauthorized; expired → 401 {"message":"The incoming token has expired"} (reported from
  real API Gateway, e.g. aws-amplify/amplify-js#6060). No scopes on the method → an ID token;
  scopes → an access token whose `scope` holds one of them (AWS knowledge center
  "api-gateway-cognito-401-unauthorized": "If you didn't configure any scopes on the API
  Gateway method, then make sure that you use a valid ID token. If you configure additional
  scopes on the method, then make sure that you use a valid access token.").
* HTTP_PROXY integrations: method (the integration's, or the request's for ANY), path
  parameters through the integration's requestParameters, the query string and headers passed
  through; the upstream host is looked up in the origin map (never DNS). Answers carry
  `x-amzn-RequestId` and `x-amz-apigw-id`; gateway errors also `x-amzn-ErrorType`.
* A test-only clock offset (admin endpoint `PUT /clock`), so that an expired token can be
  shown without waiting an hour.
* Mutual TLS on a custom domain whose `mutualTlsAuthentication` the launcher recorded: the
  handshake asks for a client certificate and verifies it against the truststore read at
  Create/UpdateDomainName (AWS: "API Gateway looks for the client certificate's issuer in your
  truststore"); no certificate → 403 {"message":"Forbidden"}; one that does not chain to the
  truststore, or has expired → the handshake fails (AWS's guide: "fail the TLS handshake and
  deny the request with a 403"; Python's ssl cannot take an unverified certificate and answer
  403 afterwards). Domains without it: no certificate asked, unchanged.
* The default endpoint answers 403 {"message":"Forbidden"} when the deployed snapshot has
  `disableExecuteApiEndpoint` (AWS: "you must deploy your API for the change to take effect").

Not emulated (answered as noted, and listed in the README): Lambda/IAM authorizers' checks,
API keys and usage plans, throttling, caching, WAF, mapping templates and non-proxy
integrations, request validators, gateway-response customisation, resource policies;
mutual TLS's certificate forwarding to Lambda authorizers and integrations.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import http.server
import json
import re
import secrets
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

from localtls import HTTPServer, LocalCA, server_context
from originmap import OriginMap

EXECUTE_API_HOST = re.compile(r"^([a-z0-9]{10})\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")
# Hop-by-hop headers (RFC 9110 §7.6.1) are never forwarded either way.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
# Integration response headers API Gateway (REST) renames to x-amzn-Remapped-<name> rather than
# pass through (API Gateway's "Amazon API Gateway important notes for REST APIs"; a subset).
REMAPPED = {"authorization", "connection", "date", "server", "www-authenticate"}
INTEGRATION_TIMEOUT_SECONDS = 29.0


# --------------------------------------------------------------------------- deployment snapshots


def snapshot_api(api) -> dict:
    """What a deployment serves: the API's resources, methods, integrations and authorizers."""
    resources = []
    for res in list(api.resources.values()):
        methods = {}
        for verb, m in list(res.resource_methods.items()):
            integ = m.method_integration
            methods[verb.upper()] = {
                "authorizationType": (m.authorization_type or "NONE").upper(),
                "authorizerId": m.authorizer_id,
                "authorizationScopes": list(m.authorization_scopes or []),
                "apiKeyRequired": bool(m.api_key_required),
                "integration": None
                if integ is None
                else {
                    "type": (integ.integration_type or "").upper(),
                    "uri": integ.uri,
                    "httpMethod": integ.http_method,
                    "requestParameters": dict(integ.request_parameters or {}),
                    "timeoutInMillis": integ.timeout_in_millis,
                },
            }
        resources.append({"id": res.id, "path": res.get_path(), "methods": methods})
    authorizers = {
        a.id: {
            "type": (a.type or "").upper(),
            "providerARNs": list(a.provider_arns or []),
            "identitySource": a.identity_source,
            "identityValidationExpression": a.identity_validation_expression,
        }
        for a in list(api.authorizers.values())
    }
    return {
        "resources": resources,
        "authorizers": authorizers,
        "disableExecuteApiEndpoint": bool(getattr(api, "disableExecuteApiEndpoint", False)),
        "taken_at": time.time(),
    }


def patch_deployment_snapshots() -> None:
    """Records, on every deployment moto creates, the snapshot AWS would serve from it."""
    from moto.apigateway.models import RestAPI

    original = RestAPI.create_deployment

    def create_deployment(self, name, description, stage_variables=None):
        snap = snapshot_api(self)
        deployment = original(self, name, description, stage_variables)
        deployment.flarelink_snapshot = snap
        return deployment

    RestAPI.create_deployment = create_deployment


# --------------------------------------------------------------------------------- moto's state


def _each_backend(backend_dict):
    """(account, region, backend) for every backend moto has created (none are created here)."""
    for account, per_region in list(dict.items(backend_dict)):
        for region, backend in list(dict.items(per_region)):
            yield account, region, backend


def _retrying(fn):
    """moto's dicts change under us while other threads serve its API: read again if so."""
    for _ in range(5):
        try:
            return fn()
        except RuntimeError:  # dictionary changed size during iteration
            time.sleep(0.01)
    return fn()


def find_domain(host: str):
    """(account, region, APIGatewayBackend, DomainName) of a custom domain named `host`."""
    from moto.apigateway.models import apigateway_backends

    def look():
        for account, region, backend in _each_backend(apigateway_backends):
            domain = backend.domain_names.get(host)
            if domain is not None:
                return account, region, backend, domain
        return None

    return _retrying(look)


def find_rest_api(api_id: str, region: str):
    from moto.apigateway.models import apigateway_backends

    def look():
        for _account, r, backend in _each_backend(apigateway_backends):
            if r == region and api_id in backend.apis:
                return backend.apis[api_id]
        return None

    return _retrying(look)


def find_certificate(arn: str):
    """moto's CertBundle for an ACM ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."""
    from moto.acm.models import acm_backends

    parts = (arn or "").split(":")
    if len(parts) < 6 or parts[2] != "acm":
        return None
    region, account = parts[3], parts[4]
    per_account = dict.get(acm_backends, account)
    backend = dict.get(per_account, region) if per_account is not None else None
    if backend is None:
        return None
    return backend._certificates.get(arn)


def find_user_pool(region: str, pool_id: str):
    from moto.cognitoidp.models import cognitoidp_backends

    def look():
        for _account, r, backend in _each_backend(cognitoidp_backends):
            if r == region and pool_id in backend.user_pools:
                return backend.user_pools[pool_id]
        return None

    return _retrying(look)


def imported_chain(bundle) -> bytes:
    """The chain as imported: moto appends a fake Amazon root to whatever was imported."""
    from moto.acm.models import AWS_ROOT_CA

    chain = bundle.chain or b""
    pems = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", chain, re.S)
    aws_root = AWS_ROOT_CA.strip()
    return b"\n".join(p for p in pems if p.strip() != aws_root)


def served_chain(bundle) -> bytes:
    """The chain a domain serves after its certificate: for an ACM-issued (AMAZON_ISSUED)
    certificate the chain ACM reports (the launcher's stand-in public CA, see
    moto_launcher.patch_acm_issued_by_public_ca), as AWS serves the intermediates up to Amazon's
    roots; for an imported one the chain as imported."""
    if bundle.type == "AMAZON_ISSUED":
        pems = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", bundle.chain or b"", re.S)
        return b"\n".join(pems)
    return imported_chain(bundle)


# ------------------------------------------------------------------------------------- answers


class Answer:
    def __init__(self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None):
        self.status = status
        self.body = body
        self.headers = headers or []


def gateway_error(status: int, message: str | None, error_type: str) -> Answer:
    """A gateway response in API Gateway's default shape: {"message": ...} and its error type."""
    return Answer(
        status,
        json.dumps({"message": message}).encode(),
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)],
    )


def forbidden() -> Answer:
    return gateway_error(403, "Forbidden", "ForbiddenException")


def missing_token() -> Answer:
    return gateway_error(403, "Missing Authentication Token", "MissingAuthenticationTokenException")


def unauthorized() -> Answer:
    return gateway_error(401, "Unauthorized", "UnauthorizedException")


def expired() -> Answer:
    return gateway_error(401, "The incoming token has expired", "UnauthorizedException")


def internal_error() -> Answer:
    return gateway_error(500, "Internal server error", "InternalServerErrorException")


# -------------------------------------------------------------------------------------- routing


class Route:
    def __init__(self, api, stage_name: str, segments: list[str], region: str):
        self.api = api
        self.stage_name = stage_name
        self.segments = segments
        self.region = region


def split_path(raw_path: str) -> tuple[list[str], str]:
    url = urllib.parse.urlsplit(raw_path)
    segments = [urllib.parse.unquote(s) for s in url.path.split("/") if s != ""]
    return segments, url.query


def match_base_path(mappings: dict, segments: list[str]):
    """The mapping for `segments`: the longest base path that prefixes them, else `(none)`."""
    best = None
    for base_path, mapping in list(mappings.items()):
        if base_path == "(none)":
            continue
        parts = [p for p in base_path.split("/") if p]
        if parts and segments[: len(parts)] == parts and (best is None or len(parts) > len(best[0])):
            best = (parts, mapping)
    if best is not None:
        return best[1], segments[len(best[0]) :]
    if "(none)" in mappings:
        return mappings["(none)"], segments
    return None, segments


def route(host: str, segments: list[str]):
    """A Route, or an Answer (403 Forbidden) when API Gateway would not know where to go."""
    m = EXECUTE_API_HOST.match(host)
    if m:
        api_id, region = m.group(1), m.group(2)
        api = find_rest_api(api_id, region)
        if api is None or not segments:
            return forbidden()
        return Route(api, segments[0], segments[1:], region)
    found = find_domain(host)
    if found is None:
        return forbidden()
    _account, region, backend, domain = found
    types = (domain.endpoint_configuration or {}).get("types") or []
    if types and "REGIONAL" not in types:
        return forbidden()  # an edge-optimized domain is served by CloudFront, not here
    mapping, rest = match_base_path(dict(backend.base_path_mappings.get(host) or {}), segments)
    if mapping is None:
        return forbidden()
    api = backend.apis.get(mapping.rest_api_id)
    if api is None:
        return forbidden()
    stage = mapping.stage
    if not stage:  # a mapping without a stage: the stage is the next path segment
        if not rest:
            return forbidden()
        stage, rest = rest[0], rest[1:]
    return Route(api, stage, rest, region)


def deployed(route_: Route):
    """The snapshot the route's stage serves, or None when the stage is not deployed."""
    stage = route_.api.stages.get(route_.stage_name)
    if stage is None or not stage.deployment_id:
        return None
    deployment = route_.api.deployments.get(stage.deployment_id)
    if deployment is None:
        return None
    snap = getattr(deployment, "flarelink_snapshot", None)
    # A deployment made before the launcher recorded snapshots: serve the live API (README gap).
    return snap if snap is not None else snapshot_api(route_.api)


def _template_kind(part: str) -> int:
    if part.startswith("{") and part.endswith("+}"):
        return 2
    if part.startswith("{") and part.endswith("}"):
        return 1
    return 0


def match_resource(resources: list[dict], segments: list[str]):
    """(resource, path parameters) for `segments`: literal beats {param} beats {proxy+}."""
    best = None
    for res in resources:
        template = [p for p in res["path"].split("/") if p]
        params: dict[str, str] = {}
        rank: list[int] = []
        i = 0
        ok = True
        for j, part in enumerate(template):
            kind = _template_kind(part)
            if kind == 2:
                if j != len(template) - 1 or i >= len(segments):
                    ok = False
                else:
                    params[part[1:-2]] = "/".join(segments[i:])
                    rank.append(2)
                    i = len(segments)
                break
            if i >= len(segments):
                ok = False
                break
            if kind == 1:
                params[part[1:-1]] = segments[i]
            elif part != segments[i]:
                ok = False
                break
            rank.append(kind)
            i += 1
        if ok and i == len(segments) and (best is None or rank < best[0]):
            best = (rank, res, params)
    return (best[1], best[2]) if best else (None, {})


# -------------------------------------------------------------------------------- authorization


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def pool_issuers(provider_arns: list[str]) -> dict[str, tuple[str, str]]:
    """iss → (region, pool id) for arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>."""
    issuers = {}
    for arn in provider_arns:
        parts = arn.split(":")
        if len(parts) >= 6 and parts[2] == "cognito-idp" and parts[5].startswith("userpool/"):
            region, pool_id = parts[3], parts[5][len("userpool/") :]
            issuers[f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"] = (region, pool_id)
    return issuers


def check_cognito_token(token: str, authorizer: dict, scopes: list[str], now: float) -> Answer | None:
    """None when API Gateway's Cognito authorizer would let `token` through, else its 401."""
    from joserfc import jwt
    from joserfc.errors import JoseError

    expression = authorizer.get("identityValidationExpression")
    if expression and not re.fullmatch(expression, token):
        return unauthorized()
    parts = token.split(".")
    if len(parts) != 3:
        return unauthorized()
    try:
        header = json.loads(_b64url(parts[0]))
        claims = json.loads(_b64url(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return unauthorized()
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "RS256":
        return unauthorized()
    found = pool_issuers(authorizer.get("providerARNs") or []).get(claims.get("iss"))
    if found is None:
        return unauthorized()  # another pool's token (same key in moto: the issuer decides)
    pool = find_user_pool(*found)
    if pool is None:
        return unauthorized()
    key = pool.json_web_key
    if header.get("kid") != key.kid:
        return unauthorized()
    try:
        jwt.decode(token, key, algorithms=["RS256"])
    except (JoseError, ValueError):
        return unauthorized()
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp <= now:
        return expired()
    if not scopes:
        return None if claims.get("token_use") == "id" else unauthorized()
    granted = set(str(claims.get("scope") or "").split())
    if claims.get("token_use") != "access" or not granted.intersection(scopes):
        return unauthorized()
    return None


def identity_header(identity_source: str | None) -> str:
    source = (identity_source or "method.request.header.Authorization").split(",")[0].strip()
    prefix = "method.request.header."
    return source[len(prefix) :] if source.startswith(prefix) else "Authorization"


# ---------------------------------------------------------------------------------- integration


def _mapped_value(expression: str, path_params: dict, query: dict, headers) -> str | None:
    if expression.startswith("'") and expression.endswith("'") and len(expression) >= 2:
        return expression[1:-1]
    for prefix, source in (
        ("method.request.path.", path_params),
        ("method.request.querystring.", {k: v[0] for k, v in query.items()}),
    ):
        if expression.startswith(prefix):
            return source.get(expression[len(prefix) :])
    if expression.startswith("method.request.header."):
        return headers.get(expression[len("method.request.header.") :])
    return None


class Upstream(http.client.HTTPSConnection):
    """An HTTPS connection to `host` (SNI and certificate check) at an address from the map."""

    def __init__(self, host, address, context, timeout):
        super().__init__(host, address[1], context=context, timeout=timeout)
        self._address = address

    def connect(self):
        sock = socket.create_connection(self._address, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class PlainUpstream(http.client.HTTPConnection):
    def __init__(self, host, address, timeout):
        super().__init__(host, address[1], timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection(self._address, self.timeout)


# ----------------------------------------------------------------------------------- mutual TLS


def mutual_tls_domain(name: str):
    """The custom domain `name` when it requires mutual TLS (the launcher's patch keeps the
    truststore it read at CreateDomainName/UpdateDomainName), else None."""
    found = find_domain(name) if name else None
    if found is None:
        return None
    domain = found[3]
    if getattr(domain, "mutual_tls_authentication", None) and getattr(domain, "flarelink_truststore_pem", None):
        return domain
    return None


def truststore_fingerprint(domain) -> str:
    return hashlib.sha256(domain.flarelink_truststore_pem).hexdigest()


def client_hello_server_name(sock, timeout: float = 10.0):
    """The SNI of the ClientHello waiting on `sock`, read without consuming it (MSG_PEEK);
    None when there is none or it is not TLS.

    Why not the SNI callback: OpenSSL's SSL_set_SSL_CTX (what switching `sslsock.context` in a
    callback does) keeps the first context's verify mode, so a context that asks for a client
    certificate has to be the one the handshake starts with. The ClientHello is parsed by
    OpenSSL itself, in a throw-away server object over a memory BIO whose SNI callback records
    the name and stops it."""
    probe = _hello_probe_context()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = sock.recv(16389, socket.MSG_PEEK)
        except (OSError, socket.timeout):
            return None
        if not data:
            return None
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = probe.wrap_bio(incoming, outgoing, server_side=True)
        incoming.write(data)
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass  # the ClientHello is not all here yet
        except ssl.SSLError:
            pass  # stopped by the callback, or not TLS at all
        if hasattr(obj, "flarelink_sni"):
            return obj.flarelink_sni
        if len(data) >= 16389 or not _incomplete(data):
            return None
        time.sleep(0.005)
    return None


def _incomplete(data: bytes) -> bool:
    """Whether `data` is the start of a TLS handshake record that has not fully arrived."""
    if len(data) < 5:
        return True
    return data[0] == 0x16 and len(data) < 5 + int.from_bytes(data[3:5], "big")


_HELLO_PROBE = None


def _hello_probe_context() -> ssl.SSLContext:
    global _HELLO_PROBE
    if _HELLO_PROBE is None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)

        def record(obj, server_name, _ctx):
            obj.flarelink_sni = (server_name or "").lower().rstrip(".") or None
            return ssl.ALERT_DESCRIPTION_INTERNAL_ERROR  # the probe's work is done

        ctx.sni_callback = record
        _HELLO_PROBE = ctx
    return _HELLO_PROBE


class TlsRouter:
    """What the HTTPS listener wraps each connection with: a custom domain that requires mutual
    TLS gets its own context (its certificate, and a request for a client certificate verified
    against its truststore); everything else the SNI-switching base context, as before."""

    def __init__(self, plane: "DataPlane", base: ssl.SSLContext):
        self.plane = plane
        self.base = base

    def wrap_socket(self, sock, server_side=True):
        name = client_hello_server_name(sock)
        domain = mutual_tls_domain(name) if name else None
        ctx = self.plane.mutual_tls_context(name, domain) if domain is not None else None
        if ctx is None:
            return self.base.wrap_socket(sock, server_side=server_side)
        tls = ctx.wrap_socket(sock, server_side=server_side)
        tls.flarelink_mtls = (name, truststore_fingerprint(domain))
        return tls


# ------------------------------------------------------------------------------------ the server


class DataPlane:
    def __init__(self, ca: LocalCA, origin_map: OriginMap, default_region: str = "us-east-1"):
        self.ca = ca
        self.origin_map = origin_map
        self.default_region = default_region
        self.clock_offset = 0.0
        self._lock = threading.Lock()
        self._contexts: dict[str, ssl.SSLContext] = {}
        self.upstream_tls = ca.client_context()
        self.log = bool(__import__("os").environ.get("FLARELINK_DATAPLANE_LOG"))

    def now(self) -> float:
        return time.time() + self.clock_offset

    # ---- TLS

    def _cached_context(self, key: str, build) -> ssl.SSLContext:
        with self._lock:
            ctx = self._contexts.get(key)
        if ctx is None:
            ctx = build()
            with self._lock:
                self._contexts[key] = ctx
        return ctx

    def execute_api_context(self, region: str) -> ssl.SSLContext:
        def build():
            cert, key = self.ca.issue([f"*.execute-api.{region}.amazonaws.com"])
            return server_context(cert, key)

        return self._cached_context(f"execute-api:{region}", build)

    def context_for(self, server_name: str | None) -> ssl.SSLContext:
        name = (server_name or "").lower().rstrip(".")
        m = EXECUTE_API_HOST.match(name)
        if m:
            return self.execute_api_context(m.group(2))
        found = find_domain(name) if name else None
        if found is not None:
            domain = found[3]
            arn = domain.regional_certificate_arn or domain.certificate_arn
            bundle = find_certificate(arn) if arn else None
            if bundle is not None:
                chain = served_chain(bundle)
                material = bundle.cert.strip() + b"\n" + chain
                # Keyed by content, so a re-import (rotation in place) serves the new certificate.
                fingerprint = hashlib.sha256(material + bundle.key).hexdigest()
                return self._cached_context(
                    f"acm:{arn}:{fingerprint}", lambda: server_context(material, bundle.key)
                )
        # A name API Gateway does not know, or a domain whose certificate ACM does not hold.
        return self.execute_api_context(self.default_region)

    def base_context(self) -> ssl.SSLContext:
        ctx = server_context(*self.ca.issue([f"*.execute-api.{self.default_region}.amazonaws.com"]))

        def pick(sslsock, server_name, _ctx):
            try:
                sslsock.context = self.context_for(server_name)
            except Exception as e:  # never kill the handshake thread without a word
                print(f"dataplane: TLS for {server_name!r}: {e}", file=sys.stderr)
            return None

        ctx.sni_callback = pick
        return ctx

    def mutual_tls_context(self, name: str, domain) -> ssl.SSLContext | None:
        """The domain's serving context that asks for a client certificate and verifies it
        against the truststore (the whole chain up to a root must be in it, as AWS requires).
        The certificate is optional in the handshake: without one the request gets 403."""
        arn = domain.regional_certificate_arn or domain.certificate_arn
        bundle = find_certificate(arn) if arn else None
        if bundle is None:
            return None
        material = bundle.cert.strip() + b"\n" + served_chain(bundle)
        key = hashlib.sha256(material + bundle.key + domain.flarelink_truststore_pem).hexdigest()

        def build():
            ctx = server_context(material, bundle.key)
            ctx.verify_mode = ssl.CERT_OPTIONAL
            ctx.load_verify_locations(cadata=domain.flarelink_truststore_pem.decode("ascii", "replace"))
            return ctx

        return self._cached_context(f"mtls:{name}:{key}", build)

    def mutual_tls_refusal(self, headers, connection) -> Answer | None:
        """403 Forbidden for a request to a domain that requires mutual TLS unless this
        connection presented a client certificate that its current truststore verified (AWS:
        untrusted, expired or missing certificates are denied with 403; the knowledge-center
        article "api-gateway-mutual-tls-403-errors"). A certificate that does not verify never
        gets this far: the handshake itself fails (see the README)."""
        host = (headers.get("Host") or "").strip().lower().rstrip(".")
        if ":" in host:
            host = host.rsplit(":", 1)[0]
        domain = mutual_tls_domain(host)
        if domain is None:
            return None
        verified = getattr(connection, "flarelink_mtls", None) == (host, truststore_fingerprint(domain))
        if not verified or not connection.getpeercert():
            return forbidden()
        return None

    # ---- requests

    def handle(self, method: str, raw_path: str, headers, body: bytes, client_ip: str) -> Answer:
        host = (headers.get("Host") or "").strip().lower().rstrip(".")
        if ":" in host:
            host = host.rsplit(":", 1)[0]
        segments, query_string = split_path(raw_path)
        found = route(host, segments)
        if isinstance(found, Answer):
            return found
        snapshot = deployed(found)
        if snapshot is None:
            return forbidden()
        if EXECUTE_API_HOST.match(host) and snapshot["disableExecuteApiEndpoint"]:
            return forbidden()
        resource, path_params = match_resource(snapshot["resources"], found.segments)
        if resource is None:
            return missing_token()
        method_cfg = resource["methods"].get(method.upper()) or resource["methods"].get("ANY")
        if method_cfg is None:
            return missing_token()
        denied = self.authorize(method_cfg, snapshot, headers)
        if denied is not None:
            return denied
        return self.integrate(method_cfg, method, path_params, query_string, headers, body, client_ip, found)

    def authorize(self, method_cfg: dict, snapshot: dict, headers) -> Answer | None:
        kind = method_cfg["authorizationType"]
        if kind == "NONE":
            return None
        if kind == "AWS_IAM":
            # SigV4 is not checked here (README): an unsigned call meets AWS's own answer.
            return missing_token()
        if kind != "COGNITO_USER_POOLS":
            return gateway_error(500, None, "AuthorizerConfigurationException")  # Lambda: not emulated
        authorizer = snapshot["authorizers"].get(method_cfg["authorizerId"])
        if authorizer is None or authorizer["type"] != "COGNITO_USER_POOLS":
            return gateway_error(500, None, "AuthorizerConfigurationException")
        token = (headers.get(identity_header(authorizer["identitySource"])) or "").strip()
        if not token:
            return unauthorized()
        return check_cognito_token(token, authorizer, method_cfg["authorizationScopes"], self.now())

    def integrate(self, method_cfg, method, path_params, query_string, headers, body, client_ip, route_) -> Answer:
        integ = method_cfg["integration"]
        if integ is None or integ["type"] != "HTTP_PROXY":
            # Only HTTP_PROXY is emulated (README); others answer as a misconfigured API does.
            return internal_error()
        query = urllib.parse.parse_qs(query_string, keep_blank_values=True)
        path_subs: dict[str, str] = {}
        extra_query: list[tuple[str, str]] = []
        extra_headers: list[tuple[str, str]] = []
        for target, expression in (integ["requestParameters"] or {}).items():
            value = _mapped_value(expression, path_params, query, headers)
            if value is None:
                continue
            if target.startswith("integration.request.path."):
                path_subs[target[len("integration.request.path.") :]] = value
            elif target.startswith("integration.request.querystring."):
                extra_query.append((target[len("integration.request.querystring.") :], value))
            elif target.startswith("integration.request.header."):
                extra_headers.append((target[len("integration.request.header.") :], value))

        def substitute(m):
            name = m.group(1)
            if name not in path_subs:
                return m.group(0)  # unmapped: left as written, as the integration URI says
            # A {proxy+} value keeps its slashes; a {param} value cannot hold one.
            return urllib.parse.quote(path_subs[name], safe="/")

        uri = re.sub(r"\{([^{}+]+)(\+?)\}", substitute, integ["uri"] or "")
        target = urllib.parse.urlsplit(uri)
        if target.scheme not in ("http", "https") or not target.hostname:
            return internal_error()
        queries = [q for q in (target.query, query_string, urllib.parse.urlencode(extra_query)) if q]
        path = (target.path or "/") + ("?" + "&".join(queries) if queries else "")
        verb = (integ["httpMethod"] or method).upper()
        if verb == "ANY":
            verb = method.upper()

        request_id = str(uuid.uuid4())
        trace = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"
        forward = []
        for name, value in headers.items():
            lower = name.lower()
            if lower in HOP_BY_HOP or lower in ("host", "content-length", "x-forwarded-for"):
                continue
            forward.append((name, value))
        forwarded_for = headers.get("X-Forwarded-For")
        forward.append(("X-Forwarded-For", f"{forwarded_for}, {client_ip}" if forwarded_for else client_ip))
        forward.append(("X-Amzn-Trace-Id", trace))
        forward.extend(extra_headers)

        address = self.origin_map.address(target.hostname, target.scheme)
        if address is None:
            self._say(f"no origin-map entry for {target.scheme}://{target.hostname}: nothing leaves loopback")
            return internal_error()
        port_host = target.hostname if target.port is None else f"{target.hostname}:{target.port}"
        timeout = INTEGRATION_TIMEOUT_SECONDS
        if integ.get("timeoutInMillis"):
            timeout = min(timeout, int(integ["timeoutInMillis"]) / 1000)
        if target.scheme == "https":
            conn = Upstream(target.hostname, address, self.upstream_tls, timeout)
        else:
            conn = PlainUpstream(target.hostname, address, timeout)
        try:
            conn.putrequest(verb, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", port_host)
            for name, value in forward:
                conn.putheader(name, value)
            if body or verb in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            resp = conn.getresponse()
            data = resp.read()
            answer_headers = []
            for name, value in resp.getheaders():
                lower = name.lower()
                if lower in HOP_BY_HOP or lower == "content-length":
                    continue
                answer_headers.append((f"x-amzn-Remapped-{name}" if lower in REMAPPED else name, value))
            answer_headers.append(("X-Amzn-Trace-Id", trace))
            return Answer(resp.status, data, answer_headers)
        except (socket.timeout, TimeoutError):
            return gateway_error(504, "Endpoint request timed out", "IntegrationTimeoutException")
        except (OSError, http.client.HTTPException, ssl.SSLError) as e:
            self._say(f"integration {verb} {uri} failed: {e}")
            return internal_error()
        finally:
            conn.close()

    def _say(self, message: str) -> None:
        print(f"dataplane: {message}", file=sys.stderr, flush=True)


def apigw_id() -> str:
    """An `x-amz-apigw-id` like AWS's: 15 base64 characters and `=`."""
    return base64.b64encode(secrets.token_bytes(12)).decode()[:15] + "="


def make_handler(plane: DataPlane):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                answer = plane.mutual_tls_refusal(self.headers, self.connection) or plane.handle(
                    self.command, self.path, self.headers, body, self.client_address[0]
                )
            except Exception as e:  # a bug here must not look like a hung API
                plane._say(f"internal error on {self.command} {self.path}: {e!r}")
                answer = internal_error()
            if plane.log:
                plane._say(f"{self.command} {self.headers.get('Host')}{self.path.split('?')[0]} -> {answer.status}")
            self.send_response_only(answer.status)
            self.send_header("Date", self.date_time_string())
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.send_header("x-amz-apigw-id", apigw_id())
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    return Handler


def make_admin_handler(plane: DataPlane):
    """Test-only controls, on their own loopback port (never reachable through the edge)."""

    class Admin(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _json(self, status: int, doc) -> None:
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/clock":
                return self._json(200, {"offset_seconds": plane.clock_offset, "now": plane.now()})
            self._json(404, {"message": "unknown admin path"})

        def do_PUT(self):
            length = int(self.headers.get("Content-Length") or 0)
            try:
                doc = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self._json(400, {"message": "body is not JSON"})
            if self.path == "/clock" and isinstance(doc.get("offset_seconds"), (int, float)):
                plane.clock_offset = float(doc["offset_seconds"])
                return self._json(200, {"offset_seconds": plane.clock_offset, "now": plane.now()})
            self._json(400, {"message": 'PUT /clock {"offset_seconds": N}'})

        do_POST = do_PUT

    return Admin


def start(ca: LocalCA, origin_map: OriginMap, default_region: str = "us-east-1") -> tuple[DataPlane, dict]:
    """Starts the HTTPS listener and the admin listener; returns the plane and their addresses."""
    plane = DataPlane(ca, origin_map, default_region)
    base = plane.base_context()
    router = TlsRouter(plane, base)
    https = HTTPServer(make_handler(plane), lambda: router).start()
    admin = HTTPServer(make_admin_handler(plane)).start()
    return plane, {"https": https.address, "admin": f"http://{admin.address}"}
