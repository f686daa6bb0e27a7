//! `verify`'s direct calls around Cloudflare (issue 13), on the standing local environment: the
//! custom domain's regional name with the hostname as SNI and Host but no client certificate,
//! and the REST API's default endpoint. The lock is set up here directly — boto3 for the S3
//! truststore, the domain's mutual TLS and the default endpoint; Cloudflare's API for the
//! per-hostname origin-pull certificate — not by flarelink, and every verdict of verify is
//! compared with what an independent client (Python's http.client/ssl) gets.

use serde_json::Value;

use crate::dataplane::Env;
use crate::guide_setup::Out;

const HOST: &str = "api.example.com";
const BUCKET: &str = "verify-lock-truststore";

/// The two direct calls of a verify report, as (kind, state, passed).
fn bypass(out: &Out) -> Vec<(String, String, bool)> {
    let doc = out.json();
    doc["report"]["bypass"]["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no bypass checks: {doc:#}"))
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_owned(),
                c["state"].as_str().unwrap().to_owned(),
                c["passed"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn check<'a>(doc: &'a Value, kind: &str) -> &'a Value {
    doc["report"]["bypass"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} check: {doc:#}"))
}

fn pair(kind: &str, state: &str, passed: bool) -> (String, String, bool) {
    (kind.to_owned(), state.to_owned(), passed)
}

/// What an outsider gets from the regional name (its address, the hostname as SNI and Host, no
/// client certificate, any server certificate accepted) and from the default endpoint:
/// `(status or "handshake refused", message)`.
fn direct(env: &Env, regional: &str, default_host: &str, default_path: &str) -> Value {
    let port = env.s.dataplane_address().port();
    env.s.python(&format!(
        r#"
import http.client, json, socket, ssl
def get(sni, path):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        tls = ctx.wrap_socket(socket.create_connection(("127.0.0.1", {port}), timeout=20), server_hostname=sni)
        conn = http.client.HTTPConnection(sni, timeout=20)
        conn.sock = tls
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read().decode("utf-8", "replace")
        try:
            message = json.loads(body).get("message")
        except ValueError:
            message = None
        return [r.status, message]
    except ssl.SSLError as e:
        return ["handshake refused", str(e)]
emit({{"regional": get({HOST:?}, "/ditto"), "default": get({default_host:?}, {default_path:?}), "regional_name": {regional:?}}})
"#
    ))
}

/// The REST API's id, the custom domain's regional name, read with boto3.
fn aws_names(env: &Env) -> (String, String) {
    let got = env.s.boto3(&format!(
        r#"
apigw = client("apigateway")
d = apigw.get_domain_name(domainName={HOST:?})
api = [a for a in apigw.get_rest_apis()["items"] if a["name"] == "ditto-api"][0]
emit({{"regional": d["regionalDomainName"], "api": api["id"]}})
"#
    ));
    (
        got["api"].as_str().unwrap().to_owned(),
        got["regional"].as_str().unwrap().to_owned(),
    )
}

/// Mutual TLS on the custom domain — a fresh client CA as the S3 truststore (versioned bucket),
/// the ACM-issued ownership certificate an imported serving certificate needs — and the edge
/// presenting a client certificate that CA signed: Cloudflare's per-hostname authenticated
/// origin pull, active and associated with `HOST`, the zone's `tls_client_auth` on.
fn lock_the_domain(env: &Env) -> Value {
    env.s.python(&format!(
        r#"
import datetime, json, os, time, urllib.request
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

now = datetime.datetime.now(datetime.timezone.utc)
def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
def builder(subject, issuer, key):
    return (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30)))
ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
ca = (builder("verify-lock client CA", "verify-lock client CA", ca_key)
    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False,
        decipher_only=False), critical=True)
    .sign(ca_key, hashes.SHA256()))
leaf = (builder({HOST:?}, "verify-lock client CA", leaf_key)
    .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    .sign(ca_key, hashes.SHA256()))
pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()

base, token = os.environ["CLOUDFLARE_API_BASE"], os.environ["CLOUDFLARE_API_TOKEN"]
def cf(method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={{"Authorization": "Bearer " + token, "Content-Type": "application/json"}})
    doc = json.load(urllib.request.urlopen(req))
    assert doc["success"], doc
    return doc["result"]
zone = cf("GET", "zones?name=example.com")[0]["id"]
aop = f"zones/{{zone}}/origin_tls_client_auth/hostnames"
cert = cf("POST", aop + "/certificates", {{"certificate": pem(leaf),
    "private_key": leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()}})
cf("PATCH", f"zones/{{zone}}/settings/tls_client_auth", {{"value": "on"}})
deadline = time.time() + 20
while cf("GET", aop + "/certificates/" + cert["id"])["status"] != "active":
    assert time.time() < deadline, "the client certificate never became active"
    time.sleep(0.1)
cf("PUT", aop, {{"config": [{{"hostname": {HOST:?}, "cert_id": cert["id"], "enabled": True}}]}})
while cf("GET", aop + "/" + {HOST:?})["status"] != "active":
    assert time.time() < deadline, "the association never became active"
    time.sleep(0.1)

s3, acm, apigw = client("s3"), client("acm"), client("apigateway")
s3.create_bucket(Bucket={BUCKET:?})
s3.put_bucket_versioning(Bucket={BUCKET:?}, VersioningConfiguration={{"Status": "Enabled"}})
version = s3.put_object(Bucket={BUCKET:?}, Key="truststore.pem", Body=pem(ca).encode())["VersionId"]
owner = acm.request_certificate(DomainName={HOST:?}, ValidationMethod="DNS")["CertificateArn"]
assert acm.describe_certificate(CertificateArn=owner)["Certificate"]["Status"] == "ISSUED"
apigw.update_domain_name(domainName={HOST:?}, patchOperations=[
    {{"op": "replace", "path": "/ownershipVerificationCertificateArn", "value": owner}},
    {{"op": "replace", "path": "/mutualTlsAuthentication/truststoreUri", "value": "s3://{BUCKET}/truststore.pem"}},
    {{"op": "replace", "path": "/mutualTlsAuthentication/truststoreVersion", "value": version}},
])
emit(apigw.get_domain_name(domainName={HOST:?})["mutualTlsAuthentication"])
"#
    ))
}

/// `disableExecuteApiEndpoint` on the REST API, and (when `deploy`) the deployment it needs.
fn disable_default_endpoint(env: &Env, api: &str, deploy: bool) -> bool {
    env.s
        .boto3(&format!(
            r#"
apigw = client("apigateway")
apigw.update_rest_api(restApiId={api:?}, patchOperations=[
    {{"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "True"}}])
if {deploy}:
    apigw.create_deployment(restApiId={api:?}, stageName="prod")
emit(apigw.get_rest_api(restApiId={api:?})["disableExecuteApiEndpoint"])
"#,
            deploy = if deploy { "True" } else { "False" },
        ))
        .as_bool()
        .unwrap()
}

#[test]
fn verify_sees_both_ways_around_cloudflare_open_then_refused() {
    let env = Env::start_with(&["--acm-validation-wait", "0"]);
    let config = env.config("full", "");
    let id = env.guide(&config);
    let edge = env.s.edge_address();
    let (api, regional) = aws_names(&env);
    let default_host = format!("{api}.execute-api.us-east-1.amazonaws.com");
    let require = ["--require-origin-lock"];

    // Lock off (the guide's six steps): both ways around Cloudflare answer — an outsider gets
    // the authorizer's 401 — and verify passes, reporting them as information.
    let outside = direct(&env, &regional, &default_host, "/prod/ditto");
    assert_eq!(outside["regional"][0], 401, "{outside}");
    assert_eq!(outside["default"][0], 401, "{outside}");
    let off = env.verify(&config, &[], edge, &id);
    off.code(0);
    let doc = off.json();
    assert_eq!(doc["report"]["bypass"]["origin_lock"], "off", "{doc:#}");
    assert_eq!(
        bypass(&off),
        [
            pair("regional_name", "open", true),
            pair("default_endpoint", "open", true)
        ]
    );
    let r = check(&doc, "regional_name");
    assert_eq!(r["connect_to"], regional.as_str());
    assert_eq!(r["url"], format!("https://{HOST}/ditto"));
    assert_eq!(r["observed"]["status"], 401);
    assert!(r["note"]
        .as_str()
        .unwrap()
        .starts_with("open: the regional name answers without Cloudflare"));
    let d = check(&doc, "default_endpoint");
    assert_eq!(
        d["url"],
        format!("https://{default_host}/prod/ditto"),
        "{doc:#}"
    );
    assert_eq!(d["observed"]["status"], 401);
    // Required (as origin_lock = "mtls" does): the same state fails verify, naming both.
    let open = env.verify(&config, &require, edge, &id);
    open.code(1);
    assert_eq!(
        bypass(&open),
        [
            pair("regional_name", "open", false),
            pair("default_endpoint", "open", false)
        ]
    );
    let doc = open.json();
    assert_eq!(
        check(&doc, "regional_name")["diagnosis"]["kind"],
        "regional_name_open"
    );
    assert_eq!(doc["report"]["checks"][1]["passed"], true, "the edge works");

    // Mutual TLS on, the edge presenting its client certificate, the default endpoint still
    // served: the edge path still works, the regional name refuses an outsider, and verify
    // fails naming the default endpoint.
    let mtls = lock_the_domain(&env);
    assert_eq!(
        mtls["truststoreUri"],
        format!("s3://{BUCKET}/truststore.pem")
    );
    let with = env.s.via_edge(HOST, "/ditto", &[("Authorization", &id)]);
    assert_eq!(with.status, 200, "the edge's client certificate: {with:?}");
    let outside = direct(&env, &regional, &default_host, "/prod/ditto");
    assert_ne!(outside["regional"][0], 401, "{outside}");
    assert_eq!(outside["default"][0], 401, "{outside}");
    let half = env.verify(&config, &require, edge, &id);
    half.code(1);
    assert_eq!(
        bypass(&half),
        [
            pair("regional_name", "refused", true),
            pair("default_endpoint", "open", false)
        ]
    );
    let doc = half.json();
    assert_eq!(doc["report"]["checks"][0]["passed"], true);
    assert_eq!(doc["report"]["checks"][1]["passed"], true);
    let dx = &check(&doc, "default_endpoint")["diagnosis"];
    assert_eq!(dx["kind"], "default_endpoint_open", "{doc:#}");
    assert!(
        dx["summary"].as_str().unwrap().contains(&default_host),
        "{dx}"
    );
    assert!(
        dx["fix"]
            .as_str()
            .unwrap()
            .contains("origin_lock = \"mtls\""),
        "{dx}"
    );

    // disableExecuteApiEndpoint set but not deployed: still served, and verify says to deploy.
    assert!(disable_default_endpoint(&env, &api, false));
    let outside = direct(&env, &regional, &default_host, "/prod/ditto");
    assert_eq!(outside["default"][0], 401, "not deployed: {outside}");
    let undeployed = env.verify(&config, &require, edge, &id);
    undeployed.code(1);
    let doc = undeployed.json();
    let dx = &check(&doc, "default_endpoint")["diagnosis"];
    assert!(
        dx["summary"]
            .as_str()
            .unwrap()
            .contains("not deployed since"),
        "{dx}"
    );

    // The whole lock: deployed. An outsider is refused both ways; verify passes with both
    // refused, and the token's call through the edge still succeeds.
    assert!(disable_default_endpoint(&env, &api, true));
    let outside = direct(&env, &regional, &default_host, "/prod/ditto");
    assert_eq!(outside["default"][0], 403, "{outside}");
    assert_eq!(outside["default"][1], "Forbidden", "{outside}");
    assert_ne!(outside["regional"][0], 401, "{outside}");
    let locked = env.verify(&config, &require, edge, &id);
    locked.code(0);
    assert_eq!(
        bypass(&locked),
        [
            pair("regional_name", "refused", true),
            pair("default_endpoint", "refused", true)
        ]
    );
    let doc = locked.json();
    assert_eq!(doc["report"]["bypass"]["origin_lock"], "mtls");
    assert_eq!(doc["report"]["checks"][1]["observed"]["status"], 200);

    // Nowhere to connect: "could not check", which is not "locked" — it fails a required lock.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("*:{closed}:127.0.0.1");
    let edge_only = format!("{HOST}:{}:127.0.0.1", edge.port());
    let ca = env.s.edge_ca_file().display().to_string();
    let unknown = env.flarelink(
        &config,
        &[
            "verify",
            "--resolve",
            &edge_only,
            "--resolve",
            &unreachable,
            "--ca-file",
            &ca,
            "--token-env",
            "E2E_TOKEN",
            "--require-origin-lock",
            "--output",
            "json",
        ],
        &[("E2E_TOKEN", &id)],
    );
    unknown.code(1);
    assert_eq!(
        bypass(&unknown),
        [
            pair("regional_name", "could_not_check", false),
            pair("default_endpoint", "could_not_check", false)
        ]
    );
    assert_eq!(
        check(&unknown.json(), "default_endpoint")["diagnosis"]["kind"],
        "bypass_not_checked"
    );

    // The human report says the same.
    let human = env.flarelink(
        &config,
        &[
            "verify",
            "--resolve",
            &edge_only,
            "--resolve",
            &format!("*:{}:127.0.0.1", env.s.dataplane_address().port()),
            "--ca-file",
            &ca,
            "--token-env",
            "E2E_TOKEN",
        ],
        &[("E2E_TOKEN", &id)],
    );
    human.code(0);
    assert!(
        human
            .stdout
            .contains("origin_lock is off for api.example.com: information only"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("info regional name: refused"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("info default endpoint: refused (HTTP 403"),
        "{}",
        human.stdout
    );
}

/// After the merge with the lock steps: link-domain with origin_lock = "mtls", then verify
/// (the config's expectation, no flag) passes with both ways refused.
#[test]
fn verify_after_link_domain_with_the_lock() {
    let env = Env::start_with(&["--acm-validation-wait", "0"]);
    let config = env.config("full", "");
    let text = std::fs::read_to_string(&config).unwrap() + "origin_lock = \"mtls\"\n";
    std::fs::write(&config, text).unwrap();
    let id = env.guide(&config);
    let edge = env.s.edge_address();
    let locked = env.verify(&config, &[], edge, &id);
    locked.code(0);
    assert_eq!(locked.json()["report"]["bypass"]["origin_lock"], "mtls");
    assert_eq!(
        bypass(&locked),
        [
            pair("regional_name", "refused", true),
            pair("default_endpoint", "refused", true)
        ]
    );
}
