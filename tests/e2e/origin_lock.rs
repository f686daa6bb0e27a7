//! The origin lock (`[[domain]] origin_lock = "mtls"`) on the standing local environment: the
//! edge's requests still answer, while a direct call to API Gateway's regional name (right Host
//! and SNI, no client certificate) and the default `execute-api` endpoint are refused. Every
//! outcome is read back independently: Python's http.client through the edge and the data
//! plane, boto3 for moto, Cloudflare's official Python SDK for the emulator.

use std::path::{Path, PathBuf};

use flarelink_test_support::standins::{sibling_binary, HttpAnswer, Standins};
use serde_json::Value;

use crate::guide_setup::{flarelink, guide_config, provision_user, Out};

const HOST: &str = "api.example.com";
const PASSWORD: &str = "Superd3d$-lock";

struct Env {
    s: Standins,
    dir: tempfile::TempDir,
}

/// The lock tests' reading of a JSON report.
trait Steps {
    /// The steps that change (or changed) something, as `step:action`.
    fn writes(&self) -> Vec<String>;
    fn steps(&self) -> Vec<String>;
}

impl Steps for Out {
    fn writes(&self) -> Vec<String> {
        self.json()["report"]["steps"]
            .as_array()
            .expect("report.steps")
            .iter()
            .filter(|s| !["exists", "skip"].contains(&s["action"].as_str().unwrap()))
            .map(|s| {
                format!(
                    "{}:{}",
                    s["step"].as_str().unwrap(),
                    s["action"].as_str().unwrap()
                )
            })
            .collect()
    }

    fn steps(&self) -> Vec<String> {
        self.json()["report"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap().to_string())
            .collect()
    }
}

impl Env {
    fn start() -> Env {
        Env {
            // Requested ACM certificates (the ownership-verification one) are issued at once.
            s: Standins::start(
                &sibling_binary("cloudflare-emulator"),
                &["--acm-validation-wait", "0"],
            ),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn config(&self, lock: &str) -> PathBuf {
        guide_config(
            &self.s,
            self.dir.path().join(format!("config-{lock}.toml")),
            HOST,
            "ssl_mode = \"strict\"\n",
            "",
            &format!("origin_lock = \"{lock}\"\n"),
        )
    }

    fn flarelink(&self, config: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
        flarelink(&self.s, config, args, env)
    }

    fn link(&self, config: &Path, extra: &[&str], env: &[(&str, &str)]) -> Out {
        let mut args = vec!["link-domain", "--output", "json"];
        args.extend_from_slice(extra);
        self.flarelink(config, &args, env)
    }

    /// provision → a user → its ID token (the API exists; nothing is linked yet).
    fn provision(&self, config: &Path) -> String {
        provision_user(&self.s, config, "superdude", PASSWORD)
    }

    /// Straight to API Gateway's data plane with the right Host and SNI, no client certificate.
    fn direct(&self, token: &str) -> HttpAnswer {
        self.s.https(
            self.s.dataplane_address(),
            HOST,
            "/ditto",
            &[("Authorization", token)],
            &self.s.origin_ca_root(),
        )
    }

    /// The REST API's default endpoint.
    fn default_endpoint(&self, api_id: &str, token: &str) -> HttpAnswer {
        self.s.https(
            self.s.dataplane_address(),
            &format!("{api_id}.execute-api.us-east-1.amazonaws.com"),
            "/prod/ditto",
            &[("Authorization", token)],
            &self.s.dataplane_ca_file(),
        )
    }

    /// What AWS holds of the lock, read with boto3.
    fn aws(&self) -> Value {
        self.s.boto3(&format!(
            r#"
apigw, s3, acm = client("apigateway"), client("s3"), client("acm")
d = apigw.get_domain_name(domainName={HOST:?}) if any(x["domainName"] == {HOST:?} for x in apigw.get_domain_names()["items"]) else {{}}
api = [a for a in apigw.get_rest_apis()["items"] if a["name"] == "ditto-api"][0]
buckets = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
objects = {{}}
for b in buckets:
    for v in s3.list_object_versions(Bucket=b).get("Versions", []):
        objects.setdefault(b + "/" + v["Key"], []).append(v["VersionId"])
owners = []
for c in acm.list_certificates()["CertificateSummaryList"]:
    tags = {{t["Key"]: t.get("Value") for t in acm.list_tags_for_certificate(CertificateArn=c["CertificateArn"])["Tags"]}}
    if tags.get("flarelink:ownership-of"):
        owners.append(c["CertificateArn"])
emit({{"mtls": d.get("mutualTlsAuthentication"), "owner": d.get("ownershipVerificationCertificateArn"),
      "domain_tags": d.get("tags", {{}}), "api_id": api["id"], "disabled": api.get("disableExecuteApiEndpoint", False),
      "api_tags": api.get("tags", {{}}), "buckets": buckets, "objects": objects, "owners": owners}})
"#
        ))
    }

    /// A direct call to the data plane with a client certificate the test signs with the kept
    /// CA key (the CA certificate read from the truststore): the status it gets.
    fn direct_with_own_certificate(&self, key: &std::path::Path, token: &str) -> u64 {
        let ca = self.trusted();
        let addr = self.s.dataplane_address();
        let root = self.s.origin_ca_root().display().to_string();
        let dir = self.dir.path().display().to_string();
        self.s
            .python(&format!(
                r#"
import datetime, http.client, os, socket, ssl
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
ca_key = serialization.load_pem_private_key(open({key:?}, "rb").read(), None)
ca = x509.load_pem_x509_certificate({ca:?}.encode())
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.now(datetime.timezone.utc)
leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "my direct caller")]))
    .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
    .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    .sign(ca_key, hashes.SHA256()))
cert_file, key_file = os.path.join({dir:?}, "caller.pem"), os.path.join({dir:?}, "caller.key")
open(cert_file, "wb").write(leaf.public_bytes(serialization.Encoding.PEM))
open(key_file, "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
ctx = ssl.create_default_context(cafile={root:?})
ctx.load_cert_chain(cert_file, key_file)
tls = ctx.wrap_socket(socket.create_connection(("{ip}", {port}), timeout=30), server_hostname={HOST:?})
conn = http.client.HTTPConnection({HOST:?}, timeout=30)
conn.sock = tls
conn.request("GET", "/ditto", headers={{"Authorization": {token:?}}})
emit(conn.getresponse().status)
"#,
                key = key.display().to_string(),
                ip = addr.ip(),
                port = addr.port(),
            ))
            .as_u64()
            .unwrap()
    }

    /// The truststore text at the version the custom domain reads (boto3).
    fn trusted(&self) -> String {
        self.s
            .boto3(&format!(
                r#"
apigw, s3 = client("apigateway"), client("s3")
m = apigw.get_domain_name(domainName={HOST:?})["mutualTlsAuthentication"]
bucket, key = m["truststoreUri"][len("s3://"):].split("/", 1)
emit(s3.get_object(Bucket=bucket, Key=key, VersionId=m["truststoreVersion"])["Body"].read().decode())
"#
            ))
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Replaces flarelink's client certificate with one shaped as flarelink makes them but with
    /// 10 days left, without a moment without a working lock (as a past run of flarelink would
    /// have left it): trusted beside the current CA, associated, then trusted alone. Returns
    /// its id and its CA.
    fn age_the_client_certificate(&self) -> Value {
        let zone = self.s.zone_id("example.com");
        self.s.python(&format!(
            r#"
import datetime, time
import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
from cloudflare import Cloudflare
now = datetime.datetime.now(datetime.timezone.utc)
pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()
ca_key = ec.generate_private_key(ec.SECP256R1())
ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "flarelink-managed"),
    x509.NameAttribute(NameOID.COMMON_NAME, "flarelink origin-lock CA {HOST} 0ddba11e")])
ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
    .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=355))
    .not_valid_after(now + datetime.timedelta(days=10))
    .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False), critical=True)
    .sign(ca_key, hashes.SHA256()))
key = ec.generate_private_key(ec.SECP256R1())
leaf = (x509.CertificateBuilder()
    .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "flarelink-managed"),
        x509.NameAttribute(NameOID.COMMON_NAME, {HOST:?})]))
    .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(days=355)).not_valid_after(now + datetime.timedelta(days=10))
    .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    .sign(ca_key, hashes.SHA256()))
cf = Cloudflare()
apigw, s3 = client("apigateway"), client("s3")
m = apigw.get_domain_name(domainName={HOST:?})["mutualTlsAuthentication"]
bucket, k = m["truststoreUri"][len("s3://"):].split("/", 1)
current = s3.get_object(Bucket=bucket, Key=k)["Body"].read().decode()
def trust(text):
    v = s3.put_object(Bucket=bucket, Key=k, Body=text.encode())["VersionId"]
    apigw.update_domain_name(domainName={HOST:?}, patchOperations=[
        {{"op": "replace", "path": "/mutualTlsAuthentication/truststoreVersion", "value": v}}])
def wait(get):
    for _ in range(80):
        if get() == "active":
            return
        time.sleep(0.25)
    raise SystemExit("not active")
trust(current.strip() + chr(10) + pem(ca))
up = cf.origin_tls_client_auth.hostname_certificates.create(zone_id={zone:?}, certificate=pem(leaf) + pem(ca),
    private_key=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())
wait(lambda: cf.origin_tls_client_auth.hostname_certificates.get(up.id, zone_id={zone:?}).status)
before = cf.origin_tls_client_auth.hostnames.get({HOST:?}, zone_id={zone:?}).cert_id
cf.origin_tls_client_auth.hostnames.update(zone_id={zone:?}, config=[{{"hostname": {HOST:?}, "cert_id": up.id, "enabled": True}}])
wait(lambda: cf.origin_tls_client_auth.hostnames.get({HOST:?}, zone_id={zone:?}).status)
cf.origin_tls_client_auth.hostname_certificates.delete(before, zone_id={zone:?})
trust(pem(ca))
emit({{"id": up.id, "ca": pem(ca)}})
"#
        ))
    }

    /// What Cloudflare holds, read with its official Python SDK.
    fn cloudflare(&self) -> Value {
        let zone = self.s.zone_id("example.com");
        self.s.python(&format!(
            r#"
from cloudflare import Cloudflare
cf = Cloudflare()
certs = [c.id for c in cf.origin_tls_client_auth.hostname_certificates.list(zone_id={zone:?}) if c.status not in ("pending_deletion", "deleted")]
try:
    a = cf.origin_tls_client_auth.hostnames.get({HOST:?}, zone_id={zone:?})
    assoc = None if a is None or a.enabled is None else {{"cert_id": a.cert_id, "enabled": a.enabled, "status": a.status}}
except Exception:
    assoc = None
setting = cf.zones.settings.get("tls_client_auth", zone_id={zone:?}).value
emit({{"certs": certs, "assoc": assoc, "tls_client_auth": setting}})
"#
        ))
    }
}

#[test]
fn the_lock_refuses_direct_calls_converges_and_comes_off_api_gateway_first() {
    let env = Env::start();
    let on = env.config("mtls");
    let token = env.provision(&on);

    // Dry-run first: the four steps are planned, nothing is written.
    let plan = env.link(&on, &["--dry-run"], &[]);
    plan.code(0);
    let steps = plan.steps();
    for s in [
        "origin-pull-cert",
        "truststore",
        "domain-mtls",
        "default-endpoint",
    ] {
        assert!(steps.contains(&s.to_string()), "{s} planned: {steps:?}");
    }
    assert!(env.cloudflare()["certs"].as_array().unwrap().is_empty());
    assert!(env.aws()["buckets"].as_array().unwrap().is_empty());

    // --keep-client-ca: the CA's key goes to a new 0600 file (and only with the flag).
    let kept = env.dir.path().join("client-ca.key");
    let kept_arg = kept.display().to_string();
    let first = env.link(&on, &["--keep-client-ca", &kept_arg], &[]);
    first.code(0);
    let summary = &first.json()["report"]["domains"][0];
    assert_eq!(summary["origin_lock"], "mtls", "{summary}");

    // Through the edge: the API answers as before.
    let with = env.s.via_edge(HOST, "/ditto", &[("Authorization", &token)]);
    assert_eq!(with.status, 200, "{with:?}");
    assert_eq!(with.json()["name"], "ditto");
    assert_eq!(env.s.via_edge(HOST, "/ditto", &[]).status, 401);
    // Around Cloudflare: refused, even with a valid token.
    let direct = env.direct(&token);
    assert_eq!(direct.status, 403, "no client certificate: {direct:?}");
    let aws = env.aws();
    let api_id = aws["api_id"].as_str().unwrap().to_owned();
    let default = env.default_endpoint(&api_id, &token);
    assert_eq!(default.status, 403, "default endpoint off: {default:?}");

    // boto3: the domain requires certificates from flarelink's truststore at the version that
    // holds the CA; the API's endpoint is off and marked as flarelink's doing.
    let mtls = &aws["mtls"];
    let uri = mtls["truststoreUri"]
        .as_str()
        .expect("mutual TLS on")
        .to_owned();
    let version = mtls["truststoreVersion"].as_str().unwrap().to_owned();
    assert_eq!(summary["truststore_uri"], uri.as_str());
    assert_eq!(summary["truststore_version"], version.as_str());
    let object = uri.trim_start_matches("s3://");
    assert_eq!(
        aws["objects"][object],
        serde_json::json!([version]),
        "{aws:#}"
    );
    assert!(
        aws["owner"].as_str().is_some_and(|o| aws["owners"][0] == o),
        "ownership certificate: {aws:#}"
    );
    assert_eq!(aws["disabled"], true);
    assert!(
        aws["api_tags"]["flarelink:execute-api-disabled"].is_string(),
        "{aws:#}"
    );
    // The official SDK: the hostname is associated, active, with flarelink's one certificate.
    let cf = env.cloudflare();
    assert_eq!(cf["certs"].as_array().unwrap().len(), 1, "{cf:#}");
    assert_eq!(cf["assoc"]["cert_id"], cf["certs"][0], "{cf:#}");
    assert_eq!(cf["assoc"]["enabled"], true);
    assert_eq!(cf["assoc"]["status"], "active");
    assert_eq!(cf["tls_client_auth"], "on");
    assert_eq!(summary["client_certificate_id"], cf["certs"][0]);

    // The kept key signs a client certificate of the user's own that API Gateway accepts
    // directly; the file is 0600 and is never overwritten.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }
    assert_eq!(env.direct_with_own_certificate(&kept, &token), 200);
    env.link(&on, &["--keep-client-ca", &kept_arg], &[]).code(2);

    // A re-run writes nothing, in Cloudflare or AWS.
    let before = env.aws();
    let again = env.link(&on, &[], &[]);
    again.code(0);
    assert!(again.writes().is_empty(), "{:?}", again.writes());
    assert_eq!(env.aws(), before);
    assert_eq!(env.cloudflare(), cf);

    // Off, stopped right after domain-mtls: API Gateway no longer requires the certificate
    // while Cloudflare still presents it — the safe order, read from the clouds' state.
    let off = env.config("off");
    let stopped = env.link(&off, &[], &[("FLARELINK_FAULT_AFTER_STEP", "domain-mtls")]);
    stopped.code(1);
    assert_eq!(
        stopped.json()["error"]["kind"],
        "injected-fault",
        "{}",
        stopped.stdout
    );
    assert!(env.aws()["mtls"].is_null(), "mutual TLS off first");
    let still = env.cloudflare();
    assert_eq!(
        still["assoc"]["enabled"], true,
        "Cloudflare still presents: {still:#}"
    );
    assert_eq!(
        env.aws()["disabled"],
        false,
        "the endpoint came back before"
    );
    // The rest of the way.
    let done = env.link(&off, &[], &[]);
    done.code(0);
    let cf = env.cloudflare();
    assert!(
        cf["certs"].as_array().unwrap().is_empty() && cf["assoc"].is_null(),
        "{cf:#}"
    );
    let aws = env.aws();
    assert!(aws["objects"].as_object().unwrap().is_empty(), "{aws:#}");
    assert!(
        aws["buckets"].as_array().unwrap().is_empty(),
        "flarelink's empty bucket went"
    );
    assert!(aws["api_tags"]
        .get("flarelink:execute-api-disabled")
        .is_none());
    // The lock is gone and nothing else changed: the direct call and the default endpoint
    // answer again, the edge as before.
    assert_eq!(env.direct(&token).status, 200);
    assert_eq!(env.default_endpoint(&api_id, &token).status, 200);
    assert_eq!(
        env.s
            .via_edge(HOST, "/ditto", &[("Authorization", &token)])
            .status,
        200
    );
    let quiet = env.link(&off, &[], &[]);
    quiet.code(0);
    assert!(quiet.writes().is_empty(), "{:?}", quiet.writes());
}

#[test]
fn a_foreign_client_certificate_is_refused_and_a_crashed_lock_converges_then_unlinks() {
    let env = Env::start();
    let on = env.config("mtls");
    let token = env.provision(&on);
    let zone = env.s.zone_id("example.com");

    // A truststore bucket of the user's that is not versioned: refused before any write.
    env.s
        .boto3(r#"client("s3").create_bucket(Bucket="users-truststore"); emit(None)"#);
    let theirs = env.dir.path().join("config-their-bucket.toml");
    let text = std::fs::read_to_string(&on).unwrap().replace(
        "region = \"us-east-1\"\n",
        "region = \"us-east-1\"\ntruststore_bucket = \"users-truststore\"\n",
    );
    std::fs::write(&theirs, text).unwrap();
    let unversioned = env.link(&theirs, &[], &[]);
    unversioned.code(1);
    assert!(
        unversioned.stdout.contains("versioning"),
        "{}",
        unversioned.stdout
    );
    let aws = env.aws();
    assert_eq!(
        aws["buckets"],
        serde_json::json!(["users-truststore"]),
        "{aws:#}"
    );
    assert!(
        aws["domain_tags"].as_object().is_none_or(|t| t.is_empty()),
        "no custom domain: {aws:#}"
    );
    env.s
        .boto3(r#"client("s3").delete_bucket(Bucket="users-truststore"); emit(None)"#);

    // Someone else's client certificate associated with the hostname: refused, nothing written.
    let foreign = env.s.python(&format!(
        r#"
import datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from cloudflare import Cloudflare
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone else")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
    .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
cf = Cloudflare()
up = cf.origin_tls_client_auth.hostname_certificates.create(zone_id={zone:?},
    certificate=cert.public_bytes(serialization.Encoding.PEM).decode(),
    private_key=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())
cf.origin_tls_client_auth.hostnames.update(zone_id={zone:?}, config=[{{"hostname": {HOST:?}, "cert_id": up.id, "enabled": True}}])
emit(up.id)
"#
    ));
    let refused = env.link(&on, &[], &[]);
    refused.code(1);
    assert_eq!(
        refused.json()["error"]["kind"],
        "conflict",
        "{}",
        refused.stdout
    );
    let aws = env.aws();
    assert!(aws["buckets"].as_array().unwrap().is_empty(), "{aws:#}");
    assert!(
        aws["domain_tags"].as_object().is_none_or(|t| t.is_empty()),
        "no custom domain made: {aws:#}"
    );
    assert_eq!(env.cloudflare()["certs"], serde_json::json!([foreign]));
    // The user takes theirs away (flarelink never deletes it).
    env.s.python(&format!(
        r#"
from cloudflare import Cloudflare
cf = Cloudflare()
cf.origin_tls_client_auth.hostnames.update(zone_id={zone:?}, config=[{{"hostname": {HOST:?}, "cert_id": {foreign}, "enabled": None}}])
cf.origin_tls_client_auth.hostname_certificates.delete({foreign}, zone_id={zone:?})
emit(None)
"#
    ));

    // A run stopped right after origin-pull-cert, then after domain-mtls: each re-run goes on
    // from there, with one client certificate in Cloudflare in the end.
    for step in ["origin-pull-cert", "domain-mtls"] {
        let stopped = env.link(&on, &[], &[("FLARELINK_FAULT_AFTER_STEP", step)]);
        stopped.code(1);
        assert_eq!(
            stopped.json()["error"]["kind"],
            "injected-fault",
            "{step}: {}",
            stopped.stdout
        );
        assert_eq!(
            env.cloudflare()["certs"].as_array().unwrap().len(),
            1,
            "after {step}"
        );
    }
    env.link(&on, &[], &[]).code(0);
    let cf = env.cloudflare();
    assert_eq!(cf["certs"].as_array().unwrap().len(), 1, "{cf:#}");
    assert_eq!(cf["assoc"]["cert_id"], cf["certs"][0]);
    assert_eq!(env.direct(&token).status, 403);
    assert_eq!(
        env.s
            .via_edge(HOST, "/ditto", &[("Authorization", &token)])
            .status,
        200
    );
    let api_id = env.aws()["api_id"].as_str().unwrap().to_owned();
    assert_eq!(env.default_endpoint(&api_id, &token).status, 403);
    assert!(env.link(&on, &[], &[]).writes().is_empty());

    // Rotation: a flarelink client certificate with 10 days left (made here as flarelink makes
    // them, since the clock cannot be moved on a year), in use and trusted alone.
    let old = env.age_the_client_certificate();
    assert_eq!(
        env.s
            .via_edge(HOST, "/ditto", &[("Authorization", &token)])
            .status,
        200
    );
    let plan = env.link(&on, &["--dry-run"], &[]);
    assert!(
        plan.writes()
            .contains(&"origin-pull-cert:change".to_string()),
        "{:?}",
        plan.writes()
    );
    let rotated = env.link(&on, &[], &[]);
    rotated.code(0);
    let cf = env.cloudflare();
    assert_eq!(
        cf["certs"].as_array().unwrap().len(),
        1,
        "the old certificate is deleted: {cf:#}"
    );
    assert_ne!(cf["certs"][0], old["id"], "{cf:#}");
    assert_eq!(cf["assoc"]["cert_id"], cf["certs"][0]);
    let trusted = env.trusted();
    assert!(
        !trusted.contains(old["ca"].as_str().unwrap().trim()),
        "the old CA is no longer trusted"
    );
    assert_eq!(trusted.matches("BEGIN CERTIFICATE").count(), 1, "{trusted}");
    assert_eq!(
        env.s
            .via_edge(HOST, "/ditto", &[("Authorization", &token)])
            .status,
        200
    );
    assert_eq!(env.direct(&token).status, 403);
    assert!(env.link(&on, &[], &[]).writes().is_empty());

    // unlink-domain takes everything of the lock away with the rest; the default endpoint
    // answers again.
    let unlink = env.flarelink(&on, &["unlink-domain", "--output", "json"], &[]);
    unlink.code(0);
    let cf = env.cloudflare();
    assert!(
        cf["certs"].as_array().unwrap().is_empty() && cf["assoc"].is_null(),
        "{cf:#}"
    );
    let aws = env.aws();
    assert!(aws["buckets"].as_array().unwrap().is_empty(), "{aws:#}");
    assert!(
        aws["owners"].as_array().unwrap().is_empty(),
        "ownership certificate deleted: {aws:#}"
    );
    assert_eq!(aws["disabled"], false);
    assert_eq!(env.default_endpoint(&api_id, &token).status, 200);
}

#[test]
fn without_credentials_the_static_plans_list_the_lock_steps() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[cloudflare]\nzone = \"example.com\"\n\n[aws]\nregion = \"us-east-1\"\n\n\
             [[domain]]\nhostname = \"{HOST}\"\nrest_api = \"ditto-api\"\nstage = \"prod\"\norigin_lock = \"mtls\"\n"
        ),
    )
    .unwrap();
    for (command, first) in [
        ("link-domain", "origin-cert"),
        ("unlink-domain", "default-endpoint"),
    ] {
        let out = crate::harness::bare_flarelink()
            .arg("--config")
            .arg(&config)
            .args([command, "--dry-run", "--output", "json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let steps: Vec<(String, String)> = doc["report"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["step"].as_str().unwrap().into(),
                    s["action"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_eq!(steps[0].0, first, "{command}: {steps:?}");
        for s in [
            "origin-pull-cert",
            "truststore",
            "domain-mtls",
            "default-endpoint",
        ] {
            assert!(
                steps.iter().any(|(n, a)| n == s && a == "unknown"),
                "{command} lists {s}: {steps:?}"
            );
        }
    }
}

/// With `source = "acm"` the served certificate is ACM-issued, so API Gateway needs no
/// ownership-verification certificate: the lock makes none, and still refuses every way around
/// Cloudflare; `origin_lock = "off"` then opens the regional name again.
#[test]
fn with_an_acm_issued_certificate_the_lock_makes_no_ownership_certificate() {
    let env = Env::start();
    let acm = |lock: &str| {
        let config = env.config(lock);
        let text =
            std::fs::read_to_string(&config).unwrap() + "[domain.certificate]\nsource = \"acm\"\n";
        std::fs::write(&config, text).unwrap();
        config
    };
    let on = acm("mtls");
    let token = env.provision(&on);
    env.link(&on, &[], &[]).code(0);

    let aws = env.aws();
    assert!(
        aws["mtls"]["truststoreUri"]
            .as_str()
            .is_some_and(|u| u.starts_with("s3://")),
        "mutual TLS on: {aws:#}"
    );
    assert_eq!(
        aws["owner"],
        Value::Null,
        "no ownership certificate: {aws:#}"
    );
    assert!(aws["owners"].as_array().unwrap().is_empty(), "{aws:#}");
    assert_eq!(aws["disabled"], true);
    let cf = env.cloudflare();
    assert_eq!(cf["assoc"]["status"], "active", "{cf:#}");

    // Through the edge in Full (strict) with the client certificate: answered.
    let through = env.s.via_edge(HOST, "/ditto", &[("Authorization", &token)]);
    assert_eq!(through.status, 200, "{through:?}");
    // Around Cloudflare (trusting the stand-in public CA that signs ACM's certificates):
    // refused, token or not.
    let direct = env.s.https(
        env.s.dataplane_address(),
        HOST,
        "/ditto",
        &[("Authorization", &token)],
        &env.s.acm_public_ca_file(),
    );
    assert_eq!(direct.status, 403, "no client certificate: {direct:?}");
    let api_id = aws["api_id"].as_str().unwrap().to_owned();
    assert_eq!(env.default_endpoint(&api_id, &token).status, 403);

    // Converged: a second run writes nothing.
    let again = env.link(&on, &[], &[]);
    again.code(0);
    assert!(again.writes().is_empty(), "{:?}", again.writes());

    // Off: the regional name answers again; the lock's pieces are gone.
    let off = acm("off");
    env.link(&off, &[], &[]).code(0);
    let open = env.s.https(
        env.s.dataplane_address(),
        HOST,
        "/ditto",
        &[("Authorization", &token)],
        &env.s.acm_public_ca_file(),
    );
    assert_eq!(open.status, 200, "lock off: {open:?}");
    let aws = env.aws();
    assert_eq!(aws["mtls"], Value::Null, "{aws:#}");
    assert_eq!(aws["disabled"], false, "{aws:#}");
    assert!(env.cloudflare()["certs"].as_array().unwrap().is_empty());
}
