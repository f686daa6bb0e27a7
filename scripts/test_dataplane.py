"""The API Gateway data plane's own tests (run by `cargo test` through
crates/test-support/tests/dataplane.rs, or directly: `.venv/bin/python -m unittest
scripts/test_dataplane.py`).

The moto launcher runs as a child process with `--dataplane`, exactly as `scripts/standins`
starts it. Everything is set up through moto's API with boto3 and called with Python's own
http.client/ssl, so each assertion is about what a client sees on the wire.
"""

from __future__ import annotations

import base64
import datetime
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
REGION = "us-east-1"
DOMAIN = "api.dp.example"
PASSWORD = "Dataplane-Test-1!"


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, issuer, public_key, signing_key, ca, sans=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    return b.sign(signing_key, hashes.SHA256())


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def make_chain(hostname):
    """root → intermediate → leaf for `hostname`; returns (root PEM, intermediate PEM, leaf PEM, key PEM)."""
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    mid_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _cert("test root", "test root", root_key.public_key(), root_key, True)
    mid = _cert("test intermediate", "test root", mid_key.public_key(), root_key, True)
    leaf = _cert(hostname, "test intermediate", leaf_key.public_key(), mid_key, False, [hostname])
    key = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    return pem(root), pem(mid), pem(leaf), key


class Stand:
    """The launcher with --dataplane, an origin map naming the upstream, boto3 clients."""

    def __init__(self, extra_env=None):
        self.dir = tempfile.TemporaryDirectory()
        self.ca_file = os.path.join(self.dir.name, "local-ca.pem")
        self.map_file = os.path.join(self.dir.name, "origin-map.json")
        env = dict(os.environ, PYTHONUNBUFFERED="1", **(extra_env or {}))
        for k in list(env):
            if k.startswith("AWS_"):
                del env[k]
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "moto_launcher.py"), "--dataplane",
             "--origin-map", self.map_file, "--ca-out", self.ca_file],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        )
        self.info = json.loads(self.proc.stdout.readline())
        up = self.info["upstream"]
        with open(self.map_file, "w") as f:
            json.dump({name: {"https": up["https"], "http": up["http"]} for name in up["names"]}, f)
        host, port = self.info["dataplane"]["https"].rsplit(":", 1)
        self.address = (host, int(port))
        kwargs = dict(
            endpoint_url=self.info["endpoint"], region_name=REGION,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        self.apigw = boto3.client("apigateway", **kwargs)
        self.acm = boto3.client("acm", **kwargs)
        self.idp = boto3.client("cognito-idp", **kwargs)
        self.s3 = boto3.client("s3", **kwargs)

    def close(self):
        self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait(10)
        self.dir.cleanup()

    def set_clock(self, offset):
        admin = self.info["dataplane"]["admin"].removeprefix("http://")
        host, port = admin.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("PUT", "/clock", json.dumps({"offset_seconds": offset}))
        assert conn.getresponse().status == 200
        conn.close()

    def call(self, host, path, method="GET", headers=None, body=None, sni=None, trust=None):
        """(status, headers dict (lower-case), body bytes, peer certificate) via TLS with SNI."""
        ctx = ssl.create_default_context(cafile=trust or self.ca_file)
        raw = socket.create_connection(self.address, timeout=10)
        tls = ctx.wrap_socket(raw, server_hostname=sni or host)
        peer = tls.getpeercert()
        conn = http.client.HTTPConnection(host, timeout=10)
        conn.sock = tls
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data, peer


def message(body):
    return json.loads(body).get("message")


class DataPlaneTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stand()
        s = cls.s
        # Two user pools, a client each, a user each.
        cls.pools = []
        for name in ("pool-a", "pool-b"):
            pool = s.idp.create_user_pool(PoolName=name)["UserPool"]
            client = s.idp.create_user_pool_client(
                UserPoolId=pool["Id"], ClientName="c",
                ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            )["UserPoolClient"]
            s.idp.admin_create_user(UserPoolId=pool["Id"], Username="ditto", MessageAction="SUPPRESS")
            s.idp.admin_set_user_password(UserPoolId=pool["Id"], Username="ditto", Password=PASSWORD, Permanent=True)
            cls.pools.append((pool, client))
        cls.api = cls.make_api("dp-main")
        s.apigw.create_deployment(restApiId=cls.api["id"], stageName="prod")
        cls.api_v1 = cls.make_api("dp-v1")
        s.apigw.create_deployment(restApiId=cls.api_v1["id"], stageName="live")
        cls.api_deep = cls.make_api("dp-deep")
        s.apigw.create_deployment(restApiId=cls.api_deep["id"], stageName="live")

        # A regional custom domain on an imported certificate with an intermediate in its chain.
        cls.root_pem, mid_pem, leaf_pem, key_pem = make_chain(DOMAIN)
        cls.root_file = os.path.join(s.dir.name, "test-root.pem")
        with open(cls.root_file, "wb") as f:
            f.write(cls.root_pem)
        arn = s.acm.import_certificate(Certificate=leaf_pem, PrivateKey=key_pem, CertificateChain=mid_pem + cls.root_pem)[
            "CertificateArn"
        ]
        s.apigw.create_domain_name(
            domainName=DOMAIN, regionalCertificateArn=arn,
            endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_2",
        )
        s.apigw.create_base_path_mapping(domainName=DOMAIN, restApiId=cls.api["id"], stage="prod")
        s.apigw.create_base_path_mapping(domainName=DOMAIN, restApiId=cls.api_v1["id"], stage="live", basePath="v1")
        s.apigw.create_base_path_mapping(
            domainName=DOMAIN, restApiId=cls.api_deep["id"], stage="live", basePath="v1/deep"
        )

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    @classmethod
    def make_api(cls, name):
        """GET /ditto (Cognito), GET /public, GET /pets/{id}, GET /pets/special, ANY /files/{proxy+},
        GET /scoped (scope aws.cognito.signin.user.admin), GET /emailscope (scope email),
        GET /custom (identity source X-Token), GET /nowhere (upstream not in the map)."""
        s = cls.s
        api = s.apigw.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]})
        root = s.apigw.get_resources(restApiId=api["id"])["items"][0]["id"]
        arns = [cls.pools[0][0]["Arn"]]
        auth = s.apigw.create_authorizer(
            restApiId=api["id"], name="cognito", type="COGNITO_USER_POOLS",
            providerARNs=arns, identitySource="method.request.header.Authorization",
        )["id"]
        custom = s.apigw.create_authorizer(
            restApiId=api["id"], name="xtoken", type="COGNITO_USER_POOLS",
            providerARNs=arns, identitySource="method.request.header.X-Token",
        )["id"]

        def resource(parent, part):
            return s.apigw.create_resource(restApiId=api["id"], parentId=parent, pathPart=part)["id"]

        def method(res, verb, uri, auth_id=None, scopes=None, params=None):
            kwargs = {"authorizationType": "COGNITO_USER_POOLS", "authorizerId": auth_id} if auth_id else {
                "authorizationType": "NONE"
            }
            if scopes:
                kwargs["authorizationScopes"] = scopes
            s.apigw.put_method(restApiId=api["id"], resourceId=res, httpMethod=verb, **kwargs)
            s.apigw.put_integration(
                restApiId=api["id"], resourceId=res, httpMethod=verb, type="HTTP_PROXY",
                integrationHttpMethod=verb, uri=uri, requestParameters=params or {},
            )

        echo = f"https://echo.flarelink.test/{name}"
        method(resource(root, "ditto"), "GET", "https://pokeapi.co/api/v2/pokemon/ditto", auth)
        method(resource(root, "public"), "GET", echo + "/public")
        pets = resource(root, "pets")
        method(resource(pets, "{id}"), "GET", echo + "/pet/{id}",
               params={"integration.request.path.id": "method.request.path.id"})
        method(resource(pets, "special"), "GET", echo + "/special")
        method(resource(resource(root, "files"), "{proxy+}"), "ANY", echo + "/files/{proxy}",
               params={"integration.request.path.proxy": "method.request.path.proxy"})
        method(resource(root, "scoped"), "GET", echo + "/scoped", auth, ["aws.cognito.signin.user.admin"])
        method(resource(root, "emailscope"), "GET", echo + "/emailscope", auth, ["email"])
        method(resource(root, "custom"), "GET", echo + "/custom", custom)
        method(resource(root, "nowhere"), "GET", "https://not-in-the-map.example/x")
        return api

    def tokens(self, pool_index=0):
        pool, client = self.pools[pool_index]
        auth = self.s.idp.admin_initiate_auth(
            UserPoolId=pool["Id"], ClientId=client["ClientId"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "ditto", "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        return auth["IdToken"], auth["AccessToken"]

    def default_host(self, api=None):
        return f"{(api or self.api)['id']}.execute-api.{REGION}.amazonaws.com"

    def get(self, path, **kw):
        return self.s.call(self.default_host(kw.pop("api", None)), path, **kw)

    # ---- the default endpoint, TLS and response headers

    def test_default_endpoint_serves_the_stage_with_apigateway_headers(self):
        status, headers, body, peer = self.get("/prod/public?a=1")
        self.assertEqual(status, 200, body)
        echo = json.loads(body)
        self.assertEqual(echo["path"], "/dp-main/public")
        self.assertEqual(echo["query"], {"a": ["1"]})
        self.assertTrue(headers.get("x-amzn-requestid"))
        self.assertRegex(headers.get("x-amz-apigw-id", ""), r"^[A-Za-z0-9+/]{15}=$")
        sans = [v for k, v in peer["subjectAltName"]]
        self.assertEqual(sans, [f"*.execute-api.{REGION}.amazonaws.com"])

    def test_unknown_stage_api_or_no_stage_is_forbidden(self):
        for path in ("/dev/public", "/", ""):
            status, headers, body, _ = self.get(path or "/")
            self.assertEqual((status, message(body)), (403, "Forbidden"), path)
            self.assertEqual(headers["x-amzn-errortype"], "ForbiddenException")
        status, _, body, _ = self.s.call(f"zzzzzzzzzz.execute-api.{REGION}.amazonaws.com", "/prod/public")
        self.assertEqual((status, message(body)), (403, "Forbidden"))

    # ---- routing and templates

    def test_templates_literal_beats_parameter_and_greedy_proxy(self):
        status, _, body, _ = self.get("/prod/pets/special")
        self.assertEqual((status, json.loads(body)["path"]), (200, "/dp-main/special"))
        status, _, body, _ = self.get("/prod/pets/7")
        self.assertEqual((status, json.loads(body)["path"]), (200, "/dp-main/pet/7"))
        status, _, body, _ = self.get("/prod/files/a/b/c.txt?x=1&x=2", method="DELETE", headers={"X-Custom": "yes"})
        echo = json.loads(body)
        self.assertEqual(status, 200, body)
        self.assertEqual(echo["method"], "DELETE")
        self.assertEqual(echo["path"], "/dp-main/files/a/b/c.txt")
        self.assertEqual(echo["query"], {"x": ["1", "2"]})
        self.assertEqual(echo["headers"]["x-custom"], "yes")
        self.assertEqual(echo["headers"]["host"], "echo.flarelink.test")

    def test_no_resource_or_method_is_missing_authentication_token(self):
        for method, path in (("GET", "/prod/nothing"), ("POST", "/prod/public"), ("GET", "/prod/files"),
                             ("GET", "/prod/pets/7/more"), ("GET", "/prod")):
            status, headers, body, _ = self.get(path, method=method)
            self.assertEqual((status, message(body)), (403, "Missing Authentication Token"), (method, path))
            self.assertEqual(headers["x-amzn-errortype"], "MissingAuthenticationTokenException")

    def test_upstream_not_in_the_origin_map_is_an_internal_error(self):
        status, _, body, _ = self.get("/prod/nowhere")
        self.assertEqual((status, message(body)), (500, "Internal server error"))

    # ---- custom domains, base paths, SNI

    def test_custom_domain_serves_the_imported_certificate_with_its_chain(self):
        # The client trusts only the test root: the handshake succeeds only if the intermediate
        # imported as the chain is served beside the leaf, and the leaf names the domain.
        status, _, body, peer = self.s.call(DOMAIN, "/public", trust=self.root_file)
        self.assertEqual(status, 200, body)
        self.assertEqual([v for _, v in peer["subjectAltName"]], [DOMAIN])

    def test_longest_base_path_wins_and_is_stripped(self):
        cases = {
            "/public": "/dp-main/public",
            "/v1/public": "/dp-v1/public",
            "/v1/deep/public": "/dp-deep/public",
            "/v1/deeper/pets/special": None,  # "v1" mapping: /deeper/pets/special is no resource
            "/v1public": None,  # not a segment prefix: (none) mapping, no such resource
        }
        for path, upstream_path in cases.items():
            status, _, body, _ = self.s.call(DOMAIN, path, trust=self.root_file)
            if upstream_path is None:
                self.assertEqual((status, message(body)), (403, "Missing Authentication Token"), path)
            else:
                self.assertEqual((status, json.loads(body)["path"]), (200, upstream_path), path)

    def test_multi_level_base_paths_as_aws_allows_them(self):
        got = self.s.apigw.get_base_path_mapping(domainName=DOMAIN, basePath="v1/deep")
        self.assertEqual((got["basePath"], got["restApiId"]), ("v1/deep", self.api_deep["id"]))
        # Only regional TLS 1.2 domains take them (AWS); moto's own refusal otherwise.
        self.s.apigw.create_domain_name(
            domainName="old.dp.example", regionalCertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/x",
            endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_0",
        )
        with self.assertRaises(self.s.apigw.exceptions.BadRequestException):
            self.s.apigw.create_base_path_mapping(
                domainName="old.dp.example", restApiId=self.api["id"], stage="prod", basePath="a/b"
            )

    def test_unknown_host_gets_the_execute_api_certificate_and_forbidden(self):
        # A name API Gateway does not know: it presents *.execute-api (hostname check must fail).
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.s.call("unknown.dp.example", "/public")
        ctx = ssl.create_default_context(cafile=self.s.ca_file)
        ctx.check_hostname = False
        raw = socket.create_connection(self.s.address, timeout=10)
        tls = ctx.wrap_socket(raw, server_hostname="unknown.dp.example")
        self.assertEqual([v for _, v in tls.getpeercert()["subjectAltName"]], [f"*.execute-api.{REGION}.amazonaws.com"])
        conn = http.client.HTTPConnection("unknown.dp.example")
        conn.sock = tls
        conn.request("GET", "/public")
        resp = conn.getresponse()
        self.assertEqual((resp.status, message(resp.read())), (403, "Forbidden"))
        # The right SNI but a Host API Gateway does not know: Forbidden too.
        status, _, body, _ = self.s.call("other.dp.example", "/public", sni=DOMAIN, trust=self.root_file)
        self.assertEqual((status, message(body)), (403, "Forbidden"))

    # ---- the Cognito authorizer

    def test_authorizer_answers(self):
        id_token, access_token = self.tokens(0)
        other_id, _ = self.tokens(1)
        head, payload, sig = id_token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["cognito:username"] = "mew"
        forged = ".".join([head, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("="), sig])
        cases = [
            ("no header", {}, 401, "Unauthorized"),
            ("empty", {"Authorization": ""}, 401, "Unauthorized"),
            ("not a JWT", {"Authorization": "hello"}, 401, "Unauthorized"),
            ("forged claims", {"Authorization": forged}, 401, "Unauthorized"),
            ("another pool's ID token", {"Authorization": other_id}, 401, "Unauthorized"),
            ("access token without scopes", {"Authorization": access_token}, 401, "Unauthorized"),
            ("Bearer prefix", {"Authorization": "Bearer " + id_token}, 401, "Unauthorized"),
        ]
        for name, headers, status, msg in cases:
            got, hdrs, body, _ = self.get("/prod/ditto", headers=headers)
            self.assertEqual((got, message(body)), (status, msg), name)
            self.assertEqual(hdrs["x-amzn-errortype"], "UnauthorizedException", name)
        status, _, body, _ = self.get("/prod/ditto", headers={"Authorization": id_token})
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["name"], "ditto")

    def test_scopes_need_an_access_token_with_one_of_them(self):
        id_token, access_token = self.tokens(0)
        self.assertEqual(self.get("/prod/scoped", headers={"Authorization": access_token})[0], 200)
        status, _, body, _ = self.get("/prod/scoped", headers={"Authorization": id_token})
        self.assertEqual((status, message(body)), (401, "Unauthorized"))
        status, _, body, _ = self.get("/prod/emailscope", headers={"Authorization": access_token})
        self.assertEqual((status, message(body)), (401, "Unauthorized"))

    def test_identity_source_header(self):
        id_token, _ = self.tokens(0)
        self.assertEqual(self.get("/prod/custom", headers={"X-Token": id_token})[0], 200)
        status, _, body, _ = self.get("/prod/custom", headers={"Authorization": id_token})
        self.assertEqual((status, message(body)), (401, "Unauthorized"))

    def test_expired_token_by_the_data_planes_clock(self):
        id_token, _ = self.tokens(0)
        self.s.set_clock(2 * 3600)
        try:
            status, _, body, _ = self.get("/prod/ditto", headers={"Authorization": id_token})
            self.assertEqual((status, message(body)), (401, "The incoming token has expired"))
        finally:
            self.s.set_clock(0)
        self.assertEqual(self.get("/prod/ditto", headers={"Authorization": id_token})[0], 200)

    # ---- deployments are snapshots

    def test_changes_take_effect_only_after_a_deployment(self):
        s = self.s
        api = s.apigw.create_rest_api(name="dp-snap", endpointConfiguration={"types": ["REGIONAL"]})
        root = s.apigw.get_resources(restApiId=api["id"])["items"][0]["id"]
        res = s.apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="thing")["id"]
        s.apigw.put_method(restApiId=api["id"], resourceId=res, httpMethod="GET", authorizationType="NONE")
        s.apigw.put_integration(restApiId=api["id"], resourceId=res, httpMethod="GET", type="HTTP_PROXY",
                                integrationHttpMethod="GET", uri="https://echo.flarelink.test/thing")
        s.apigw.create_deployment(restApiId=api["id"], stageName="prod")
        self.assertEqual(self.get("/prod/thing", api=api)[0], 200)
        auth = s.apigw.create_authorizer(
            restApiId=api["id"], name="cognito", type="COGNITO_USER_POOLS",
            providerARNs=[self.pools[0][0]["Arn"]], identitySource="method.request.header.Authorization",
        )["id"]
        s.apigw.update_method(restApiId=api["id"], resourceId=res, httpMethod="GET", patchOperations=[
            {"op": "replace", "path": "/authorizationType", "value": "COGNITO_USER_POOLS"},
            {"op": "replace", "path": "/authorizerId", "value": auth},
        ])
        self.assertEqual(self.get("/prod/thing", api=api)[0], 200, "not deployed yet: still open")
        s.apigw.create_deployment(restApiId=api["id"], stageName="prod")
        status, _, body, _ = self.get("/prod/thing", api=api)
        self.assertEqual((status, message(body)), (401, "Unauthorized"))


# ----------------------------------------------------------------- mutual TLS, default endpoint

MTLS_DOMAIN = "mtls.dp.example"
BUCKET = "dp-truststores"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _dated_cert(subject, issuer, public_key, signing_key, ca, not_before, not_after):
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signing_key, hashes.SHA256())
    )


def key_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


class MutualTlsTest(unittest.TestCase):
    """Custom domains with mutualTlsAuthentication (the launcher's patch) and the data plane
    enforcing it; the default endpoint turned off by disableExecuteApiEndpoint."""

    @classmethod
    def setUpClass(cls):
        cls.s = Stand({"MOTO_ACM_VALIDATION_WAIT": "0"})  # requested ACM certificates: ISSUED
        s = cls.s
        cls.api = cls.make_api("dp-mtls")
        s.apigw.create_deployment(restApiId=cls.api["id"], stageName="prod")
        cls.root_pem, mid_pem, leaf_pem, leaf_key = make_chain("*.dp.example")  # both locked domains
        cls.root_file = cls.write("serving-root.pem", cls.root_pem)
        cls.imported_arn = s.acm.import_certificate(
            Certificate=leaf_pem, PrivateKey=leaf_key, CertificateChain=mid_pem + cls.root_pem
        )["CertificateArn"]
        cls.owner_arn = s.acm.request_certificate(DomainName=MTLS_DOMAIN)["CertificateArn"]
        assert s.acm.describe_certificate(CertificateArn=cls.owner_arn)["Certificate"]["Status"] == "ISSUED"

        # Two client CAs; a client certificate from each, and an expired one from the first.
        now = datetime.datetime.now(datetime.timezone.utc)
        day = datetime.timedelta(days=1)
        cls.ca_one_key, cls.ca_two_key = _key(), _key()
        cls.ca_one = _cert("client ca one", "client ca one", cls.ca_one_key.public_key(), cls.ca_one_key, True)
        cls.ca_two = _cert("client ca two", "client ca two", cls.ca_two_key.public_key(), cls.ca_two_key, True)
        k1, k2, k3 = _key(), _key(), _key()
        cls.client_one = cls.write(
            "client-one.pem", pem(_cert("client one", "client ca one", k1.public_key(), cls.ca_one_key, False)) + key_pem(k1)
        )
        cls.client_two = cls.write(
            "client-two.pem", pem(_cert("client two", "client ca two", k2.public_key(), cls.ca_two_key, False)) + key_pem(k2)
        )
        expired = _dated_cert("client old", "client ca one", k3.public_key(), cls.ca_one_key, False, now - 3 * day, now - day)
        cls.client_expired = cls.write("client-expired.pem", pem(expired) + key_pem(k3))

        s.s3.create_bucket(Bucket=BUCKET)
        s.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        cls.v1 = s.s3.put_object(Bucket=BUCKET, Key="truststore.pem", Body=pem(cls.ca_one))["VersionId"]
        cls.uri = f"s3://{BUCKET}/truststore.pem"
        cls.create_mtls_domain(MTLS_DOMAIN, cls.v1)

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    @classmethod
    def write(cls, name, data):
        path = os.path.join(cls.s.dir.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    @classmethod
    def make_api(cls, name):
        s = cls.s
        api = s.apigw.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]})
        root = s.apigw.get_resources(restApiId=api["id"])["items"][0]["id"]
        res = s.apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="public")["id"]
        s.apigw.put_method(restApiId=api["id"], resourceId=res, httpMethod="GET", authorizationType="NONE")
        s.apigw.put_integration(
            restApiId=api["id"], resourceId=res, httpMethod="GET", type="HTTP_PROXY",
            integrationHttpMethod="GET", uri=f"https://echo.flarelink.test/{name}/public",
        )
        return api

    @classmethod
    def create_mtls_domain(cls, name, version):
        got = cls.s.apigw.create_domain_name(
            domainName=name, regionalCertificateArn=cls.imported_arn,
            endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_2",
            mutualTlsAuthentication={"truststoreUri": cls.uri, "truststoreVersion": version},
            ownershipVerificationCertificateArn=cls.owner_arn,
        )
        cls.s.apigw.create_base_path_mapping(domainName=name, restApiId=cls.api["id"], stage="prod")
        return got

    def call(self, host, path="/public", cert=None):
        """(status, body) over TLS with SNI `host`, presenting `cert` (PEM file) if given."""
        ctx = ssl.create_default_context(cafile=self.root_file)
        if cert:
            ctx.load_cert_chain(cert)
        raw = socket.create_connection(self.s.address, timeout=10)
        tls = ctx.wrap_socket(raw, server_hostname=host)
        conn = http.client.HTTPConnection(host, timeout=10)
        conn.sock = tls
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return resp.status, body, resp.getheader("x-amzn-ErrorType")

    def assert_refused_in_the_handshake(self, host, cert):
        # ssl.SSLError (the alert), or the connection reset/closed right after it: no HTTP answer.
        with self.assertRaises(OSError):
            self.call(host, cert=cert)

    def bad_request(self, fragment, **create):
        """CreateDomainName with `create` is refused with BadRequestException naming `fragment`,
        and no domain is left behind."""
        args = dict(
            domainName="refused.dp.example", regionalCertificateArn=self.owner_arn,
            endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_2",
            mutualTlsAuthentication={"truststoreUri": self.uri},
        )
        args.update(create)
        with self.assertRaises(self.s.apigw.exceptions.BadRequestException) as caught:
            self.s.apigw.create_domain_name(**args)
        self.assertIn(fragment, caught.exception.response["Error"]["Message"])
        with self.assertRaises(self.s.apigw.exceptions.NotFoundException):
            self.s.apigw.get_domain_name(domainName=args["domainName"])

    # ---- the control plane (the launcher's patch), read back with boto3

    def test_create_get_and_list_return_the_mutual_tls_fields(self):
        got = self.s.apigw.get_domain_name(domainName=MTLS_DOMAIN)
        self.assertEqual(got["mutualTlsAuthentication"], {"truststoreUri": self.uri, "truststoreVersion": self.v1})
        self.assertEqual(got["ownershipVerificationCertificateArn"], self.owner_arn)
        listed = [d for d in self.s.apigw.get_domain_names()["items"] if d["domainName"] == MTLS_DOMAIN]
        self.assertEqual(listed[0]["mutualTlsAuthentication"]["truststoreVersion"], self.v1)
        self.assertEqual(listed[0]["ownershipVerificationCertificateArn"], self.owner_arn)

    def test_create_is_validated_as_aws_does(self):
        s = self.s
        s.s3.put_object(Bucket=BUCKET, Key="not-pem.txt", Body=b"hello")
        self.bad_request("REGIONAL", endpointConfiguration={"types": ["EDGE"]})
        self.bad_request("TLS_1_2", securityPolicy="TLS_1_0")
        self.bad_request("s3://bucket-name/key-name", mutualTlsAuthentication={"truststoreUri": "https://b/k.pem"})
        self.bad_request("does not exist", mutualTlsAuthentication={"truststoreUri": f"s3://{BUCKET}/missing.pem"})
        self.bad_request("does not exist", mutualTlsAuthentication={"truststoreUri": f"s3://no-such-bucket/t.pem"})
        self.bad_request(
            "version nope", mutualTlsAuthentication={"truststoreUri": self.uri, "truststoreVersion": "nope"}
        )
        self.bad_request("no PEM-encoded", mutualTlsAuthentication={"truststoreUri": f"s3://{BUCKET}/not-pem.txt"})
        # An imported serving certificate needs an ISSUED ACM-issued ownership certificate.
        self.bad_request("Missing ownershipVerificationCertificate.", regionalCertificateArn=self.imported_arn)
        self.bad_request(
            "must be an ISSUED certificate issued by ACM",
            regionalCertificateArn=self.imported_arn, ownershipVerificationCertificateArn=self.imported_arn,
        )

    def test_truststore_warnings_name_the_problem_and_the_subject(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        day = datetime.timedelta(days=1)
        old_key, leaf_key = _key(), _key()
        old = _dated_cert("old ca", "old ca", old_key.public_key(), old_key, True, now - 9 * day, now - day)
        leaf = _cert("just a leaf", "just a leaf", leaf_key.public_key(), leaf_key, False)
        self.s.s3.put_object(Bucket=BUCKET, Key="warned.pem", Body=pem(self.ca_one) + pem(old) + pem(leaf))
        got = self.s.apigw.create_domain_name(
            domainName="warned.dp.example", regionalCertificateArn=self.owner_arn,
            endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_2",
            mutualTlsAuthentication={"truststoreUri": f"s3://{BUCKET}/warned.pem"},
        )
        self.assertEqual(
            got["mutualTlsAuthentication"]["truststoreWarnings"],
            ["Certificate CN=old ca has expired",
             "Certificate CN=just a leaf is not a certificate authority (CA) certificate"],
        )
        read = self.s.apigw.get_domain_name(domainName="warned.dp.example")["mutualTlsAuthentication"]
        self.assertEqual(len(read["truststoreWarnings"]), 2)
        self.assertNotIn("ownershipVerificationCertificateArn", got)  # ACM-issued: none needed

    # ---- the data plane

    def test_a_client_certificate_the_truststore_trusts_is_served(self):
        status, body, _ = self.call(MTLS_DOMAIN, cert=self.client_one)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["path"], "/dp-mtls/public")

    def test_no_client_certificate_is_forbidden(self):
        status, body, error_type = self.call(MTLS_DOMAIN)
        self.assertEqual((status, message(body), error_type), (403, "Forbidden", "ForbiddenException"))

    def test_an_untrusted_or_expired_client_certificate_fails_the_handshake(self):
        self.assert_refused_in_the_handshake(MTLS_DOMAIN, self.client_two)
        self.assert_refused_in_the_handshake(MTLS_DOMAIN, self.client_expired)

    def test_the_right_host_over_another_name_without_a_certificate_is_forbidden(self):
        # SNI of a name without mutual TLS (the execute-api certificate), Host of the locked domain.
        ctx = ssl.create_default_context(cafile=self.s.ca_file)
        ctx.check_hostname = False
        tls = ctx.wrap_socket(socket.create_connection(self.s.address, timeout=10), server_hostname="other.example")
        conn = http.client.HTTPConnection(MTLS_DOMAIN, timeout=10)
        conn.sock = tls
        conn.request("GET", "/public")
        resp = conn.getresponse()
        self.assertEqual((resp.status, message(resp.read())), (403, "Forbidden"))

    def test_curl_with_and_without_a_client_certificate(self):
        host, port = self.s.address
        base = ["curl", "-sS", "--cacert", self.root_file, "--resolve", f"{MTLS_DOMAIN}:{port}:{host}",
                "-o", "-", "-w", "\n%{http_code}", f"https://{MTLS_DOMAIN}:{port}/public"]
        ok = subprocess.run(base + ["--cert", self.client_one], capture_output=True, text=True, timeout=30)
        self.assertEqual(ok.stdout.rsplit("\n", 1)[1], "200", ok.stderr)
        bare = subprocess.run(base, capture_output=True, text=True, timeout=30)
        self.assertEqual(bare.stdout.rsplit("\n", 1), ['{"message": "Forbidden"}', "403"])
        stranger = subprocess.run(base + ["--cert", self.client_two], capture_output=True, text=True, timeout=30)
        # TLS handshake (35), send (55) or receive (56) failure: the connection ends in an alert.
        self.assertIn(stranger.returncode, (35, 55, 56), stranger.stderr)
        self.assertEqual(stranger.stdout.strip(), "000")

    def test_domains_without_mutual_tls_are_unchanged(self):
        # A client certificate nobody trusts is neither asked for nor checked on a plain domain.
        root_pem, mid_pem, leaf_pem, leaf_key = make_chain("plain.dp.example")
        arn = self.s.acm.import_certificate(
            Certificate=leaf_pem, PrivateKey=leaf_key, CertificateChain=mid_pem + root_pem
        )["CertificateArn"]
        self.s.apigw.create_domain_name(
            domainName="plain.dp.example", regionalCertificateArn=arn,
            endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_2",
        )
        self.s.apigw.create_base_path_mapping(domainName="plain.dp.example", restApiId=self.api["id"], stage="prod")
        trust = self.write("plain-root.pem", root_pem)
        for cert in (None, self.client_two):
            ctx = ssl.create_default_context(cafile=trust)
            if cert:
                ctx.load_cert_chain(cert)
            tls = ctx.wrap_socket(socket.create_connection(self.s.address, timeout=10), server_hostname="plain.dp.example")
            conn = http.client.HTTPConnection("plain.dp.example", timeout=10)
            conn.sock = tls
            conn.request("GET", "/public")
            self.assertEqual(conn.getresponse().status, 200, cert)
            conn.close()

    def test_update_switches_truststore_version_and_turns_mutual_tls_off(self):
        s, name = self.s, "rotate.dp.example"
        self.create_mtls_domain(name, self.v1)
        v2 = s.s3.put_object(Bucket=BUCKET, Key="truststore.pem", Body=pem(self.ca_two))["VersionId"]
        # A new object version changes nothing until the domain is updated to it (as on AWS).
        self.assertEqual(self.call(name, cert=self.client_one)[0], 200)
        self.assert_refused_in_the_handshake(name, self.client_two)
        # A version that does not exist: refused, nothing changed.
        with self.assertRaises(s.apigw.exceptions.BadRequestException):
            s.apigw.update_domain_name(domainName=name, patchOperations=[
                {"op": "replace", "path": "/mutualTlsAuthentication/truststoreVersion", "value": "nope"},
                {"op": "replace", "path": "/securityPolicy", "value": "TLS_1_2"},
            ])
        self.assertEqual(s.apigw.get_domain_name(domainName=name)["mutualTlsAuthentication"]["truststoreVersion"], self.v1)
        got = s.apigw.update_domain_name(domainName=name, patchOperations=[
            {"op": "replace", "path": "/mutualTlsAuthentication/truststoreVersion", "value": v2},
        ])
        self.assertEqual(got["mutualTlsAuthentication"], {"truststoreUri": self.uri, "truststoreVersion": v2})
        self.assertEqual(self.call(name, cert=self.client_two)[0], 200)
        self.assert_refused_in_the_handshake(name, self.client_one)
        # TLS 1.0 is refused while mutual TLS is on.
        with self.assertRaises(s.apigw.exceptions.BadRequestException):
            s.apigw.update_domain_name(domainName=name, patchOperations=[
                {"op": "replace", "path": "/securityPolicy", "value": "TLS_1_0"},
            ])
        # Off: an empty truststoreUri (AWS's "Disable mutual TLS"); no certificate needed again.
        got = s.apigw.update_domain_name(domainName=name, patchOperations=[
            {"op": "replace", "path": "/mutualTlsAuthentication/truststoreUri", "value": ""},
        ])
        self.assertNotIn("mutualTlsAuthentication", got)
        self.assertNotIn("mutualTlsAuthentication", s.apigw.get_domain_name(domainName=name))
        self.assertEqual(got["ownershipVerificationCertificateArn"], self.owner_arn)
        self.assertEqual(self.call(name)[0], 200)
        # The ownership certificate is a patch path of its own.
        other = s.acm.request_certificate(DomainName=name)["CertificateArn"]
        s.acm.describe_certificate(CertificateArn=other)
        got = s.apigw.update_domain_name(domainName=name, patchOperations=[
            {"op": "replace", "path": "/ownershipVerificationCertificateArn", "value": other},
        ])
        self.assertEqual(got["ownershipVerificationCertificateArn"], other)

    def test_default_endpoint_is_disabled_only_after_a_deployment(self):
        s = self.s
        api = self.make_api("dp-default-off")
        s.apigw.create_deployment(restApiId=api["id"], stageName="prod")
        host = f"{api['id']}.execute-api.{REGION}.amazonaws.com"
        self.assertEqual(s.call(host, "/prod/public")[0], 200)
        s.apigw.update_rest_api(restApiId=api["id"], patchOperations=[
            {"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "True"},
        ])
        self.assertTrue(s.apigw.get_rest_api(restApiId=api["id"])["disableExecuteApiEndpoint"])
        self.assertEqual(s.call(host, "/prod/public")[0], 200, "not deployed yet: still open")
        s.apigw.create_deployment(restApiId=api["id"], stageName="prod")
        status, headers, body, _ = s.call(host, "/prod/public")
        self.assertEqual((status, message(body), headers["x-amzn-errortype"]), (403, "Forbidden", "ForbiddenException"))
        # "false" turns it back on (moto alone would store bool("false") == True), after a deployment.
        s.apigw.update_rest_api(restApiId=api["id"], patchOperations=[
            {"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "false"},
        ])
        self.assertFalse(s.apigw.get_rest_api(restApiId=api["id"])["disableExecuteApiEndpoint"])
        self.assertEqual(s.call(host, "/prod/public")[0], 403)
        s.apigw.create_deployment(restApiId=api["id"], stageName="prod")
        self.assertEqual(s.call(host, "/prod/public")[0], 200)
        created = s.apigw.create_rest_api(name="dp-born-off", disableExecuteApiEndpoint=True)
        self.assertTrue(s.apigw.get_rest_api(restApiId=created["id"])["disableExecuteApiEndpoint"])


if __name__ == "__main__":
    unittest.main()
