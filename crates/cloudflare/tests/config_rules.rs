//! Configuration Rules (the `http_config_settings` entry point) through the client, against
//! the emulator; outcomes read back with a plain HTTP client, independently of this crate.

use std::time::Duration;

use flarelink_cloudflare::{ClientConfig, CloudflareClient, ConfigRule, Error, SslMode};
use flarelink_cloudflare_emulator::{start, EmulatorOptions, RunningEmulator};
use serde_json::{json, Value};

const TOKEN: &str = "config-rules-token-abcdefghijkl";
const READ_ONLY: &str = "config-rules-read-only-token-mn";
const ZONE: &str = "example.com";

async fn emulator() -> RunningEmulator {
    start(EmulatorOptions {
        zones: vec![ZONE.into()],
        tokens: vec![TOKEN.into()],
        read_only_tokens: vec![READ_ONLY.into()],
        ..EmulatorOptions::default()
    })
    .await
    .expect("emulator starts")
}

fn client_with(emu: &RunningEmulator, token: &str) -> CloudflareClient {
    let mut config = ClientConfig::new(token).with_api_base(emu.base_url());
    config.max_attempts = 3;
    config.request_timeout = Duration::from_secs(10);
    CloudflareClient::new(config)
        .unwrap()
        .with_backoff(Duration::from_millis(5), Duration::from_millis(50))
}

fn entrypoint_url(emu: &RunningEmulator) -> String {
    format!(
        "{}zones/{}/rulesets/phases/http_config_settings/entrypoint",
        emu.base_url(),
        emu.zone_id(ZONE).unwrap()
    )
}

/// The entry point as a plain HTTP client reads it: (status, body).
async fn read_raw(emu: &RunningEmulator) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(entrypoint_url(emu))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn put_raw(emu: &RunningEmulator, body: Value) -> Value {
    let answer: Value = reqwest::Client::new()
        .put(entrypoint_url(emu))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["success"], true, "{answer}");
    answer["result"].clone()
}

const HOST_RULE: &str = "(http.host eq \"api.example.com\")";

#[tokio::test]
async fn never_set_is_none_then_put_creates_and_get_reads_it() {
    let emu = emulator().await;
    let cf = client_with(&emu, TOKEN);
    let zone = emu.zone_id(ZONE).unwrap();
    assert_eq!(cf.get_config_rules(&zone).await.unwrap(), None);

    let written = cf
        .put_config_rules(
            &zone,
            &[ConfigRule::set_ssl(
                HOST_RULE,
                SslMode::Full,
                "managed by flarelink",
            )],
        )
        .await
        .unwrap();
    assert_eq!(written.id.len(), 32);
    assert_eq!(written.version.as_deref(), Some("1"));
    assert_eq!(written.rules.len(), 1);
    let rule = &written.rules[0];
    assert_eq!(rule.id().map(str::len), Some(32));
    assert_eq!(rule.ssl(), Some(SslMode::Full));
    assert_eq!(rule.expression(), Some(HOST_RULE));
    assert_eq!(rule.description(), Some("managed by flarelink"));
    assert!(rule.enabled());

    let (status, raw) = read_raw(&emu).await;
    assert_eq!(status, 200);
    assert_eq!(raw["result"]["rules"][0]["id"], rule.id().unwrap());
    assert_eq!(
        raw["result"]["rules"][0]["action_parameters"]["ssl"],
        "full"
    );

    let read = cf.get_config_rules(&zone).await.unwrap().expect("set now");
    assert_eq!(read, written);
}

#[tokio::test]
async fn a_foreign_rule_with_unknown_fields_round_trips_unchanged() {
    let emu = emulator().await;
    let cf = client_with(&emu, TOKEN);
    let zone = emu.zone_id(ZONE).unwrap();
    // Someone else's rules, written by another client, with fields flarelink does not know.
    put_raw(
        &emu,
        json!({"rules": [
            {
                "action": "set_config",
                "expression": "(http.user_agent contains \"Java/1.\") and not ip.src in {192.0.2.0/24}",
                "action_parameters": {"bic": false, "autominify": {"css": true, "html": false}},
                "description": "someone else's",
                "enabled": false,
                "ref": "their-own-ref",
                "logging": {"enabled": true},
            },
            {
                "action": "set_config",
                "expression": "starts_with(http.request.uri.path, \"/legacy/\")",
                "action_parameters": {"ssl": "flexible", "security_level": "high"},
            },
        ]}),
    )
    .await;
    let (_, before) = read_raw(&emu).await;
    let foreign_before = before["result"]["rules"].clone();

    // Read, add flarelink's rule, write the whole list back.
    let mut rules = cf.get_config_rules(&zone).await.unwrap().unwrap().rules;
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].description(), Some("someone else's"));
    assert!(!rules[0].enabled());
    assert_eq!(rules[1].ssl(), Some(SslMode::Flexible));
    rules.push(ConfigRule::set_ssl(
        HOST_RULE,
        SslMode::Strict,
        "managed by flarelink",
    ));
    let written = cf.put_config_rules(&zone, &rules).await.unwrap();
    assert_eq!(written.rules.len(), 3);

    let (_, after) = read_raw(&emu).await;
    let after_rules = after["result"]["rules"].as_array().unwrap();
    assert_eq!(
        after_rules[..2],
        foreign_before.as_array().unwrap()[..],
        "every field of the foreign rules, ids, versions and timestamps included, unchanged"
    );
    assert_eq!(
        after_rules[2]["action_parameters"],
        json!({"ssl": "strict"})
    );
    assert_eq!(after["result"]["version"], "2");

    // flarelink's rule updated in place: same id, other rules untouched.
    let mut rules = written.rules;
    let own_id = rules[2].id().unwrap().to_string();
    rules[2].set_ssl_mode(SslMode::Full);
    rules[2].set_expression("(http.host in {\"api.example.com\" \"v2.example.com\"})");
    cf.put_config_rules(&zone, &rules).await.unwrap();
    let (_, last) = read_raw(&emu).await;
    let last_rules = last["result"]["rules"].as_array().unwrap();
    assert_eq!(last_rules[..2], foreign_before.as_array().unwrap()[..]);
    assert_eq!(last_rules[2]["id"], own_id);
    assert_eq!(last_rules[2]["action_parameters"]["ssl"], "full");
    assert_eq!(last_rules[2]["version"], "2");
}

#[tokio::test]
async fn refusals_keep_cloudflares_codes_and_name_the_permission() {
    let emu = emulator().await;
    let zone = emu.zone_id(ZONE).unwrap();
    let cf = client_with(&emu, TOKEN);

    let missing_params = ConfigRule::from_fields(
        json!({"action": "set_config", "expression": "true"})
            .as_object()
            .unwrap()
            .clone(),
    );
    let err = cf
        .put_config_rules(&zone, &[missing_params])
        .await
        .unwrap_err();
    assert!(err.has_code(20113), "{err}");
    assert_eq!(err.status(), Some(400));

    let ro = client_with(&emu, READ_ONLY);
    assert_eq!(ro.get_config_rules(&zone).await.unwrap(), None);
    let err = ro
        .put_config_rules(&zone, &[ConfigRule::set_ssl(HOST_RULE, SslMode::Full, "x")])
        .await
        .unwrap_err();
    assert!(err.has_code(10000), "{err}");
    let hint = err.hint().unwrap();
    assert!(hint.contains("Zone › Config Rules › Edit"), "{hint}");

    let stranger = client_with(&emu, "not-a-known-token-at-all");
    let err = stranger.get_config_rules(&zone).await.unwrap_err();
    assert!(err.hint().unwrap().contains("Zone › Config Rules › Read"));

    // A 404 for an unknown zone is an error, not "never set".
    let err = cf
        .get_config_rules("0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 404, .. }), "{err}");
    assert!(err.has_code(7003));
    // Ids are checked before they reach the URL.
    assert!(matches!(
        cf.get_config_rules("../zones").await,
        Err(Error::Config(_))
    ));
    // Nothing was written by any of the above.
    assert_eq!(read_raw(&emu).await.0, 404);
}

#[tokio::test]
async fn a_put_is_retried_after_a_transient_failure() {
    let emu = emulator().await;
    let zone = emu.zone_id(ZONE).unwrap();
    let cf = client_with(&emu, TOKEN);
    let fault = json!({"status": 503, "count": 2, "path_contains": "/rulesets/"});
    let r = reqwest::Client::new()
        .post(format!("{}/__emulator/faults", emu.root_url()))
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let before = emu.stats();
    let written = cf
        .put_config_rules(&zone, &[ConfigRule::set_ssl(HOST_RULE, SslMode::Full, "x")])
        .await
        .unwrap();
    assert_eq!(
        emu.stats().writes - before.writes,
        3,
        "two 503s, then the write"
    );
    let (_, raw) = read_raw(&emu).await;
    assert_eq!(raw["result"]["rules"].as_array().unwrap().len(), 1);
    assert_eq!(raw["result"]["id"], written.id);
}
