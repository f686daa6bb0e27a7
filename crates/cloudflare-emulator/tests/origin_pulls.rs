//! Per-hostname Authenticated Origin Pulls endpoints: strict validation, every problem of an
//! association body at once, quotas, the deletion rules, and that a private key never comes
//! back (answers, state dump) — read back through the API and the emulator's state.

mod common;

use common::{admin, call, call_raw, emulator, RO};
use flarelink_cloudflare_emulator::RunningEmulator;
use rcgen::{CertificateParams, DnType, IsCa, KeyPair};
use reqwest::Method;
use serde_json::{json, Value};

fn zone(emu: &RunningEmulator) -> String {
    emu.zone_id("example.com").unwrap()
}

fn certs_path(emu: &RunningEmulator) -> String {
    format!(
        "zones/{}/origin_tls_client_auth/hostnames/certificates",
        zone(emu)
    )
}

fn hostnames_path(emu: &RunningEmulator) -> String {
    format!("zones/{}/origin_tls_client_auth/hostnames", zone(emu))
}

/// A self-signed client leaf (not a CA): certificate PEM, key PEM.
fn leaf(cn: &str) -> (String, String) {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::ExplicitNoCa;
    (params.self_signed(&key).unwrap().pem(), key.serialize_pem())
}

async fn upload(emu: &RunningEmulator, cert: &str, key: &str) -> common::Answer {
    call(
        emu,
        Method::POST,
        &certs_path(emu),
        Some(json!({"certificate": cert, "private_key": key})),
    )
    .await
}

#[tokio::test]
async fn uploads_are_validated_and_never_answer_the_key() {
    let emu = emulator().await;
    let (cert, key) = leaf("client");
    let made = upload(&emu, &cert, &key).await;
    let made = made.expect_ok().clone();
    assert_eq!(made["status"], "pending_deployment");
    assert!(!made.to_string().contains("PRIVATE KEY"), "{made}");
    for field in [
        "issuer",
        "signature",
        "serial_number",
        "expires_on",
        "uploaded_on",
    ] {
        assert!(made[field].is_string(), "{field}: {made}");
    }

    // A CA certificate is not a leaf.
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let refused = upload(&emu, &ca_pem, &ca_key.serialize_pem()).await;
    refused.expect_error(400, 1002);
    assert_eq!(
        refused.body["errors"][0]["message"],
        "missing leaf certificate"
    );

    // A key that is not the certificate's, a key that is not PEM, unknown fields, no key.
    let (_, other_key) = leaf("other");
    upload(&emu, &cert, &other_key)
        .await
        .expect_error(400, 1003);
    // PEM framing around a body that is no key: a fresh key's armour with its body replaced.
    let armour: Vec<&str> = other_key
        .lines()
        .filter(|l| l.starts_with("-----"))
        .collect();
    let not_a_key = format!("{}\nAAAA\n{}\n", armour[0], armour[1]);
    upload(&emu, &cert, &not_a_key)
        .await
        .expect_error(400, 1003);
    call(
        &emu,
        Method::POST,
        &certs_path(&emu),
        Some(json!({"certificate": cert, "private_key": key, "hostnames": []})),
    )
    .await
    .expect_error(400, 1001);
    call(
        &emu,
        Method::POST,
        &certs_path(&emu),
        Some(json!({ "certificate": cert })),
    )
    .await
    .expect_error(400, 1001);

    // Read-only tokens read but cannot upload.
    call_raw(
        &emu,
        Method::POST,
        &certs_path(&emu),
        Some(RO),
        Some(json!({"certificate": cert, "private_key": key}).to_string()),
    )
    .await
    .expect_error(403, 10000);

    let listed = call_raw(&emu, Method::GET, &certs_path(&emu), Some(RO), None).await;
    let listed = listed.expect_ok();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let state = admin(&emu, Method::GET, "state", None).await;
    assert!(!state.to_string().contains("PRIVATE KEY"));
    assert_eq!(state["origin_pull_certificates"][0]["id"], made["id"]);
    assert_eq!(
        state["zones"][0]["settings"]["tls_client_auth"]["value"],
        "off"
    );
}

#[tokio::test]
async fn ten_certificates_per_zone() {
    let emu = emulator().await;
    for i in 0..10 {
        let (cert, key) = leaf(&format!("client {i}"));
        upload(&emu, &cert, &key).await.expect_ok();
    }
    let (cert, key) = leaf("one too many");
    upload(&emu, &cert, &key).await.expect_error(400, 1005);
    // The other zone has its own quota.
    let other = format!(
        "zones/{}/origin_tls_client_auth/hostnames/certificates",
        emu.zone_id("example.net").unwrap()
    );
    call(
        &emu,
        Method::POST,
        &other,
        Some(json!({"certificate": cert, "private_key": key})),
    )
    .await
    .expect_ok();
}

#[tokio::test]
async fn association_bodies_list_every_problem_and_change_nothing_when_refused() {
    let emu = emulator().await;
    let (cert, key) = leaf("client");
    let id = upload(&emu, &cert, &key).await.expect_ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bad = call(
        &emu,
        Method::PUT,
        &hostnames_path(&emu),
        Some(json!({"config": [
            {"hostname": "api.example.com", "cert_id": id, "enabled": true},
            {"hostname": "api.example.net", "cert_id": id, "enabled": true},
            {"hostname": "*.example.com", "cert_id": id, "enabled": true},
            {"hostname": "www.example.com", "cert_id": "0".repeat(32), "enabled": true},
            {"hostname": "app.example.com", "cert_id": id},
            {"hostname": "api.example.com", "cert_id": id, "enabled": false},
            {"hostname": "x.example.com", "cert_id": id, "enabled": "yes", "extra": 1},
        ]})),
    )
    .await;
    bad.expect_error(400, 1010);
    let pointers: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"]["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/config/1/hostname",
            "/config/2/hostname",
            "/config/3/cert_id",
            "/config/4/enabled",
            "/config/5/hostname",
            "/config/6/extra",
            "/config/6/enabled",
        ],
        "{}",
        bad.body
    );
    call(
        &emu,
        Method::GET,
        &format!("{}/api.example.com", hostnames_path(&emu)),
        None,
    )
    .await
    .expect_error(404, 1102);
    for body in [json!({}), json!({"config": []}), json!({"config": {}})] {
        call(&emu, Method::PUT, &hostnames_path(&emu), Some(body))
            .await
            .expect_error(400, 1001);
    }
    // A hostname of another zone cannot be read through this one.
    call(
        &emu,
        Method::GET,
        &format!("{}/api.example.net", hostnames_path(&emu)),
        None,
    )
    .await
    .expect_error(400, 1010);
}

#[tokio::test]
async fn deletion_waits_for_the_association_to_be_disabled_then_completes() {
    let emu = emulator().await;
    admin(&emu, Method::POST, "aop_deploy", Some(json!({"ms": 100}))).await;
    let (cert, key) = leaf("client");
    let id = upload(&emu, &cert, &key).await.expect_ok()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let one = format!("{}/{id}", certs_path(&emu));
    let associate = |enabled: Value| json!({"config": [{"hostname": "api.example.com", "cert_id": id, "enabled": enabled}]});
    call(
        &emu,
        Method::PUT,
        &hostnames_path(&emu),
        Some(associate(json!(true))),
    )
    .await
    .expect_ok();
    call(&emu, Method::DELETE, &one, None)
        .await
        .expect_error(400, 1008);
    assert_eq!(
        call(&emu, Method::GET, &one, None).await.expect_ok()["id"],
        json!(id)
    );

    call(
        &emu,
        Method::PUT,
        &hostnames_path(&emu),
        Some(associate(json!(false))),
    )
    .await
    .expect_ok();
    let deleted = call(&emu, Method::DELETE, &one, None).await;
    assert_eq!(deleted.expect_ok()["status"], "pending_deletion");
    // The disabled association went with it; the certificate can no longer be associated.
    call(
        &emu,
        Method::GET,
        &format!("{}/api.example.com", hostnames_path(&emu)),
        None,
    )
    .await
    .expect_error(404, 1102);
    call(
        &emu,
        Method::PUT,
        &hostnames_path(&emu),
        Some(associate(json!(true))),
    )
    .await
    .expect_error(400, 1101);
    call(&emu, Method::DELETE, &one, None)
        .await
        .expect_error(404, 1101);
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    assert_eq!(
        call(&emu, Method::GET, &one, None).await.expect_ok()["status"],
        "deleted"
    );
    let listed = call(&emu, Method::GET, &certs_path(&emu), None).await;
    assert_eq!(listed.expect_ok(), &json!([]));
}

#[tokio::test]
async fn tls_client_auth_setting_reads_writes_and_resets() {
    let emu = emulator().await;
    let path = format!("zones/{}/settings/tls_client_auth", zone(&emu));
    let s = call(&emu, Method::GET, &path, None).await;
    assert_eq!(s.expect_ok()["value"], "off");
    let s = call(&emu, Method::PATCH, &path, Some(json!({"value": "on"}))).await;
    let s = s.expect_ok();
    assert_eq!(
        (s["id"].as_str(), s["value"].as_str()),
        (Some("tls_client_auth"), Some("on"))
    );
    call(&emu, Method::PATCH, &path, Some(json!({"value": true})))
        .await
        .expect_error(400, 1007);
    assert_eq!(
        call(&emu, Method::GET, &path, None).await.expect_ok()["value"],
        "on"
    );
    admin(&emu, Method::POST, "reset", None).await;
    assert_eq!(
        call(&emu, Method::GET, &path, None).await.expect_ok()["value"],
        "off"
    );
}
