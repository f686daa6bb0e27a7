use serde_json::json;

use crate::assert_linked;
use crate::harness::{Stack, HOST};

#[test]
fn link_on_empty_state_creates_all_six_effects_and_a_second_run_changes_nothing() {
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));

    let first = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    first.assert_code(0);
    let report = first.json();
    assert_eq!(report["ok"], true);
    // The default scope: a Configuration Rule for the hostname; the zone's own mode stays.
    assert_eq!(report["report"]["zone"]["ssl_mode_before"], "flexible");
    assert_eq!(report["report"]["zone"]["ssl_mode"], "flexible");
    assert_eq!(report["report"]["zone"]["ssl_scope"], "hostname");
    assert_eq!(stack.ssl_mode(), "flexible");
    let summary = &report["report"]["domains"][0];
    let before = assert_linked(&stack, &api);
    assert_eq!(summary["certificate_arn"], before["certificates"][0]["arn"]);
    assert_eq!(
        summary["regional_domain_name"],
        before["domains"][0]["regional_domain_name"]
    );
    assert_eq!(
        summary["cloudflare_certificate_id"],
        before["certificates"][0]["tags"]["flarelink:cloudflare-origin-cert-id"]
    );

    let writes = stack.stats().writes;
    let second = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    second.assert_code(0);
    assert!(
        second.actions().iter().all(|(_, _, a)| a == "exists"),
        "{:?}",
        second.actions()
    );
    assert_eq!(
        stack.stats().writes,
        writes,
        "second run wrote to Cloudflare"
    );
    assert_eq!(stack.aws_state(), before, "second run changed AWS");
}

#[test]
fn dry_run_reads_only_and_names_every_step() {
    let stack = Stack::start();
    stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    let aws_before = stack.aws_state();

    let run = stack.flarelink(&config, &["link-domain", "--dry-run", "--output", "json"]);
    run.assert_code(0);
    let actions = run.actions();
    let steps: Vec<&str> = actions.iter().map(|(s, _, _)| s.as_str()).collect();
    for step in [
        "origin-cert",
        "acm-import",
        "custom-domain",
        "api-mapping",
        "dns-record",
        "ssl-mode",
    ] {
        assert!(steps.contains(&step), "{step} missing from {actions:?}");
    }
    assert!(actions
        .iter()
        .filter(|(s, _, _)| s != "ssl-mode")
        .all(|(_, _, a)| a == "create"));
    assert_eq!(run.json()["report"]["dry_run"], true);
    let stats = stack.stats();
    assert!(stats.requests > 0, "the dry-run read live state");
    assert_eq!(stats.writes, 0, "dry-run wrote to Cloudflare");
    assert_eq!(stack.aws_state(), aws_before, "dry-run changed AWS");

    // The human plan says the same.
    let human = stack.flarelink(&config, &["link-domain", "--dry-run"]);
    human.assert_code(0);
    assert!(human.stdout.contains("Dry run"), "{}", human.stdout);
    assert!(
        human
            .stdout
            .contains("full for api.example.com (Configuration Rule), zone stays flexible"),
        "{}",
        human.stdout
    );
    // The guide's zone-wide scope says it changes the zone's mode, for every proxied hostname.
    let zone_scope = stack.config_with(
        "ssl_scope = \"zone\"\n",
        &Stack::domain(HOST, "ditto-api", "prod", ""),
    );
    let human = stack.flarelink(&zone_scope, &["link-domain", "--dry-run"]);
    human.assert_code(0);
    assert!(human.stdout.contains("flexible → full"), "{}", human.stdout);
    assert!(human.stdout.contains("zone-wide"), "{}", human.stdout);
    assert_eq!(stack.stats().writes, 0);
}

#[test]
fn dry_run_without_any_credentials_prints_the_static_plan() {
    let stack = Stack::start();
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    let out = crate::harness::bare_flarelink()
        .arg("--config")
        .arg(&config)
        .args(["link-domain", "--dry-run", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let unchecked = doc["report"]["unchecked"].as_array().unwrap();
    let text = serde_json::to_string(unchecked).unwrap();
    assert!(text.contains("CLOUDFLARE_API_TOKEN"), "{text}");
    assert!(text.contains("AWS"), "{text}");
    assert_eq!(doc["report"]["steps"].as_array().unwrap().len(), 6);
    assert!(doc["report"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["action"] == "unknown"));
    assert_eq!(stack.stats().requests, 0);
}

#[test]
fn links_several_hostnames_in_one_run() {
    // Two hostnames, one run: two certificates, two domains, one SSL change.
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let config = stack.config(&format!(
        "{}{}",
        Stack::domain(HOST, "ditto-api", "prod", ""),
        Stack::domain("v2.example.com", &api, "prod", "v2")
    ));
    let run = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    run.assert_code(0);
    let aws = stack.aws_state();
    assert_eq!(aws["certificates"].as_array().unwrap().len(), 2);
    let domains = aws["domains"].as_array().unwrap();
    assert_eq!(domains.len(), 2);
    assert_eq!(domains[1]["name"], "v2.example.com");
    assert_eq!(domains[1]["mappings"], json!([["v2", api, "prod"]]));
    let ssl_steps = run
        .actions()
        .into_iter()
        .filter(|(s, _, _)| s == "ssl-mode")
        .count();
    assert_eq!(
        ssl_steps,
        1,
        "one step for the zone's rules: {:?}",
        run.actions()
    );
    assert_eq!(stack.linked_ssl("v2.example.com"), "full");
    assert_eq!(stack.linked_ssl(HOST), "full");
    assert_eq!(stack.live_origin_certs().len(), 2);
}

#[test]
fn help_lists_every_step_command() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flarelink"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "link-domain",
        "unlink-domain",
        "certificate",
        "origin-cert",
        "acm-import",
        "custom-domain",
        "api-mapping",
        "dns-record",
        "ssl-mode",
    ] {
        assert!(help.contains(cmd), "{cmd} missing from --help:\n{help}");
    }
}

#[test]
fn changing_the_key_type_rotates_the_certificate_and_retires_the_old_one() {
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let rsa = Stack::domain(HOST, "ditto-api", "prod", "");
    let config = stack.config(&rsa);
    stack.flarelink(&config, &["link-domain"]).assert_code(0);
    let before = assert_linked(&stack, &api);
    let old_arn = before["certificates"][0]["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let old_origin = before["certificates"][0]["tags"]["flarelink:cloudflare-origin-cert-id"]
        .as_str()
        .unwrap()
        .to_string();

    let ecdsa = format!("{rsa}[domain.certificate]\nkey_type = \"ecdsa-p256\"\n");
    let config = stack.config(&ecdsa);
    let dry = stack.flarelink(&config, &["link-domain", "--dry-run", "--output", "json"]);
    dry.assert_code(0);
    let planned: Vec<_> = dry
        .actions()
        .into_iter()
        .map(|(s, _, a)| format!("{s}:{a}"))
        .collect();
    assert!(
        planned.contains(&"origin-cert:create".to_string()),
        "{planned:?}"
    );
    assert!(
        planned.contains(&"custom-domain:change".to_string()),
        "{planned:?}"
    );
    assert!(
        planned.contains(&"dns-record:exists".to_string()),
        "{planned:?}"
    );

    let run = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    run.assert_code(0);
    let after = assert_linked(&stack, &api);
    let new_arn = after["certificates"][0]["arn"].as_str().unwrap();
    assert_ne!(new_arn, old_arn, "a new certificate serves the domain");
    assert_eq!(after["domains"][0]["certificate"], new_arn);
    assert_eq!(
        after["domains"][0]["regional_domain_name"], before["domains"][0]["regional_domain_name"],
        "the domain was updated in place, not recreated"
    );
    let old = stack.cf_get(&format!("certificates/{old_origin}"));
    assert!(
        old["revoked_at"].is_string(),
        "old origin certificate revoked: {old}"
    );

    let again = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    assert!(
        again.actions().iter().all(|(_, _, a)| a == "exists"),
        "{:?}",
        again.actions()
    );
}

#[test]
fn short_lived_certificates_converge_too() {
    let stack = Stack::start();
    stack.sample_api("ditto-api", "prod");
    let weekly = format!(
        "{}[domain.certificate]\nvalidity_days = 7\n",
        Stack::domain(HOST, "ditto-api", "prod", "")
    );
    let config = stack.config(&weekly);
    stack.flarelink(&config, &["link-domain"]).assert_code(0);
    let again = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    again.assert_code(0);
    assert!(
        again.actions().iter().all(|(_, _, a)| a == "exists"),
        "{:?}",
        again.actions()
    );
}
