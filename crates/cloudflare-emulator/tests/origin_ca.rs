//! Origin CA: issuance of real certificates from rcgen-made CSRs, listing, revocation, refusals.

mod common;

use common::*;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use reqwest::Method;
use serde_json::{json, Value};
use x509_parser::extensions::GeneralName;
use x509_parser::pem::parse_x509_pem;
use x509_parser::prelude::{FromDer, X509Certificate};

/// A P-256 CSR whose subject and SANs differ from what is requested (Cloudflare ignores them).
fn ecc_csr() -> String {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(vec!["ignored.example.org".to_string()]).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "csr subject");
    params.distinguished_name = dn;
    params.serialize_request(&key).unwrap().pem().unwrap()
}

fn der_of(pem: &str) -> Vec<u8> {
    parse_x509_pem(pem.as_bytes()).unwrap().1.contents
}

#[tokio::test]
async fn issues_a_real_certificate_signed_by_the_emulator_root() {
    let emu = emulator().await;
    let csr = ecc_csr();
    let hostnames = json!(["api.example.com", "*.example.com"]);
    let a = call(
        &emu,
        Method::POST,
        "certificates",
        Some(json!({"csr": csr, "hostnames": hostnames, "request_type": "origin-ecc", "requested_validity": 30})),
    )
    .await;
    let r = a.expect_ok().clone();
    assert_eq!(r["csr"], json!(csr));
    assert_eq!(r["hostnames"], hostnames);
    assert_eq!(r["request_type"], "origin-ecc");
    assert_eq!(r["requested_validity"], 30);
    let id = r["id"].as_str().unwrap();
    assert!(
        id.chars().all(|c| c.is_ascii_digit()) && id.len() > 20,
        "decimal serial id: {id}"
    );

    // expires_on in Cloudflare's format, e.g. "2041-04-15 07:46:00 +0000 UTC".
    let expires_on = r["expires_on"].as_str().unwrap();
    let parsed_exp = chrono::NaiveDateTime::parse_from_str(
        expires_on.trim_end_matches(" +0000 UTC"),
        "%Y-%m-%d %H:%M:%S",
    )
    .unwrap_or_else(|e| panic!("expires_on {expires_on}: {e}"));
    assert!(expires_on.ends_with(" +0000 UTC"));

    let leaf_der = der_of(r["certificate"].as_str().unwrap());
    let (_, leaf) = X509Certificate::from_der(&leaf_der).unwrap();
    let root_der = der_of(&emu.origin_ca_root_pem());
    let (_, root) = X509Certificate::from_der(&root_der).unwrap();

    // SANs are exactly the requested hostnames (not the CSR's).
    let san = leaf.subject_alternative_name().unwrap().unwrap();
    let dns: Vec<&str> = san
        .value
        .general_names
        .iter()
        .filter_map(|g| match g {
            GeneralName::DNSName(d) => Some(*d),
            _ => None,
        })
        .collect();
    assert_eq!(dns, vec!["api.example.com", "*.example.com"]);

    // Validity: requested_validity days, and expires_on matches notAfter.
    let nb = leaf.validity().not_before.timestamp();
    let na = leaf.validity().not_after.timestamp();
    assert_eq!(na - nb, 30 * 86400);
    assert_eq!(parsed_exp.and_utc().timestamp(), na);
    let now = chrono::Utc::now().timestamp();
    assert!(nb <= now && now - nb < 120, "not_before is now");

    // Issued by the emulator root and signed by it; the serial is the id.
    assert_eq!(leaf.issuer(), root.subject());
    let root_cn = root
        .subject()
        .iter_common_name()
        .next()
        .unwrap()
        .as_str()
        .unwrap();
    assert!(root_cn.to_lowercase().contains("emulator"), "{root_cn}");
    assert!(root
        .subject()
        .iter_organizational_unit()
        .any(|ou| ou.as_str().unwrap() == "CloudFlare Origin SSL Certificate Authority"));
    leaf.verify_signature(Some(root.public_key()))
        .expect("leaf signature verifies against the emulator root");
    root.verify_signature(None).expect("root is self-signed");
    assert_eq!(leaf.serial.to_str_radix(10), id);
    assert!(!leaf.is_ca());

    // The leaf carries the CSR's public key.
    let csr_der = der_of(&csr);
    let (_, parsed_csr) =
        x509_parser::certification_request::X509CertificationRequest::from_der(&csr_der).unwrap();
    assert_eq!(
        leaf.public_key().raw,
        parsed_csr.certification_request_info.subject_pki.raw
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn list_get_and_revoke() {
    let emu = emulator().await;
    let com = emu.zone_id("example.com").unwrap();
    let net = emu.zone_id("example.net").unwrap();
    let create = |hosts: Value| {
        let emu = &emu;
        async move {
            call(
                emu,
                Method::POST,
                "certificates",
                Some(json!({"csr": ecc_csr(), "hostnames": hosts, "request_type": "origin-ecc"})),
            )
            .await
            .expect_ok()
            .clone()
        }
    };
    let c1 = create(json!(["api.example.com"])).await;
    assert_eq!(
        c1["requested_validity"], 5475,
        "Cloudflare's default validity"
    );
    let c2 = create(json!(["www.example.com"])).await;
    let c3 = create(json!(["example.net"])).await;

    let ids = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    let l = call(
        &emu,
        Method::GET,
        &format!("certificates?zone_id={com}"),
        None,
    )
    .await;
    assert_eq!(
        ids(l.expect_ok()),
        vec![c1["id"].as_str().unwrap(), c2["id"].as_str().unwrap()]
    );
    let l = call(
        &emu,
        Method::GET,
        &format!("certificates?zone_id={net}"),
        None,
    )
    .await;
    assert_eq!(ids(l.expect_ok()), vec![c3["id"].as_str().unwrap()]);
    let p2 = call(
        &emu,
        Method::GET,
        &format!("certificates?zone_id={com}&per_page=1&page=2"),
        None,
    )
    .await;
    assert_eq!(ids(p2.expect_ok()), vec![c2["id"].as_str().unwrap()]);
    assert_eq!(p2.body["result_info"]["total_count"], 2);
    call(&emu, Method::GET, "certificates", None)
        .await
        .expect_error(400, 1001);

    let id1 = c1["id"].as_str().unwrap();
    let g = call(&emu, Method::GET, &format!("certificates/{id1}"), None).await;
    assert_eq!(g.expect_ok()["certificate"], c1["certificate"]);

    let rv = call(&emu, Method::DELETE, &format!("certificates/{id1}"), None).await;
    let r = rv.expect_ok();
    assert_eq!(r["id"], json!(id1));
    chrono::DateTime::parse_from_rfc3339(r["revoked_at"].as_str().unwrap()).unwrap();
    let l = call(
        &emu,
        Method::GET,
        &format!("certificates?zone_id={com}"),
        None,
    )
    .await;
    assert_eq!(ids(l.expect_ok()), vec![c2["id"].as_str().unwrap()]);
    let g = call(&emu, Method::GET, &format!("certificates/{id1}"), None).await;
    assert!(g.expect_ok()["revoked_at"].is_string());
    call(&emu, Method::DELETE, &format!("certificates/{id1}"), None)
        .await
        .expect_error(400, 1014);
    call(&emu, Method::GET, "certificates/12345", None)
        .await
        .expect_error(404, 1101);
    emu.shutdown().await;
}

#[tokio::test]
async fn refuses_bad_requests() {
    let emu = emulator().await;
    let post = |body: Value| {
        let emu = &emu;
        async move { call(emu, Method::POST, "certificates", Some(body)).await }
    };
    let csr = ecc_csr();
    // Hostname outside the account's zones → 1010 with Cloudflare's message.
    let a = post(json!({"csr": csr, "hostnames": ["api.other.org"], "request_type": "origin-ecc"}))
        .await;
    a.expect_error(400, 1010);
    assert!(a.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Failed to validate requested hostname api.other.org: This zone is either not part of your account"));
    // Wildcards: only a single leading `*.` over a multi-label name.
    for bad in [
        "*.*.example.com",
        "foo.*.example.com",
        "*.com",
        "exa mple.com",
        "",
    ] {
        post(json!({"csr": csr, "hostnames": [bad], "request_type": "origin-ecc"}))
            .await
            .expect_error(400, 1004);
    }
    post(json!({"csr": csr, "hostnames": [], "request_type": "origin-ecc"}))
        .await
        .expect_error(400, 1001);
    // Key type must match request_type.
    post(json!({"csr": csr, "hostnames": ["example.com"], "request_type": "origin-rsa"}))
        .await
        .expect_error(400, 1002);
    post(json!({"csr": csr, "hostnames": ["example.com"], "request_type": "origin-dsa"}))
        .await
        .expect_error(400, 1001);
    post(json!({"csr": csr, "hostnames": ["example.com"], "request_type": "origin-ecc", "requested_validity": 42}))
        .await
        .expect_error(400, 1001);
    post(json!({"csr": csr, "hostnames": ["example.com"], "request_type": "origin-ecc", "extra": true}))
        .await
        .expect_error(400, 1001);
    post(json!({"csr": "not a csr", "hostnames": ["example.com"], "request_type": "origin-ecc"}))
        .await
        .expect_error(400, 1002);
    // A CSR whose signature does not match its content.
    let mut der = der_of(&csr);
    let n = der.len();
    der[n - 5] ^= 0x55;
    let tampered = pem_encode("CERTIFICATE REQUEST", &der);
    post(json!({"csr": tampered, "hostnames": ["example.com"], "request_type": "origin-ecc"}))
        .await
        .expect_error(400, 1002);
    // A read-only token cannot issue.
    let body =
        json!({"csr": csr, "hostnames": ["example.com"], "request_type": "origin-ecc"}).to_string();
    call_raw(&emu, Method::POST, "certificates", Some(RO), Some(body))
        .await
        .expect_error(403, 10000);
    let state = admin(&emu, Method::GET, "state", None).await;
    assert_eq!(state["certificates"], json!([]));
    emu.shutdown().await;
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[tokio::test]
async fn origin_rsa_needs_an_rsa_csr() {
    let emu = emulator().await;
    let key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key generation");
    let csr = CertificateParams::new(vec![])
        .unwrap()
        .serialize_request(&key)
        .unwrap()
        .pem()
        .unwrap();
    let ok = call(
        &emu,
        Method::POST,
        "certificates",
        Some(json!({"csr": csr, "hostnames": ["example.net"], "request_type": "origin-rsa", "requested_validity": 7})),
    )
    .await;
    let r = ok.expect_ok();
    let der = der_of(r["certificate"].as_str().unwrap());
    let (_, leaf) = X509Certificate::from_der(&der).unwrap();
    assert!(matches!(
        leaf.public_key().parsed().unwrap(),
        x509_parser::public_key::PublicKey::RSA(_)
    ));
    let na = leaf.validity().not_after.timestamp() - leaf.validity().not_before.timestamp();
    assert_eq!(na, 7 * 86400);
    call(
        &emu,
        Method::POST,
        "certificates",
        Some(json!({"csr": csr, "hostnames": ["example.net"], "request_type": "origin-ecc"})),
    )
    .await
    .expect_error(400, 1002);
    emu.shutdown().await;
}
