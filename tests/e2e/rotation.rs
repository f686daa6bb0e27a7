//! Rotation in place, proved through the local edge in Full (strict): requests succeed before,
//! during (a loop of calls while `rotate-cert` runs) and after a rotation; the certificate the
//! data plane serves (read with a TLS client directly against it) changes serial; ACM shows the
//! same ARN with the new serial (boto3); the custom domain's certificate ARN is unchanged; the
//! old origin certificate is revoked (Cloudflare's official Python SDK). Also: rotate-cert's
//! dry-run, an unknown --hostname, automatic rotation in link-domain inside the renewal window,
//! and convergence afterwards.

use std::path::{Path, PathBuf};

use flarelink_test_support::standins::{sibling_binary, Standins};
use serde_json::Value;

use crate::guide_setup::{flarelink, guide_config, provision_user, Out};

const HOST: &str = "api.example.com";
const PASSWORD: &str = "Superd3d$-rot";

struct Env {
    s: Standins,
    dir: tempfile::TempDir,
}

/// What these tests read of a run's report.
trait Report {
    fn actions(&self) -> Vec<(String, String)>;
    fn writes(&self) -> Vec<(String, String)>;
}

impl Report for Out {
    /// (step, action) of a `--output json` report.
    fn actions(&self) -> Vec<(String, String)> {
        self.json()["report"]["steps"]
            .as_array()
            .expect("report.steps")
            .iter()
            .map(|s| {
                (
                    s["step"].as_str().unwrap().to_string(),
                    s["action"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    fn writes(&self) -> Vec<(String, String)> {
        self.actions()
            .into_iter()
            .filter(|(_, a)| a != "exists")
            .collect()
    }
}

impl Env {
    fn start() -> Env {
        Env {
            s: Standins::start(&sibling_binary("cloudflare-emulator"), &[]),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The guide's setup in Full (strict), one `[[domain]]` for `HOST` with `certificate`
    /// (the body of its `[domain.certificate]`).
    fn config(&self, name: &str, certificate: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.toml"));
        let certificate = format!("[domain.certificate]\n{certificate}\n");
        guide_config(
            &self.s,
            path,
            HOST,
            "ssl_mode = \"strict\"\n",
            "",
            &certificate,
        )
    }

    fn flarelink(&self, config: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
        flarelink(&self.s, config, args, env)
    }

    /// provision → users create → token → link-domain; returns the ID token.
    fn guide(&self, config: &Path) -> String {
        let id = provision_user(&self.s, config, "rotator", PASSWORD);
        self.flarelink(config, &["link-domain"], &[]).code(0);
        id
    }

    /// What ACM holds (boto3), what the custom domain serves (boto3) and the serial of the
    /// certificate the data plane presents for `HOST` (Python's ssl, straight to the data plane).
    fn state(&self) -> Value {
        let plane = self.s.dataplane_address();
        self.s.boto3(&format!(
            r#"
import socket, ssl
from cryptography import x509
acm = client("acm")
arns = [c["CertificateArn"] for c in acm.list_certificates(Includes={{"keyTypes": ["RSA_2048", "EC_prime256v1"]}})["CertificateSummaryList"]]
certs = []
for arn in arns:
    d = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    body = acm.get_certificate(CertificateArn=arn)["Certificate"]
    tags = {{t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]}}
    certs.append({{"arn": arn, "serial": format(x509.load_pem_x509_certificate(body.encode()).serial_number, "x"),
                  "not_after": d["NotAfter"].isoformat(), "tags": tags}})
domain = client("apigateway").get_domain_name(domainName={HOST:?})
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with socket.create_connection(("{ip}", {port}), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname={HOST:?}) as tls:
        served = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
emit({{"certs": certs, "domain_arn": domain.get("regionalCertificateArn"),
      "dataplane_serial": format(served.serial_number, "x")}})
"#,
            ip = plane.ip(),
            port = plane.port(),
        ))
    }

    /// An origin certificate as Cloudflare's official Python SDK reads it.
    fn origin_cert(&self, id: &str) -> Value {
        self.s.python(&format!(
            r#"
from cloudflare import Cloudflare
c = Cloudflare().origin_ca_certificates.get({id:?})
emit(c.model_dump(mode="json") if hasattr(c, "model_dump") else dict(c))
"#
        ))
    }
}

/// Calls through the edge in a loop (one Python process, one TLS connection per call) until
/// `stop` exists; returns {"ok", "failed", "failures"}.
fn call_loop(s: &Standins, token: &str, stop: &std::path::Path) -> Value {
    let edge = s.edge_address();
    s.python(&format!(
        r#"
import http.client, os, socket, ssl, time
ctx = ssl.create_default_context(cafile={ca:?})
ok, failed, failures = 0, 0, []
while True:
    last = os.path.exists({stop:?})
    try:
        raw = socket.create_connection(("{ip}", {port}), timeout=30)
        tls = ctx.wrap_socket(raw, server_hostname={HOST:?})
        conn = http.client.HTTPConnection({HOST:?}, timeout=30)
        conn.sock = tls
        conn.request("GET", "/ditto", headers={{"Authorization": {token:?}}})
        r = conn.getresponse()
        body = r.read()
        conn.close()
        if r.status == 200:
            ok += 1
        else:
            failed += 1
            failures.append([r.status, body.decode("utf-8", "replace")[:200]])
    except Exception as e:
        failed += 1
        failures.append([0, repr(e)])
    if last:
        break
emit({{"ok": ok, "failed": failed, "failures": failures[:5]}})
"#,
        ca = s.edge_ca_file().display().to_string(),
        ip = edge.ip(),
        port = edge.port(),
        stop = stop.display().to_string(),
    ))
}

fn only_cert(state: &Value) -> &Value {
    let certs = state["certs"].as_array().unwrap();
    assert_eq!(certs.len(), 1, "exactly one ACM certificate: {state:#}");
    &certs[0]
}

#[test]
fn rotate_cert_swaps_the_certificate_under_live_traffic_without_touching_the_domain() {
    let env = Env::start();
    let config = env.config("rotate", "validity_days = 365");
    let token = env.guide(&config);
    let before = env.state();
    let cert = only_cert(&before).clone();
    let arn = cert["arn"].as_str().unwrap().to_string();
    let old_origin = cert["tags"]["flarelink:cloudflare-origin-cert-id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(before["domain_arn"], arn);
    assert_eq!(before["dataplane_serial"], cert["serial"], "{before:#}");
    let first = env.s.via_edge(HOST, "/ditto", &[("Authorization", &token)]);
    assert_eq!(first.status, 200, "{first:?}");

    // The dry-run plans the rotation and changes nothing.
    let dry = env.flarelink(
        &config,
        &["rotate-cert", "--dry-run", "--output", "json"],
        &[],
    );
    dry.code(0);
    assert_eq!(
        dry.writes(),
        vec![
            ("origin-cert".to_string(), "create".to_string()),
            ("acm-import".to_string(), "change".to_string())
        ],
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("re-import"), "{}", dry.stdout);
    assert_eq!(env.state(), before, "a dry-run wrote something");

    // An unknown hostname is bad input, before any call.
    let unknown = env.flarelink(
        &config,
        &["rotate-cert", "--hostname", "nope.example.com"],
        &[],
    );
    unknown.code(2);
    assert!(
        unknown.stderr.contains("nope.example.com"),
        "{}",
        unknown.stderr
    );

    // Rotate while a loop of calls runs through the edge.
    let stop = env.dir.path().join("stop");
    let (calls, rotated) = std::thread::scope(|scope| {
        let looping = scope.spawn(|| call_loop(&env.s, &token, &stop));
        // Let the loop get going before the rotation starts.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let started = std::time::Instant::now();
        let rotated = env.flarelink(&config, &["rotate-cert", "--output", "json"], &[]);
        eprintln!("rotate-cert took {} ms", started.elapsed().as_millis());
        std::thread::sleep(std::time::Duration::from_millis(1000));
        std::fs::write(&stop, b"").unwrap();
        (looping.join().unwrap(), rotated)
    });
    rotated.code(0);
    assert_eq!(
        rotated.writes(),
        vec![
            ("origin-cert".to_string(), "create".to_string()),
            ("acm-import".to_string(), "change".to_string())
        ],
        "{}",
        rotated.stdout
    );
    eprintln!("calls through the edge around and during rotate-cert: {calls}");
    assert_eq!(
        calls["failed"], 0,
        "calls failed during the rotation: {calls}"
    );
    assert!(calls["ok"].as_u64().unwrap() >= 3, "too few calls: {calls}");

    // Same ARN, new serial, the domain untouched, the data plane serving the new certificate.
    let after = env.state();
    let now = only_cert(&after);
    assert_eq!(now["arn"], arn.as_str(), "{after:#}");
    assert_ne!(now["serial"], cert["serial"], "{after:#}");
    assert_eq!(after["domain_arn"], arn.as_str(), "{after:#}");
    assert_eq!(after["dataplane_serial"], now["serial"], "{after:#}");
    let new_origin = now["tags"]["flarelink:cloudflare-origin-cert-id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_origin, old_origin);
    assert_eq!(now["tags"]["flarelink:managed"], "true");
    assert_eq!(now["tags"]["flarelink:hostname"], HOST);
    // The old origin certificate is revoked; the new one is live and is what ACM serves.
    let old = env.origin_cert(&old_origin);
    assert!(!old["revoked_at"].is_null(), "old not revoked: {old}");
    let new = env.origin_cert(&new_origin);
    assert!(new["revoked_at"].is_null(), "new revoked: {new}");
    let served_serial = env.s.python(&format!(
        r#"
from cryptography import x509
emit(format(x509.load_pem_x509_certificate({pem:?}.encode()).serial_number, "x"))
"#,
        pem = new["certificate"].as_str().unwrap()
    ));
    assert_eq!(served_serial, now["serial"]);
    let last = env.s.via_edge(HOST, "/ditto", &[("Authorization", &token)]);
    assert_eq!(last.status, 200, "{last:?}");

    // Converged: link-domain writes nothing.
    let again = env.flarelink(&config, &["link-domain", "--output", "json"], &[]);
    again.code(0);
    assert!(again.writes().is_empty(), "{:?}", again.writes());
}

#[test]
fn link_domain_rotates_in_place_inside_the_renewal_window_then_converges() {
    let env = Env::start();
    // A 30-day certificate first…
    let short = env.config("short", "validity_days = 30");
    let token = env.guide(&short);
    let before = env.state();
    let cert = only_cert(&before).clone();
    let arn = cert["arn"].as_str().unwrap().to_string();
    // …then a configuration whose renewal window (60 days) it is inside.
    let long = env.config("long", "validity_days = 365\nrenew_before_days = 60");
    let dry = env.flarelink(
        &long,
        &["link-domain", "--dry-run", "--output", "json"],
        &[],
    );
    dry.code(0);
    assert!(
        dry.writes()
            .contains(&("acm-import".to_string(), "change".to_string())),
        "{}",
        dry.stdout
    );
    assert!(
        !dry.writes().iter().any(|(s, _)| s == "custom-domain"),
        "no domain switch planned: {}",
        dry.stdout
    );
    let run = env.flarelink(&long, &["link-domain", "--output", "json"], &[]);
    run.code(0);
    assert!(
        !run.writes().iter().any(|(s, _)| s == "custom-domain"),
        "the custom domain was not switched: {}",
        run.stdout
    );
    let after = env.state();
    let now = only_cert(&after);
    assert_eq!(now["arn"], arn.as_str());
    assert_eq!(after["domain_arn"], arn.as_str());
    assert_ne!(now["serial"], cert["serial"]);
    assert_eq!(after["dataplane_serial"], now["serial"]);
    assert!(
        now["not_after"].as_str().unwrap() > cert["not_after"].as_str().unwrap(),
        "{after:#}"
    );
    let through = env.s.via_edge(HOST, "/ditto", &[("Authorization", &token)]);
    assert_eq!(through.status, 200, "{through:?}");
    // The new certificate (365 days) is outside the 60-day window: nothing more to do.
    let again = env.flarelink(&long, &["link-domain", "--output", "json"], &[]);
    again.code(0);
    assert!(again.writes().is_empty(), "{:?}", again.writes());
}

#[test]
fn rotate_cert_with_a_changed_key_type_takes_the_new_certificate_path_and_says_so() {
    use crate::harness::Stack;
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let rsa = Stack::domain(HOST, "ditto-api", "prod", "");
    let config = stack.config(&rsa);
    stack.flarelink(&config, &["link-domain"]).assert_code(0);
    let before = crate::assert_linked(&stack, &api);
    let old_arn = before["certificates"][0]["arn"]
        .as_str()
        .unwrap()
        .to_string();

    let ecdsa = format!("{rsa}[domain.certificate]\nkey_type = \"ecdsa-p256\"\n");
    let config = stack.config(&ecdsa);
    let dry = stack.flarelink(&config, &["rotate-cert", "--dry-run", "--output", "json"]);
    dry.assert_code(0);
    assert!(
        dry.stdout.contains("cannot change the key type"),
        "the plan says why: {}",
        dry.stdout
    );
    assert!(
        dry.writes().contains(&"custom-domain:change".to_string()),
        "{:?}",
        dry.writes()
    );
    let run = stack.flarelink(&config, &["rotate-cert", "--output", "json"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("cannot change the key type"),
        "{}",
        run.stdout
    );
    // Superseded certificates are retired on acm-import's line, after the domain's switch.
    let steps = run.json()["report"]["steps"].clone();
    let last = steps.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["step"], "acm-import", "{steps:#}");
    assert!(
        last["summary"].as_str().unwrap().contains("retire"),
        "{steps:#}"
    );
    let after = crate::assert_linked(&stack, &api);
    let new_arn = after["certificates"][0]["arn"].as_str().unwrap();
    assert_ne!(new_arn, old_arn, "a new certificate");
    assert_eq!(after["domains"][0]["certificate"], new_arn);
    let again = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    again.assert_code(0);
    assert!(again.writes().is_empty(), "{:?}", again.writes());
}

#[test]
fn rotate_cert_refuses_a_hostname_with_nothing_to_rotate_and_writes_nothing() {
    use crate::harness::Stack;
    let stack = Stack::start();
    stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    let before = stack.stats();
    let refused = stack.flarelink(&config, &["rotate-cert", "--output", "json"]);
    refused.assert_code(1);
    let error = &refused.json()["error"];
    assert_eq!(error["kind"], "precondition", "{error}");
    assert!(
        error["hint"].as_str().unwrap().contains("link-domain"),
        "{error}"
    );
    assert_eq!(stack.stats().writes, before.writes, "nothing written");
    assert!(stack.aws_state()["certificates"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(stack.live_origin_certs().is_empty());
}
