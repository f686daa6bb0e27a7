//! Configuration Rules through the edge: a matching enabled `set_config` rule's `ssl` wins over
//! the zone's setting for the hostname it names, while other proxied hostnames of the zone stay
//! on the zone's mode; later matching rules win; strict from a rule verifies the origin
//! certificate (526 for a self-signed one), `origin_pull` even for plain-HTTP visitors; an expression the emulator cannot evaluate is
//! refused rather than guessed.

mod edge_support;

use edge_support::*;
use serde_json::{json, Value};

const API: &str = "api.example.com";
const WWW: &str = "www.example.com";
const API_TARGET: &str = "d-abc123.execute-api.us-east-1.amazonaws.com";
const WWW_TARGET: &str = "legacy-origin.example.net";

fn ssl_rule(expression: &str, mode: &str) -> Value {
    json!({
        "action": "set_config",
        "expression": expression,
        "action_parameters": {"ssl": mode},
        "description": "test rule",
    })
}

/// Two proxied hostnames in one zone on Flexible; `api` has a TLS origin (`chain`/`key`) and a
/// plain one, `www` only a plain one.
async fn two_hostnames(chain: &str, key: &str) -> (Stand, Origin, Origin, Origin) {
    let stand = Stand::new().await;
    stand.cname(API, API_TARGET, true).await;
    stand.cname(WWW, WWW_TARGET, true).await;
    stand.ssl("flexible").await;
    let api_tls = Origin::tls("api-tls", chain, key).await;
    let api_plain = Origin::plain("api-plain").await;
    let www_plain = Origin::plain("www-plain").await;
    stand.write_map(json!({
        API_TARGET: {"https": api_tls.addr.to_string(), "http": api_plain.addr.to_string()},
        WWW_TARGET: {"http": www_plain.addr.to_string()},
    }));
    (stand, api_tls, api_plain, www_plain)
}

#[tokio::test]
async fn a_hostname_rule_on_full_leaves_the_zones_other_hostname_on_flexible() {
    let (chain, key) = self_signed(&["anything.invalid"]);
    let (stand, api_tls, api_plain, www_plain) = two_hostnames(&chain, &key).await;

    // Before any rule: both hostnames are on the zone's Flexible (plain HTTP to the origin).
    assert_eq!(stand.get(API, "/ditto").await.status(), 200);
    assert_eq!(api_plain.seen().len(), 1);
    assert!(api_tls.seen().is_empty());

    stand
        .config_rules(json!([ssl_rule(
            &format!("(http.host eq \"{API}\")"),
            "full"
        )]))
        .await;
    let r = stand.get(API, "/ditto").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-origin"], "api-tls");
    assert_eq!(
        api_tls.last().sni.as_deref(),
        Some(API),
        "Full: TLS with SNI"
    );
    assert_eq!(api_plain.seen().len(), 1, "no more plain HTTP for api");

    let r = stand.get(WWW, "/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-origin"], "www-plain");
    assert_eq!(
        www_plain.last().sni,
        None,
        "www stays on the zone's Flexible"
    );
    assert_eq!(www_plain.last().header("host").unwrap(), WWW);

    // The zone setting itself was not touched.
    let state: Value = reqwest::get(format!("{}/__emulator/state", stand.emu.root_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["zones"][0]["settings"]["ssl"]["value"], "flexible");
}

#[tokio::test]
async fn strict_from_a_rule_verifies_the_origin_certificate() {
    let (chain, key) = self_signed(&["placeholder.invalid"]);
    let (stand, _tls, _plain, www_plain) = two_hostnames(&chain, &key).await;
    let (chain, key) = stand.origin_ca_cert(&[API]).await;
    let origin_ca = Origin::tls("origin-ca", &chain, &key).await;
    let (chain, key) = self_signed(&[API]);
    let self_signed_origin = Origin::tls("self-signed", &chain, &key).await;
    let www_addr = www_plain.addr.to_string();
    let map = |https: &Origin| {
        json!({
            API_TARGET: {"https": https.addr.to_string()},
            WWW_TARGET: {"http": www_addr},
        })
    };

    stand
        .config_rules(json!([ssl_rule(
            &format!("http.host in {{\"{API}\" \"other.example.com\"}}"),
            "strict"
        )]))
        .await;
    stand.write_map(map(&origin_ca));
    let r = stand.get(API, "/ditto").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-origin"], "origin-ca");
    assert_eq!(origin_ca.last().sni.as_deref(), Some(API));

    stand.write_map(map(&self_signed_origin));
    let r = stand.get(API, "/ditto").await;
    assert_eq!(r.status(), 526);
    ray_of(r.headers());
    assert_eq!(r.text().await.unwrap(), "error code: 526");
    assert!(self_signed_origin.seen().is_empty());

    // The other hostname is still on Flexible, over plain HTTP.
    let r = stand.get(WWW, "/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-origin"], "www-plain");

    // origin_pull: verified TLS to the origin even for a plain-HTTP visitor.
    stand
        .config_rules(json!([ssl_rule(
            &format!("http.host eq \"{API}\""),
            "origin_pull"
        )]))
        .await;
    stand.write_map(map(&origin_ca));
    let r = stand
        .client(API)
        .get(stand.url("http", API, "/plain-visitor"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let seen = origin_ca.last();
    assert_eq!(seen.uri, "/plain-visitor");
    assert_eq!(seen.sni.as_deref(), Some(API));
    assert_eq!(seen.header("x-forwarded-proto").unwrap(), "http");
}

#[tokio::test]
async fn later_matching_rules_win_and_disabled_or_other_rules_do_not_count() {
    let (chain, key) = self_signed(&["anything.invalid"]);
    let (stand, api_tls, api_plain, _www) = two_hostnames(&chain, &key).await;
    let api = format!("(http.host eq \"{API}\")");

    // Later matching rule (flexible) wins over the earlier (full).
    stand
        .config_rules(json!([
            ssl_rule(&api, "full"),
            ssl_rule("true", "flexible")
        ]))
        .await;
    assert_eq!(stand.get(API, "/").await.headers()["x-origin"], "api-plain");

    // A disabled later rule, and a later rule that sets something else, do not count.
    let mut disabled = ssl_rule("true", "flexible");
    disabled["enabled"] = json!(false);
    let other_setting = json!({"action": "set_config", "expression": "true",
        "action_parameters": {"bic": false}});
    stand
        .config_rules(json!([ssl_rule(&api, "full"), disabled, other_setting]))
        .await;
    assert_eq!(stand.get(API, "/").await.headers()["x-origin"], "api-tls");

    // A path condition.
    stand
        .config_rules(json!([ssl_rule(
            &format!("{api} and starts_with(http.request.uri.path, \"/secure/\")"),
            "full"
        )]))
        .await;
    assert_eq!(
        stand.get(API, "/secure/x").await.headers()["x-origin"],
        "api-tls"
    );
    assert_eq!(
        stand.get(API, "/open").await.headers()["x-origin"],
        "api-plain"
    );

    // Removing the rules puts the hostname back on the zone's mode.
    let tls_before = api_tls.seen().len();
    stand.config_rules(json!([])).await;
    assert_eq!(stand.get(API, "/").await.headers()["x-origin"], "api-plain");
    assert_eq!(api_tls.seen().len(), tls_before);
    assert!(api_plain.seen().len() >= 3);
}

#[tokio::test]
async fn an_expression_the_emulator_cannot_evaluate_is_refused_not_guessed() {
    let (chain, key) = self_signed(&["anything.invalid"]);
    let (stand, _tls, _plain, www_plain) = two_hostnames(&chain, &key).await;
    let api = format!("(http.host eq \"{API}\")");
    stand
        .config_rules(json!([
            ssl_rule(&api, "full"),
            ssl_rule("http.user_agent contains \"curl\"", "flexible"),
        ]))
        .await;
    let r = stand.get(API, "/").await;
    assert_eq!(r.status(), 500);
    ray_of(r.headers());
    let body = r.text().await.unwrap();
    assert!(body.starts_with("cloudflare emulator:"), "{body}");
    assert!(www_plain.seen().is_empty());

    // When a later evaluable rule decides, the unevaluable one does not matter.
    stand
        .config_rules(json!([
            ssl_rule("http.user_agent contains \"curl\"", "flexible"),
            ssl_rule(&api, "full"),
        ]))
        .await;
    assert_eq!(stand.get(API, "/").await.headers()["x-origin"], "api-tls");
}
