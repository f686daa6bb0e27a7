"""Drive the Cloudflare emulator with Cloudflare's official Python SDK (PyPI `cloudflare`,
pinned in scripts/requirements.txt) and check that every call succeeds and reads back what was
stored, and that errors surface as the SDK's own exception types with Cloudflare's codes.

Usage: python official_sdk.py --base-url URL --root-url URL --token T --read-only-token R
       --zone example.com

Exit 0 when every check passes; any failure raises (non-zero exit) with a message.
Keys are generated at run time; nothing secret is read or written.
"""

import argparse
import datetime
import json
import sys
import time
import urllib.request

import cloudflare
from cloudflare import Cloudflare
from cloudflare.types.rulesets.phase_update_response import Ruleset as PhaseUpdateRuleset
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

CHECKS = 0


def check(cond, message):
    global CHECKS
    CHECKS += 1
    if not cond:
        raise AssertionError(message)


def expect_error(exc_type, code, fn):
    """fn() must raise exc_type whose first Cloudflare error has `code`."""
    try:
        fn()
    except exc_type as e:
        codes = [err.code for err in e.errors]
        check(codes and codes[0] == code, f"expected code {code}, got {codes} ({e.body})")
        return e
    except cloudflare.APIStatusError as e:  # wrong class
        raise AssertionError(f"expected {exc_type.__name__}, got {type(e).__name__}: {e.body}")
    raise AssertionError(f"expected {exc_type.__name__} with code {code}, but the call succeeded")


def make_csr(key):
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "conformance")]))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
    )


def san_dns(cert):
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return ext.value.get_values_for_type(x509.DNSName)


def zones_checks(cf, zone_name):
    zones = list(cf.zones.list(name=zone_name))
    check(len(zones) == 1, f"zones.list(name=) returned {zones}")
    zone = zones[0]
    check(zone.name == zone_name and len(zone.id) == 32, f"zone {zone}")
    check(zone.status == "active", f"zone status {zone.status}")
    got = cf.zones.get(zone_id=zone.id)
    check(got.id == zone.id and got.name == zone_name, f"zones.get {got}")
    check(list(cf.zones.list(name="absent-" + zone_name)) == [], "unknown zone name lists nothing")
    return zone.id


def origin_ca_checks(cf, zone_id, zone_name, root_pem):
    root = x509.load_pem_x509_certificate(root_pem.encode())
    issued = []
    for request_type, key, validity in (
        ("origin-rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048), 90),
        ("origin-ecc", ec.generate_private_key(ec.SECP256R1()), 365),
    ):
        csr = make_csr(key)
        hostnames = [f"api.{zone_name}", f"*.{zone_name}"]
        cert = cf.origin_ca_certificates.create(
            csr=csr, hostnames=hostnames, request_type=request_type, requested_validity=validity
        )
        check(cert is not None and cert.id and cert.id.isdigit(), f"certificate id {cert}")
        check(cert.hostnames == hostnames, f"hostnames {cert.hostnames}")
        check(cert.request_type == request_type, f"request_type {cert.request_type}")
        check(cert.requested_validity == validity, f"requested_validity {cert.requested_validity}")
        check(cert.csr == csr, "csr is echoed back as given")
        check(cert.expires_on.endswith(" +0000 UTC"), f"expires_on format {cert.expires_on}")
        parsed = x509.load_pem_x509_certificate(cert.certificate.encode())
        check(str(parsed.serial_number) == cert.id, "id is the decimal serial")
        check(san_dns(parsed) == hostnames, f"SANs {san_dns(parsed)}")
        lifetime = parsed.not_valid_after_utc - parsed.not_valid_before_utc
        check(lifetime == datetime.timedelta(days=validity), f"lifetime {lifetime}")
        expires = datetime.datetime.strptime(cert.expires_on, "%Y-%m-%d %H:%M:%S +0000 UTC")
        check(
            expires.replace(tzinfo=datetime.timezone.utc) == parsed.not_valid_after_utc,
            "expires_on equals notAfter",
        )
        check(
            parsed.public_key().public_numbers() == key.public_key().public_numbers(),
            "the certificate carries the CSR's key",
        )
        parsed.verify_directly_issued_by(root)  # raises if not signed by the emulator root
        check(parsed.issuer == root.subject, "issuer is the emulator root")
        issued.append(cert)

    listed = list(cf.origin_ca_certificates.list(zone_id=zone_id))
    check([c.id for c in listed] == [c.id for c in issued], f"list {[c.id for c in listed]}")
    paged = list(cf.origin_ca_certificates.list(zone_id=zone_id, per_page=1))
    check([c.id for c in paged] == [c.id for c in issued], "auto-pagination with per_page=1")

    first = issued[0]
    got = cf.origin_ca_certificates.get(first.id)
    check(got.id == first.id and got.certificate == first.certificate, "get returns the stored cert")

    revoked = cf.origin_ca_certificates.delete(first.id)
    check(revoked.id == first.id, f"revoke id {revoked}")
    check(isinstance(revoked.revoked_at, datetime.datetime), f"revoked_at {revoked.revoked_at!r}")
    remaining = [c.id for c in cf.origin_ca_certificates.list(zone_id=zone_id)]
    check(remaining == [issued[1].id], f"revoked certificate no longer listed: {remaining}")

    expect_error(
        cloudflare.BadRequestError,
        1010,
        lambda: cf.origin_ca_certificates.create(
            csr=issued[1].csr, hostnames=["api.not-my-zone.org"], request_type="origin-ecc"
        ),
    )


def dns_checks(cf, zone_id, zone_name):
    host = f"api.{zone_name}"
    target = "d-abc123.execute-api.us-east-1.amazonaws.com"
    rec = cf.dns.records.create(
        zone_id=zone_id,
        type="CNAME",
        name=host,
        content=target,
        proxied=True,
        ttl=1,
        comment="managed by flarelink",
        tags=["owner:flarelink"],
    )
    check(len(rec.id) == 32, f"record id {rec.id}")
    check((rec.type, rec.name, rec.content) == ("CNAME", host, target), f"record {rec}")
    check(rec.proxied is True and rec.proxiable is True and rec.ttl == 1, f"proxy/ttl {rec}")
    check(rec.comment == "managed by flarelink" and rec.tags == ["owner:flarelink"], f"{rec}")

    found = list(cf.dns.records.list(zone_id=zone_id, type="CNAME", name={"exact": host}))
    check([r.id for r in found] == [rec.id], f"list(name exact) {found}")
    check(list(cf.dns.records.list(zone_id=zone_id, type="A", name={"exact": host})) == [], "A filter")

    # Conflicts surface as BadRequestError with Cloudflare's codes.
    expect_error(
        cloudflare.BadRequestError,
        81053,
        lambda: cf.dns.records.create(zone_id=zone_id, type="A", name=host, content="203.0.113.10", ttl=1),
    )
    expect_error(
        cloudflare.BadRequestError,
        81058,
        lambda: cf.dns.records.create(
            zone_id=zone_id, type="CNAME", name=host, content=target, proxied=True, ttl=1
        ),
    )

    new_target = "d-new456.execute-api.eu-west-1.amazonaws.com"
    upd = cf.dns.records.update(
        rec.id, zone_id=zone_id, type="CNAME", name=host, content=new_target, proxied=False, ttl=300
    )
    check((upd.content, upd.proxied, upd.ttl) == (new_target, False, 300), f"update {upd}")
    check(upd.comment is None and upd.tags == [], f"PUT replaces the whole record {upd}")

    edited = cf.dns.records.edit(rec.id, zone_id=zone_id, type="CNAME", name=host, ttl=1, proxied=True)
    check((edited.content, edited.proxied, edited.ttl) == (new_target, True, 1), f"edit {edited}")
    got = cf.dns.records.get(rec.id, zone_id=zone_id)
    check((got.id, got.content, got.proxied) == (rec.id, new_target, True), f"get {got}")

    # Auto-pagination over several pages.
    made = [
        cf.dns.records.create(zone_id=zone_id, type="TXT", name=f"page{i}", content=f"v{i}", ttl=1).id
        for i in range(5)
    ]
    listed = [r.id for r in cf.dns.records.list(zone_id=zone_id, type="TXT", per_page=2)]
    check(listed == made, f"paged list {listed} != {made}")

    deleted = cf.dns.records.delete(rec.id, zone_id=zone_id)
    check(deleted.id == rec.id, f"delete {deleted}")
    for rid in made:
        cf.dns.records.delete(rid, zone_id=zone_id)
    check(list(cf.dns.records.list(zone_id=zone_id)) == [], "all records deleted")
    expect_error(cloudflare.NotFoundError, 81044, lambda: cf.dns.records.get(rec.id, zone_id=zone_id))


def ssl_checks(cf, zone_id):
    s = cf.zones.settings.get("ssl", zone_id=zone_id)
    check(s.id == "ssl" and s.value == "flexible", f"initial ssl {s}")
    e = cf.zones.settings.edit("ssl", zone_id=zone_id, value="strict")
    check(e.id == "ssl" and e.value == "strict", f"edit ssl {e}")
    check(cf.zones.settings.get("ssl", zone_id=zone_id).value == "strict", "ssl reads back strict")


def as_ruleset(answer):
    """phases.update's result type is `Union[Ruleset, Optional[object]]` (a dry run answers
    null); pydantic's smart union then keeps a plain dict, because `last_updated` is text on
    the wire and Ruleset only validates it leniently. Validate it as the SDK's Ruleset here."""
    if isinstance(answer, dict):
        return PhaseUpdateRuleset.model_validate(answer)
    return answer


def rulesets_checks(cf, zone_id, zone_name):
    """Configuration Rules: the http_config_settings phase entry point (SDK: rulesets.phases)."""
    phase = "http_config_settings"
    e = expect_error(
        cloudflare.NotFoundError, 10003, lambda: cf.rulesets.phases.get(phase, zone_id=zone_id)
    )
    check(
        e.errors[0].message == f"could not find entrypoint ruleset in the {phase} phase",
        f"404 message {e.errors[0].message!r}",
    )
    host = f"api.{zone_name}"
    made = as_ruleset(cf.rulesets.phases.update(
        phase,
        zone_id=zone_id,
        rules=[
            {
                "action": "set_config",
                "expression": f'(http.host eq "{host}")',
                "action_parameters": {"ssl": "full"},
                "description": "flarelink conformance",
            }
        ],
    ))
    check(made.kind == "zone" and made.phase == phase, f"kind/phase {made.kind} {made.phase}")
    check(len(made.id) == 32 and made.version == "1", f"ruleset id/version {made.id} {made.version}")
    check(len(made.rules) == 1, f"rules {made.rules}")
    rule = made.rules[0]
    check(rule.action == "set_config" and rule.action_parameters.ssl == "full", f"rule {rule}")
    check(len(rule.id) == 32 and rule.ref == rule.id and rule.enabled is True, f"rule ids {rule}")
    check(rule.expression == f'(http.host eq "{host}")', f"expression {rule.expression}")

    got = cf.rulesets.phases.get(phase, zone_id=zone_id)
    check(got.id == made.id and [r.id for r in got.rules] == [rule.id], f"get {got}")

    # Keep the first rule by its id, add a second one: ids kept, versions counted.
    again = as_ruleset(cf.rulesets.phases.update(
        phase,
        zone_id=zone_id,
        rules=[
            {
                "id": rule.id,
                "action": "set_config",
                "expression": f'(http.host eq "{host}")',
                "action_parameters": {"ssl": "full"},
                "description": "flarelink conformance",
            },
            {
                "action": "set_config",
                "expression": f'http.host in {{"www.{zone_name}" "old.{zone_name}"}}',
                "action_parameters": {"ssl": "strict"},
                "enabled": False,
            },
        ],
    ))
    check(again.id == made.id and again.version == "2", f"second put {again.id} {again.version}")
    check(again.rules[0].id == rule.id and again.rules[0].version == "1", "unchanged rule kept")
    check(again.rules[1].enabled is False and again.rules[1].id != rule.id, f"{again.rules[1]}")

    listed = list(cf.rulesets.list(zone_id=zone_id))
    check([r.id for r in listed] == [made.id] and listed[0].phase == phase, f"list {listed}")

    # Strict refusals surface as the SDK's BadRequestError with Cloudflare's codes.
    expect_error(
        cloudflare.BadRequestError,
        20113,
        lambda: cf.rulesets.phases.update(
            phase, zone_id=zone_id, rules=[{"action": "set_config", "expression": "true"}]
        ),
    )
    bad = expect_error(
        cloudflare.BadRequestError,
        20021,
        lambda: cf.rulesets.phases.update(
            phase,
            zone_id=zone_id,
            rules=[
                {
                    "action": "set_config",
                    "expression": 'http.hots eq "x"',
                    "action_parameters": {"ssl": "full"},
                }
            ],
        ),
    )
    check(bad.errors[0].message.startswith("Filter parsing error (1:1):"), f"{bad.errors[0]}")
    check(bad.errors[0].source.pointer == "/rules/0/expression", f"pointer {bad.errors[0].source}")
    after = cf.rulesets.phases.get(phase, zone_id=zone_id)
    check(after.version == "2" and len(after.rules) == 2, "refused writes changed nothing")


def client_pki(ca_name, expired=False):
    """A client CA and a client-auth leaf it signed (cryptography); PEM texts."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_subject)
        .issuer_name(ca_subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    not_after = now - datetime.timedelta(days=1) if expired else now + datetime.timedelta(days=30)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "flarelink client")]))
        .issuer_name(ca_subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=2))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = lambda k: k.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "ca": pem(ca), "ca_key": key_pem(ca_key), "leaf": pem(leaf), "leaf_key": key_pem(leaf_key),
        "leaf_obj": leaf,
    }


def no_private_key(text, where):
    check("PRIVATE KEY" not in text, f"{where} carries a private key")


def origin_pulls_checks(cf, zone_id, zone_name, root_url):
    """Per-hostname Authenticated Origin Pulls (SDK: origin_tls_client_auth.hostname_certificates,
    .hostnames) and the zone setting tls_client_auth."""
    req = urllib.request.Request(
        root_url + "/__emulator/aop_deploy", data=json.dumps({"ms": 200}).encode(), method="POST",
        headers={"content-type": "application/json"},
    )
    urllib.request.urlopen(req).read()
    aop = cf.origin_tls_client_auth
    host = f"api.{zone_name}"

    s = cf.zones.settings.get("tls_client_auth", zone_id=zone_id)
    check(s.id == "tls_client_auth" and s.value == "off", f"initial tls_client_auth {s}")
    e = cf.zones.settings.edit("tls_client_auth", zone_id=zone_id, value="on")
    check(e.id == "tls_client_auth" and e.value == "on", f"edit tls_client_auth {e}")
    check(cf.zones.settings.get("tls_client_auth", zone_id=zone_id).value == "on", "reads back on")
    expect_error(
        cloudflare.BadRequestError, 1007,
        lambda: cf.zones.settings.edit("tls_client_auth", zone_id=zone_id, value="strict"),
    )

    pki = client_pki("conformance client CA")
    cert = aop.hostname_certificates.create(
        zone_id=zone_id, certificate=pki["leaf"], private_key=pki["leaf_key"]
    )
    check(cert is not None and len(cert.id) == 32, f"upload id {cert}")
    check(cert.status == "pending_deployment", f"upload status {cert.status}")
    check(cert.certificate == pki["leaf"], "certificate echoed back")
    leaf = pki["leaf_obj"]
    check(cert.serial_number == str(leaf.serial_number), f"serial {cert.serial_number}")
    check(cert.expires_on == leaf.not_valid_after_utc, f"expires_on {cert.expires_on}")
    check(cert.signature == "ECDSAWithSHA256", f"signature {cert.signature}")
    check("conformance client CA" in cert.issuer, f"issuer {cert.issuer}")
    check(isinstance(cert.uploaded_on, datetime.datetime), f"uploaded_on {cert.uploaded_on!r}")
    no_private_key(cert.model_dump_json(), "upload answer")

    # Callers poll until the certificate is deployed, as with the real service.
    deadline = time.monotonic() + 10
    while aop.hostname_certificates.get(cert.id, zone_id=zone_id).status != "active":
        check(time.monotonic() < deadline, "certificate never became active")
        time.sleep(0.05)
    listed = list(aop.hostname_certificates.list(zone_id=zone_id))
    check([c.id for c in listed] == [cert.id], f"list {[c.id for c in listed]}")
    check(listed[0].status == "active", f"listed status {listed[0].status}")
    no_private_key(json.dumps([c.model_dump(mode="json") for c in listed]), "list answer")

    updated = list(aop.hostnames.update(
        zone_id=zone_id, config=[{"hostname": host, "cert_id": cert.id, "enabled": True}]
    ))
    check(len(updated) == 1, f"update answer {updated}")
    u = updated[0]
    check((u.hostname, u.cert_id, u.enabled) == (host, cert.id, True), f"association {u}")
    check(u.status == "pending_deployment" and u.cert_status == "active", f"statuses {u}")
    check(u.private_key is None, "the association answer carries no private key")
    deadline = time.monotonic() + 10
    while True:
        got = aop.hostnames.get(host, zone_id=zone_id)
        if got.status == "active":
            break
        check(time.monotonic() < deadline, "association never became active")
        time.sleep(0.05)
    check((got.hostname, got.cert_id, got.enabled) == (host, cert.id, True), f"get {got}")
    check(got.certificate == pki["leaf"] and got.serial_number == cert.serial_number, f"{got}")
    check(got.cert_status == "active" and isinstance(got.expires_on, datetime.datetime), f"{got}")

    # Strict refusals, each with Cloudflare's exception type.
    ca_as_leaf = expect_error(
        cloudflare.BadRequestError, 1002,
        lambda: aop.hostname_certificates.create(
            zone_id=zone_id, certificate=pki["ca"], private_key=pki["ca_key"]
        ),
    )
    check(ca_as_leaf.errors[0].message == "missing leaf certificate", f"{ca_as_leaf.errors[0]}")
    other = client_pki("another CA")
    expect_error(
        cloudflare.BadRequestError, 1003,
        lambda: aop.hostname_certificates.create(
            zone_id=zone_id, certificate=pki["leaf"], private_key=other["leaf_key"]
        ),
    )
    expired = client_pki("expired CA", expired=True)
    expect_error(
        cloudflare.BadRequestError, 1002,
        lambda: aop.hostname_certificates.create(
            zone_id=zone_id, certificate=expired["leaf"], private_key=expired["leaf_key"]
        ),
    )
    expect_error(
        cloudflare.BadRequestError, 1002,
        lambda: aop.hostname_certificates.create(
            zone_id=zone_id, certificate="not a certificate", private_key=pki["leaf_key"]
        ),
    )
    expect_error(
        cloudflare.BadRequestError, 1010,
        lambda: aop.hostnames.update(
            zone_id=zone_id, config=[{"hostname": "api.not-my-zone.org", "cert_id": cert.id, "enabled": True}]
        ),
    )
    bad = expect_error(
        cloudflare.BadRequestError, 1101,
        lambda: aop.hostnames.update(
            zone_id=zone_id, config=[{"hostname": host, "cert_id": "0" * 32, "enabled": True}]
        ),
    )
    check(bad.errors[0].source.pointer == "/config/0/cert_id", f"pointer {bad.errors[0].source}")
    expect_error(cloudflare.NotFoundError, 1101, lambda: aop.hostname_certificates.get("0" * 32, zone_id=zone_id))
    expect_error(cloudflare.NotFoundError, 1102, lambda: aop.hostnames.get(f"www.{zone_name}", zone_id=zone_id))
    in_use = expect_error(
        cloudflare.BadRequestError, 1008,
        lambda: aop.hostname_certificates.delete(cert.id, zone_id=zone_id),
    )
    check(host in in_use.errors[0].message, f"in-use message {in_use.errors[0].message}")
    check(
        aop.hostnames.get(host, zone_id=zone_id).enabled is True,
        "refused calls changed nothing",
    )

    # Roll back as Cloudflare's docs do: disable, then delete the certificate.
    off = list(aop.hostnames.update(
        zone_id=zone_id, config=[{"hostname": host, "cert_id": cert.id, "enabled": False}]
    ))
    check(off[0].enabled is False, f"disabled {off[0]}")
    deleted = aop.hostname_certificates.delete(cert.id, zone_id=zone_id)
    check(deleted.id == cert.id and deleted.status == "pending_deletion", f"delete {deleted}")
    deadline = time.monotonic() + 10
    while aop.hostname_certificates.get(cert.id, zone_id=zone_id).status != "deleted":
        check(time.monotonic() < deadline, "deletion never completed")
        time.sleep(0.05)
    check(list(aop.hostname_certificates.list(zone_id=zone_id)) == [], "deleted certificate not listed")
    expect_error(cloudflare.NotFoundError, 1102, lambda: aop.hostnames.get(host, zone_id=zone_id))
    expect_error(cloudflare.NotFoundError, 1101, lambda: aop.hostname_certificates.delete(cert.id, zone_id=zone_id))

    # enabled: null voids an association.
    second = aop.hostname_certificates.create(
        zone_id=zone_id, certificate=other["leaf"], private_key=other["leaf_key"]
    )
    aop.hostnames.update(zone_id=zone_id, config=[{"hostname": host, "cert_id": second.id, "enabled": True}])
    voided = list(aop.hostnames.update(
        zone_id=zone_id, config=[{"hostname": host, "cert_id": second.id, "enabled": None}]
    ))
    check(voided[0].enabled is None, f"voided {voided[0]}")
    expect_error(cloudflare.NotFoundError, 1102, lambda: aop.hostnames.get(host, zone_id=zone_id))
    aop.hostname_certificates.delete(second.id, zone_id=zone_id)
    # Deletion completes after the deploy delay: wait for it, so later checks see none left
    # however fast this machine runs the next call.
    deadline = time.monotonic() + 10
    while aop.hostname_certificates.get(second.id, zone_id=zone_id).status != "deleted":
        check(time.monotonic() < deadline, "second deletion never completed")
        time.sleep(0.05)
    cf.zones.settings.edit("tls_client_auth", zone_id=zone_id, value="off")

    with urllib.request.urlopen(root_url + "/__emulator/state") as r:
        no_private_key(r.read().decode(), "the emulator's state dump")


def auth_checks(base_url, read_only_token, zone_id):
    bad = Cloudflare(api_token="definitely-not-a-token", base_url=base_url, max_retries=0)
    expect_error(cloudflare.PermissionDeniedError, 10000, lambda: list(bad.zones.list()))
    ro = Cloudflare(api_token=read_only_token, base_url=base_url, max_retries=0)
    check(len(list(ro.zones.list())) >= 1, "read-only token can read")
    expect_error(
        cloudflare.PermissionDeniedError,
        10000,
        lambda: ro.zones.settings.edit("ssl", zone_id=zone_id, value="off"),
    )
    check(
        ro.rulesets.phases.get("http_config_settings", zone_id=zone_id).rules,
        "read-only token reads the Configuration Rules",
    )
    expect_error(
        cloudflare.PermissionDeniedError,
        10000,
        lambda: ro.rulesets.phases.update("http_config_settings", zone_id=zone_id, rules=[]),
    )
    pki = client_pki("read-only CA")
    expect_error(
        cloudflare.PermissionDeniedError,
        10000,
        lambda: ro.origin_tls_client_auth.hostname_certificates.create(
            zone_id=zone_id, certificate=pki["leaf"], private_key=pki["leaf_key"]
        ),
    )
    check(
        list(ro.origin_tls_client_auth.hostname_certificates.list(zone_id=zone_id)) == [],
        "read-only token lists the hostname certificates (none left)",
    )
    expect_error(
        cloudflare.PermissionDeniedError,
        10000,
        lambda: ro.zones.settings.edit("tls_client_auth", zone_id=zone_id, value="on"),
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", required=True)
    p.add_argument("--root-url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--read-only-token", required=True)
    p.add_argument("--zone", required=True)
    args = p.parse_args()

    with urllib.request.urlopen(args.root_url + "/__emulator/ca.pem") as r:
        root_pem = r.read().decode()
    cf = Cloudflare(api_token=args.token, base_url=args.base_url, max_retries=0)
    zone_id = zones_checks(cf, args.zone)
    origin_ca_checks(cf, zone_id, args.zone, root_pem)
    dns_checks(cf, zone_id, args.zone)
    ssl_checks(cf, zone_id)
    rulesets_checks(cf, zone_id, args.zone)
    origin_pulls_checks(cf, zone_id, args.zone, args.root_url)
    auth_checks(args.base_url, args.read_only_token, zone_id)
    with urllib.request.urlopen(args.root_url + "/__emulator/stats") as r:
        stats = json.loads(r.read())
    check(stats["writes"] >= stats["successful_writes"] > 0, f"stats {stats}")
    print(f"official SDK conformance: {CHECKS} checks passed (cloudflare {cloudflare.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
