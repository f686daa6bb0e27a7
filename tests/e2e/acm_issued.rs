//! `[domain.certificate] source = "acm"`: an ACM-issued certificate, validated through DNS-only
//! CNAMEs in Cloudflare, served by the custom domain, with `ssl_mode = "strict"`. moto issues a
//! requested certificate `MOTO_ACM_VALIDATION_WAIT` seconds after the request (set short here);
//! its validation record is a constant, which nothing here relies on being unique. Everything is
//! read back independently: boto3 for ACM and API Gateway, the official Cloudflare Python SDK
//! for the records. Through the local edge (the stand-ins: moto's issued certificates are
//! signed by a stand-in public CA the edge trusts, as Cloudflare trusts publicly trusted roots
//! in Full (strict)): verified TLS to API Gateway, and 526 for a certificate chaining to no
//! trusted root.

use std::path::Path;
use std::process::Command;

use flarelink_cloudflare_emulator::EmulatorOptions;
use flarelink_test_support::py_str;
use flarelink_test_support::standins::{sibling_binary, Standins};
use serde_json::{json, Value};

use crate::harness::{Stack, HOST};

pub(crate) fn acm_domain(extra: &str) -> String {
    format!(
        "{}[domain.certificate]\nsource = \"acm\"\n{extra}\n",
        Stack::domain(HOST, "ditto-api", "prod", "")
    )
}

pub(crate) fn stack(validation_wait_seconds: &str) -> Stack {
    Stack::start_with(
        &[("MOTO_ACM_VALIDATION_WAIT", validation_wait_seconds)],
        EmulatorOptions::default(),
    )
}

/// The zone's DNS records through the official Cloudflare Python SDK.
fn records_via_sdk(stack: &Stack) -> Vec<Value> {
    let script = format!(
        r#"
from cloudflare import Cloudflare
cf = Cloudflare(api_token={token}, base_url={base}, max_retries=0)
out = []
for r in cf.dns.records.list(zone_id={zone}):
    out.append({{"name": r.name, "type": r.type, "content": r.content,
                "proxied": r.proxied, "comment": r.comment, "id": r.id}})
emit(sorted(out, key=lambda r: r["name"]))
"#,
        token = py_str(&stack.token),
        base = py_str(&stack.cf_base_url()),
        zone = py_str(&stack.zone_id()),
    );
    stack.boto3(&script).as_array().unwrap().clone()
}

/// Every ACM certificate with its type, status, tags and validation CNAME, through boto3.
pub(crate) fn acm_certificates(stack: &Stack) -> Vec<Value> {
    stack
        .boto3(
            r#"
acm = client("acm")
out = []
for s in acm.list_certificates(Includes={"keyTypes": ["RSA_2048", "EC_prime256v1"]})["CertificateSummaryList"]:
    c = acm.describe_certificate(CertificateArn=s["CertificateArn"])["Certificate"]
    tags = {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(CertificateArn=c["CertificateArn"]).get("Tags", [])}
    dvo = c.get("DomainValidationOptions") or [{}]
    out.append({"arn": c["CertificateArn"], "type": c["Type"], "status": c["Status"], "tags": tags,
                "record": dvo[0].get("ResourceRecord")})
emit(sorted(out, key=lambda c: c["arn"]))
"#,
        )
        .as_array()
        .unwrap()
        .clone()
}

pub(crate) fn validation_records(stack: &Stack) -> Vec<Value> {
    records_via_sdk(stack)
        .into_iter()
        .filter(|r| r["name"] != HOST)
        .collect()
}

#[test]
fn acm_issued_dry_run_first_run_converges_and_unlink_removes_records_and_certificate() {
    let stack = stack("2");
    stack.sample_api("ditto-api", "prod");
    let config = stack.config_with("ssl_mode = \"strict\"\n", &acm_domain(""));

    // Dry-run: the request, the validation records and the wait, and nothing written.
    let aws_before = stack.aws_state();
    let dry = stack.flarelink(&config, &["link-domain", "--dry-run", "--output", "json"]);
    dry.assert_code(0);
    let steps = dry.json()["report"]["steps"].clone();
    let by = |name: &str| {
        steps
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == name)
            .unwrap_or_else(|| panic!("{name} missing from {steps:#}"))
            .clone()
    };
    assert_eq!(by("acm-request")["action"], "create");
    assert_eq!(by("acm-request")["number"], 1);
    let validation = by("validation-record");
    assert_eq!(validation["action"], "create");
    assert!(
        validation.to_string().contains("wait up to 900 s"),
        "{validation:#}"
    );
    assert!(
        !steps.to_string().contains("\"origin-cert\""),
        "no Origin CA step with source = acm: {steps:#}"
    );
    assert_eq!(stack.stats().writes, 0, "the dry-run wrote to Cloudflare");
    assert_eq!(stack.aws_state(), aws_before, "the dry-run changed AWS");
    let human = stack.flarelink(&config, &["link-domain", "--dry-run"]);
    human.assert_code(0);
    assert!(human.stdout.contains("acm-request"), "{}", human.stdout);

    // First run: requested, validated through a DNS-only CNAME, issued, served.
    let first = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    first.assert_code(0);
    let certs = acm_certificates(&stack);
    assert_eq!(certs.len(), 1, "one certificate: {certs:#?}");
    let cert = &certs[0];
    assert_eq!(cert["type"], "AMAZON_ISSUED");
    assert_eq!(cert["status"], "ISSUED");
    assert_eq!(cert["tags"]["flarelink:managed"], "true");
    assert_eq!(cert["tags"]["flarelink:hostname"], HOST);
    let aws = stack.aws_state();
    assert_eq!(aws["domains"][0]["name"], HOST);
    assert_eq!(aws["domains"][0]["certificate"], cert["arn"]);
    assert_eq!(
        first.json()["report"]["domains"][0]["certificate_arn"],
        cert["arn"]
    );
    let records = validation_records(&stack);
    assert_eq!(records.len(), 1, "{records:#?}");
    let r = &records[0];
    let want_name = cert["record"]["Name"]
        .as_str()
        .unwrap()
        .trim_end_matches('.');
    let want_value = cert["record"]["Value"]
        .as_str()
        .unwrap()
        .trim_end_matches('.');
    assert_eq!(r["name"], want_name);
    assert_eq!(r["type"], "CNAME");
    assert_eq!(r["content"], want_value);
    assert_eq!(r["proxied"], false, "validation records are DNS only");
    assert!(
        r["comment"]
            .as_str()
            .unwrap_or_default()
            .starts_with("managed by flarelink"),
        "{r:#}"
    );
    // The hostname's own CNAME is proxied as ever.
    let own: Vec<Value> = records_via_sdk(&stack)
        .into_iter()
        .filter(|r| r["name"] == HOST)
        .collect();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["proxied"], true);
    // Full (strict) for the hostname (a Configuration Rule: `ssl_scope` defaults to hostname).
    assert_eq!(stack.linked_ssl(HOST), "strict");

    // Second run: nothing to write.
    let writes = stack.stats().writes;
    let second = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    second.assert_code(0);
    assert!(second.writes().is_empty(), "{:?}", second.writes());
    assert_eq!(
        stack.stats().writes,
        writes,
        "second run wrote to Cloudflare"
    );
    assert_eq!(stack.aws_state(), aws, "second run changed AWS");

    // Unlink: the records and the certificate go (nothing uses it once the domain is gone).
    let unlink = stack.flarelink(&config, &["unlink-domain", "--output", "json"]);
    unlink.assert_code(0);
    assert!(
        unlink
            .writes()
            .contains(&"validation-record:delete".to_string()),
        "{:?}",
        unlink.writes()
    );
    assert!(validation_records(&stack).is_empty());
    assert!(acm_certificates(&stack).is_empty());
    assert!(stack.aws_state()["domains"].as_array().unwrap().is_empty());

    // Linked again at once (ACM's idempotency window is an hour): a new certificate.
    let relink = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    assert_eq!(
        relink.code,
        0,
        "{}\n--- moto ---\n{}",
        relink.stdout,
        stack.moto.stderr()
    );
    let again = acm_certificates(&stack);
    assert_eq!(again.len(), 1, "{again:#?}");
    assert_ne!(again[0]["arn"], cert["arn"]);
    assert_eq!(again[0]["status"], "ISSUED");
}

#[test]
fn a_foreign_record_at_the_validation_name_is_refused_and_left_alone() {
    let stack = stack("2");
    stack.sample_api("ditto-api", "prod");
    let config = stack.config(&acm_domain(""));

    // Stop right after the request, then put someone else's record at its validation name.
    let stopped = stack.flarelink_env(
        &config,
        &["link-domain"],
        &[("FLARELINK_FAULT_AFTER_STEP", "acm-request")],
    );
    assert_ne!(stopped.code, 0, "{}", stopped.stderr);
    let certs = acm_certificates(&stack);
    assert_eq!(certs.len(), 1, "{certs:#?}");
    let name = certs[0]["record"]["Name"]
        .as_str()
        .unwrap()
        .trim_end_matches('.')
        .to_string();
    let zone = stack.zone_id();
    stack.cf_post(
        &format!("zones/{zone}/dns_records"),
        json!({"type": "CNAME", "name": name, "content": "someone-else.example.net", "proxied": false, "ttl": 1}),
    );
    let writes = stack.stats().writes;

    let refused = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    refused.assert_code(1);
    let error = refused.json()["error"].clone();
    assert_eq!(error["kind"], "conflict", "{error:#}");
    assert!(
        error.to_string().contains("someone-else.example.net"),
        "{error:#}"
    );
    assert_eq!(stack.stats().writes, writes, "a refused run wrote");
    let foreign = validation_records(&stack);
    assert_eq!(foreign.len(), 1);
    assert_eq!(foreign[0]["content"], "someone-else.example.net");
    assert!(stack.aws_state()["domains"].as_array().unwrap().is_empty());

    // Unlink leaves the foreign record and deletes flarelink's pending request.
    stack
        .flarelink(&config, &["unlink-domain", "--output", "json"])
        .assert_code(0);
    assert_eq!(validation_records(&stack), foreign);
    assert!(acm_certificates(&stack).is_empty());
}

#[test]
fn a_wait_shorter_than_validation_fails_clearly_and_a_rerun_after_issuance_converges() {
    // moto's wait is well above the bound, so even a slow machine times out first.
    let stack = stack("12");
    stack.sample_api("ditto-api", "prod");
    let config = stack.config(&acm_domain("validation_timeout_seconds = 1"));

    let timed_out = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    timed_out.assert_code(1);
    let certs = acm_certificates(&stack);
    assert_eq!(certs.len(), 1, "{certs:#?}");
    let arn = certs[0]["arn"].as_str().unwrap();
    let error = timed_out.json()["error"].to_string();
    assert!(error.contains(arn), "names the certificate: {error}");
    assert!(error.contains("PENDING_VALIDATION"), "{error}");
    assert!(error.contains("validation_timeout_seconds"), "{error}");
    // The records are written; the domain is not made with a certificate not yet issued.
    assert_eq!(validation_records(&stack).len(), 1);
    assert!(stack.aws_state()["domains"].as_array().unwrap().is_empty());

    // Until ACM (moto) has issued it.
    for _ in 0..40 {
        if acm_certificates(&stack)[0]["status"] == "ISSUED" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    let rerun = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    rerun.assert_code(0);
    let certs_after = acm_certificates(&stack);
    assert_eq!(
        certs_after.len(),
        1,
        "the request is reused: {certs_after:#?}"
    );
    assert_eq!(certs_after[0]["arn"], certs[0]["arn"]);
    assert_eq!(certs_after[0]["status"], "ISSUED");
    assert_eq!(
        stack.aws_state()["domains"][0]["certificate"],
        certs[0]["arn"]
    );
    let third = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    third.assert_code(0);
    assert!(third.writes().is_empty(), "{:?}", third.writes());
}

#[test]
fn switching_origin_ca_to_acm_and_back_retires_the_certificate_the_domain_no_longer_serves() {
    let stack = stack("1");
    stack.sample_api("ditto-api", "prod");
    let origin_ca = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    stack
        .flarelink(&origin_ca, &["link-domain", "--output", "json"])
        .assert_code(0);
    let imported = acm_certificates(&stack);
    assert_eq!(imported.len(), 1);
    assert_eq!(imported[0]["type"], "IMPORTED");
    assert_eq!(stack.live_origin_certs().len(), 1);

    // To "acm": the domain switches to the issued certificate; the import goes, and so does
    // its origin certificate.
    let acm = stack.config(&acm_domain(""));
    stack
        .flarelink(&acm, &["link-domain", "--output", "json"])
        .assert_code(0);
    let issued = acm_certificates(&stack);
    assert_eq!(issued.len(), 1, "{issued:#?}");
    assert_eq!(issued[0]["type"], "AMAZON_ISSUED");
    assert_eq!(
        stack.aws_state()["domains"][0]["certificate"],
        issued[0]["arn"]
    );
    assert!(
        stack.live_origin_certs().is_empty(),
        "{:#?}",
        stack.live_origin_certs()
    );

    // And back: a new import is served and the ACM-issued certificate is retired.
    let back = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    stack
        .flarelink(&back, &["link-domain", "--output", "json"])
        .assert_code(0);
    let again = acm_certificates(&stack);
    assert_eq!(again.len(), 1, "{again:#?}");
    assert_eq!(again[0]["type"], "IMPORTED");
    assert_eq!(
        stack.aws_state()["domains"][0]["certificate"],
        again[0]["arn"]
    );
    let second = stack.flarelink(&back, &["link-domain", "--output", "json"]);
    second.assert_code(0);
    assert!(second.writes().is_empty(), "{:?}", second.writes());
}

/// Runs flarelink against the stand-ins, asserting exit 0; its stdout.
fn flarelink_on(s: &Standins, config: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flarelink"));
    cmd.arg("--config").arg(config).args(args);
    s.configure_command(&mut cmd);
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("run flarelink");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "flarelink {args:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    );
    stdout
}

#[test]
fn an_acm_issued_certificate_is_verified_by_the_edge_in_full_strict_and_an_untrusted_one_gets_526()
{
    const PASSWORD: &str = "Superd3d$-acm";
    let s = Standins::start(
        &sibling_binary("cloudflare-emulator"),
        // The zone on Full (strict) from the start, so the second name below is strict too
        // (flarelink's own mode is scoped to its hostname by default).
        &["--acm-validation-wait", "1", "--ssl-mode", "strict"],
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("acm-strict.toml");
    std::fs::write(
        &config,
        format!(
            "[cloudflare]\nzone = \"example.com\"\nssl_mode = \"strict\"\n\n\
             [aws]\nregion = \"us-east-1\"\n\n[retry]\nmax_attempts = 2\n\n\
             [cognito]\nuser_pool = \"APIgatewayUserPool\"\napp_client = \"APIgatewayUserPoolClient\"\n\
             domain_prefix = \"apigatewayauthonetwothree\"\ncallback_urls = [\"https://example.com\"]\n\
             deletion_protection = false\n\n[api]\nname = \"ditto-api\"\nstage = \"prod\"\n\n\
             [[domain]]\nhostname = \"{HOST}\"\nrest_api = \"ditto-api\"\nstage = \"prod\"\n\
             [domain.certificate]\nsource = \"acm\"\n"
        ),
    )
    .unwrap();
    let pw = [("E2E_PASSWORD", PASSWORD)];
    flarelink_on(&s, &config, &["provision"], &[]);
    flarelink_on(
        &s,
        &config,
        &[
            "users",
            "create",
            "--username",
            "acm-user",
            "--email",
            "acm-user@example.com",
            "--password-env",
            "E2E_PASSWORD",
        ],
        &pw,
    );
    let token = flarelink_on(
        &s,
        &config,
        &[
            "token",
            "--username",
            "acm-user",
            "--password-env",
            "E2E_PASSWORD",
            "--output",
            "json",
        ],
        &pw,
    );
    let token: Value = serde_json::from_str(&token).unwrap();
    let token = token["id_token"].as_str().unwrap().to_owned();
    flarelink_on(&s, &config, &["link-domain"], &[]);

    // Through the edge in Full (strict): API Gateway reached over verified TLS.
    let anonymous = s.via_edge(HOST, "/ditto", &[]);
    assert_eq!(anonymous.status, 401, "{anonymous:?}");
    assert_eq!(anonymous.message().as_deref(), Some("Unauthorized"));
    let authorized = s.via_edge(HOST, "/ditto", &[("Authorization", &token)]);
    assert_eq!(authorized.status, 200, "{authorized:?}");

    // What the data plane serves (read straight from it): ACM's issued certificate and the
    // chain ACM reports, verifying against the stand-in public CA for the hostname.
    let plane = s.dataplane_address();
    let served = s.boto3(&format!(
        r#"
import socket, ssl
from cryptography import x509
from cryptography.hazmat.primitives import serialization
acm = client("acm")
arn = client("apigateway").get_domain_name(domainName={HOST:?})["regionalCertificateArn"]
described = acm.describe_certificate(CertificateArn=arn)["Certificate"]
issued = acm.get_certificate(CertificateArn=arn)
ctx = ssl.create_default_context(cafile={ca:?})
with socket.create_connection(("{ip}", {port}), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname={HOST:?}) as tls:
        der = tls.getpeercert(binary_form=True)
leaf = x509.load_der_x509_certificate(der)
acm_leaf = x509.load_pem_x509_certificate(issued["Certificate"].encode())
root = x509.load_pem_x509_certificate(open({ca:?}, "rb").read())
chain = x509.load_pem_x509_certificates(issued["CertificateChain"].encode())
emit({{"type": described["Type"], "status": described["Status"],
      "same_as_acm": der == acm_leaf.public_bytes(serialization.Encoding.DER),
      "issuer": leaf.issuer.rfc4514_string(), "root": root.subject.rfc4514_string(),
      "chain_is_the_root": [c.public_bytes(serialization.Encoding.DER) for c in chain] == [root.public_bytes(serialization.Encoding.DER)]}})
"#,
        ca = s.acm_public_ca_file().display().to_string(),
        ip = plane.ip(),
        port = plane.port(),
    ));
    assert_eq!(served["type"], "AMAZON_ISSUED", "{served:#}");
    assert_eq!(served["status"], "ISSUED", "{served:#}");
    assert_eq!(served["same_as_acm"], true, "{served:#}");
    assert_eq!(served["issuer"], served["root"], "{served:#}");
    assert!(
        served["issuer"].as_str().unwrap().contains("O=Amazon"),
        "{served:#}"
    );
    assert_eq!(served["chain_is_the_root"], true, "{served:#}");

    // The check can fail: a second proxied name (in the strict zone) onto the same regional
    // endpoint, for which the data plane serves its `*.execute-api` certificate (the local CA:
    // no trusted root; the origin name matches it, so only the chain is wrong) → 526.
    let other = "other.example.com";
    s.python(&format!(
        r#"
from cloudflare import Cloudflare
regional = client("apigateway").get_domain_name(domainName={HOST:?})["regionalDomainName"]
Cloudflare(max_retries=0).dns.records.create(zone_id={zone:?}, type="CNAME", name={other:?},
    content=regional, proxied=True, ttl=1)
emit(regional)
"#,
        zone = s.zone_id("example.com"),
    ));
    let untrusted = s.via_edge(other, "/ditto", &[("Authorization", &token)]);
    assert_eq!(untrusted.status, 526, "{untrusted:?}");
}
