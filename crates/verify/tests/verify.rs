//! `run_checks` against a local HTTPS stand-in of API Gateway behind Cloudflare: one test per
//! diagnosis. Every connection stays on 127.0.0.1 (`api.example.com` is resolved by the probe's
//! override; system DNS is off).

mod common;

use common::*;
use flarelink_verify::{run_checks, DiagnosisKind, FailureKind, Observed, VerifyReport};

fn kinds(report: &VerifyReport) -> Vec<Option<DiagnosisKind>> {
    report
        .checks
        .iter()
        .map(|c| c.diagnosis.as_ref().map(|d| d.kind))
        .collect()
}

fn with_token_diagnosis(report: &VerifyReport) -> &flarelink_verify::Diagnosis {
    let c = report
        .checks
        .iter()
        .find(|c| c.name == "with token")
        .unwrap();
    c.diagnosis
        .as_ref()
        .unwrap_or_else(|| panic!("no diagnosis: {report}"))
}

async fn standard(token: Option<String>) -> VerifyReport {
    let ca = Ca::test();
    let server = serve(ca.leaf(&[HOST]), Behaviour::default()).await;
    run_checks(&probe(server.addr, &ca.pem, token))
        .await
        .unwrap()
}

#[tokio::test]
async fn healthy_setup_passes_both_checks() {
    let report = standard(Some(token(TokenSpec::default()))).await;
    assert!(report.ok, "{report}");
    assert_eq!(report.checks.len(), 2);
    assert_eq!(kinds(&report), vec![None, None]);
    let Observed::Response(r) = &report.checks[0].observed else {
        panic!("{report}")
    };
    assert_eq!(r.status, 401);
    assert_eq!(r.message.as_deref(), Some("Unauthorized"));
    assert!(r.via_cloudflare());
    let Observed::Response(r) = &report.checks[1].observed else {
        panic!("{report}")
    };
    assert_eq!(r.status, 200);
    assert!(r.body_excerpt.contains("ditto"));
    assert_eq!(report.url, "https://api.example.com/ditto");
}

#[tokio::test]
async fn without_a_token_only_one_check_runs() {
    let report = standard(None).await;
    assert!(report.ok, "{report}");
    assert_eq!(report.checks.len(), 1);
}

#[tokio::test]
async fn expired_token_says_how_long_ago_and_what_to_run() {
    let report = standard(Some(token(TokenSpec {
        exp_in: -12 * 60 - 10,
        ..TokenSpec::default()
    })))
    .await;
    assert!(!report.ok);
    let d = with_token_diagnosis(&report);
    assert_eq!(d.kind, DiagnosisKind::TokenExpired);
    assert!(
        d.summary
            .contains("expired 12 minutes ago — run `flarelink token`"),
        "{}",
        d.summary
    );
    let Observed::Response(r) = &report.checks[1].observed else {
        panic!()
    };
    assert_eq!(r.message.as_deref(), Some("The incoming token has expired"));
}

#[tokio::test]
async fn token_from_another_pool() {
    let report = standard(Some(token(TokenSpec {
        key: other_pool_key(),
        pool: OTHER_POOL_ID,
        ..TokenSpec::default()
    })))
    .await;
    let d = with_token_diagnosis(&report);
    assert_eq!(d.kind, DiagnosisKind::TokenFromAnotherPool, "{report}");
    assert!(d.summary.contains(OTHER_POOL_ID) && d.summary.contains(POOL_ID));
}

#[tokio::test]
async fn token_for_another_client() {
    let report = standard(Some(token(TokenSpec {
        client: "someotherclient",
        ..TokenSpec::default()
    })))
    .await;
    let d = with_token_diagnosis(&report);
    assert_eq!(d.kind, DiagnosisKind::TokenForAnotherClient, "{report}");
    assert!(d.summary.contains("someotherclient"));
}

#[tokio::test]
async fn access_token_instead_of_id_token() {
    let report = standard(Some(token(TokenSpec {
        token_use: "access",
        ..TokenSpec::default()
    })))
    .await;
    let d = with_token_diagnosis(&report);
    assert_eq!(d.kind, DiagnosisKind::AccessTokenNotIdToken, "{report}");
}

#[tokio::test]
async fn unauthorized_with_a_valid_looking_token() {
    // Right iss/aud, not expired, but signed with a key the authorizer does not know.
    let report = standard(Some(token(TokenSpec {
        key: other_pool_key(),
        ..TokenSpec::default()
    })))
    .await;
    let d = with_token_diagnosis(&report);
    assert_eq!(d.kind, DiagnosisKind::TokenRejected, "{report}");
    assert!(d.summary.contains("401 Unauthorized"));
    // Not a JWT at all.
    let report = standard(Some("not-a-jwt".into())).await;
    assert_eq!(
        with_token_diagnosis(&report).kind,
        DiagnosisKind::TokenNotAJwt
    );
}

#[tokio::test]
async fn route_without_authorizer() {
    let ca = Ca::test();
    let server = serve(
        ca.leaf(&[HOST]),
        Behaviour {
            protected: false,
            ..Behaviour::default()
        },
    )
    .await;
    let report = run_checks(&probe(server.addr, &ca.pem, None))
        .await
        .unwrap();
    assert_eq!(kinds(&report), vec![Some(DiagnosisKind::RouteNotProtected)]);
}

#[tokio::test]
async fn hostname_api_gateway_does_not_know() {
    let ca = Ca::test();
    let server = serve(
        ca.leaf(&[HOST]),
        Behaviour {
            known_hosts: vec!["other.example.com".into()],
            ..Behaviour::default()
        },
    )
    .await;
    let report = run_checks(&probe(
        server.addr,
        &ca.pem,
        Some(token(TokenSpec::default())),
    ))
    .await
    .unwrap();
    assert_eq!(
        kinds(&report),
        vec![
            Some(DiagnosisKind::HostnameUnknownToApiGateway),
            Some(DiagnosisKind::HostnameUnknownToApiGateway)
        ],
        "{report}"
    );
    let d = report.checks[0].diagnosis.as_ref().unwrap();
    assert!(d.fix.contains("link-domain") && d.fix.contains("api.flacial.dev"));
}

#[tokio::test]
async fn wrong_route_is_missing_authentication_token() {
    let ca = Ca::test();
    let server = serve(
        ca.leaf(&[HOST]),
        Behaviour {
            route: "/pokemon".into(),
            ..Behaviour::default()
        },
    )
    .await;
    let report = run_checks(&probe(server.addr, &ca.pem, None))
        .await
        .unwrap();
    assert_eq!(kinds(&report), vec![Some(DiagnosisKind::RouteNotFound)]);
}

#[tokio::test]
async fn response_not_through_cloudflare() {
    let ca = Ca::test();
    let server = serve(
        ca.leaf(&[HOST]),
        Behaviour {
            cloudflare: false,
            ..Behaviour::default()
        },
    )
    .await;
    let report = run_checks(&probe(
        server.addr,
        &ca.pem,
        Some(token(TokenSpec::default())),
    ))
    .await
    .unwrap();
    assert_eq!(
        kinds(&report),
        vec![
            Some(DiagnosisKind::NotProxied),
            Some(DiagnosisKind::NotProxied)
        ]
    );
    assert!(report.checks[0]
        .diagnosis
        .as_ref()
        .unwrap()
        .summary
        .contains("not proxied"));
    // When Cloudflare is not required, the same answers pass.
    let mut p = probe(server.addr, &ca.pem, Some(token(TokenSpec::default())));
    p.require_cloudflare = false;
    assert!(run_checks(&p).await.unwrap().ok);
}

#[tokio::test]
async fn certificate_for_the_apex_only() {
    // The guide's second common error, seen from the client: a certificate for example.com
    // served for api.example.com.
    let ca = Ca::test();
    let server = serve(ca.leaf(&["example.com"]), Behaviour::default()).await;
    let report = run_checks(&probe(server.addr, &ca.pem, None))
        .await
        .unwrap();
    assert_eq!(
        kinds(&report),
        vec![Some(DiagnosisKind::TlsNameMismatch)],
        "{report}"
    );
    let Observed::Failure(f) = &report.checks[0].observed else {
        panic!()
    };
    assert_eq!(f.kind, FailureKind::CertificateNameMismatch);
    let cert = f.certificate.as_ref().expect("presented certificate read");
    assert_eq!(cert.dns_names, vec!["example.com".to_string()]);
    assert!(report.checks[0]
        .diagnosis
        .as_ref()
        .unwrap()
        .summary
        .contains("it names example.com"));
}

#[tokio::test]
async fn origin_ca_certificate_seen_by_a_client_means_not_proxied() {
    let trusted = Ca::test();
    let origin_ca = Ca::new(
        "CloudFlare Origin SSL Certificate Authority",
        "CloudFlare, Inc.",
    );
    let server = serve(origin_ca.leaf(&[HOST]), Behaviour::default()).await;
    let report = run_checks(&probe(server.addr, &trusted.pem, None))
        .await
        .unwrap();
    assert_eq!(
        kinds(&report),
        vec![Some(DiagnosisKind::TlsUntrusted)],
        "{report}"
    );
    let d = report.checks[0].diagnosis.as_ref().unwrap();
    assert!(
        d.summary.contains("Origin CA") && d.summary.contains("not proxied"),
        "{d}"
    );
    let Observed::Failure(f) = &report.checks[0].observed else {
        panic!()
    };
    assert_eq!(f.kind, FailureKind::CertificateUnknownIssuer);
}

#[tokio::test]
async fn certificate_from_an_unknown_ca() {
    let trusted = Ca::test();
    let stranger = Ca::new("Intercepting Proxy CA", "Somebody");
    let server = serve(stranger.leaf(&[HOST]), Behaviour::default()).await;
    let report = run_checks(&probe(server.addr, &trusted.pem, None))
        .await
        .unwrap();
    let d = report.checks[0].diagnosis.as_ref().unwrap();
    assert_eq!(d.kind, DiagnosisKind::TlsUntrusted);
    assert!(d.summary.contains("Intercepting Proxy CA"), "{d}");
    assert!(!d.summary.contains("not proxied"));
}

#[tokio::test]
async fn dns_failure() {
    let ca = Ca::test();
    let mut p = probe("127.0.0.1:9".parse().unwrap(), &ca.pem, None);
    p.base_url = "https://nowhere.example.com".into();
    let report = run_checks(&p).await.unwrap();
    assert_eq!(
        kinds(&report),
        vec![Some(DiagnosisKind::DnsFailure)],
        "{report}"
    );
    assert!(report.checks[0]
        .diagnosis
        .as_ref()
        .unwrap()
        .summary
        .contains("nowhere.example.com does not resolve"));
}

#[tokio::test]
async fn connection_refused() {
    let ca = Ca::test();
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let report = run_checks(&probe(addr, &ca.pem, None)).await.unwrap();
    assert_eq!(
        kinds(&report),
        vec![Some(DiagnosisKind::ConnectFailed)],
        "{report}"
    );
}

#[tokio::test]
async fn timeout() {
    let ca = Ca::test();
    let hole = black_hole().await;
    let mut p = probe(hole.addr, &ca.pem, None);
    p.timeout = std::time::Duration::from_millis(400);
    let report = run_checks(&p).await.unwrap();
    assert_eq!(
        kinds(&report),
        vec![Some(DiagnosisKind::Timeout)],
        "{report}"
    );
}

async fn fixed(status: u16, body: &str, token: Option<String>) -> VerifyReport {
    let ca = Ca::test();
    let server = serve(
        ca.leaf(&[HOST]),
        Behaviour {
            fixed: Some((status, body.into())),
            ..Behaviour::default()
        },
    )
    .await;
    run_checks(&probe(server.addr, &ca.pem, token))
        .await
        .unwrap()
}

#[tokio::test]
async fn integration_failure_502() {
    let report = fixed(
        502,
        r#"{"message": "Internal server error"}"#,
        Some(token(TokenSpec::default())),
    )
    .await;
    let d = with_token_diagnosis(&report);
    assert_eq!(d.kind, DiagnosisKind::IntegrationError);
    assert!(d.summary.contains("Internal server error"));
}

#[tokio::test]
async fn integration_timeout_504() {
    let report = fixed(
        504,
        r#"{"message": "Endpoint request timed out"}"#,
        Some(token(TokenSpec::default())),
    )
    .await;
    assert_eq!(
        with_token_diagnosis(&report).kind,
        DiagnosisKind::IntegrationTimeout
    );
}

#[tokio::test]
async fn cloudflare_525_ssl_handshake_failed() {
    let report = fixed(
        525,
        "<title>api.example.com | 525: SSL handshake failed</title>",
        None,
    )
    .await;
    let d = report.checks[0].diagnosis.as_ref().unwrap();
    assert_eq!(d.kind, DiagnosisKind::CloudflareOriginError);
    assert!(
        d.summary.contains("525") && d.fix.contains("link-domain"),
        "{d}"
    );
}

#[tokio::test]
async fn cloudflare_526_invalid_certificate_in_strict_mode() {
    let report = fixed(
        526,
        "<title>api.example.com | 526: Invalid SSL certificate</title>",
        None,
    )
    .await;
    let d = report.checks[0].diagnosis.as_ref().unwrap();
    assert_eq!(d.kind, DiagnosisKind::CloudflareOriginError);
    assert!(d.summary.contains("Full (strict)"), "{d}");
    assert!(
        d.fix.contains("Origin CA") && d.fix.contains("ssl-mode"),
        "{d}"
    );
}

#[tokio::test]
async fn cloudflare_522_connection_timed_out() {
    let report = fixed(522, "<title>522: Connection timed out</title>", None).await;
    let d = report.checks[0].diagnosis.as_ref().unwrap();
    assert_eq!(d.kind, DiagnosisKind::CloudflareOriginError);
    assert!(d.summary.contains("522"));
}

#[tokio::test]
async fn report_serializes_without_the_token() {
    let t = token(TokenSpec::default());
    let report = standard(Some(t.clone())).await;
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(&t));
    assert!(json.contains("\"ok\":true"));
    let text = report.to_string();
    assert!(!text.contains(&t));
    assert!(text.contains("ok   without token"));
}

#[tokio::test]
async fn bad_input_is_refused_before_any_call() {
    let ca = Ca::test();
    let mut p = probe("127.0.0.1:9".parse().unwrap(), &ca.pem, None);
    p.base_url = "http://api.example.com".into();
    assert!(run_checks(&p).await.is_err());
    let mut p = probe("127.0.0.1:9".parse().unwrap(), &ca.pem, None);
    p.route = "ditto".into();
    assert!(run_checks(&p).await.is_err());
    let mut p = probe("127.0.0.1:9".parse().unwrap(), "not pem", None);
    p.extra_root_ca_pem = Some("not pem".into());
    assert!(run_checks(&p).await.is_err());
}
