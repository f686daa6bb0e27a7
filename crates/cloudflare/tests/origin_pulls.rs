//! Per-hostname Authenticated Origin Pulls and the `tls_client_auth` setting through the
//! client, against the emulator; outcomes read back with a plain HTTP client, independently of
//! this crate, and the retry rules checked by counting requests.

use std::time::{Duration, Instant};

use flarelink_cloudflare::{
    ClientConfig, CloudflareClient, Error, HostnameClientAuthChange, NewHostnameClientCertificate,
    OriginPullStatus, PrivateKeyPem,
};
use flarelink_cloudflare_emulator::{start, EmulatorOptions, RunningEmulator};
use rcgen::{CertificateParams, DnType, IsCa, KeyPair};
use serde_json::{json, Value};

const TOKEN: &str = "origin-pulls-token-abcdefghijkl";
const READ_ONLY: &str = "origin-pulls-read-only-token-mn";
const ZONE: &str = "example.com";
const HOST: &str = "api.example.com";

async fn emulator() -> RunningEmulator {
    start(EmulatorOptions {
        zones: vec![ZONE.into()],
        tokens: vec![TOKEN.into()],
        read_only_tokens: vec![READ_ONLY.into()],
        aop_deploy: Duration::from_millis(150),
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

/// A client leaf (not a CA), self-signed: the upload the lock step will make.
fn upload_for(cn: &str) -> NewHostnameClientCertificate {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::ExplicitNoCa;
    NewHostnameClientCertificate {
        certificate: params.self_signed(&key).unwrap().pem(),
        private_key: PrivateKeyPem::new(key.serialize_pem()),
    }
}

/// `GET zones/{z}/{path}` with a plain HTTP client: the independent read-back.
async fn raw_get(emu: &RunningEmulator, path: &str) -> Value {
    reqwest::Client::new()
        .get(format!(
            "{}zones/{}/{path}",
            emu.base_url(),
            emu.zone_id(ZONE).unwrap()
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn inject_fault(emu: &RunningEmulator, fault: Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/__emulator/faults", emu.root_url()))
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

#[tokio::test]
async fn upload_wait_associate_disable_delete() {
    let emu = emulator().await;
    let cf = client_with(&emu, TOKEN);
    let zone = emu.zone_id(ZONE).unwrap();

    assert!(!cf.get_tls_client_auth(&zone).await.unwrap().enabled);
    let on = cf.set_tls_client_auth(&zone, true).await.unwrap();
    assert!(on.enabled);
    assert_eq!(
        raw_get(&emu, "settings/tls_client_auth").await["result"]["value"],
        "on"
    );

    let upload = upload_for("flarelink client");
    let cert = cf
        .upload_hostname_client_certificate(&zone, &upload)
        .await
        .unwrap();
    assert_eq!(cert.status, OriginPullStatus::PendingDeployment);
    assert_eq!(cert.certificate, upload.certificate);
    assert!(cert.expires_on.is_some() && cert.serial_number.is_some());
    let stored = raw_get(
        &emu,
        &format!("origin_tls_client_auth/hostnames/certificates/{}", cert.id),
    )
    .await;
    assert_eq!(stored["result"]["certificate"], json!(upload.certificate));
    assert!(!stored.to_string().contains("PRIVATE KEY"));

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = cf
            .get_hostname_client_certificate(&zone, &cert.id)
            .await
            .unwrap()
            .expect("known");
        if now.status == OriginPullStatus::Active {
            break;
        }
        assert!(Instant::now() < deadline, "never active");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let listed = cf.list_hostname_client_certificates(&zone).await.unwrap();
    assert_eq!(
        listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [cert.id.as_str()]
    );

    assert_eq!(
        cf.get_hostname_client_auth(&zone, HOST).await.unwrap(),
        None
    );
    let enable = HostnameClientAuthChange {
        hostname: HOST.into(),
        cert_id: cert.id.clone(),
        enabled: Some(true),
    };
    let answer = cf
        .put_hostname_client_auth(&zone, std::slice::from_ref(&enable))
        .await
        .unwrap();
    assert_eq!(answer.len(), 1);
    assert_eq!(answer[0].hostname, HOST);
    assert_eq!(answer[0].enabled, Some(true));
    assert!(!answer[0].is_presenting(), "just changed: still deploying");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let a = cf
            .get_hostname_client_auth(&zone, HOST)
            .await
            .unwrap()
            .expect("associated");
        if a.is_presenting() {
            assert_eq!(a.cert_id.as_deref(), Some(cert.id.as_str()));
            break;
        }
        assert!(Instant::now() < deadline, "never presenting: {a:?}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let raw = raw_get(&emu, &format!("origin_tls_client_auth/hostnames/{HOST}")).await;
    assert_eq!(raw["result"]["enabled"], true);
    assert_eq!(raw["result"]["cert_id"], json!(cert.id));

    // Deleting while enabled is refused by the emulator; disable first, as Cloudflare's
    // rollback page does.
    let refused = cf
        .delete_hostname_client_certificate(&zone, &cert.id)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(400), "{refused}");
    let disable = HostnameClientAuthChange {
        enabled: Some(false),
        ..enable
    };
    let answer = cf
        .put_hostname_client_auth(&zone, &[disable])
        .await
        .unwrap();
    assert_eq!(answer[0].enabled, Some(false));
    let deleted = cf
        .delete_hostname_client_certificate(&zone, &cert.id)
        .await
        .unwrap()
        .expect("deleted now");
    assert_eq!(deleted.status, OriginPullStatus::PendingDeletion);
    assert_eq!(
        cf.delete_hostname_client_certificate(&zone, &cert.id)
            .await
            .unwrap(),
        None,
        "a second delete converges"
    );
    assert_eq!(
        cf.get_hostname_client_auth(&zone, HOST).await.unwrap(),
        None
    );
    assert_eq!(
        cf.get_hostname_client_certificate(&zone, &"0".repeat(32))
            .await
            .unwrap(),
        None
    );
    let off = cf.set_tls_client_auth(&zone, false).await.unwrap();
    assert!(!off.enabled);
    assert_eq!(
        raw_get(&emu, "settings/tls_client_auth").await["result"]["value"],
        "off"
    );
}

#[tokio::test]
async fn refusals_are_typed_and_never_echo_the_key() {
    let emu = emulator().await;
    let cf = client_with(&emu, TOKEN);
    let zone = emu.zone_id(ZONE).unwrap();

    // A CA certificate instead of a leaf.
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_upload = NewHostnameClientCertificate {
        certificate: ca.self_signed(&ca_key).unwrap().pem(),
        private_key: PrivateKeyPem::new(ca_key.serialize_pem()),
    };
    let e = cf
        .upload_hostname_client_certificate(&zone, &ca_upload)
        .await
        .unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("missing leaf certificate"), "{shown}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    assert_eq!(e.hint(), None, "the message says what is wrong");

    // A key that does not belong to the certificate.
    let mut mismatched = upload_for("a");
    mismatched.private_key = upload_for("b").private_key;
    let e = cf
        .upload_hostname_client_certificate(&zone, &mismatched)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");

    // A read-only token: the hint names the permission.
    let ro = client_with(&emu, READ_ONLY);
    let e = ro
        .upload_hostname_client_certificate(&zone, &upload_for("c"))
        .await
        .unwrap_err();
    assert!(e.has_code(10000), "{e}");
    let hint = e.hint().expect("a hint");
    assert!(
        hint.contains("Zone › SSL and Certificates › Edit"),
        "{hint}"
    );
    let e = ro.set_tls_client_auth(&zone, true).await.unwrap_err();
    assert!(e.hint().unwrap().contains("Zone › Zone Settings › Edit"));

    // Bad input stops before any request.
    let before = emu.stats().requests;
    let bad_host = HostnameClientAuthChange {
        hostname: "api.example.com/../x".into(),
        cert_id: "0".repeat(32),
        enabled: Some(true),
    };
    assert!(matches!(
        cf.put_hostname_client_auth(&zone, &[bad_host]).await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        cf.put_hostname_client_auth(&zone, &[]).await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        cf.get_hostname_client_auth(&zone, "a?b").await,
        Err(Error::Config(_))
    ));
    assert_eq!(emu.stats().requests, before);

    // An unknown zone is an error, not "no association".
    let e = cf
        .get_hostname_client_auth(&"f".repeat(32), HOST)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(404));
    assert!(cf
        .list_hostname_client_certificates(&zone)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_upload_is_not_repeated_after_a_5xx_but_the_put_is() {
    let emu = emulator().await;
    let cf = client_with(&emu, TOKEN);
    let zone = emu.zone_id(ZONE).unwrap();

    inject_fault(
        &emu,
        json!({"status": 503, "count": 1, "path_contains": "hostnames/certificates"}),
    )
    .await;
    let before = emu.stats().requests;
    let e = cf
        .upload_hostname_client_certificate(&zone, &upload_for("a"))
        .await
        .unwrap_err();
    assert!(e.may_have_acted(), "{e}");
    assert_eq!(emu.stats().requests, before + 1, "the POST was sent once");

    let cert = cf
        .upload_hostname_client_certificate(&zone, &upload_for("a"))
        .await
        .unwrap();
    inject_fault(
        &emu,
        json!({"status": 503, "count": 1, "path_contains": "origin_tls_client_auth/hostnames"}),
    )
    .await;
    let before = emu.stats().requests;
    let answer = cf
        .put_hostname_client_auth(
            &zone,
            &[HostnameClientAuthChange {
                hostname: HOST.into(),
                cert_id: cert.id.clone(),
                enabled: Some(true),
            }],
        )
        .await
        .unwrap();
    assert_eq!(answer[0].cert_id.as_deref(), Some(cert.id.as_str()));
    assert_eq!(emu.stats().requests, before + 2, "the PUT was retried once");
}
