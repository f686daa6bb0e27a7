//! Transient failures are retried; quotas are waited out and said so; permanent failures stop
//! with the cloud's message and what to do.

use flarelink_cloudflare_emulator::EmulatorOptions;
use serde_json::json;

use crate::assert_linked;
use crate::harness::{Stack, HOST};

#[test]
fn transient_cloudflare_errors_are_retried() {
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    // max_attempts = 2 in the test config: one failure per call is absorbed.
    stack.inject_faults(json!({"status": 503, "count": 1, "path_contains": "certificates"}));
    stack.inject_faults(
        json!({"status": 429, "count": 1, "retry_after": 1, "path_contains": "dns_records"}),
    );
    let run = stack.flarelink(&config, &["link-domain"]);
    run.assert_code(0);
    assert_linked(&stack, &api);
}

#[test]
fn a_permanent_cloudflare_refusal_stops_with_the_message_and_the_missing_permission() {
    let read_only = "read-only-token".to_string();
    let stack = Stack::start_with(
        &[],
        EmulatorOptions {
            read_only_tokens: vec![read_only.clone()],
            ..Default::default()
        },
    );
    stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    let run = stack.flarelink_env(
        &config,
        &["link-domain"],
        &[("CLOUDFLARE_API_TOKEN", &read_only)],
    );
    run.assert_code(1);
    assert!(run.stderr.contains("10000"), "{}", run.stderr);
    // The first write is the run lock's marker (a DNS record): its permission is named.
    assert!(run.stderr.contains("Zone › DNS › Edit"), "{}", run.stderr);
    assert!(
        !run.stderr.contains(&read_only),
        "the token leaked: {}",
        run.stderr
    );
    assert!(!run.stdout.contains(&read_only));
}

#[test]
fn api_gateway_domain_quota_is_waited_out_and_said() {
    // moto answers 429 TooManyRequestsException with Retry-After for a second CreateDomainName
    // within 3 s, as AWS does within 30 s.
    let stack = Stack::start_with(
        &[("FLARELINK_MOTO_DOMAIN_QUOTA_SECONDS", "3")],
        EmulatorOptions::default(),
    );
    let api = stack.sample_api("ditto-api", "prod");
    let config = stack.config(&format!(
        "{}{}",
        Stack::domain(HOST, "ditto-api", "prod", ""),
        Stack::domain("v2.example.com", &api, "prod", "")
    ));
    let run = stack.flarelink(&config, &["link-domain"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("waiting"),
        "the wait was not said: {}",
        run.stderr
    );
    assert!(run.stderr.contains("CreateDomainName"), "{}", run.stderr);
    assert_eq!(stack.aws_state()["domains"].as_array().unwrap().len(), 2);
}

#[test]
fn secrets_never_reach_output() {
    let stack = Stack::start();
    stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    let run = stack.flarelink_env(&config, &["link-domain", "-vv"], &[]);
    run.assert_code(0);
    for out in [&run.stdout, &run.stderr] {
        assert!(!out.contains(&stack.token), "token in output");
        assert!(!out.contains("PRIVATE KEY"), "private key in output");
    }
    // Nothing was written next to the config either.
    let files: Vec<_> = std::fs::read_dir(stack.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
}
