"""Start moto's standalone server on a free loopback port for flarelink's tests and demo.

Prints one JSON line, {"endpoint": "http://127.0.0.1:PORT"}, once the server listens, then
serves until its standard input closes (so it never outlives the process that started it) or
it receives SIGTERM/SIGINT.

With `--dataplane` it also serves, in this same process, the API Gateway data plane
(scripts/dataplane.py: TLS by SNI with the imported ACM certificates, routing, the Cognito
authorizer, HTTP_PROXY integrations) and the local upstream (scripts/upstream.py, PokeAPI's
stand-in), and the line gains `"dataplane": {"https", "admin", "ca_file"}` and
`"upstream": {"https", "http", "names"}`. Options: `--origin-map PATH` (the shared map of names
to loopback addresses, see scripts/originmap.py), `--ca-out PATH` (the local CA's certificate,
public, for `curl --cacert` to the default endpoint), `--region R` (whose execute-api
certificate unknown names get; default us-east-1). It runs in moto's process because an
imported certificate's private key exists only in moto's memory, and so does the snapshot of the
API that the data plane records at every CreateDeployment (moto keeps none; AWS serves one).

Deliberate departures from stock moto, each to make it answer as AWS does:
  * GetBasePathMapping(s) on a domain that never had a mapping raises KeyError inside moto
    (HTTP 500); AWS answers NotFound / an empty list. The mappings table becomes a defaultdict
    so flarelink's own NotFound handling is what gets exercised.
  * UpdateDomainName is missing from moto 5.2.5 (HTTP 500 NotImplementedError). It is added
    for the replace operations AWS documents on a domain's certificate and security policy, so
    certificate rotation (a custom domain switched to a new ACM certificate) can be proved.
  * UpdateMethod (missing: HTTP 500) for a method's authorization (`/authorizationType`,
    `/authorizerId`, `/authorizationScopes`, `/apiKeyRequired`), and UpdateAuthorizer's
    `add`/`remove /providerARNs` (moto raises "not implemented"), so switching a route's auth or
    an authorizer's user pool in place can be proved.
  * Multi-level base paths (`v1/pets`), which AWS allows on regional TLS 1.2 domains and moto
    refuses outright.
  * USER_SRP_AUTH's SECRET_BLOCK is base64 on AWS (clients sign its decoded bytes); moto sends
    a bare UUID. It is sent base64-encoded and accepted back in that form. moto still does not
    check the SRP signature — flarelink's SRP is proved against pycognito in its own tests.
  * ACM re-import (ImportCertificate with CertificateArn, rotation in place): moto builds a new
    certificate record and drops the ARN's tags and "in use by"; AWS keeps both, refuses tags on
    a re-import and refuses a different key type or size. DescribeCertificate's Serial is
    written as AWS writes it (hex bytes separated by colons), not as a decimal number.
  * RequestCertificate with an IdempotencyToken whose certificate was deleted meanwhile raises
    KeyError (HTTP 500); the token is then treated as unused, so link → unlink → link within
    moto's one-hour token window requests a new certificate instead of failing.
  * Optional, off unless FLARELINK_MOTO_DOMAIN_QUOTA_SECONDS is set: API Gateway's per-account
    quota of one CreateDomainName/UpdateDomainName/DeleteDomainName per 30 s. Within the window, those calls
    answer 429 TooManyRequestsException with a Retry-After header, as AWS does, so the retry
    path is proved against a real throttle rather than assumed. Tests use a short window.
  * Domain names' `mutualTlsAuthentication` {truststoreUri, truststoreVersion,
    truststoreWarnings} and `ownershipVerificationCertificateArn` (moto drops them) on
    Create/GetDomainName(s) and as UpdateDomainName `replace` paths, checked as AWS does: a
    REGIONAL TLS_1_2 domain, an s3:// truststore object (at its version) that exists in moto's
    S3 and parses as PEM certificates (warnings for expired, non-CA or weak ones), and with an
    imported serving certificate an ISSUED ACM-issued ownership-verification certificate. The
    data plane then asks for client certificates on that domain.
  * UpdateRestApi `replace /disableExecuteApiEndpoint false` set it to true (moto stores
    bool("false")); the string is parsed as AWS does.
  * GetBucketVersioning's root element is `VersioningConfiguration`, as on S3 (moto names it
    after the action, which the Rust SDK cannot read for a bucket that never had versioning).
  * RequestCertificate's (AMAZON_ISSUED) certificates are signed by nobody in moto (each by its
    own fresh key under the issuer name "Amazon"); AWS's chain to Amazon's public roots, which
    Cloudflare's Full (strict) trusts. They are re-signed, same subject, SANs, public key and
    validity, by a stand-in "public" CA made at launcher start (issuer name unchanged, its key
    only in this process's memory), and GetCertificate's CertificateChain is that CA.
    `--public-ca-out PATH` writes the CA's root certificate (public), the stand-in for the
    publicly trusted roots (the emulator's edge takes it as `--edge-public-roots`).
"""

import collections
import json
import os
import signal
import sys
import threading
import time
import urllib.parse


def patch_base_path_mappings() -> None:
    from moto.apigateway.models import APIGatewayBackend

    original_init = APIGatewayBackend.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.base_path_mappings = collections.defaultdict(dict)

    APIGatewayBackend.__init__ = init


# Paths AWS accepts in UpdateDomainName's patch operations that flarelink (or a test) uses.
_DOMAIN_PATCHABLE = {
    "/regionalCertificateArn": "regional_certificate_arn",
    "/regionalCertificateName": "regional_certificate_name",
    "/certificateArn": "certificate_arn",
    "/certificateName": "certificate_name",
    "/securityPolicy": "security_policy",
}


def patch_update_domain_name() -> None:
    from moto.apigateway.exceptions import BadRequestException
    from moto.apigateway.models import APIGatewayBackend
    from moto.apigateway.responses import APIGatewayResponse

    def update_domain_name(self, domain_name, patch_operations):
        domain = self.get_domain_name(domain_name)  # NotFoundException as AWS
        for op in patch_operations or []:
            attribute = _DOMAIN_PATCHABLE.get(op.get("path"))
            if op.get("op") != "replace" or attribute is None:
                raise BadRequestException(
                    f"Invalid patch operation specified. Must be one of: [replace] on paths "
                    f"{sorted(_DOMAIN_PATCHABLE)}; got {op.get('op')} {op.get('path')}"
                )
            setattr(domain, attribute, op.get("value"))
        return domain

    def respond(self):
        domain_name = urllib.parse.unquote(self.path.split("/")[2])
        domain = self.backend.update_domain_name(domain_name, self._get_param("patchOperations"))
        return 200, {"status": 200}, json.dumps(domain.to_json())

    APIGatewayBackend.update_domain_name = update_domain_name
    APIGatewayResponse.update_domain_name = respond


# UpdateDomainName paths for mutual TLS (AWS's "patch-operations" reference for UpdateDomainName).
_MTLS_URI = "/mutualTlsAuthentication/truststoreUri"
_MTLS_VERSION = "/mutualTlsAuthentication/truststoreVersion"
_OWNERSHIP = "/ownershipVerificationCertificateArn"


def _acm_certificate(arn):
    """moto's CertBundle for an ACM ARN, or None (the ARN names its own region and account)."""
    from moto.acm.models import acm_backends

    parts = (arn or "").split(":")
    if len(parts) < 6 or parts[2] != "acm":
        return None
    per_account = dict.get(acm_backends, parts[4])
    backend = dict.get(per_account, parts[3]) if per_account is not None else None
    return None if backend is None else backend._certificates.get(arn)


def _read_truststore(account_id, uri, version):
    """The truststore object's bytes from moto's S3, or BadRequestException as API Gateway
    refuses a truststore it cannot read (the object, or the version asked for, must exist)."""
    from moto.apigateway.exceptions import BadRequestException
    from moto.s3.models import s3_backends

    parsed = urllib.parse.urlsplit(uri or "")
    bucket, key = parsed.netloc, parsed.path.lstrip("/")
    if parsed.scheme != "s3" or not bucket or not key:
        raise BadRequestException(f"Invalid truststore URI {uri!r}: expected s3://bucket-name/key-name")
    where = f"{uri}" + (f" (version {version})" if version else "")
    try:
        s3 = s3_backends[account_id]["aws"]
        s3.get_bucket(bucket)
        obj = s3.get_object(bucket, key, version_id=version or None)
    except Exception:
        obj = None
    if obj is None:
        raise BadRequestException(f"Unable to access the truststore at {where}: the object does not exist")
    return bytes(obj.value)


def _truststore_warnings(pem: bytes, uri: str) -> list:
    """Parses the truststore as PEM X.509 certificates (BadRequestException when it is not one)
    and returns API Gateway's truststoreWarnings: the problem and the certificate's subject for
    each certificate that is expired or not yet valid, not a CA, or uses an algorithm AWS does not
    accept (the developer guide's "Configuring your truststore": SHA-256 or stronger, RSA-2048 or
    stronger, ECDSA-256 or stronger; "Troubleshooting certificate warnings")."""
    import datetime
    import re

    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from moto.apigateway.exceptions import BadRequestException

    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem, re.S)
    if not blocks:
        raise BadRequestException(f"Invalid truststore at {uri}: it holds no PEM-encoded X.509 certificate")
    warnings = []
    now = datetime.datetime.now(datetime.timezone.utc)
    for block in blocks:
        try:
            cert = x509.load_pem_x509_certificate(block)
        except ValueError:
            raise BadRequestException(f"Invalid truststore at {uri}: a certificate is not valid X.509")
        subject = cert.subject.rfc4514_string()
        if cert.not_valid_after_utc <= now:
            warnings.append(f"Certificate {subject} has expired")
        elif cert.not_valid_before_utc > now:
            warnings.append(f"Certificate {subject} is not yet valid")
        try:
            is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            warnings.append(f"Certificate {subject} is not a certificate authority (CA) certificate")
        key = cert.public_key()
        digest = cert.signature_hash_algorithm
        weak_key = (isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048) or (
            isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < 256
        )
        if weak_key or digest is None or digest.digest_size < 32:
            warnings.append(f"Certificate {subject} uses an unsupported algorithm")
    return warnings


def _check_mutual_tls(account_id, types, security_policy, certificate_arn, mtls, ownership_arn):
    """What API Gateway checks before a domain name requires mutual TLS (developer guide,
    "Configuring mutual TLS authentication for a REST API"): a REGIONAL domain with the TLS_1_2
    security policy, a readable PEM truststore, and, with an imported (or private CA) serving
    certificate, an ownershipVerificationCertificateArn naming an ISSUED ACM-issued certificate.
    Returns (truststore bytes, truststoreWarnings) or raises BadRequestException."""
    from moto.apigateway.exceptions import BadRequestException

    if "REGIONAL" not in (types or []):
        raise BadRequestException("Mutual TLS authentication is supported only on REGIONAL domain names")
    if security_policy != "TLS_1_2":
        raise BadRequestException("Mutual TLS authentication requires the TLS_1_2 security policy")
    uri, version = mtls.get("truststoreUri"), mtls.get("truststoreVersion")
    pem = _read_truststore(account_id, uri, version)
    warnings = _truststore_warnings(pem, uri)
    serving = _acm_certificate(certificate_arn)
    if serving is not None and serving.type != "AMAZON_ISSUED":
        if not ownership_arn:
            raise BadRequestException("Missing ownershipVerificationCertificate.")
    if ownership_arn:
        owner = _acm_certificate(ownership_arn)
        if owner is not None:
            owner.check()  # moto moves PENDING_VALIDATION to ISSUED (or EXPIRED) here
        if owner is None or owner.type != "AMAZON_ISSUED" or owner.status != "ISSUED":
            raise BadRequestException(
                f"Invalid ownershipVerificationCertificateArn {ownership_arn}: it must be an ISSUED "
                "certificate issued by ACM"
            )
    return pem, warnings


def patch_domain_mutual_tls() -> None:
    """CreateDomainName/GetDomainName(s)/UpdateDomainName with `mutualTlsAuthentication` and
    `ownershipVerificationCertificateArn`, validated as AWS does (see _check_mutual_tls). The
    truststore's bytes are kept on the domain as they were read at create/update time, because
    that is what API Gateway serves from ("upload a new version to S3, and then update your
    custom domain name to use the new version"); the data plane verifies client certificates
    against them."""
    from moto.apigateway.models import APIGatewayBackend, DomainName
    from moto.apigateway.responses import APIGatewayResponse

    original_to_json = DomainName.to_json

    def to_json(self):
        doc = original_to_json(self)
        mtls = getattr(self, "mutual_tls_authentication", None)
        if mtls:
            doc["mutualTlsAuthentication"] = dict(mtls)
        owner = getattr(self, "ownership_verification_certificate_arn", None)
        if owner:
            doc["ownershipVerificationCertificateArn"] = owner
        return doc

    DomainName.to_json = to_json

    def configure(domain, account_id, mtls, owner):
        """Validates and records the mutual TLS state `mtls` (None or no URI: off) on `domain`."""
        domain.ownership_verification_certificate_arn = owner or None
        if not mtls or not mtls.get("truststoreUri"):
            domain.mutual_tls_authentication = None
            domain.flarelink_truststore_pem = None
            return
        types = (domain.endpoint_configuration or {}).get("types") or []
        pem, warnings = _check_mutual_tls(
            account_id, types, domain.security_policy,
            domain.regional_certificate_arn or domain.certificate_arn, mtls, owner,
        )
        state = {"truststoreUri": mtls["truststoreUri"]}
        if mtls.get("truststoreVersion"):
            state["truststoreVersion"] = mtls["truststoreVersion"]
        if warnings:
            state["truststoreWarnings"] = warnings
        domain.mutual_tls_authentication = state
        domain.flarelink_truststore_pem = pem

    original_create = APIGatewayResponse.create_domain_name

    def create_domain_name(self):
        mtls = self._get_param("mutualTlsAuthentication")
        owner = self._get_param("ownershipVerificationCertificateArn")
        if mtls or owner:
            # Checked before moto creates anything: a refused call leaves no domain behind.
            probe = DomainName(
                domain_name=self._get_param("domainName") or "probe",
                region_name=self.backend.region_name,
                regional_certificate_arn=self._get_param("regionalCertificateArn"),
                certificate_arn=self._get_param("certificateArn"),
                endpoint_configuration=self._get_param("endpointConfiguration"),
                security_policy=self._get_param("securityPolicy"),
            )
            configure(probe, self.backend.account_id, mtls, owner)
        status, headers, _body = original_create(self)
        if not (mtls or owner):
            return status, headers, _body
        domain = self.backend.get_domain_name(self._get_param("domainName"))
        domain.mutual_tls_authentication = probe.mutual_tls_authentication
        domain.flarelink_truststore_pem = probe.flarelink_truststore_pem
        domain.ownership_verification_certificate_arn = probe.ownership_verification_certificate_arn
        return status, headers, json.dumps(domain.to_json())

    APIGatewayResponse.create_domain_name = create_domain_name

    original_update = APIGatewayBackend.update_domain_name

    def update_domain_name(self, domain_name, patch_operations):
        domain = self.get_domain_name(domain_name)
        ours = [op for op in patch_operations or [] if op.get("path") in (_MTLS_URI, _MTLS_VERSION, _OWNERSHIP)]
        rest = [op for op in patch_operations or [] if op not in ours]
        mtls = dict(getattr(domain, "mutual_tls_authentication", None) or {})
        mtls.pop("truststoreWarnings", None)
        owner = getattr(domain, "ownership_verification_certificate_arn", None)
        for op in ours:
            if op.get("op") != "replace":
                from moto.apigateway.exceptions import BadRequestException

                raise BadRequestException(f"Invalid patch operation specified: {op.get('op')} {op.get('path')}")
            value = op.get("value") or None
            if op["path"] == _MTLS_URI:
                mtls["truststoreUri"] = value
            elif op["path"] == _MTLS_VERSION:
                mtls["truststoreVersion"] = value
            else:
                owner = value
        before = dict(domain.__dict__)
        try:
            if rest:
                original_update(self, domain_name, rest)
            # Re-checked on every update while mutual TLS is on (a new serving certificate must
            # still pass), and the truststore re-read, as API Gateway does on UpdateDomainName.
            configure(domain, self.account_id, mtls, owner)
        except Exception:
            domain.__dict__.clear()
            domain.__dict__.update(before)  # all or nothing, as one AWS call is
            raise
        return domain

    APIGatewayBackend.update_domain_name = update_domain_name


def patch_rest_api_disable_execute_api_endpoint() -> None:
    """UpdateRestApi `replace /disableExecuteApiEndpoint`: patch values are strings, and moto
    stores bool(value), so "false" would disable the endpoint. Parsed as AWS does."""
    from moto.apigateway.exceptions import BadRequestException
    from moto.apigateway.models import RestAPI

    original = RestAPI.apply_patch_operations

    def apply_patch_operations(self, patch_operations):
        rest = []
        for op in patch_operations:
            if op.get("path") == "/disableExecuteApiEndpoint" and op.get("op") == "replace":
                value = str(op.get("value")).strip().lower()
                if value not in ("true", "false"):
                    raise BadRequestException(f"Invalid value for disableExecuteApiEndpoint: {op.get('value')}")
                self.disableExecuteApiEndpoint = value == "true"
            else:
                rest.append(op)
        return original(self, rest)

    RestAPI.apply_patch_operations = apply_patch_operations


def patch_rest_api_tags() -> None:
    """TagResource / UntagResource on a REST API (`arn:aws:apigateway:REGION::/restapis/ID`) and
    a custom domain (`…::/domainnames/NAME`), which AWS documents and moto answers only for
    stages (it takes the ARN's third-to-last part as the API id and its last as a stage). The
    origin lock marks a locked custom domain and an API whose default endpoint flarelink turned
    off with tags; GetRestApi / GetDomainName then report them, as on AWS."""
    import re
    from urllib.parse import unquote
    from moto.apigateway.responses import APIGatewayResponse

    rest_api_arn = re.compile(r"^arn:aws:apigateway:[^:]*::/restapis/([^/]+)$")
    domain_arn = re.compile(r"^arn:aws:apigateway:[^:]*::/domainnames/([^/]+)$")
    original_tag, original_untag = APIGatewayResponse.tag_resource, APIGatewayResponse.untag_resource

    def api_of(self):
        arn = unquote(self.path.split("/tags/")[1])
        m = rest_api_arn.match(arn)
        if m:
            return self.backend.get_rest_api(m.group(1))
        m = domain_arn.match(arn)
        return self.backend.get_domain_name(m.group(1)) if m else None

    def tag_resource(self):
        api = api_of(self)
        if api is None:
            return original_tag(self)
        tags = self._get_param("tags") or {}
        api.tags = {**(api.tags or {}), **tags}
        return json.dumps({})

    def untag_resource(self):
        api = api_of(self)
        if api is None:
            return original_untag(self)
        for key in self.querystring.get("tagKeys") or []:
            (api.tags or {}).pop(key, None)
        return json.dumps({})

    APIGatewayResponse.tag_resource = tag_resource
    APIGatewayResponse.untag_resource = untag_resource

    # The ARN's slashes arrive decoded; moto routes `/tags/` only for a slash-free ARN or a
    # stage's. Route the REST API's and the custom domain's too.
    from moto.apigateway import urls

    for kind in ("restapis", "domainnames"):
        urls.url_paths[
            "{0}/tags/arn:(?P<partition>[^/]+):apigateway:(?P<region_name>[^/]+)::/" + kind + "/(?P<resource_id>[^/]+)$"
        ] = APIGatewayResponse.dispatch


def patch_s3_get_bucket_versioning_root() -> None:
    """GetBucketVersioning answers `<VersioningConfiguration>` on S3 (its API reference); moto
    names the root `<GetBucketVersioningResponse>`, which the Rust SDK cannot read when it is
    empty (a bucket that never had versioning). The root is renamed, the content kept."""
    from moto.s3.responses import S3Response

    original = S3Response.get_bucket_versioning

    def get_bucket_versioning(self):
        status, headers, body = original(self)
        if isinstance(body, bytes):
            body = body.decode()
        body = body.replace("<GetBucketVersioningResponse", "<VersioningConfiguration", 1)
        body = body.replace("</GetBucketVersioningResponse>", "</VersioningConfiguration>", 1)
        return status, headers, body

    S3Response.get_bucket_versioning = get_bucket_versioning


def patch_method_and_authorizer_updates() -> None:
    from moto.apigateway.exceptions import BadRequestException
    from moto.apigateway.models import APIGatewayBackend, Authorizer
    from moto.apigateway.responses import APIGatewayResponse

    def update_method(self, function_id, resource_id, method_type, patch_operations):
        method = self.get_method(function_id, resource_id, method_type)
        for op in patch_operations or []:
            kind, path, value = op.get("op"), op.get("path"), op.get("value")
            if (kind, path) == ("replace", "/authorizationType"):
                method.authorization_type = value
            elif (kind, path) == ("replace", "/authorizerId"):
                method.authorizer_id = value or None
            elif (kind, path) == ("replace", "/apiKeyRequired"):
                method.api_key_required = str(value).lower() == "true"
            elif path == "/authorizationScopes" and kind in ("add", "remove"):
                scopes = list(method.authorization_scopes or [])
                if kind == "add" and value not in scopes:
                    scopes.append(value)
                elif kind == "remove" and value in scopes:
                    scopes.remove(value)
                method.authorization_scopes = scopes or None
            elif (path or "").startswith("/requestParameters/") and kind in ("add", "remove"):
                # AWS: add sets the parameter (value "true" = required), remove drops it.
                name = path[len("/requestParameters/"):]
                params = dict(method.request_parameters or {})
                if kind == "add":
                    params[name] = str(value).lower() == "true"
                else:
                    params.pop(name, None)
                method.request_parameters = params
            else:
                raise BadRequestException(f"Invalid patch operation specified: {kind} {path}")
        return method

    def respond(self):
        # /restapis/{id}/resources/{resource}/methods/{method}
        parts = self.path.split("/")
        method = self.backend.update_method(parts[2], parts[4], parts[6], self._get_param("patchOperations"))
        return 200, {"status": 200}, json.dumps(method.to_json())

    APIGatewayBackend.update_method = update_method
    APIGatewayResponse.update_method = respond

    original_apply = Authorizer.apply_operations

    def apply_operations(self, patch_operations):
        rest = []
        for op in patch_operations:
            if op.get("path") == "/providerARNs" and op.get("op") in ("add", "remove"):
                arns = list(self.provider_arns or [])
                if op["op"] == "add" and op.get("value") not in arns:
                    arns.append(op.get("value"))
                elif op["op"] == "remove" and op.get("value") in arns:
                    arns.remove(op.get("value"))
                if not arns:
                    raise BadRequestException("providerARNs must not be empty")
                self.provider_arns = arns
            else:
                rest.append(op)
        return original_apply(self, rest)

    Authorizer.apply_operations = apply_operations


def patch_multi_level_base_paths() -> None:
    """AWS allows multi-level base paths (`v1/pets`) on regional domains with TLS 1.2; moto
    refuses any slash. Such a mapping is created as AWS would; the rest of moto's checks stay."""
    from moto.apigateway.exceptions import InvalidBasePathException
    from moto.apigateway.models import APIGatewayBackend, BasePathMapping

    original = APIGatewayBackend.create_base_path_mapping

    def create_base_path_mapping(self, domain_name, rest_api_id, base_path, stage):
        domain = self.domain_names.get(domain_name)
        if not base_path or "/" not in base_path or domain is None:
            return original(self, domain_name, rest_api_id, base_path, stage)
        types = (domain.endpoint_configuration or {}).get("types") or []
        if "REGIONAL" not in types or domain.security_policy != "TLS_1_2":
            raise InvalidBasePathException()
        # Validate everything else with moto's own checks, on a slash-free stand-in path.
        probe = base_path.replace("/", "-") + "-flarelink-probe"
        original(self, domain_name, rest_api_id, probe, stage)
        del self.base_path_mappings[domain_name][probe]
        if base_path in self.base_path_mappings[domain_name]:
            from moto.apigateway.exceptions import BasePathConflictException

            raise BasePathConflictException()
        mapping = BasePathMapping(domain_name=domain_name, rest_api_id=rest_api_id, basePath=base_path, stage=stage)
        self.base_path_mappings[domain_name][base_path] = mapping
        return mapping

    APIGatewayBackend.create_base_path_mapping = create_base_path_mapping

    # Get/Update/DeleteBasePathMapping name such a mapping in the URL (`v1%2Fpets`, decoded to
    # `v1/pets` before moto routes it): let the last URL parameter hold slashes.
    from moto.apigateway import urls
    from moto.apigateway.responses import APIGatewayResponse

    single = "{0}/domainnames/(?P<domain_name>[^/]+)/basepathmappings/(?P<base_path_mapping>[^/]+)$"
    if single in urls.url_paths:
        handler = urls.url_paths.pop(single)
        urls.url_paths[single.replace("[^/]+)$", ".+)$")] = handler

    def whole_base_path(self):
        return urllib.parse.unquote("/".join(self.path.split("?")[0].split("/")[4:]))

    def get_one(self):
        mapping = self.backend.get_base_path_mapping(self.path.split("/")[2], whole_base_path(self))
        return json.dumps(mapping.to_json())

    def delete_one(self):
        self.backend.delete_base_path_mapping(self.path.split("/")[2], whole_base_path(self))
        return 202, {"status": 202}, ""

    def update_one(self):
        mapping = self.backend.update_base_path_mapping(
            self.path.split("/")[2], whole_base_path(self), self._get_param("patchOperations")
        )
        return json.dumps(mapping.to_json())

    APIGatewayResponse.get_base_path_mapping = get_one
    APIGatewayResponse.delete_base_path_mapping = delete_one
    APIGatewayResponse.update_base_path_mapping = update_one


def patch_srp_secret_block() -> None:
    import base64

    from moto.cognitoidp.models import CognitoIdpBackend

    original = CognitoIdpBackend.initiate_auth

    def initiate_auth(self, client_id, auth_flow, auth_parameters):
        result = original(self, client_id, auth_flow, auth_parameters)
        params = result.get("ChallengeParameters") or {}
        if result.get("ChallengeName") == "PASSWORD_VERIFIER" and "SECRET_BLOCK" in params:
            session = params["SECRET_BLOCK"]
            encoded = base64.b64encode(session.encode()).decode()
            self.sessions[encoded] = self.sessions[session]
            params["SECRET_BLOCK"] = encoded
        return result

    CognitoIdpBackend.initiate_auth = initiate_auth


def patch_acm_reimport() -> None:
    from moto.acm.exceptions import AWSValidationException
    from moto.acm.models import AWSCertificateManagerBackend, CertBundle

    original_import = AWSCertificateManagerBackend.import_certificate

    def key_kind(bundle):
        key = bundle._key
        curve = getattr(key, "curve", None)
        return ("EC", curve.name) if curve is not None else ("RSA", key.key_size)

    def import_certificate(self, certificate, private_key, chain, arn, tags):
        previous = self._certificates.get(arn) if arn is not None else None
        if previous is None:
            return original_import(self, certificate, private_key, chain, arn, tags)
        if tags:
            raise AWSValidationException("You can't add tags when you reimport a certificate.")
        replacement = CertBundle(
            self.account_id, certificate, private_key, chain=chain, region=self.region_name, arn=arn
        )
        if key_kind(replacement) != key_kind(previous):
            raise AWSValidationException(
                "The certificate being reimported must have the same key algorithm and size as the existing certificate."
            )
        replacement.tags = previous.tags
        replacement.in_use_by = previous.in_use_by
        replacement.created_at = previous.created_at
        self._certificates[arn] = replacement
        return arn

    original_describe = CertBundle.describe

    def describe(self):
        result = original_describe(self)
        serial = self._cert.serial_number
        raw = serial.to_bytes(max(1, (serial.bit_length() + 7) // 8), "big")
        result["Certificate"]["Serial"] = ":".join(f"{b:02x}" for b in raw)
        return result

    AWSCertificateManagerBackend.import_certificate = import_certificate
    CertBundle.describe = describe

def patch_acm_idempotency_after_delete() -> None:
    """RequestCertificate with an IdempotencyToken whose certificate was deleted since raises
    KeyError inside moto (HTTP 500, which AWS never answers for it). The token is then treated
    as unused and a new certificate is requested. (flarelink also copes with the other answer
    AWS may give, the deleted certificate's ARN: it requests again with a new token.)"""
    from moto.acm.models import AWSCertificateManagerBackend

    original = AWSCertificateManagerBackend.request_certificate

    def request_certificate(self, domain_name, idempotency_token, *args, **kwargs):
        known = self._idempotency_tokens.get(idempotency_token) if idempotency_token else None
        if known is not None and known["arn"] not in self._certificates:
            del self._idempotency_tokens[idempotency_token]
        return original(self, domain_name, idempotency_token, *args, **kwargs)

    AWSCertificateManagerBackend.request_certificate = request_certificate


class StandinPublicCA:
    """The stand-in for the public CA behind ACM-issued certificates: a self-signed root (RSA
    2048) under moto's issuer name for them, made at start; its key lives only in memory."""

    def __init__(self) -> None:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        # moto's issuer for requested certificates (C = US, O = Amazon, OU = Server CA 1B,
        # CN = Amazon), so DescribeCertificate's Issuer stays what moto answers.
        self.name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amazon"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Server CA 1B"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Amazon"),
        ])
        now = datetime.datetime.now(datetime.timezone.utc)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
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

    @property
    def cert_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._cert.public_bytes(serialization.Encoding.PEM)

    def resign(self, cert_pem: bytes) -> bytes:
        """`cert_pem` with the same subject, public key, validity and extensions, issued and
        signed by this CA."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization

        leaf = x509.load_pem_x509_certificate(cert_pem)
        builder = (
            x509.CertificateBuilder()
            .subject_name(leaf.subject)
            .issuer_name(self.name)
            .public_key(leaf.public_key())
            .serial_number(leaf.serial_number)
            .not_valid_before(leaf.not_valid_before_utc)
            .not_valid_after(leaf.not_valid_after_utc)
        )
        for ext in leaf.extensions:
            builder = builder.add_extension(ext.value, critical=ext.critical)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False
        )
        return builder.sign(self._key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def patch_acm_issued_by_public_ca(ca: StandinPublicCA) -> None:
    from moto.acm.models import CertBundle

    original = CertBundle.generate_cert.__func__

    def generate_cert(cls, *args, **kwargs):
        bundle = original(cls, *args, **kwargs)
        if bundle.type == "AMAZON_ISSUED":  # PRIVATE ones stay as moto makes them
            bundle.cert = ca.resign(bundle.cert)
            bundle._cert = bundle.validate_certificate()
            bundle.chain = ca.cert_pem
        return bundle

    CertBundle.generate_cert = classmethod(generate_cert)


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
    throttled("update_domain_name")
    throttled("delete_domain_name")


def parse_args():
    import argparse

    parser = argparse.ArgumentParser(description="moto for flarelink's tests, demo and stand-ins")
    parser.add_argument("--dataplane", action="store_true", help="also serve the API Gateway data plane and the upstream")
    parser.add_argument("--origin-map", help="the shared origin map (JSON) for upstream names")
    parser.add_argument("--ca-out", help="write the local CA certificate (PEM) here")
    parser.add_argument("--region", default="us-east-1", help="region of the execute-api certificate for unknown names")
    parser.add_argument("--public-ca-out", help="write the stand-in public CA's root certificate (PEM) for ACM-issued certificates here")
    return parser.parse_args()


def start_dataplane(args) -> dict:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import dataplane
    import upstream
    from localtls import LocalCA
    from originmap import OriginMap

    dataplane.patch_deployment_snapshots()
    ca = LocalCA()
    if args.ca_out:
        with open(args.ca_out, "wb") as f:
            f.write(ca.cert_pem)
    _plane, addresses = dataplane.start(ca, OriginMap(args.origin_map), args.region)
    addresses["ca_file"] = args.ca_out
    return {"dataplane": addresses, "upstream": upstream.start(ca)}


def main() -> None:
    args = parse_args()
    patch_base_path_mappings()
    patch_update_domain_name()
    patch_domain_mutual_tls()
    patch_rest_api_disable_execute_api_endpoint()
    patch_rest_api_tags()
    patch_s3_get_bucket_versioning_root()
    patch_method_and_authorizer_updates()
    patch_multi_level_base_paths()
    patch_srp_secret_block()
    patch_acm_reimport()
    patch_acm_idempotency_after_delete()
    public_ca = StandinPublicCA()
    patch_acm_issued_by_public_ca(public_ca)
    if args.public_ca_out:
        with open(args.public_ca_out, "wb") as f:
            f.write(public_ca.cert_pem)
    quota = os.environ.get("FLARELINK_MOTO_DOMAIN_QUOTA_SECONDS")
    if quota:
        patch_domain_quota(float(quota))

    from moto.server import ThreadedMotoServer

    port = int(os.environ.get("FLARELINK_MOTO_PORT", "0"))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    line = {"endpoint": f"http://{host}:{port}"}
    if args.dataplane:
        line.update(start_dataplane(args))
    print(json.dumps(line), flush=True)

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
