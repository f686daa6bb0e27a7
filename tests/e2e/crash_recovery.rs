//! A run that stops after step k (1–5) leaves partial state; the next run converges from there:
//! one ACM certificate, no orphaned origin certificate, all six effects.

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
