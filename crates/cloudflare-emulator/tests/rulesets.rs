//! The Rulesets API on the wire: the `http_config_settings` phase entry point (404 when never
//! set, PUT creating and replacing it, ids kept, versions), strict validation with Cloudflare's
//! codes, auth, counters, the zone's ruleset list, and reset.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const PHASE_PATH: &str = "rulesets/phases/http_config_settings/entrypoint";

fn entry(emu: &flarelink_cloudflare_emulator::RunningEmulator) -> String {
    format!("zones/{}/{PHASE_PATH}", emu.zone_id("example.com").unwrap())
}

fn ssl_rule(host: &str, mode: &str) -> Value {
    json!({
        "action": "set_config",
        "expression": format!("(http.host eq \"{host}\")"),
        "action_parameters": {"ssl": mode},
        "description": format!("ssl {mode} for {host}"),
    })
}

#[tokio::test]
async fn a_never_set_phase_is_404_10003_then_put_creates_it() {
    let emu = emulator().await;
    let path = entry(&emu);
    let a = call(&emu, Method::GET, &path, None).await;
    a.expect_error(404, 10003);
    assert_eq!(
        a.body["errors"][0]["message"],
        "could not find entrypoint ruleset in the http_config_settings phase"
    );
    let before = emu.stats();

    let a = call(
        &emu,
        Method::PUT,
        &path,
        Some(json!({"rules": [ssl_rule("api.example.com", "full")]})),
    )
    .await;
    let made = a.expect_ok().clone();
    assert_eq!(made["kind"], "zone");
    assert_eq!(made["phase"], "http_config_settings");
    assert_eq!(made["name"], "default");
    assert_eq!(made["version"], "1");
    assert_eq!(made["id"].as_str().unwrap().len(), 32);
    assert!(made["last_updated"].as_str().unwrap().ends_with('Z'));
    let rule = &made["rules"][0];
    let rule_id = rule["id"].as_str().unwrap();
    assert_eq!(rule_id.len(), 32);
    assert_eq!(rule["ref"], rule_id, "ref defaults to the id");
    assert_eq!(rule["version"], "1");
    assert_eq!(rule["enabled"], true);
    assert_eq!(rule["action_parameters"], json!({"ssl": "full"}));
    assert_eq!(rule["expression"], "(http.host eq \"api.example.com\")");
    assert_eq!(rule["description"], "ssl full for api.example.com");

    let after = emu.stats();
    assert_eq!(after.writes, before.writes + 1);
    assert_eq!(after.successful_writes, before.successful_writes + 1);

    // Read back independently.
    let got = call(&emu, Method::GET, &path, None).await;
    assert_eq!(got.expect_ok(), &made);
    // The other zone's phase is still never set.
    let other = format!("zones/{}/{PHASE_PATH}", emu.zone_id("example.net").unwrap());
    call(&emu, Method::GET, &other, None)
        .await
        .expect_error(404, 10003);
}

#[tokio::test]
async fn put_replaces_rules_keeps_sent_ids_and_versions_changes_only() {
    let emu = emulator().await;
    let path = entry(&emu);
    let first = call(
        &emu,
        Method::PUT,
        &path,
        Some(json!({"name": "zone config", "rules": [
            ssl_rule("a.example.com", "full"),
            ssl_rule("b.example.com", "strict"),
        ]})),
    )
    .await
    .expect_ok()
    .clone();
    let a = first["rules"][0].clone();
    let b = first["rules"][1].clone();

    // Send back `a` exactly as read (read-only fields included), change `b`, add `c`.
    let mut b_changed = b.clone();
    b_changed["action_parameters"] = json!({"ssl": "full"});
    b_changed.as_object_mut().unwrap().remove("version");
    let second = call(
        &emu,
        Method::PUT,
        &path,
        Some(json!({"rules": [a.clone(), b_changed, ssl_rule("c.example.com", "off")]})),
    )
    .await
    .expect_ok()
    .clone();
    assert_eq!(second["id"], first["id"], "the entry point keeps its id");
    assert_eq!(second["version"], "2");
    assert_eq!(second["name"], "zone config", "the name is kept");
    let rules = second["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3);
    assert_eq!(rules[0], a, "an unchanged rule comes back byte for byte");
    assert_eq!(rules[1]["id"], b["id"]);
    assert_eq!(rules[1]["version"], "2");
    assert_eq!(rules[1]["action_parameters"]["ssl"], "full");
    assert_ne!(rules[2]["id"], a["id"]);
    assert_eq!(rules[2]["version"], "1");

    // The same id twice is refused.
    let twice = call(
        &emu,
        Method::PUT,
        &path,
        Some(json!({"rules": [rules[0].clone(), rules[0].clone()]})),
    )
    .await;
    twice.expect_error(400, 20021);
    assert_eq!(twice.body["errors"][0]["source"]["pointer"], "/rules/1/id");

    // Dropping rules from the list deletes them.
    let third = call(&emu, Method::PUT, &path, Some(json!({"rules": [rules[2]]})))
        .await
        .expect_ok()
        .clone();
    assert_eq!(third["rules"].as_array().unwrap().len(), 1);
    assert_eq!(third["rules"][0]["id"], rules[2]["id"]);

    // An empty list is a valid entry point with no rules.
    let empty = call(&emu, Method::PUT, &path, Some(json!({"rules": []})))
        .await
        .expect_ok()
        .clone();
    assert_eq!(empty["rules"], json!([]));
    assert_eq!(
        call(&emu, Method::GET, &path, None).await.expect_ok()["rules"],
        json!([])
    );
}

#[tokio::test]
async fn foreign_fields_and_expressions_round_trip() {
    let emu = emulator().await;
    let path = entry(&emu);
    let foreign = json!({
        "action": "set_config",
        "expression": "(http.user_agent contains \"Java/1.\") and not ip.src in {192.0.2.0/24}",
        "action_parameters": {"bic": false, "email_obfuscation": false, "autominify": {"css": true}},
        "description": "someone else's rule",
        "enabled": false,
        "ref": "their-ref",
        "logging": {"enabled": true},
    });
    let made = call(
        &emu,
        Method::PUT,
        &path,
        Some(json!({"rules": [foreign.clone()]})),
    )
    .await
    .expect_ok()
    .clone();
    let rule = &made["rules"][0];
    for (k, v) in foreign.as_object().unwrap() {
        assert_eq!(&rule[k], v, "{k}");
    }
}

#[tokio::test]
async fn strict_validation_answers_as_cloudflare() {
    let emu = emulator().await;
    let path = entry(&emu);
    let put = |body: Value| {
        let emu = &emu;
        let path = path.clone();
        async move { call(emu, Method::PUT, &path, Some(body)).await }
    };

    let a = put(json!({"rules": [{"action": "set_config", "expression": "true"}]})).await;
    a.expect_error(400, 20113);
    assert_eq!(
        a.body["errors"][0]["message"],
        "action parameters are required for the set_config action"
    );
    assert_eq!(
        a.body["errors"][0]["source"]["pointer"],
        "/rules/0/action_parameters"
    );

    let a = put(json!({"rules": [{"action": "block", "expression": "true"}]})).await;
    a.expect_error(400, 20021);
    assert_eq!(
        a.body["errors"][0]["message"],
        "'block' is not a valid value for action because it is not possible to use the block \
         action in a ruleset with phase http_config_settings and kind zone"
    );
    let a = put(
        json!({"rules": [{"action": "set_cofnig", "expression": "true",
        "action_parameters": {"ssl": "full"}}]}),
    )
    .await;
    a.expect_error(400, 20021);
    assert_eq!(a.body["errors"][0]["source"]["pointer"], "/rules/0/action");

    let a = put(json!({"rules": [ssl_rule("a.example.com", "fullstrict")]})).await;
    a.expect_error(400, 20021);
    let message = a.body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("'fullstrict' is not a valid value for ssl"),
        "{message}"
    );
    assert_eq!(
        a.body["errors"][0]["source"]["pointer"],
        "/rules/0/action_parameters/ssl"
    );

    let a = put(
        json!({"rules": [{"action": "set_config", "expression": "http.hots eq \"a\"",
        "action_parameters": {"ssl": "full"}}]}),
    )
    .await;
    a.expect_error(400, 20021);
    assert_eq!(
        a.body["errors"][0]["message"],
        "Filter parsing error (1:1):\nhttp.hots eq \"a\"\n^^^^^^^^^ unknown identifier\n"
    );

    // Every problem of a body at once.
    let a = put(json!({"rules": [
        {"action": "set_config", "expression": "(http.host eq \"a\"", "action_parameters": {"ssl": "full"}},
        {"action": "set_config", "expression": "true", "action_parameters": {"nope": true}},
        {"action": "set_config", "expression": "true", "action_parameters": {"ssl": "full"}, "colour": 1},
    ]}))
    .await;
    a.expect_error(400, 20021);
    let pointers: Vec<&str> = a.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"]["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/rules/0/expression",
            "/rules/1/action_parameters/nope",
            "/rules/2/colour"
        ]
    );

    // Wrong phase or kind in the body, unknown phase in the path, unknown top-level field.
    put(json!({"phase": "http_request_origin", "rules": []}))
        .await
        .expect_error(400, 20021);
    put(json!({"kind": "root", "rules": []}))
        .await
        .expect_error(400, 20021);
    put(json!({"rulez": []})).await.expect_error(400, 20021);
    let zone = emu.zone_id("example.com").unwrap();
    call(
        &emu,
        Method::GET,
        &format!("zones/{zone}/rulesets/phases/http_nope/entrypoint"),
        None,
    )
    .await
    .expect_error(400, 20021);
    // Another real phase reads as never set, and is not writable here.
    call(
        &emu,
        Method::GET,
        &format!("zones/{zone}/rulesets/phases/http_request_origin/entrypoint"),
        None,
    )
    .await
    .expect_error(404, 10003);
    call(
        &emu,
        Method::PUT,
        &format!("zones/{zone}/rulesets/phases/http_request_origin/entrypoint"),
        Some(json!({"rules": []})),
    )
    .await
    .expect_error(400, 20021);

    // Rule ids must be the ruleset's own, once each.
    let unknown_id = "0123456789abcdef0123456789abcdef";
    let mut with_id = ssl_rule("a.example.com", "full");
    with_id["id"] = json!(unknown_id);
    put(json!({"rules": [with_id]}))
        .await
        .expect_error(400, 20021);

    // A ref given twice.
    let mut first = ssl_rule("a.example.com", "full");
    first["ref"] = json!("mine");
    let mut second = ssl_rule("b.example.com", "full");
    second["ref"] = json!("mine");
    let a = put(json!({"rules": [first, second]})).await;
    a.expect_error(400, 20021);
    assert_eq!(a.body["errors"][0]["source"]["pointer"], "/rules/1/ref");

    // Unknown query parameters.
    call(&emu, Method::GET, &format!("{path}?page=2"), None)
        .await
        .expect_error(400, 20021);

    // Bodies that are not a JSON object.
    for raw in ["[]", "\"rules\"", "42"] {
        call_raw(&emu, Method::PUT, &path, Some(RW), Some(raw.into()))
            .await
            .expect_error(400, 20021);
    }
    call_raw(&emu, Method::PUT, &path, Some(RW), Some("{nope".into()))
        .await
        .expect_error(400, 6007);

    // Nothing above was stored; each refusal was a counted write.
    call(&emu, Method::GET, &path, None)
        .await
        .expect_error(404, 10003);
    let stats = emu.stats();
    assert_eq!(stats.successful_writes, 0, "{stats:?}");
    assert!(stats.writes >= 14, "{stats:?}");
}

#[tokio::test]
async fn dry_run_validates_without_storing() {
    let emu = emulator().await;
    let path = format!("{}?dry_run=true", entry(&emu));
    let a = call(
        &emu,
        Method::PUT,
        &path,
        Some(json!({"rules": [ssl_rule("a.example.com", "full")]})),
    )
    .await;
    assert!(a.expect_ok().is_null());
    call(&emu, Method::GET, &entry(&emu), None)
        .await
        .expect_error(404, 10003);
    call(
        &emu,
        Method::PUT,
        &path,
        Some(json!({"rules": [{"action": "log", "expression": "true"}]})),
    )
    .await
    .expect_error(400, 20021);
}

#[tokio::test]
async fn auth_and_routing_as_the_rest_of_the_api() {
    let emu = emulator().await;
    let path = entry(&emu);
    let body = json!({"rules": [ssl_rule("a.example.com", "full")]}).to_string();
    call_raw(&emu, Method::GET, &path, None, None)
        .await
        .expect_error(400, 9106);
    call_raw(&emu, Method::GET, &path, Some("unknown-token"), None)
        .await
        .expect_error(403, 10000);
    // A read-only token reads (404 here) but cannot write.
    call_raw(&emu, Method::GET, &path, Some(RO), None)
        .await
        .expect_error(404, 10003);
    call_raw(&emu, Method::PUT, &path, Some(RO), Some(body.clone()))
        .await
        .expect_error(403, 10000);
    let missing_zone = format!("zones/{}/{PHASE_PATH}", "0".repeat(32));
    call_raw(&emu, Method::PUT, &missing_zone, Some(RW), Some(body))
        .await
        .expect_error(404, 7003);
    call(&emu, Method::DELETE, &path, None)
        .await
        .expect_error(405, 7001);
}

#[tokio::test]
async fn the_zone_lists_its_rulesets_and_reset_forgets_them() {
    let emu = emulator().await;
    let zone = emu.zone_id("example.com").unwrap();
    let listed = call(&emu, Method::GET, &format!("zones/{zone}/rulesets"), None).await;
    assert_eq!(listed.expect_ok(), &json!([]));
    let made = call(
        &emu,
        Method::PUT,
        &entry(&emu),
        Some(json!({"rules": [ssl_rule("a.example.com", "full")]})),
    )
    .await
    .expect_ok()
    .clone();
    let listed = call(&emu, Method::GET, &format!("zones/{zone}/rulesets"), None).await;
    let listed = listed.expect_ok().as_array().unwrap().clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], made["id"]);
    assert_eq!(listed[0]["phase"], "http_config_settings");
    assert_eq!(listed[0]["kind"], "zone");
    assert!(listed[0].get("rules").is_none());

    let state = admin(&emu, Method::GET, "state", None).await;
    assert_eq!(state["rulesets"][0]["id"], made["id"]);
    assert_eq!(state["rulesets"][0]["zone_id"], zone);
    admin(&emu, Method::POST, "reset", None).await;
    call(&emu, Method::GET, &entry(&emu), None)
        .await
        .expect_error(404, 10003);
}
