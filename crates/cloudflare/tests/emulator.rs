//! The client against the Cloudflare emulator: every call's outcome is read back (from the API
//! or the emulator's own state/stats), and the retry rules are checked by counting requests.

use std::time::{Duration, Instant};

use flarelink_cloudflare::{
    ClientConfig, CloudflareClient, Error, NewDnsRecord, NewOriginCertificate, OriginRequestType,
    SslMode,
};
use flarelink_cloudflare_emulator::{start, EmulatorOptions, RunningEmulator};

const TOKEN: &str = "emulator-token-abcdefghijklmnop";
const READ_ONLY: &str = "emulator-read-only-token-qrstuv";
const ZONE: &str = "example.com";
const HOST: &str = "api.example.com";
const TARGET: &str = "d-abc123.execute-api.eu-west-1.amazonaws.com";

// `..Default::default()` keeps this compiling when the emulator grows options.
#[allow(clippy::needless_update)]
async fn emulator() -> RunningEmulator {
    start(EmulatorOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        zones: vec![ZONE.into(), "other.test".into()],
        tokens: vec![TOKEN.into()],
        read_only_tokens: vec![READ_ONLY.into()],
        initial_ssl_mode: "flexible".into(),
        ..Default::default()
    })
    .await
    .expect("emulator starts")
}

/// Small retry budget and millisecond backoff: only the retry tests wait for real.
fn client_with(emu: &RunningEmulator, token: &str, max_attempts: u32) -> CloudflareClient {
    let mut config = ClientConfig::new(token).with_api_base(emu.base_url());
    config.max_attempts = max_attempts;
    config.request_timeout = Duration::from_secs(10);
    CloudflareClient::new(config)
        .unwrap()
        .with_backoff(Duration::from_millis(5), Duration::from_millis(50))
}

fn client(emu: &RunningEmulator) -> CloudflareClient {
    client_with(emu, TOKEN, 3)
}

async fn inject_fault(emu: &RunningEmulator, fault: serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/__emulator/faults",
            emu.root_url().trim_end_matches('/')
        ))
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "fault refused: {fault}");
}

fn requests(emu: &RunningEmulator) -> u64 {
    emu.stats().requests
}

fn cname(comment: &str) -> NewDnsRecord {
    NewDnsRecord {
        record_type: "CNAME".into(),
        name: HOST.into(),
        content: TARGET.into(),
        proxied: true,
        ttl: 1,
        comment: Some(comment.into()),
    }
}

fn csr_for(hosts: &[&str]) -> String {
    let key = rcgen::KeyPair::generate().unwrap(); // ECDSA P-256
    let params =
        rcgen::CertificateParams::new(hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>())
            .unwrap();
    params.serialize_request(&key).unwrap().pem().unwrap()
}

#[tokio::test]
async fn zone_lookup_found_and_not_found() {
    let emu = emulator().await;
    let cf = client(&emu);
    let zone = cf.find_zone_by_name(ZONE).await.unwrap();
    assert_eq!(zone.name, ZONE);
    assert_eq!(Some(zone.id.clone()), emu.zone_id(ZONE));
    // Case and a trailing dot do not matter.
    assert_eq!(
        cf.find_zone_by_name("Example.COM.").await.unwrap().id,
        zone.id
    );
    assert_eq!(cf.get_zone(&zone.id).await.unwrap(), zone);

    let err = cf.find_zone_by_name("missing.example").await.unwrap_err();
    assert!(matches!(err, Error::ZoneNotFound { ref name } if name == "missing.example"));
    assert!(err.hint().unwrap().contains("Zone › Zone › Read"));
    emu.shutdown().await;
}

#[tokio::test]
async fn origin_ca_full_cycle() {
    let emu = emulator().await;
    let cf = client(&emu);
    let zone_id = emu.zone_id(ZONE).unwrap();

    let created = cf
        .create_origin_certificate(&NewOriginCertificate {
            csr: csr_for(&[HOST]),
            hostnames: vec![HOST.into()],
            request_type: OriginRequestType::OriginEcc,
            requested_validity_days: 365,
        })
        .await
        .unwrap();
    assert!(!created.id.is_empty());
    assert!(created
        .certificate
        .starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(created.hostnames, vec![HOST.to_string()]);
    assert_eq!(created.request_type, Some(OriginRequestType::OriginEcc));
    assert_eq!(created.requested_validity_days, Some(365));
    let days_left =
        (created.expires_on.expect("expires_on parsed") - chrono::Utc::now()).num_days();
    assert!((363..=365).contains(&days_left), "{days_left}");
    assert!(created.revoked_at.is_none());

    let listed = cf.list_origin_certificates(&zone_id).await.unwrap();
    assert_eq!(listed.iter().filter(|c| c.id == created.id).count(), 1);
    let fetched = cf
        .get_origin_certificate(&created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fetched.certificate, created.certificate);
    assert_eq!(fetched.expires_on, created.expires_on);

    assert!(cf.revoke_origin_certificate(&created.id).await.unwrap());
    assert!(
        !cf.revoke_origin_certificate(&created.id).await.unwrap(),
        "revoking twice converges"
    );
    let after = cf.list_origin_certificates(&zone_id).await.unwrap();
    assert!(
        after.iter().all(|c| c.id != created.id),
        "revoked certs leave the list"
    );
    if let Some(cert) = cf.get_origin_certificate(&created.id).await.unwrap() {
        assert!(cert.revoked_at.is_some());
    }

    assert_eq!(cf.get_origin_certificate("1234567890").await.unwrap(), None);
    assert!(!cf.revoke_origin_certificate("1234567890").await.unwrap());
    emu.shutdown().await;
}

#[tokio::test]
async fn dns_create_list_update_delete_with_comment() {
    let emu = emulator().await;
    let cf = client(&emu);
    let zone_id = emu.zone_id(ZONE).unwrap();

    let created = cf
        .create_dns_record(&zone_id, &cname("flarelink: v1"))
        .await
        .unwrap();
    assert_eq!(created.record_type, "CNAME");
    assert_eq!(created.content, TARGET);
    assert_eq!(created.proxied, Some(true));
    assert_eq!(created.comment.as_deref(), Some("flarelink: v1"));

    let listed = cf.list_dns_records(&zone_id, HOST).await.unwrap();
    assert_eq!(listed, vec![created.clone()]);
    // name.exact: a longer name sharing the prefix is not returned.
    assert!(cf
        .list_dns_records(&zone_id, "api.example.co")
        .await
        .unwrap()
        .is_empty());

    let mut changed = cname("flarelink: v2");
    changed.content = "d-def456.execute-api.eu-west-1.amazonaws.com".into();
    let updated = cf
        .update_dns_record(&zone_id, &created.id, &changed)
        .await
        .unwrap();
    assert_eq!(updated.id, created.id);
    let listed = cf.list_dns_records(&zone_id, HOST).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].content, changed.content);
    assert_eq!(listed[0].comment.as_deref(), Some("flarelink: v2"));

    cf.delete_dns_record(&zone_id, &created.id).await.unwrap();
    assert!(cf
        .list_dns_records(&zone_id, HOST)
        .await
        .unwrap()
        .is_empty());
    // Already gone: still Ok, so a retried delete converges.
    cf.delete_dns_record(&zone_id, &created.id).await.unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn cname_conflict_surfaces_81053_with_a_hint() {
    let emu = emulator().await;
    let cf = client(&emu);
    let zone_id = emu.zone_id(ZONE).unwrap();
    cf.create_dns_record(
        &zone_id,
        &NewDnsRecord {
            record_type: "A".into(),
            name: HOST.into(),
            content: "192.0.2.10".into(),
            proxied: false,
            ttl: 300,
            comment: None,
        },
    )
    .await
    .unwrap();
    let before = requests(&emu);
    let err = cf
        .create_dns_record(&zone_id, &cname("flarelink"))
        .await
        .unwrap_err();
    assert_eq!(requests(&emu) - before, 1, "a conflict is not retried");
    assert!(err.has_code(81053), "{err}");
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("81053"));
    assert!(err.hint().unwrap().contains("CNAME cannot"));
    // State unchanged: only the A record.
    let listed = cf.list_dns_records(&zone_id, HOST).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].record_type, "A");
    emu.shutdown().await;
}

#[tokio::test]
async fn ssl_mode_get_and_set() {
    let emu = emulator().await;
    let cf = client(&emu);
    let zone_id = emu.zone_id(ZONE).unwrap();
    let initial = cf.get_ssl_mode(&zone_id).await.unwrap();
    assert_eq!(initial.value, SslMode::Flexible);
    assert!(initial.editable);
    let set = cf.set_ssl_mode(&zone_id, SslMode::Full).await.unwrap();
    assert_eq!(set.value, SslMode::Full);
    assert_eq!(
        cf.get_ssl_mode(&zone_id).await.unwrap().value,
        SslMode::Full
    );
    let other = emu.zone_id("other.test").unwrap();
    assert_eq!(
        cf.get_ssl_mode(&other).await.unwrap().value,
        SslMode::Flexible
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn rate_limit_with_retry_after_is_waited_out() {
    let emu = emulator().await;
    let cf = client(&emu);
    let zone_id = emu.zone_id(ZONE).unwrap();
    inject_fault(
        &emu,
        serde_json::json!({"status":429,"count":1,"retry_after":1,"path_contains":"/dns_records"}),
    )
    .await;
    let before = requests(&emu);
    let started = Instant::now();
    let created = cf
        .create_dns_record(&zone_id, &cname("after 429"))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(requests(&emu) - before, 2);
    let listed = cf.list_dns_records(&zone_id, HOST).await.unwrap();
    assert_eq!(
        listed.iter().map(|r| &r.id).collect::<Vec<_>>(),
        vec![&created.id]
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn two_503s_then_success() {
    let emu = emulator().await;
    let cf = client_with(&emu, TOKEN, 3);
    let zone_id = emu.zone_id(ZONE).unwrap();
    inject_fault(
        &emu,
        serde_json::json!({"status":503,"count":2,"path_contains":"/settings/ssl"}),
    )
    .await;
    let before = requests(&emu);
    let set = cf.set_ssl_mode(&zone_id, SslMode::Full).await.unwrap();
    assert_eq!(set.value, SslMode::Full);
    assert_eq!(requests(&emu) - before, 3);
    assert_eq!(
        cf.get_ssl_mode(&zone_id).await.unwrap().value,
        SslMode::Full
    );

    // With a budget of 2 attempts the same fault wins.
    inject_fault(
        &emu,
        serde_json::json!({"status":503,"count":2,"path_contains":"/settings/ssl"}),
    )
    .await;
    let err = client_with(&emu, TOKEN, 2)
        .set_ssl_mode(&zone_id, SslMode::Strict)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        cf.get_ssl_mode(&zone_id).await.unwrap().value,
        SslMode::Full
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn permanent_400_is_not_retried() {
    let emu = emulator().await;
    let cf = client_with(&emu, TOKEN, 4);
    let zone_id = emu.zone_id(ZONE).unwrap();
    let before = requests(&emu);
    let err = cf
        .create_origin_certificate(&NewOriginCertificate {
            csr: csr_for(&[HOST]),
            hostnames: vec![HOST.into()],
            request_type: OriginRequestType::OriginEcc,
            requested_validity_days: 8, // not an allowed validity
        })
        .await
        .unwrap_err();
    assert_eq!(requests(&emu) - before, 1);
    assert_eq!(err.status(), Some(400));
    assert!(!err.codes().is_empty());
    assert!(cf
        .list_origin_certificates(&zone_id)
        .await
        .unwrap()
        .is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn bad_or_read_only_tokens_name_the_permission() {
    let emu = emulator().await;
    let zone_id = emu.zone_id(ZONE).unwrap();

    let stranger = client_with(&emu, "not-a-known-token-000000000000", 3);
    let before = requests(&emu);
    let err = stranger.find_zone_by_name(ZONE).await.unwrap_err();
    assert_eq!(requests(&emu) - before, 1, "auth failures are not retried");
    assert!(err.has_code(10000), "{err}");
    assert!(err.hint().unwrap().contains("Zone › Zone › Read"));
    assert!(!format!("{err} {err:?} {}", err.hint().unwrap()).contains("not-a-known-token"));

    let reader = client_with(&emu, READ_ONLY, 3);
    assert!(reader
        .list_dns_records(&zone_id, HOST)
        .await
        .unwrap()
        .is_empty());
    let err = reader
        .create_dns_record(&zone_id, &cname("x"))
        .await
        .unwrap_err();
    assert!(err.has_code(10000), "{err}");
    assert!(err.hint().unwrap().contains("Zone › DNS › Edit"));
    let err = reader
        .set_ssl_mode(&zone_id, SslMode::Full)
        .await
        .unwrap_err();
    assert!(err.hint().unwrap().contains("Zone › Zone Settings › Edit"));
    assert!(client(&emu)
        .list_dns_records(&zone_id, HOST)
        .await
        .unwrap()
        .is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn malformed_authorization_is_6003_6111() {
    let emu = emulator().await;
    let err = client_with(&emu, "two words", 3)
        .find_zone_by_name(ZONE)
        .await
        .unwrap_err();
    assert!(err.has_code(6003), "{err}");
    assert!(err.has_code(6111), "{err}");
    assert!(err.hint().unwrap().contains("Authorization header"));
    emu.shutdown().await;
}

#[tokio::test]
async fn listing_reads_every_page() {
    let emu = emulator().await;
    let cf = client(&emu);
    let zone_id = emu.zone_id(ZONE).unwrap();
    let name = "many.example.com";
    for i in 0..130 {
        cf.create_dns_record(
            &zone_id,
            &NewDnsRecord {
                record_type: "TXT".into(),
                name: name.into(),
                content: format!("\"record {i:03}\""),
                proxied: false,
                ttl: 1,
                comment: None,
            },
        )
        .await
        .unwrap();
    }
    let before = requests(&emu);
    let records = cf.list_dns_records(&zone_id, name).await.unwrap();
    assert_eq!(requests(&emu) - before, 2, "130 records at 100 per page");
    assert_eq!(records.len(), 130);
    let mut contents: Vec<_> = records.iter().map(|r| r.content.clone()).collect();
    contents.sort();
    contents.dedup();
    assert_eq!(contents.len(), 130);
    emu.shutdown().await;
}

#[tokio::test]
async fn proxied_records_of_the_zone_are_listed_and_dns_only_ones_are_not() {
    let emu = emulator().await;
    let cf = client(&emu);
    let zone_id = emu.zone_id(ZONE).unwrap();
    let proxied = cf.create_dns_record(&zone_id, &cname("a")).await.unwrap();
    let mut dns_only = cname("b");
    dns_only.name = "dns-only.example.com".into();
    dns_only.proxied = false;
    cf.create_dns_record(&zone_id, &dns_only).await.unwrap();
    let mut other = cname("c");
    other.name = "www.example.com".into();
    let other = cf.create_dns_record(&zone_id, &other).await.unwrap();

    let mut listed = cf.list_proxied_records(&zone_id).await.unwrap();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(listed, vec![proxied, other]);
}
