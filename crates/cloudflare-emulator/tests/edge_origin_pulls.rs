//! The edge presents a hostname's per-hostname Authenticated Origin Pulls certificate to the
//! origin — only when the association is enabled and active, the certificate active and the
//! zone's `tls_client_auth` on — and no certificate otherwise. The origins are local TLS
//! servers that ask for (or require) a client certificate chained to a test CA and record the
//! one presented.

mod edge_support;

use std::time::{Duration, Instant};

use edge_support::{self_signed, Origin, Stand};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use reqwest::Method;
use serde_json::{json, Value};

const HOST: &str = "api.example.com";
const OTHER: &str = "www.example.com";

/// A client CA (PEM) and a leaf for client authentication it signed (PEM cert, PEM key, DER).
struct ClientPki {
    ca_pem: String,
    leaf_pem: String,
    leaf_key_pem: String,
    leaf_der: Vec<u8>,
}

fn client_pki() -> ClientPki {
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "origin-pull test client CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);

    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "origin-pull test client");
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    ClientPki {
        ca_pem: ca_cert.pem(),
        leaf_pem: leaf_cert.pem(),
        leaf_key_pem: leaf_key.serialize_pem(),
        leaf_der: leaf_cert.der().to_vec(),
    }
}

async fn set_deploy_ms(stand: &Stand, ms: u64) {
    let answer = reqwest::Client::new()
        .post(format!("{}/__emulator/aop_deploy", stand.emu.root_url()))
        .json(&json!({ "ms": ms }))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
}

async fn upload(stand: &Stand, pki: &ClientPki) -> String {
    let cert = stand
        .zone_api(
            Method::POST,
            "origin_tls_client_auth/hostnames/certificates",
            json!({"certificate": pki.leaf_pem, "private_key": pki.leaf_key_pem}),
        )
        .await;
    assert_eq!(cert["status"], "pending_deployment", "{cert}");
    cert["id"].as_str().unwrap().to_string()
}

async fn associate(stand: &Stand, host: &str, cert_id: &str, enabled: Value) -> Value {
    stand
        .zone_api(
            Method::PUT,
            "origin_tls_client_auth/hostnames",
            json!({"config": [{"hostname": host, "cert_id": cert_id, "enabled": enabled}]}),
        )
        .await
}

async fn tls_client_auth(stand: &Stand, value: &str) {
    let s = stand
        .zone_api(
            Method::PATCH,
            "settings/tls_client_auth",
            json!({ "value": value }),
        )
        .await;
    assert_eq!(s["value"], value);
}

/// Poll the association until it and its certificate are active (callers of the real service
/// poll the same way).
async fn wait_active(stand: &Stand, host: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let a = stand
            .zone_api(
                Method::GET,
                &format!("origin_tls_client_auth/hostnames/{host}"),
                Value::Null,
            )
            .await;
        if a["status"] == "active" && a["cert_status"] == "active" {
            return a;
        }
        assert!(Instant::now() < deadline, "never active: {a}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The client certificate the origin saw on the latest request through the edge.
async fn presented(stand: &Stand, origin: &Origin, host: &str) -> Option<Vec<u8>> {
    let before = origin.seen().len();
    let response = stand.get(host, "/").await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let seen = origin.seen();
    assert_eq!(seen.len(), before + 1, "the origin got the request");
    let last = seen.last().unwrap();
    assert_eq!(last.header("host").as_deref(), Some(host));
    last.client_cert.clone()
}

async fn stand_with_origin(pki: &ClientPki, required: bool) -> (Stand, Origin) {
    let stand = Stand::new().await;
    let (chain, key) = self_signed(&["origin.test"]);
    let origin = Origin::tls_client_auth("origin", &chain, &key, &pki.ca_pem, required).await;
    stand.write_map(json!({"origin.test": {"https": origin.addr.to_string()}}));
    stand.cname(HOST, "origin.test", true).await;
    stand.cname(OTHER, "origin.test", true).await;
    stand.ssl("full").await;
    (stand, origin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presents_the_associated_certificate_only_when_everything_is_on() {
    let pki = client_pki();
    let (stand, origin) = stand_with_origin(&pki, false).await;
    set_deploy_ms(&stand, 150).await;

    assert_eq!(
        presented(&stand, &origin, HOST).await,
        None,
        "nothing set up"
    );

    let cert_id = upload(&stand, &pki).await;
    let answer = associate(&stand, HOST, &cert_id, json!(true)).await;
    assert_eq!(answer[0]["hostname"], HOST);
    assert_eq!(answer[0]["enabled"], true);
    wait_active(&stand, HOST).await;
    assert_eq!(
        presented(&stand, &origin, HOST).await,
        None,
        "tls_client_auth is still off"
    );

    tls_client_auth(&stand, "on").await;
    assert_eq!(
        presented(&stand, &origin, HOST).await.as_deref(),
        Some(pki.leaf_der.as_slice()),
        "associated, active, zone setting on: the uploaded leaf is presented"
    );
    assert_eq!(
        presented(&stand, &origin, OTHER).await,
        None,
        "another hostname of the zone has no association: no zone-wide certificate"
    );

    associate(&stand, HOST, &cert_id, json!(false)).await;
    wait_active(&stand, HOST).await;
    assert_eq!(presented(&stand, &origin, HOST).await, None, "disabled");

    associate(&stand, HOST, &cert_id, json!(true)).await;
    wait_active(&stand, HOST).await;
    assert!(presented(&stand, &origin, HOST).await.is_some());
    tls_client_auth(&stand, "off").await;
    assert_eq!(
        presented(&stand, &origin, HOST).await,
        None,
        "zone setting off"
    );

    tls_client_auth(&stand, "on").await;
    let removed = associate(&stand, HOST, &cert_id, Value::Null).await;
    assert_eq!(removed[0]["enabled"], Value::Null);
    assert_eq!(
        presented(&stand, &origin, HOST).await,
        None,
        "association removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_presented_before_deployment() {
    let pki = client_pki();
    let (stand, origin) = stand_with_origin(&pki, false).await;
    tls_client_auth(&stand, "on").await;
    // A deployment that takes ten minutes: the certificate stays pending for this whole test.
    set_deploy_ms(&stand, 600_000).await;
    let cert_id = upload(&stand, &pki).await;
    let answer = associate(&stand, HOST, &cert_id, json!(true)).await;
    assert_eq!(answer[0]["status"], "pending_deployment");
    assert_eq!(answer[0]["cert_status"], "pending_deployment");
    assert_eq!(
        presented(&stand, &origin, HOST).await,
        None,
        "still deploying"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_that_requires_the_certificate_is_reached_only_with_it() {
    let pki = client_pki();
    let (stand, origin) = stand_with_origin(&pki, true).await;
    set_deploy_ms(&stand, 100).await;

    let refused = stand.get(HOST, "/").await;
    let status = refused.status().as_u16();
    assert_eq!(
        status, 525,
        "no client certificate: the origin's handshake fails"
    );
    assert!(origin.seen().is_empty());

    tls_client_auth(&stand, "on").await;
    let cert_id = upload(&stand, &pki).await;
    associate(&stand, HOST, &cert_id, json!(true)).await;
    wait_active(&stand, HOST).await;
    assert_eq!(
        presented(&stand, &origin, HOST).await.as_deref(),
        Some(pki.leaf_der.as_slice())
    );

    // A certificate from another CA is presented too, and the origin refuses it.
    let stranger = client_pki();
    let other_id = upload(&stand, &stranger).await;
    associate(&stand, HOST, &other_id, json!(true)).await;
    wait_active(&stand, HOST).await;
    assert_eq!(stand.get(HOST, "/").await.status(), 525);
}
