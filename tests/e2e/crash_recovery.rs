//! A run that stops after step k (1–5) leaves partial state; the next run converges from there:
//! one ACM certificate, no orphaned origin certificate, all six effects. A rotation in place
//! (`rotate-cert`) stopped at each of its writes is finished the same way, and the origin
//! certificate the ARN serves is live at every moment.

use crate::assert_linked;
use crate::harness::{Stack, HOST};

fn crash_after(step: &str) {
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));

    let crashed = stack.flarelink_env(
        &config,
        &["link-domain"],
        &[("FLARELINK_FAULT_AFTER_STEP", step)],
    );
    crashed.assert_code(1);
    assert!(
        crashed
            .stderr
            .contains(&format!("stopped after step {step}")),
        "{}",
        crashed.stderr
    );

    let resumed = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    resumed.assert_code(0);
    let actions = resumed.actions();
    // Whatever the crashed run finished is found, not redone.
    let done_before = match step {
        "origin-cert" => 0,
        "acm-import" => 2,
        "custom-domain" => 3,
        "api-mapping" => 4,
        _ => 5,
    };
    for (s, _, action) in actions.iter().take(done_before) {
        assert_eq!(
            action, "exists",
            "{s} redone after a crash at {step}: {actions:?}"
        );
    }
    if step == "origin-cert" {
        let origin = actions.iter().find(|(s, _, _)| s == "origin-cert").unwrap();
        assert_eq!(origin.2, "create", "{actions:?}");
        let details = resumed.json()["report"]["steps"][0]["details"].to_string();
        assert!(
            details.contains("revoke orphaned"),
            "orphan revocation reported: {details}"
        );
    }
    assert_linked(&stack, &api);

    let again = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    again.assert_code(0);
    assert!(again.actions().iter().all(|(_, _, a)| a == "exists"));
}

#[test]
fn crash_after_origin_cert_leaves_an_orphan_that_the_next_run_revokes() {
    crash_after("origin-cert");
}

#[test]
fn crash_after_acm_import_resumes() {
    crash_after("acm-import");
}

#[test]
fn crash_after_custom_domain_resumes() {
    crash_after("custom-domain");
}

#[test]
fn crash_after_api_mapping_resumes() {
    crash_after("api-mapping");
}

#[test]
fn crash_after_dns_record_resumes() {
    crash_after("dns-record");
}

/// The serial (lower-case hex) of a PEM certificate, read with Python's `cryptography`.
fn serial_of(stack: &Stack, pem: &str) -> String {
    stack
        .boto3(&format!(
            r#"
from cryptography import x509
emit(format(x509.load_pem_x509_certificate({pem:?}.encode()).serial_number, "x"))
"#
        ))
        .as_str()
        .unwrap()
        .to_string()
}

/// The ARN's certificate is always one whose origin certificate is live: read back with boto3
/// (GetCertificate) and the emulator's live origin certificates.
#[track_caller]
fn served_origin_is_live(stack: &Stack, arn: &str) -> String {
    let aws = stack.aws_state();
    let cert = aws["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["arn"] == arn)
        .unwrap_or_else(|| panic!("{arn} gone: {aws:#}"))
        .clone();
    let serial = serial_of(stack, cert["certificate"].as_str().unwrap());
    let live: Vec<String> = stack
        .live_origin_certs()
        .iter()
        .map(|c| serial_of(stack, c["certificate"].as_str().unwrap()))
        .collect();
    assert!(
        live.contains(&serial),
        "the ARN serves serial {serial}, whose origin certificate is not live: {live:?}"
    );
    serial
}

/// A rotation (`rotate-cert`) stopped at `point`; the next `link-domain` finishes it (or leaves
/// the old certificate, still valid, when the re-import never happened), and the origin
/// certificate the ARN serves is live at every moment.
fn rotation_crash_after(point: &str) {
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    stack.flarelink(&config, &["link-domain"]).assert_code(0);
    let before = assert_linked(&stack, &api);
    let arn = before["certificates"][0]["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let old_serial = served_origin_is_live(&stack, &arn);

    let crashed = stack.flarelink_env(
        &config,
        &["rotate-cert"],
        &[("FLARELINK_FAULT_AFTER_STEP", point)],
    );
    crashed.assert_code(1);
    assert!(
        crashed
            .stderr
            .contains(&format!("stopped after step {point}")),
        "{}",
        crashed.stderr
    );
    let mid_serial = served_origin_is_live(&stack, &arn);
    match point {
        "origin-cert" => assert_eq!(mid_serial, old_serial, "not re-imported yet"),
        _ => assert_ne!(mid_serial, old_serial, "re-imported before the stop"),
    }

    let resumed = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    resumed.assert_code(0);
    if point == "acm-import" {
        // The tag is brought up to date and the old origin certificate revoked.
        let writes = resumed.writes();
        assert!(
            writes.contains(&"acm-import:change".to_string()),
            "{writes:?}"
        );
        assert!(
            writes.contains(&"origin-cert:change".to_string()),
            "{writes:?}"
        );
    }
    // One ACM certificate (the same ARN), tagged with the one live origin certificate, which
    // is what it holds; the domain still on the ARN.
    let after = assert_linked(&stack, &api);
    assert_eq!(after["certificates"][0]["arn"], arn.as_str());
    assert_eq!(served_origin_is_live(&stack, &arn), mid_serial);

    let again = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    again.assert_code(0);
    assert!(again.writes().is_empty(), "{:?}", again.writes());
}

#[test]
fn a_rotation_stopped_after_the_new_origin_cert_leaves_an_orphan_the_next_run_revokes() {
    rotation_crash_after("origin-cert");
}

#[test]
fn a_rotation_stopped_between_re_import_and_tag_update_is_finished_by_the_next_run() {
    rotation_crash_after("acm-import");
}

#[test]
fn a_rotation_whose_revoke_fails_is_finished_by_the_next_run() {
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    // (The stack's configuration has `[retry] max_attempts = 2`: two attempts per call.)
    stack.flarelink(&config, &["link-domain"]).assert_code(0);
    let before = assert_linked(&stack, &api);
    let arn = before["certificates"][0]["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let old = before["certificates"][0]["tags"]["flarelink:cloudflare-origin-cert-id"]
        .as_str()
        .unwrap()
        .to_string();
    // Every attempt of the old origin certificate's revoke fails: the run stops after the
    // re-import and the tag update, as if it had died there.
    stack.inject_faults(serde_json::json!({
        "status": 500, "count": 2, "path_contains": format!("/certificates/{old}")
    }));
    let failed = stack.flarelink(&config, &["rotate-cert"]);
    failed.assert_code(1);
    let aws = stack.aws_state();
    let cert = &aws["certificates"][0];
    assert_ne!(
        cert["tags"]["flarelink:cloudflare-origin-cert-id"],
        old.as_str(),
        "the tag was updated before the revoke: {aws:#}"
    );
    served_origin_is_live(&stack, &arn);
    assert!(
        stack
            .live_origin_certs()
            .iter()
            .any(|c| c["id"] == old.as_str()),
        "the old origin certificate is still live"
    );

    let resumed = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    resumed.assert_code(0);
    let after = assert_linked(&stack, &api);
    assert_eq!(after["certificates"][0]["arn"], arn.as_str());
    assert!(
        !stack
            .live_origin_certs()
            .iter()
            .any(|c| c["id"] == old.as_str()),
        "the old origin certificate was revoked"
    );
    let again = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    assert!(again.writes().is_empty(), "{:?}", again.writes());
}
