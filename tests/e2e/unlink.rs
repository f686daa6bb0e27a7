use serde_json::json;

use crate::harness::{Stack, HOST};

#[test]
fn unlink_removes_what_flarelink_made_and_nothing_else() {
    let stack = Stack::start();
    stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    stack.flarelink(&config, &["link-domain"]).assert_code(0);

    // Someone else's records in the same zone.
    let zone = stack.zone_id();
    stack.cf_post(
        &format!("zones/{zone}/dns_records"),
        json!({"type": "A", "name": "www.example.com", "content": "192.0.2.10", "proxied": true, "ttl": 1}),
    );
    stack.cf_post(
        &format!("zones/{zone}/dns_records"),
        json!({"type": "TXT", "name": "example.com", "content": "v=spf1 -all", "ttl": 1}),
    );
    let origin_before = stack.live_origin_certs();
    assert_eq!(origin_before.len(), 1);

    let dry = stack.flarelink(&config, &["unlink-domain", "--dry-run", "--output", "json"]);
    dry.assert_code(0);
    let deletes = dry
        .actions()
        .iter()
        .filter(|(_, _, a)| a == "delete")
        .count();
    // Five of the hostname's, and the hostname out of flarelink's Configuration Rule.
    assert_eq!(deletes, 6, "{:?}", dry.actions());
    assert_eq!(
        stack.aws_state()["domains"].as_array().unwrap().len(),
        1,
        "dry-run deleted"
    );

    let run = stack.flarelink(&config, &["unlink-domain", "--output", "json"]);
    run.assert_code(0);
    let aws = stack.aws_state();
    assert_eq!(aws["certificates"], json!([]), "{aws:#}");
    assert_eq!(aws["domains"], json!([]), "{aws:#}");
    assert!(
        stack.live_origin_certs().is_empty(),
        "origin certificate revoked"
    );
    let revoked = stack.cf_get(&format!(
        "certificates/{}",
        origin_before[0]["id"].as_str().unwrap()
    ));
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let names: Vec<String> = stack
        .dns_records()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["type"].as_str().unwrap(),
                r["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"A www.example.com".to_string()));
    assert!(names.contains(&"TXT example.com".to_string()));
    assert_eq!(
        stack.ssl_mode(),
        "flexible",
        "the zone's own setting is left as is"
    );
    assert!(
        stack.config_rules().is_empty(),
        "flarelink's rule went with its only hostname: {:?}",
        stack.config_rules()
    );

    // Unlinking again finds nothing to do.
    let writes = stack.stats().writes;
    let again = stack.flarelink(&config, &["unlink-domain", "--output", "json"]);
    again.assert_code(0);
    assert!(
        again.actions().iter().all(|(_, _, a)| a == "skip"),
        "{:?}",
        again.actions()
    );
    assert_eq!(stack.stats().writes, writes);
}

#[test]
fn unlink_leaves_a_custom_domain_that_is_not_flarelinks() {
    let stack = Stack::start();
    stack.sample_api("ditto-api", "prod");
    // A domain someone made by hand with their own certificate.
    stack.foreign_domain();
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    let run = stack.flarelink(&config, &["unlink-domain", "--output", "json"]);
    run.assert_code(0);
    let aws = stack.aws_state();
    assert_eq!(
        aws["domains"].as_array().unwrap().len(),
        1,
        "foreign domain kept"
    );
    assert_eq!(stack.stats().writes, 0);
}

#[test]
fn unlink_keeps_a_mapping_repointed_to_another_api_and_its_domain() {
    let stack = Stack::start();
    let other = stack.sample_api("other-api", "prod");
    stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    stack.flarelink(&config, &["link-domain"]).assert_code(0);
    stack.boto3(&format!(
        r#"
client("apigateway").update_base_path_mapping(domainName="api.example.com", basePath="(none)",
    patchOperations=[{{"op": "replace", "path": "/restapiId", "value": "{other}"}}])
emit({{}})
"#
    ));
    let run = stack.flarelink(&config, &["unlink-domain", "--output", "json"]);
    run.assert_code(0);
    let aws = stack.aws_state();
    assert_eq!(
        aws["domains"].as_array().unwrap().len(),
        1,
        "the domain stays: {aws:#}"
    );
    assert_eq!(
        aws["domains"][0]["mappings"],
        json!([["(none)", other, "prod"]])
    );
    assert_eq!(
        aws["certificates"].as_array().unwrap().len(),
        1,
        "the certificate the staying domain serves stays"
    );
    assert_eq!(
        stack.live_origin_certs().len(),
        1,
        "and so does its origin certificate"
    );
    assert!(
        stack.dns_records().is_empty(),
        "flarelink's CNAME to this region's domain is removed"
    );
}
