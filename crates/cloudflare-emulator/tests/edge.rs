//! The Cloudflare edge: proxied hostnames through each SSL/TLS mode to local origins, the
//! headers both ways, Cloudflare's error for each origin failure and for hostnames it does not
//! proxy, and the origin map read again when it changes. Clients are reqwest trusting only the
//! edge CA, with the hostname resolved to the edge.

mod edge_support;

use edge_support::*;
use rustls::pki_types::pem::PemObject;
use serde_json::{json, Value};

const HOST: &str = "api.example.com";
const TARGET: &str = "d-abc123.execute-api.us-east-1.amazonaws.com";

async fn proxied_stand(mode: &str) -> Stand {
    let stand = Stand::new().await;
    stand.cname(HOST, TARGET, true).await;
    stand.ssl(mode).await;
    stand
}

#[track_caller]
fn assert_edge_error(code: u16, headers: &reqwest::header::HeaderMap, body: &str) {
    ray_of(headers);
    assert_eq!(body, format!("error code: {code}"));
    assert_eq!(
        headers.get("content-type").unwrap(),
        "text/plain; charset=UTF-8"
    );
}

async fn expect_error(stand: &Stand, host: &str, status: u16, code: u16) {
    let r = stand.get(host, "/ditto").await;
    let got = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.text().await.unwrap();
    assert_eq!(got, status, "body: {body}");
    assert_edge_error(code, &headers, &body);
}

#[tokio::test]
async fn flexible_forwards_everything_over_plain_http_with_cloudflares_headers() {
    let stand = proxied_stand("flexible").await;
    let origin = Origin::plain("plain").await;
    stand.write_map(json!({TARGET: {"http": origin.addr.to_string()}}));

    let body = vec![b'x'; 300_000];
    let r = stand
        .client(HOST)
        .post(stand.url("https", HOST, "/pokemon/ditto?x=1&y=%20z"))
        .header("x-custom", "kept")
        .header("x-forwarded-for", "203.0.113.7")
        .header("cf-connecting-ip", "198.51.100.1")
        .header("x-real-ip", "198.51.100.2")
        .header("cdn-loop", "othercdn")
        .header("cf-visitor", "{\"scheme\":\"forged\"}")
        .header("connection", "keep-alive, x-hop")
        .header("x-hop", "dropped")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ray = ray_of(r.headers());
    assert_eq!(r.headers()["x-origin"], "plain");
    assert_eq!(r.headers()["cf-cache-status"], "DYNAMIC");
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["body_len"], 300_000);

    let seen = origin.last();
    assert_eq!(seen.sni, None, "flexible is plain HTTP");
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.uri, "/pokemon/ditto?x=1&y=%20z");
    assert_eq!(seen.body, body);
    assert_eq!(seen.header("host").unwrap(), HOST);
    assert_eq!(seen.header("x-custom").unwrap(), "kept");
    assert_eq!(seen.header("cf-connecting-ip").unwrap(), "127.0.0.1");
    assert_eq!(
        seen.header("x-forwarded-for").unwrap(),
        "203.0.113.7,127.0.0.1"
    );
    assert_eq!(seen.header("x-forwarded-proto").unwrap(), "https");
    assert_eq!(seen.header("cf-visitor").unwrap(), r#"{"scheme":"https"}"#);
    assert_eq!(seen.header("cf-ray").unwrap(), ray);
    assert_eq!(seen.header("cdn-loop").unwrap(), "othercdn, cloudflare");
    assert_eq!(
        seen.header("x-hop"),
        None,
        "named in Connection: hop-by-hop"
    );
    assert_eq!(seen.header("connection"), None);
    assert_eq!(seen.header("x-real-ip"), None);
}

#[tokio::test]
async fn full_speaks_tls_to_any_certificate_with_the_hostname_as_sni() {
    let stand = proxied_stand("full").await;
    let (chain, key) = self_signed(&["somewhere.else"]);
    let origin = Origin::tls("self-signed", &chain, &key).await;
    stand.write_map(json!({TARGET: {"https": origin.addr.to_string()}}));
    let r = stand.get(HOST, "/ditto").await;
    assert_eq!(r.status(), 200);
    ray_of(r.headers());
    let seen = origin.last();
    assert_eq!(seen.sni.as_deref(), Some(HOST));
    assert_eq!(seen.header("host").unwrap(), HOST);
    assert_eq!(seen.header("x-forwarded-for").unwrap(), "127.0.0.1");
}

#[tokio::test]
async fn full_against_an_origin_without_tls_is_525() {
    let stand = proxied_stand("full").await;
    let origin = Origin::plain("plain").await;
    stand.write_map(
        json!({TARGET: {"https": origin.addr.to_string(), "http": origin.addr.to_string()}}),
    );
    expect_error(&stand, HOST, 525, 525).await;
}

#[tokio::test]
async fn strict_accepts_an_origin_ca_certificate_for_the_hostname_only() {
    let stand = proxied_stand("strict").await;
    let (chain, key) = stand.origin_ca_cert(&[HOST]).await;
    let good = Origin::tls("origin-ca", &chain, &key).await;
    stand.write_map(json!({TARGET: {"https": good.addr.to_string()}}));
    let r = stand.get(HOST, "/ditto").await;
    assert_eq!(r.status(), 200);
    assert_eq!(good.last().sni.as_deref(), Some(HOST));

    // An Origin CA certificate for another name → 526.
    let (chain, key) = stand.origin_ca_cert(&["other.example.com"]).await;
    let wrong_name = Origin::tls("wrong-name", &chain, &key).await;
    stand.write_map(json!({TARGET: {"https": wrong_name.addr.to_string()}}));
    expect_error(&stand, HOST, 526, 526).await;
    assert!(wrong_name.seen().is_empty());

    // A self-signed certificate for the right name → 526.
    let (chain, key) = self_signed(&[HOST]);
    let self_signed = Origin::tls("self-signed", &chain, &key).await;
    stand.write_map(json!({TARGET: {"https": self_signed.addr.to_string()}}));
    expect_error(&stand, HOST, 526, 526).await;

    // The same self-signed origin is fine in Full.
    stand.ssl("full").await;
    assert_eq!(stand.get(HOST, "/ditto").await.status(), 200);
}

#[tokio::test]
async fn a_wildcard_origin_ca_certificate_covers_the_hostname() {
    let stand = proxied_stand("strict").await;
    let (chain, key) = stand.origin_ca_cert(&["*.example.com"]).await;
    let origin = Origin::tls("wildcard", &chain, &key).await;
    stand.write_map(
        json!({"*.execute-api.us-east-1.amazonaws.com": {"https": origin.addr.to_string()}}),
    );
    assert_eq!(stand.get(HOST, "/").await.status(), 200);
}

#[tokio::test]
async fn a_plain_http_visitor_reaches_the_origin_over_http_even_in_strict() {
    let stand = proxied_stand("strict").await;
    let origin = Origin::plain("plain").await;
    stand.write_map(json!({TARGET: {"http": origin.addr.to_string()}}));
    let r = stand
        .client(HOST)
        .get(stand.url("http", HOST, "/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    ray_of(r.headers());
    let seen = origin.last();
    assert_eq!(seen.header("x-forwarded-proto").unwrap(), "http");
    assert_eq!(seen.header("cf-visitor").unwrap(), r#"{"scheme":"http"}"#);
}

#[tokio::test]
async fn origin_failures_answer_cloudflares_52x() {
    let stand = proxied_stand("flexible").await;

    // Not in the map: origin DNS error, 530 with 1016.
    expect_error(&stand, HOST, 530, 1016).await;

    // Refused → 521; a scheme missing from the entry behaves the same.
    stand.write_map(json!({TARGET: {"http": refused_addr().to_string()}}));
    expect_error(&stand, HOST, 521, 521).await;
    stand.write_map(json!({TARGET: {"https": refused_addr().to_string()}}));
    expect_error(&stand, HOST, 521, 521).await;

    // Connected, no answer within the response timeout → 524.
    stand.write_map(json!({TARGET: {"http": silent_origin().await.to_string()}}));
    let started = std::time::Instant::now();
    expect_error(&stand, HOST, 524, 524).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    // Not HTTP, or no answer at all before the connection closes → 520.
    stand.write_map(json!({TARGET: {"http": garbage_origin().await.to_string()}}));
    expect_error(&stand, HOST, 520, 520).await;
    stand.write_map(json!({TARGET: {"http": closing_origin().await.to_string()}}));
    expect_error(&stand, HOST, 520, 520).await;

    // The origin's own 502 is relayed, with Cloudflare's marks.
    let origin = Origin::plain("plain").await;
    stand.write_map(json!({TARGET: {"http": origin.addr.to_string()}}));
    for status in [502, 504] {
        let r = stand.get(HOST, &format!("/status/{status}")).await;
        assert_eq!(r.status(), status);
        ray_of(r.headers());
        assert_eq!(r.headers()["x-origin"], "plain");
    }

    // Full: an origin that accepts but never finishes the TLS handshake → 525 after the
    // connect timeout.
    stand.ssl("full").await;
    stand.write_map(json!({TARGET: {"https": silent_origin().await.to_string()}}));
    let started = std::time::Instant::now();
    expect_error(&stand, HOST, 525, 525).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn strict_also_accepts_a_certificate_for_the_target_hostname() {
    // Cloudflare's Full (strict) page: the certificate must match "the requested or target
    // hostname".
    let stand = Stand::new().await;
    stand.cname(HOST, "origin.example.net", true).await;
    stand.ssl("strict").await;
    let (chain, key) = stand.origin_ca_cert(&["origin.example.net"]).await;
    let origin = Origin::tls("target-named", &chain, &key).await;
    stand.write_map(json!({"origin.example.net": {"https": origin.addr.to_string()}}));
    assert_eq!(stand.get(HOST, "/").await.status(), 200);
    assert_eq!(origin.last().sni.as_deref(), Some(HOST));
}

#[tokio::test]
async fn an_origin_that_never_completes_the_tcp_handshake_is_522() {
    let stand = proxied_stand("flexible").await;
    let (addr, fillers, _listener) = unanswered_syn_addr();
    if fillers.is_empty() {
        eprintln!("skipping: this kernel completed no handshake on a backlog-0 listener");
        return;
    }
    stand.write_map(json!({TARGET: {"http": addr.to_string()}}));
    expect_error(&stand, HOST, 522, 522).await;
}

#[tokio::test]
async fn hostnames_the_edge_does_not_proxy() {
    let stand = Stand::new().await;
    stand.cname("dns-only.example.com", TARGET, false).await;
    let origin = Origin::plain("plain").await;
    stand.write_map(
        json!({TARGET: {"http": origin.addr.to_string(), "https": origin.addr.to_string()}}),
    );

    // In a zone, DNS only (or no record): TLS works (the zone has an edge certificate), 1001.
    expect_error(&stand, "dns-only.example.com", 409, 1001).await;
    expect_error(&stand, "nothing.example.com", 409, 1001).await;
    assert!(origin.seen().is_empty());

    // A browser gets an HTML page with the same facts.
    let r = stand
        .client("dns-only.example.com")
        .get(stand.url("https", "dns-only.example.com", "/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let ray = ray_of(r.headers());
    let html = r.text().await.unwrap();
    assert!(html.contains("Error 1001") && html.contains(&ray), "{html}");

    // In no zone (or no SNI): no certificate, so the TLS handshake fails with the
    // handshake_failure alert Cloudflare sends...
    let err = stand.get_err("api.unknown.test").await;
    assert!(err.is_connect(), "{err:?}");
    assert_eq!(
        tls_alert(&stand, Some("api.unknown.test")).await,
        Some(rustls::AlertDescription::HandshakeFailure)
    );
    assert_eq!(
        tls_alert(&stand, None).await,
        Some(rustls::AlertDescription::HandshakeFailure)
    );
    assert_eq!(tls_alert(&stand, Some("dns-only.example.com")).await, None);
    // ...and over plain HTTP the answer is 1001.
    let r = stand
        .client("api.unknown.test")
        .get(stand.url("http", "api.unknown.test", "/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let headers = r.headers().clone();
    assert_edge_error(1001, &headers, &r.text().await.unwrap());

    // An IP address as Host → 1003.
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("http://{}/", stand.edge()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let headers = r.headers().clone();
    assert_edge_error(1003, &headers, &r.text().await.unwrap());
}

#[tokio::test]
async fn proxied_status_follows_the_record() {
    let stand = Stand::new().await;
    let origin = Origin::plain("plain").await;
    stand.write_map(json!({TARGET: {"http": origin.addr.to_string()}}));
    stand.cname("*.example.com", TARGET, true).await;
    assert_eq!(stand.get("anything.example.com", "/").await.status(), 200);
    assert_eq!(
        origin.last().header("host").unwrap(),
        "anything.example.com"
    );
    // A more specific DNS-only record wins over the wildcard.
    stand.cname("direct.example.com", TARGET, false).await;
    expect_error(&stand, "direct.example.com", 409, 1001).await;
}

#[tokio::test]
async fn the_origin_map_is_read_again_when_it_changes() {
    let stand = proxied_stand("flexible").await;
    // No file yet: 1016.
    expect_error(&stand, HOST, 530, 1016).await;
    let one = Origin::plain("one").await;
    let two = Origin::plain("two").await;
    stand.write_map(json!({TARGET: {"http": one.addr.to_string()}}));
    assert_eq!(stand.get(HOST, "/").await.headers()["x-origin"], "one");
    stand.write_map(json!({TARGET: {"http": two.addr.to_string()}}));
    assert_eq!(stand.get(HOST, "/").await.headers()["x-origin"], "two");
    // A broken file keeps the last good map.
    std::fs::write(&stand.map_path, "{not json").unwrap();
    assert_eq!(stand.get(HOST, "/").await.headers()["x-origin"], "two");
    // Removing the entry is honoured.
    stand.write_map(json!({}));
    expect_error(&stand, HOST, 530, 1016).await;
}

#[tokio::test]
async fn the_ssl_setting_is_read_per_request() {
    let stand = proxied_stand("flexible").await;
    let plain = Origin::plain("plain").await;
    let (chain, key) = stand.origin_ca_cert(&[HOST]).await;
    let tls = Origin::tls("tls", &chain, &key).await;
    stand.write_map(
        json!({TARGET: {"http": plain.addr.to_string(), "https": tls.addr.to_string()}}),
    );
    assert_eq!(stand.get(HOST, "/").await.headers()["x-origin"], "plain");
    stand.ssl("strict").await;
    assert_eq!(stand.get(HOST, "/").await.headers()["x-origin"], "tls");
    stand.ssl("off").await;
    assert_eq!(stand.get(HOST, "/").await.headers()["x-origin"], "plain");
}

#[tokio::test]
async fn curl_from_the_system_trusts_the_edge_with_cacert() {
    let Ok(version) = std::process::Command::new("curl").arg("--version").output() else {
        eprintln!("skipping: no curl on this machine");
        return;
    };
    if !version.status.success() {
        return;
    }
    let stand = proxied_stand("flexible").await;
    let origin = Origin::plain("plain").await;
    stand.write_map(json!({TARGET: {"http": origin.addr.to_string()}}));
    let ca = stand.dir.path().join("edge-ca.pem");
    std::fs::write(&ca, stand.emu.edge_ca_pem().unwrap()).unwrap();
    let port = stand.edge().port();
    let out = tokio::process::Command::new("curl")
        .args(["-sS", "-i", "--noproxy", "*", "--cacert"])
        .arg(&ca)
        .arg("--resolve")
        .arg(format!("{HOST}:{port}:127.0.0.1"))
        .arg(format!("https://{HOST}:{port}/ditto"))
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("server: cloudflare"),
        "{text}"
    );
    assert!(text.to_ascii_lowercase().contains("cf-ray: "), "{text}");
    assert_eq!(origin.last().header("host").unwrap(), HOST);
}

#[tokio::test]
async fn stopping_the_emulator_closes_the_edge() {
    let stand = proxied_stand("flexible").await;
    let origin = Origin::plain("plain").await;
    stand.write_map(json!({TARGET: {"http": origin.addr.to_string()}}));
    let client = stand.client(HOST);
    let url = stand.url("https", HOST, "/");
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    let Stand { emu, dir, .. } = stand;
    emu.shutdown().await;
    // Even the pooled keep-alive connection is gone.
    assert!(client.get(&url).send().await.is_err());
    drop(dir);
}

#[tokio::test]
async fn the_edge_listens_on_loopback_only() {
    let refused =
        flarelink_cloudflare_emulator::start(flarelink_cloudflare_emulator::EmulatorOptions {
            edge: Some(flarelink_cloudflare_emulator::EdgeOptions {
                listen: "0.0.0.0:0".parse().unwrap(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect_err("a non-loopback edge address is refused");
    assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn an_unparsable_origin_map_at_start_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("origins.json");
    std::fs::write(&map, r#"{"a.test": {"https": "10.1.2.3:443"}}"#).unwrap();
    let refused =
        flarelink_cloudflare_emulator::start(flarelink_cloudflare_emulator::EmulatorOptions {
            edge: Some(flarelink_cloudflare_emulator::EdgeOptions {
                origin_map: Some(map),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect_err("a bad origin map is refused at start");
    assert!(refused.to_string().contains("10.1.2.3:443"), "{refused}");
}

/// The alert the edge answers a TLS client with (None: the handshake completed).
async fn tls_alert(stand: &Stand, sni: Option<&str>) -> Option<rustls::AlertDescription> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(
        stand.emu.edge_ca_pem().unwrap().as_bytes(),
    ) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    // No SNI: send none, but still verify against a name.
    config.enable_sni = sni.is_some();
    let name =
        rustls::pki_types::ServerName::try_from(sni.unwrap_or("dns-only.example.com").to_string())
            .unwrap();
    let tcp = tokio::net::TcpStream::connect(stand.edge()).await.unwrap();
    match tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
    {
        Ok(_) => None,
        Err(e) => match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
            Some(rustls::Error::AlertReceived(alert)) => Some(*alert),
            other => panic!("not an alert: {e} {other:?}"),
        },
    }
}

#[tokio::test]
async fn the_edge_answers_http_1_1_whatever_the_origin_speaks() {
    let stand = proxied_stand("flexible").await;
    let origin = raw_origin(b"HTTP/1.0 200 OK\r\nserver: old\r\ncontent-length: 2\r\n\r\nok").await;
    stand.write_map(json!({TARGET: {"http": origin.to_string()}}));
    let r = stand.get(HOST, "/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), reqwest::Version::HTTP_11);
    ray_of(r.headers());
    assert_eq!(r.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn a_proxied_a_record_leads_to_the_map_entry_for_its_address() {
    let stand = Stand::new().await;
    stand
        .record(json!({"type": "A", "name": "ip", "content": "203.0.113.10", "proxied": true}))
        .await;
    let origin = Origin::plain("by-address").await;
    stand.write_map(json!({"203.0.113.10": {"http": origin.addr.to_string()}}));
    let r = stand.get("ip.example.com", "/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-origin"], "by-address");
    assert_eq!(origin.last().header("host").unwrap(), "ip.example.com");
}

#[tokio::test]
async fn concurrent_requests_for_several_hostnames() {
    let stand = Stand::new().await;
    stand.cname("*.example.com", TARGET, true).await;
    let origin = Origin::plain("plain").await;
    stand.write_map(json!({TARGET: {"http": origin.addr.to_string()}}));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..24 {
        let host = format!("h{}.example.com", i % 6);
        let client = stand.client(&host);
        let url = stand.url("https", &host, &format!("/n/{i}"));
        tasks.spawn(async move { client.get(url).send().await.map(|r| r.status().as_u16()) });
    }
    while let Some(done) = tasks.join_next().await {
        assert_eq!(done.unwrap().unwrap(), 200);
    }
    let mut paths: Vec<String> = origin.seen().into_iter().map(|s| s.uri).collect();
    paths.sort();
    assert_eq!(paths.len(), 24);
}
