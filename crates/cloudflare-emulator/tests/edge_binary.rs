//! `cloudflare-emulator --edge`: the announced line names the edge's address and CA file, the
//! CA file trusts the edge, the origin map written after start is used, and the edge's
//! timeouts come from the flags.

mod edge_support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use edge_support::Origin;
use serde_json::{json, Value};

#[tokio::test]
async fn binary_runs_the_edge_with_its_flags() {
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("edge-ca.pem");
    let map_path = dir.path().join("origins.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloudflare-emulator"))
        .args(["--zone", "example.com", "--token", "bin-token", "--edge"])
        .args([
            "--edge-listen",
            "127.0.0.1:0",
            "--edge-response-timeout-ms",
            "300",
        ])
        .arg("--edge-ca-out")
        .arg(&ca_path)
        .arg("--origin-map")
        .arg(&map_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let announced: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let edge: std::net::SocketAddr = announced["edge"]["address"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(edge.ip().is_loopback());
    assert_eq!(announced["edge"]["ca_file"], ca_path.display().to_string());
    let base = announced["base_url"].as_str().unwrap().to_string();
    let zone = announced["zones"]["example.com"]
        .as_str()
        .unwrap()
        .to_string();

    let api = reqwest::Client::new();
    let created: Value = api
        .post(format!("{base}zones/{zone}/dns_records"))
        .bearer_auth("bin-token")
        .json(&json!({"type": "CNAME", "name": "api", "content": "origin.internal.test", "proxied": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["success"], true, "{created}");

    let origin = Origin::plain("from-binary").await;
    std::fs::write(
        &map_path,
        json!({"origin.internal.test": {"http": origin.addr.to_string()}}).to_string(),
    )
    .unwrap();
    let ca = std::fs::read(&ca_path).unwrap();
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .resolve("api.example.com", edge)
        .build()
        .unwrap();
    let url = format!("https://api.example.com:{}/ditto", edge.port());
    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["server"], "cloudflare");
    assert_eq!(origin.last().header("host").unwrap(), "api.example.com");

    // --edge-response-timeout-ms: a silent origin is 524 well before Cloudflare's 100 s.
    let silent = edge_support::silent_origin().await;
    std::fs::write(
        &map_path,
        json!({"origin.internal.test": {"http": silent.to_string()}}).to_string(),
    )
    .unwrap();
    let started = Instant::now();
    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 524);
    assert!(started.elapsed() < Duration::from_secs(5));

    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("emulator did not exit after stdin closed");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn edge_flags_need_edge() {
    let out = Command::new(env!("CARGO_BIN_EXE_cloudflare-emulator"))
        .args([
            "--zone",
            "example.com",
            "--token",
            "t",
            "--origin-map",
            "/nonexistent",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--edge"));
}
