//! End-to-end tests: the `flarelink` binary against moto (AWS) and the Cloudflare emulator on
//! loopback. Every assertion reads state back independently of flarelink.

mod harness;

mod acm_issued;
mod bad_input;
mod chaos;
mod conflicts;
mod corpus;
mod crash_recovery;
mod dataplane;
mod golden;
mod guide_setup;
mod link;
mod mutations;
mod origin_lock;
mod provision;
mod resilience;
mod rotation;
mod run_lock;
mod ssl_scope;
mod step_commands;
mod story;
mod unlink;
mod verify_lock;

use harness::{Stack, HOST};
use serde_json::Value;

/// All six effects of link-domain for `HOST`, read back from the stand-ins.
#[track_caller]
pub fn assert_linked(stack: &Stack, api_id: &str) -> Value {
    let aws = stack.aws_state();
    let certs = aws["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 1, "exactly one ACM certificate: {aws:#}");
    let cert = &certs[0];
    assert_eq!(cert["tags"]["flarelink:managed"], "true");
    assert_eq!(cert["tags"]["flarelink:hostname"], HOST);
    let origin_id = cert["tags"]["flarelink:cloudflare-origin-cert-id"]
        .as_str()
        .expect("origin certificate id tag")
        .to_string();

    // 1: the origin certificate is live, the only one, and is what ACM holds.
    let live = stack.live_origin_certs();
    assert_eq!(
        live.len(),
        1,
        "one live origin certificate, no orphan: {live:#?}"
    );
    assert_eq!(live[0]["id"], origin_id.as_str());
    assert_eq!(live[0]["hostnames"], serde_json::json!([HOST]));
    let issued = stack.cf_get(&format!("certificates/{origin_id}"));
    assert_eq!(
        cert["certificate"].as_str().unwrap().trim(),
        issued["certificate"].as_str().unwrap().trim(),
        "ACM holds the certificate Cloudflare issued"
    );
    // 2: imported with the Origin CA root as its chain. (moto's GetCertificate appends a fake
    // Amazon intermediate to whatever chain was imported, so compare the first certificate.)
    let root = std::fs::read_to_string(stack.dir.path().join("origin-root.pem")).unwrap();
    let chain = cert["chain"].as_str().expect("a chain was imported");
    assert!(
        chain.trim_start().starts_with(root.trim()),
        "chain:\n{chain}"
    );

    // 3: the regional custom domain, TLS 1.2, on that certificate, tagged.
    let domains = aws["domains"].as_array().unwrap();
    assert_eq!(domains.len(), 1, "{aws:#}");
    let domain = &domains[0];
    assert_eq!(domain["name"], HOST);
    assert_eq!(domain["types"], serde_json::json!(["REGIONAL"]));
    assert_eq!(domain["security_policy"], "TLS_1_2");
    assert_eq!(domain["certificate"], cert["arn"]);
    assert_eq!(domain["tags"]["flarelink:managed"], "true");
    let target = domain["regional_domain_name"].as_str().unwrap().to_string();
    assert!(
        target.ends_with(".execute-api.us-east-1.amazonaws.com"),
        "{target}"
    );

    // 4: the mapping.
    assert_eq!(
        domain["mappings"],
        serde_json::json!([["(none)", api_id, "prod"]])
    );

    // 5: one proxied CNAME to the regional name, marked as flarelink's.
    let records: Vec<Value> = stack
        .dns_records()
        .into_iter()
        .filter(|r| r["name"] == HOST)
        .collect();
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_eq!(records[0]["type"], "CNAME");
    assert_eq!(records[0]["content"], target.as_str());
    assert_eq!(records[0]["proxied"], true);
    assert!(records[0]["comment"]
        .as_str()
        .unwrap()
        .starts_with("managed by flarelink"));

    // 6: SSL/TLS mode Full for the hostname (its Configuration Rule, or the zone's setting with
    // `ssl_scope = "zone"`).
    assert_eq!(stack.linked_ssl(HOST), "full");
    aws
}
