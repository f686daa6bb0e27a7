//! `[domain.certificate] source = "acm"`: an ACM-issued certificate, validated through DNS-only
//! CNAMEs in Cloudflare, served by the custom domain, with `ssl_mode = "strict"`. moto issues a
//! requested certificate `MOTO_ACM_VALIDATION_WAIT` seconds after the request (set short here);
//! its validation record is a constant, which nothing here relies on being unique. Everything is
//! read back independently: boto3 for ACM and API Gateway, the official Cloudflare Python SDK
//! for the records.

use flarelink_cloudflare_emulator::EmulatorOptions;
use flarelink_test_support::py_str;
use serde_json::{json, Value};

use crate::harness::{Stack, HOST};

fn acm_domain(extra: &str) -> String {
    format!(
        "{}[domain.certificate]\nsource = \"acm\"\n{extra}\n",
        Stack::domain(HOST, "ditto-api", "prod", "")
    )
}

fn stack(validation_wait_seconds: &str) -> Stack {
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
fn acm_certificates(stack: &Stack) -> Vec<Value> {
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

fn validation_records(stack: &Stack) -> Vec<Value> {
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
    // The hostname's own CNAME is proxied as ever, and the hostname is on Full (strict) (through
    // its Configuration Rule: the default ssl_scope is "hostname").
    let own: Vec<Value> = records_via_sdk(&stack)
        .into_iter()
        .filter(|r| r["name"] == HOST)
        .collect();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["proxied"], true);
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
