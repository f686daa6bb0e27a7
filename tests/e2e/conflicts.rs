//! What flarelink did not make is refused, with nothing changed anywhere, unless --force.

use serde_json::json;

use crate::harness::{Stack, HOST};

fn assert_refused_without_changes(stack: &Stack, config: &std::path::Path, needle: &str) {
    let aws_before = stack.aws_state();
    let writes_before = stack.stats().writes;
    let run = stack.flarelink(config, &["link-domain", "--output", "json"]);
    run.assert_code(1);
    let doc = run.json();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["error"]["kind"], "conflict", "{doc:#}");
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains(needle), "{message}");
    assert!(
        doc["error"]["hint"].as_str().unwrap().contains("--force"),
        "{doc:#}"
    );
    assert_eq!(
        stack.stats().writes,
        writes_before,
        "Cloudflare was written to"
    );
    assert_eq!(stack.aws_state(), aws_before, "AWS was changed");
    assert!(
        stack.live_origin_certs().is_empty(),
        "a certificate was issued anyway"
    );
}

#[test]
fn a_foreign_cname_is_refused_then_taken_over_with_force() {
    let stack = Stack::start();
    stack.sample_api("ditto-api", "prod");
    let zone = stack.zone_id();
    stack.cf_post(
        &format!("zones/{zone}/dns_records"),
        json!({"type": "CNAME", "name": HOST, "content": "legacy.example.net", "proxied": true, "ttl": 1, "comment": "old load balancer"}),
    );
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    assert_refused_without_changes(&stack, &config, "legacy.example.net");

    let forced = stack.flarelink(&config, &["link-domain", "--force", "--output", "json"]);
    forced.assert_code(0);
    let records = stack.dns_records();
    assert_eq!(records.len(), 1);
    assert!(records[0]["content"]
        .as_str()
        .unwrap()
        .contains("execute-api"));
    assert!(records[0]["comment"]
        .as_str()
        .unwrap()
        .starts_with("managed by flarelink"));
}

#[test]
fn another_record_type_on_the_name_is_refused() {
    let stack = Stack::start();
    stack.sample_api("ditto-api", "prod");
    let zone = stack.zone_id();
    stack.cf_post(
        &format!("zones/{zone}/dns_records"),
        json!({"type": "A", "name": HOST, "content": "192.0.2.7", "proxied": false, "ttl": 300}),
    );
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    assert_refused_without_changes(&stack, &config, "192.0.2.7");
    assert_eq!(stack.dns_records()[0]["content"], "192.0.2.7");
}

#[test]
fn a_custom_domain_with_a_foreign_certificate_is_refused() {
    let stack = Stack::start();
    stack.sample_api("ditto-api", "prod");
    stack.foreign_domain();
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    assert_refused_without_changes(&stack, &config, "someone-elses");
}

#[test]
fn a_mapping_to_another_api_is_refused() {
    let stack = Stack::start();
    let other = stack.sample_api("other-api", "prod");
    stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    stack.flarelink(&config, &["link-domain"]).assert_code(0);
    // Someone repoints the mapping to another API.
    stack.boto3(&format!(
        r#"
apigw = client("apigateway")
apigw.update_base_path_mapping(domainName="api.example.com", basePath="(none)",
    patchOperations=[{{"op": "replace", "path": "/restapiId", "value": "{other}"}}])
emit({{}})
"#
    ));
    let aws_before = stack.aws_state();
    let run = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    run.assert_code(1);
    assert_eq!(run.json()["error"]["kind"], "conflict");
    assert!(run.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&other));
    assert_eq!(stack.aws_state(), aws_before);
}
