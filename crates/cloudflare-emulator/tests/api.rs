//! Wire-level behaviour of the emulator: envelope, auth, strictness, DNS, pagination, SSL
//! setting, faults, counters, routing errors.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

fn zone(emu: &flarelink_cloudflare_emulator::RunningEmulator) -> String {
    emu.zone_id("example.com").expect("seeded zone")
}

#[tokio::test]
async fn envelope_and_zone_lookup() {
    let emu = emulator().await;
    let a = call(&emu, Method::GET, "zones?name=example.com", None).await;
    let result = a.expect_ok();
    assert_eq!(a.body["errors"], json!([]));
    assert_eq!(a.body["messages"], json!([]));
    assert_eq!(result.as_array().unwrap().len(), 1);
    assert_eq!(result[0]["id"], json!(zone(&emu)));
    assert_eq!(result[0]["name"], "example.com");
    assert_eq!(result[0]["status"], "active");
    assert!(result[0]["account"]["id"].as_str().unwrap().len() == 32);
    let info = &a.body["result_info"];
    assert_eq!(info["page"], 1);
    assert_eq!(info["per_page"], 20);
    assert_eq!(info["count"], 1);
    assert_eq!(info["total_count"], 1);
    assert_eq!(info["total_pages"], 1);

    let none = call(&emu, Method::GET, "zones?name=missing.org", None).await;
    assert_eq!(none.expect_ok(), &json!([]));
    let all = call(&emu, Method::GET, "zones", None).await;
    assert_eq!(all.expect_ok().as_array().unwrap().len(), 2);

    let one = call(&emu, Method::GET, &format!("zones/{}", zone(&emu)), None).await;
    assert_eq!(one.expect_ok()["name"], "example.com");
    assert_eq!(emu.zone_id("EXAMPLE.com."), Some(zone(&emu)));
    assert_eq!(emu.zone_id("nope.com"), None);
    assert!(emu.base_url().ends_with("/client/v4/"));
    emu.shutdown().await;
}

#[tokio::test]
async fn auth_failures_look_like_cloudflare() {
    let emu = emulator().await;
    let missing = call_raw(&emu, Method::GET, "zones", None, None).await;
    missing.expect_error(400, 9106);

    let client = reqwest::Client::new();
    let resp = client
        .get(format!("{}zones", emu.base_url()))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], 6003);
    assert_eq!(body["errors"][0]["error_chain"][0]["code"], 6111);

    let unknown = call_raw(&emu, Method::GET, "zones", Some("not-a-token"), None).await;
    unknown.expect_error(403, 10000);
    assert_eq!(unknown.body["errors"][0]["message"], "Authentication error");

    // A read-only token reads, but every write is refused with Cloudflare's permission error.
    let ro_read = call_raw(&emu, Method::GET, "zones", Some(RO), None).await;
    ro_read.expect_ok();
    let path = format!("zones/{}/dns_records", zone(&emu));
    let body = json!({"type": "A", "name": "ro", "content": "1.2.3.4", "ttl": 1}).to_string();
    let ro_write = call_raw(&emu, Method::POST, &path, Some(RO), Some(body)).await;
    ro_write.expect_error(403, 10000);
    let ssl = json!({"value": "strict"}).to_string();
    let ro_ssl = call_raw(
        &emu,
        Method::PATCH,
        &format!("zones/{}/settings/ssl", zone(&emu)),
        Some(RO),
        Some(ssl),
    )
    .await;
    ro_ssl.expect_error(403, 10000);
    let state = admin(&emu, Method::GET, "state", None).await;
    assert_eq!(state["dns_records"], json!([]));
    assert_eq!(state["zones"][0]["settings"]["ssl"]["value"], "flexible");
    emu.shutdown().await;
}

#[tokio::test]
async fn strict_validation_refuses_bad_input() {
    let emu = emulator().await;
    let path = format!("zones/{}/dns_records", zone(&emu));
    let post = |b: Value| {
        let emu = &emu;
        let path = path.clone();
        async move { call(emu, Method::POST, &path, Some(b)).await }
    };
    post(json!({"type": "A", "name": "x", "content": "1.2.3.4", "ttl": 1, "proxyed": true}))
        .await
        .expect_error(400, 9207);
    post(json!({"type": "A", "name": "x", "content": "1.2.3.4", "proxied": "yes"}))
        .await
        .expect_error(400, 9207);
    post(json!({"type": "A", "content": "1.2.3.4"}))
        .await
        .expect_error(400, 9207);
    post(json!({"type": "BOGUS", "name": "x", "content": "1.2.3.4"}))
        .await
        .expect_error(400, 9207);
    post(json!({"type": "A", "name": "x", "content": "not-an-ip"}))
        .await
        .expect_error(400, 9005);
    post(json!({"type": "AAAA", "name": "x", "content": "1.2.3.4"}))
        .await
        .expect_error(400, 9006);
    post(json!({"type": "CNAME", "name": "x", "content": "bad host!"}))
        .await
        .expect_error(400, 9007);
    post(json!({"type": "A", "name": "bad_label!", "content": "1.2.3.4"}))
        .await
        .expect_error(400, 9000);
    post(json!({"type": "A", "name": "x", "content": "1.2.3.4", "ttl": 30}))
        .await
        .expect_error(400, 9021);
    post(json!(["not", "an", "object"]))
        .await
        .expect_error(400, 9207);
    call_raw(
        &emu,
        Method::POST,
        &path,
        Some(RW),
        Some("{not json".into()),
    )
    .await
    .expect_error(400, 6007);
    call(&emu, Method::GET, &format!("{path}?nmae=x"), None)
        .await
        .expect_error(400, 9207);
    call(&emu, Method::GET, "zones?per_page=abc", None)
        .await
        .expect_error(400, 1001);
    call(&emu, Method::GET, "zones?bogus=1", None)
        .await
        .expect_error(400, 1001);
    // Nothing was stored by any of these.
    let list = call(&emu, Method::GET, &path, None).await;
    assert_eq!(list.expect_ok(), &json!([]));
    emu.shutdown().await;
}

#[tokio::test]
async fn dns_conflicts_use_cloudflare_codes() {
    let emu = emulator().await;
    let path = format!("zones/{}/dns_records", zone(&emu));
    let cname = json!({"type": "CNAME", "name": "api.example.com", "content": "d-abc.execute-api.us-east-1.amazonaws.com", "proxied": true, "ttl": 1});
    call(&emu, Method::POST, &path, Some(cname.clone()))
        .await
        .expect_ok();
    // The same CNAME again → identical record.
    call(&emu, Method::POST, &path, Some(cname))
        .await
        .expect_error(400, 81058);
    // Another CNAME target for the same host → CNAME conflict.
    call(
        &emu,
        Method::POST,
        &path,
        Some(json!({"type": "CNAME", "name": "api", "content": "other.example.org", "ttl": 1})),
    )
    .await
    .expect_error(400, 81053);
    // A or TXT next to the CNAME → conflict.
    call(
        &emu,
        Method::POST,
        &path,
        Some(json!({"type": "A", "name": "api", "content": "203.0.113.7", "ttl": 1})),
    )
    .await
    .expect_error(400, 81053);
    call(
        &emu,
        Method::POST,
        &path,
        Some(json!({"type": "TXT", "name": "API.example.com.", "content": "hello", "ttl": 1})),
    )
    .await
    .expect_error(400, 81053);
    // A CNAME where an A exists → conflict; two different A records are fine; identical A → 81058.
    let a1 = json!({"type": "A", "name": "www", "content": "203.0.113.1", "ttl": 1});
    call(&emu, Method::POST, &path, Some(a1.clone()))
        .await
        .expect_ok();
    call(
        &emu,
        Method::POST,
        &path,
        Some(json!({"type": "A", "name": "www", "content": "203.0.113.2", "ttl": 1})),
    )
    .await
    .expect_ok();
    call(&emu, Method::POST, &path, Some(a1))
        .await
        .expect_error(400, 81058);
    call(
        &emu,
        Method::POST,
        &path,
        Some(json!({"type": "CNAME", "name": "www", "content": "x.example.org", "ttl": 1})),
    )
    .await
    .expect_error(400, 81053);
    // The same CNAME name in another zone is unrelated.
    let other = format!("zones/{}/dns_records", emu.zone_id("example.net").unwrap());
    call(
        &emu,
        Method::POST,
        &other,
        Some(json!({"type": "CNAME", "name": "api", "content": "x.example.org", "ttl": 1})),
    )
    .await
    .expect_ok();
    emu.shutdown().await;
}

#[tokio::test]
async fn dns_crud_and_filters() {
    let emu = emulator().await;
    let z = zone(&emu);
    let path = format!("zones/{z}/dns_records");
    let created = call(
        &emu,
        Method::POST,
        &path,
        Some(json!({"type": "CNAME", "name": "Api", "content": "d-abc.execute-api.us-east-1.amazonaws.com.", "proxied": true, "ttl": 1, "comment": "managed by flarelink", "tags": ["owner:flarelink"]})),
    )
    .await;
    let rec = created.expect_ok().clone();
    let id = rec["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert_eq!(rec["name"], "api.example.com");
    assert_eq!(rec["content"], "d-abc.execute-api.us-east-1.amazonaws.com");
    assert_eq!(rec["zone_id"], json!(z));
    assert_eq!(rec["zone_name"], "example.com");
    assert_eq!(rec["proxiable"], true);
    assert_eq!(rec["proxied"], true);
    assert_eq!(rec["ttl"], 1);
    assert_eq!(rec["comment"], "managed by flarelink");
    assert_eq!(rec["tags"], json!(["owner:flarelink"]));
    for field in ["created_on", "modified_on", "meta", "settings"] {
        assert!(!rec[field].is_null(), "missing {field}: {rec}");
    }
    call(
        &emu,
        Method::POST,
        &path,
        Some(json!({"type": "TXT", "name": "api-txt", "content": "v=1", "ttl": 300})),
    )
    .await
    .expect_ok();

    // Filters: name.exact (official SDKs), name (older clients), type.
    for q in [
        "name.exact=api.example.com",
        "name=api.example.com",
        "type=CNAME&name.exact=api.example.com",
        "name.endswith=API.Example.com",
        "type=CNAME",
    ] {
        let l = call(&emu, Method::GET, &format!("{path}?{q}"), None).await;
        let items = l.expect_ok().as_array().unwrap().clone();
        assert_eq!(items.len(), 1, "{q}: {items:?}");
        assert_eq!(items[0]["id"], json!(id));
    }
    let none = call(
        &emu,
        Method::GET,
        &format!("{path}?type=A&name.exact=api.example.com"),
        None,
    )
    .await;
    assert_eq!(none.expect_ok(), &json!([]));
    let any = call(
        &emu,
        Method::GET,
        &format!("{path}?type=A&name.exact=api.example.com&match=any"),
        None,
    )
    .await;
    assert_eq!(any.expect_ok().as_array().unwrap().len(), 1);

    // PUT replaces the whole record: omitted fields go back to their defaults.
    let put = call(
        &emu,
        Method::PUT,
        &format!("{path}/{id}"),
        Some(json!({"type": "CNAME", "name": "api.example.com", "content": "d-new.execute-api.us-east-1.amazonaws.com", "ttl": 300})),
    )
    .await;
    let r = put.expect_ok();
    assert_eq!(r["content"], "d-new.execute-api.us-east-1.amazonaws.com");
    assert_eq!(r["proxied"], false);
    assert_eq!(r["ttl"], 300);
    assert_eq!(r["comment"], Value::Null);
    assert_eq!(r["tags"], json!([]));

    // PATCH changes only what it names.
    let patch = call(
        &emu,
        Method::PATCH,
        &format!("{path}/{id}"),
        Some(json!({"proxied": true, "comment": "again"})),
    )
    .await;
    let r = patch.expect_ok();
    assert_eq!(r["content"], "d-new.execute-api.us-east-1.amazonaws.com");
    assert_eq!(r["proxied"], true);
    assert_eq!(r["ttl"], 1, "proxied records have automatic TTL");
    assert_eq!(r["comment"], "again");
    let got = call(&emu, Method::GET, &format!("{path}/{id}"), None).await;
    assert_eq!(got.expect_ok(), r);

    // Proxy rules.
    call(
        &emu,
        Method::POST,
        &path,
        Some(json!({"type": "TXT", "name": "t", "content": "x", "proxied": true, "ttl": 1})),
    )
    .await
    .expect_error(400, 9004);
    call(&emu, Method::POST, &path, Some(json!({"type": "A", "name": "internal", "content": "10.1.2.3", "proxied": true, "ttl": 1})))
        .await
        .expect_error(400, 9003);
    call(
        &emu,
        Method::PATCH,
        &format!("{path}/{id}"),
        Some(json!({"bogus": 1})),
    )
    .await
    .expect_error(400, 9207);

    // Delete → {id}; then the record is gone.
    let del = call(&emu, Method::DELETE, &format!("{path}/{id}"), None).await;
    assert_eq!(del.expect_ok(), &json!({"id": id}));
    call(&emu, Method::GET, &format!("{path}/{id}"), None)
        .await
        .expect_error(404, 81044);
    call(&emu, Method::DELETE, &format!("{path}/{id}"), None)
        .await
        .expect_error(404, 81044);
    emu.shutdown().await;
}

#[tokio::test]
async fn dns_pagination_across_pages() {
    let emu = emulator().await;
    let path = format!("zones/{}/dns_records", zone(&emu));
    for i in 0..7 {
        call(&emu, Method::POST, &path, Some(json!({"type": "TXT", "name": format!("r{i}"), "content": format!("v{i}"), "ttl": 1})))
            .await
            .expect_ok();
    }
    let mut seen = Vec::new();
    for (page, expected) in [(1, 3), (2, 3), (3, 1), (4, 0)] {
        let a = call(
            &emu,
            Method::GET,
            &format!("{path}?per_page=3&page={page}"),
            None,
        )
        .await;
        let items = a.expect_ok().as_array().unwrap().clone();
        assert_eq!(items.len(), expected, "page {page}");
        let info = &a.body["result_info"];
        assert_eq!(info["page"], page);
        assert_eq!(info["per_page"], 3);
        assert_eq!(info["count"], expected);
        assert_eq!(info["total_count"], 7);
        assert_eq!(info["total_pages"], 3);
        seen.extend(
            items
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_string()),
        );
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7);
    let default = call(&emu, Method::GET, &path, None).await;
    assert_eq!(default.body["result_info"]["per_page"], 100);
    emu.shutdown().await;
}

#[tokio::test]
async fn ssl_setting_get_and_patch() {
    let emu = emulator().await;
    let path = format!("zones/{}/settings/ssl", zone(&emu));
    let g = call(&emu, Method::GET, &path, None).await;
    let r = g.expect_ok();
    assert_eq!(r["id"], "ssl");
    assert_eq!(r["value"], "flexible");
    assert_eq!(r["editable"], true);
    assert!(r["modified_on"].is_string());
    let p = call(&emu, Method::PATCH, &path, Some(json!({"value": "strict"}))).await;
    assert_eq!(p.expect_ok()["value"], "strict");
    assert_eq!(
        call(&emu, Method::GET, &path, None).await.expect_ok()["value"],
        "strict"
    );
    call(
        &emu,
        Method::PATCH,
        &path,
        Some(json!({"value": "full-strict"})),
    )
    .await
    .expect_error(400, 1007);
    call(
        &emu,
        Method::PATCH,
        &path,
        Some(json!({"value": "full", "enabled": true})),
    )
    .await
    .expect_error(400, 1007);
    call(&emu, Method::PATCH, &path, Some(json!({})))
        .await
        .expect_error(400, 1007);
    call(
        &emu,
        Method::GET,
        &format!("zones/{}/settings/min_tls_version", zone(&emu)),
        None,
    )
    .await
    .expect_error(400, 1006);
    // The other zone is untouched.
    let other = format!("zones/{}/settings/ssl", emu.zone_id("example.net").unwrap());
    assert_eq!(
        call(&emu, Method::GET, &other, None).await.expect_ok()["value"],
        "flexible"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn initial_ssl_mode_is_configurable() {
    let emu =
        flarelink_cloudflare_emulator::start(flarelink_cloudflare_emulator::EmulatorOptions {
            tokens: vec![RW.into()],
            initial_ssl_mode: "full".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let path = format!("zones/{}/settings/ssl", zone(&emu));
    assert_eq!(
        call(&emu, Method::GET, &path, None).await.expect_ok()["value"],
        "full"
    );
    emu.shutdown().await;
    let bad =
        flarelink_cloudflare_emulator::start(flarelink_cloudflare_emulator::EmulatorOptions {
            initial_ssl_mode: "medium".into(),
            ..Default::default()
        })
        .await;
    assert!(bad.is_err());
}

#[tokio::test]
async fn injected_faults_then_success() {
    let emu = emulator().await;
    admin(
        &emu,
        Method::POST,
        "faults",
        Some(json!({"status": 429, "count": 1, "retry_after": 7})),
    )
    .await;
    let limited = call(&emu, Method::GET, "zones", None).await;
    limited.expect_error(429, 10100);
    assert_eq!(limited.headers.get("retry-after").unwrap(), "7");
    call(&emu, Method::GET, "zones", None).await.expect_ok();

    admin(
        &emu,
        Method::POST,
        "faults",
        Some(json!({"status": 503, "count": 2, "path_contains": "dns_records"})),
    )
    .await;
    call(&emu, Method::GET, "zones", None).await.expect_ok();
    let path = format!("zones/{}/dns_records", zone(&emu));
    let first = call(&emu, Method::GET, &path, None).await;
    assert_eq!(first.status.as_u16(), 503);
    assert_eq!(first.body["success"], false);
    assert!(first.body["errors"][0]["code"].is_u64());
    assert_eq!(
        call(&emu, Method::GET, &path, None).await.status.as_u16(),
        503
    );
    call(&emu, Method::GET, &path, None).await.expect_ok();

    admin(
        &emu,
        Method::POST,
        "faults",
        Some(json!({"status": 500, "count": 1})),
    )
    .await;
    let boom = call(
        &emu,
        Method::POST,
        &path,
        Some(json!({"type": "A", "name": "x", "content": "203.0.113.9", "ttl": 1})),
    )
    .await;
    assert_eq!(boom.status.as_u16(), 500);
    assert_eq!(
        call(&emu, Method::GET, &path, None).await.expect_ok(),
        &json!([]),
        "a faulted write stores nothing"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn counters_separate_reads_writes_and_successes() {
    let emu = emulator().await;
    let path = format!("zones/{}/dns_records", zone(&emu));
    call(&emu, Method::GET, "zones", None).await.expect_ok();
    call(&emu, Method::GET, &path, None).await.expect_ok();
    let s = emu.stats();
    assert_eq!((s.requests, s.writes, s.successful_writes), (2, 0, 0));

    // Refused writes count as writes, not as successful ones.
    call(&emu, Method::POST, &path, Some(json!({"type": "A"})))
        .await
        .expect_error(400, 9207);
    call_raw(
        &emu,
        Method::DELETE,
        &format!("{path}/abc"),
        Some("bad-token"),
        None,
    )
    .await
    .expect_error(403, 10000);
    let s = emu.stats();
    assert_eq!((s.requests, s.writes, s.successful_writes), (4, 2, 0));

    call(
        &emu,
        Method::POST,
        &path,
        Some(json!({"type": "A", "name": "ok", "content": "203.0.113.5", "ttl": 1})),
    )
    .await
    .expect_ok();
    let s = emu.stats();
    assert_eq!((s.requests, s.writes, s.successful_writes), (5, 3, 1));

    // Admin routes are not counted; the admin view equals the library view.
    let stats = admin(&emu, Method::GET, "stats", None).await;
    assert_eq!(
        stats,
        json!({"requests": 5, "writes": 3, "successful_writes": 1})
    );
    admin(&emu, Method::POST, "reset", None).await;
    assert_eq!(emu.stats(), flarelink_cloudflare_emulator::Stats::default());
    assert_eq!(
        call(&emu, Method::GET, &path, None).await.expect_ok(),
        &json!([])
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn routing_errors() {
    let emu = emulator().await;
    let a = call(&emu, Method::GET, "zones/nope/dns_records", None).await;
    a.expect_error(404, 7003);
    assert_eq!(a.body["errors"][1]["code"], 7000);
    assert!(a.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("/client/v4/zones/nope/dns_records"));
    call(&emu, Method::GET, "accounts", None)
        .await
        .expect_error(404, 7003);
    call(
        &emu,
        Method::GET,
        &format!("zones/{}", "0".repeat(32)),
        None,
    )
    .await
    .expect_error(404, 7003);
    call(&emu, Method::PUT, "zones", Some(json!({})))
        .await
        .expect_error(405, 7001);
    call(
        &emu,
        Method::POST,
        &format!("zones/{}/settings/ssl", zone(&emu)),
        Some(json!({"value": "full"})),
    )
    .await
    .expect_error(405, 7001);
    emu.shutdown().await;
}

#[tokio::test]
async fn admin_state_and_ca() {
    let emu = emulator().await;
    let client = reqwest::Client::new();
    let pem = client
        .get(format!("{}/__emulator/ca.pem", emu.root_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(pem, emu.origin_ca_root_pem());
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let state = admin(&emu, Method::GET, "state", None).await;
    assert_eq!(state["zones"].as_array().unwrap().len(), 2);
    assert!(!state.to_string().contains("PRIVATE KEY"));
    emu.shutdown().await;
}

#[tokio::test]
async fn latency_can_be_added_for_benchmarks() {
    let emu = emulator().await;
    let set = admin(
        &emu,
        Method::POST,
        "latency",
        Some(serde_json::json!({"ms": 150})),
    )
    .await;
    assert_eq!(set["latency_ms"], 150);
    let started = std::time::Instant::now();
    call(&emu, Method::GET, "zones", None).await.expect_ok();
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    admin(
        &emu,
        Method::POST,
        "latency",
        Some(serde_json::json!({"ms": 0})),
    )
    .await;
    let bad = reqwest::Client::new()
        .post(format!("{}/__emulator/latency", emu.root_url()))
        .json(&serde_json::json!({"ms": "fast"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    emu.shutdown().await;
}
