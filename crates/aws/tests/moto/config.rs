//! Loading: region, endpoints, retry, credentials. Scenarios that need their own environment
//! run in a child copy of this test binary (`common::child`).

use std::net::TcpListener;
use std::time::{Duration, Instant};

use flarelink_aws::{AwsClients, AwsSettings, ErrorKind};
use flarelink_test_support::Moto;
use serde_json::json;

use crate::common::{child, make_deployed_api, raw_apigateway, settings, REGION};
use crate::stub::Stub;

pub async fn missing_region_is_a_config_error() {
    // The process has no AWS_REGION/AWS_DEFAULT_REGION and reads no profile files.
    let err = match AwsClients::load(&AwsSettings::default()).await {
        Err(e) => e,
        Ok(c) => panic!("loaded with region {}", c.region()),
    };
    assert_eq!(err.kind, ErrorKind::Config);
    for fix in ["`region` in config.toml", "--region", "AWS_REGION"] {
        assert!(err.message.contains(fix), "{}", err.message);
    }
    assert!(err.hint().unwrap().contains("--region"));
}

/// A port that nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

pub async fn closed_port_is_transport_after_retries() {
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let aws = AwsClients::load(&settings(&endpoint)).await.unwrap();
    let started = Instant::now();
    let err = aws.apigateway.list_rest_apis().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.kind, ErrorKind::Transport, "{err:?}");
    assert_eq!(err.operation, "GetRestApis");
    assert!(
        err.message.to_lowercase().contains("connect"),
        "{}",
        err.message
    );
    assert!(err.hint().unwrap().contains("AWS_ENDPOINT_URL"));
    let err = aws.acm.list_certificate_arns().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport, "{err:?}");

    // The same failure is retried `max_attempts` times: count connections to a listener that
    // hangs up on every request.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let counter = std::thread::spawn(move || {
        listener.set_nonblocking(true).unwrap();
        let mut accepted = 0;
        let until = Instant::now() + Duration::from_secs(6);
        while Instant::now() < until {
            match listener.accept() {
                Ok((stream, _)) => {
                    accepted += 1;
                    drop(stream);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        accepted
    });
    let mut s = settings(&endpoint);
    s.max_attempts = 3;
    let aws = AwsClients::load(&s).await.unwrap();
    let err = aws.apigateway.get_rest_api("abc").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transport, "{err:?}");
    assert_eq!(counter.join().unwrap(), 3, "one connection per attempt");
}

/// Region and endpoints from the environment (the SDK's `AWS_ENDPOINT_URL_<SERVICE>`), and the
/// region from a named profile; no instance-metadata request in any of it.
pub async fn region_and_endpoints_from_the_environment() {
    let moto = Moto::start();
    let raw = raw_apigateway(&moto);
    let (api, _) = make_deployed_api(&raw, "from-env", "prod").await;
    let imds = Stub::start(vec![]);

    let base = |extra: &[(&str, &str)]| {
        let mut env: Vec<(String, String)> = [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint()),
            ("AWS_ENDPOINT_URL_API_GATEWAY", moto.endpoint()),
            ("AWS_ENDPOINT_URL_ACM", moto.endpoint()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    };

    let out = child(
        "load_and_list",
        &base(&[("AWS_REGION", REGION), ("AWS_CONFIG_FILE", "/dev/null")]),
    );
    assert_eq!(out["region"], REGION, "{out}");
    assert_eq!(out["apis"], json!([api]), "{out}");
    assert_eq!(out["certificates"], 0, "{out}");

    // Region from the profile's config (moto is region-scoped: a different region sees no API).
    let dir = std::env::temp_dir().join(format!("flarelink-aws-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    std::fs::write(&config, "[profile staging]\nregion = eu-central-1\n").unwrap();
    let out = child(
        "load_and_list",
        &base(&[
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
            ("FLARELINK_TEST_PROFILE", "staging"),
        ]),
    );
    assert_eq!(out["region"], "eu-central-1", "{out}");
    assert_eq!(out["apis"], json!([]), "{out}");

    // No region anywhere: a Config error, still without asking instance metadata.
    let out = child("load_and_list", &base(&[("AWS_CONFIG_FILE", "/dev/null")]));
    assert_eq!(out["error_kind"], "Config", "{out}");
    let _ = std::fs::remove_dir_all(&dir);

    assert!(
        imds.requests().is_empty(),
        "instance metadata was asked: {:?}",
        imds.requests()
    );
}

pub async fn endpoint_setting_beats_the_environment() {
    let moto = Moto::start();
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let env: Vec<(String, String)> = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_REGION", REGION),
        ("AWS_ENDPOINT_URL", dead.as_str()),
        ("FLARELINK_TEST_ENDPOINT", moto.endpoint()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let out = child("load_and_list", &env);
    assert_eq!(out["apis"], json!([]), "{out}");

    // And without the setting, AWS_ENDPOINT_URL is what the SDK uses.
    let env: Vec<_> = env
        .into_iter()
        .filter(|(k, _)| k != "FLARELINK_TEST_ENDPOINT")
        .collect();
    let out = child("load_and_list", &env);
    assert_eq!(out["error_kind"], "Transport", "{out}");
}

pub async fn credentials_checked_without_a_service_call() {
    let stub = Stub::start(vec![]);
    let aws = AwsClients::load(&settings(stub.endpoint())).await.unwrap();
    aws.check_credentials()
        .await
        .expect("env credentials resolve");
    assert!(stub.requests().is_empty(), "{:?}", stub.requests());
}

/// No credentials anywhere, instance metadata reachable but silent (as a firewalled IMDS off
/// EC2 behaves): a Credentials error carrying the chain's explanation, within a few seconds.
pub async fn no_credentials_is_a_credentials_error_quickly() {
    let moto = Moto::start();
    // Accepts connections, never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_endpoint = format!("http://{}", silent.local_addr().unwrap());
    let env: Vec<(String, String)> = [
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_REGION", REGION),
        (
            "AWS_EC2_METADATA_SERVICE_ENDPOINT",
            silent_endpoint.as_str(),
        ),
        ("FLARELINK_TEST_ENDPOINT", moto.endpoint()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let out = child("check_credentials", &env);
    drop(silent);
    assert_eq!(out["check_kind"], "Credentials", "{out}");
    assert_eq!(out["call_kind"], "Credentials", "{out}");
    let message = out["check_message"].as_str().unwrap();
    assert!(message.contains("credentials"), "{message}");
    let hint = out["check_hint"].as_str().unwrap();
    assert!(
        hint.contains("AWS_PROFILE") && hint.contains("aws sso login"),
        "{hint}"
    );
    let elapsed = out["check_ms"].as_u64().unwrap();
    assert!(elapsed < 3000, "credential check took {elapsed} ms");
}

// ---- the child side ------------------------------------------------------------------------

fn child_settings() -> AwsSettings {
    AwsSettings {
        region: None,
        profile: std::env::var("FLARELINK_TEST_PROFILE").ok(),
        endpoint_url: std::env::var("FLARELINK_TEST_ENDPOINT").ok(),
        max_attempts: 2,
        max_quota_waits: 0,
        request_timeout: None,
    }
}

pub async fn child_scenario(name: &str) -> serde_json::Value {
    match name {
        "load_and_list" => {
            let aws = match AwsClients::load(&child_settings()).await {
                Ok(aws) => aws,
                Err(e) => {
                    return json!({"error_kind": format!("{:?}", e.kind), "error": e.to_string()})
                }
            };
            let apis = match aws.apigateway.list_rest_apis().await {
                Ok(apis) => apis.into_iter().map(|a| a.id).collect::<Vec<_>>(),
                Err(e) => {
                    return json!({"error_kind": format!("{:?}", e.kind), "error": e.to_string()})
                }
            };
            let certificates = match aws.acm.list_certificate_arns().await {
                Ok(arns) => arns.len(),
                Err(e) => {
                    return json!({"error_kind": format!("{:?}", e.kind), "error": e.to_string()})
                }
            };
            json!({"region": aws.region(), "apis": apis, "certificates": certificates})
        }
        "check_credentials" => {
            let mut s = child_settings();
            s.region = Some(REGION.into());
            let aws = AwsClients::load(&s).await.expect("load");
            let started = Instant::now();
            let check = aws.check_credentials().await.expect_err("no credentials");
            let check_ms = started.elapsed().as_millis() as u64;
            let call = aws
                .apigateway
                .list_rest_apis()
                .await
                .expect_err("no credentials");
            json!({
                "check_kind": format!("{:?}", check.kind),
                "check_message": check.message,
                "check_hint": check.hint(),
                "check_ms": check_ms,
                "call_kind": format!("{:?}", call.kind),
                "call_message": call.message,
            })
        }
        other => json!({"error": format!("unknown scenario {other}")}),
    }
}
