//! The `cloudflare-emulator` binary: one JSON line when listening, CA written to --ca-out,
//! `--aop-deploy-ms`, serves, never logs tokens or private keys, and exits when its stdin
//! closes.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[test]
fn binary_announces_itself_serves_and_exits_when_stdin_closes() {
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("root.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloudflare-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--zone",
            "example.com",
            "--zone",
            "Example.NET",
        ])
        .args([
            "--token",
            "bin-token",
            "--read-only-token",
            "bin-ro",
            "--ssl-mode",
            "full",
            "--aop-deploy-ms",
            "0",
        ])
        .arg("--ca-out")
        .arg(&ca_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let announced: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let base = announced["base_url"].as_str().unwrap().to_string();
    assert!(base.starts_with("http://127.0.0.1:") && base.ends_with("/client/v4/"));
    let zone = announced["zones"]["example.com"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(zone.len(), 32);
    assert!(announced["zones"]["example.net"].is_string());
    assert_eq!(announced["ca_pem"], ca_path.display().to_string());
    let pem = std::fs::read_to_string(&ca_path).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));

    let rt = tokio::runtime::Runtime::new().unwrap();
    let ssl: Value = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{base}zones/{zone}/settings/ssl"))
            .bearer_auth("bin-token")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(ssl["result"]["value"], "full");

    // An origin-pull certificate: with --aop-deploy-ms 0 it is active at once; its key is
    // never logged (checked on stderr below).
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    let cert_pem = params.self_signed(&key).unwrap().pem();
    let key_pem = key.serialize_pem();
    let uploaded: Value = rt.block_on(async {
        reqwest::Client::new()
            .post(format!(
                "{base}zones/{zone}/origin_tls_client_auth/hostnames/certificates"
            ))
            .bearer_auth("bin-token")
            .json(&serde_json::json!({"certificate": cert_pem, "private_key": key_pem}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(uploaded["result"]["status"], "active", "{uploaded}");
    let key_body: String = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();

    // Closing stdin stops the emulator.
    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("emulator did not exit after stdin closed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(
        !err.contains("bin-token") && !err.contains("bin-ro"),
        "tokens must not be logged: {err}"
    );
    assert!(
        !err.contains("PRIVATE KEY") && !err.contains(&key_body[..32]),
        "private keys must not be logged: {err}"
    );
    assert!(
        err.contains("origin_tls_client_auth"),
        "the upload was logged: {err}"
    );
}
