//! API Gateway's 1-per-30-s domain-name quota, emulated by the launcher with a 2 s window.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use flarelink_aws::{AwsClients, ErrorKind};
use flarelink_test_support::Moto;

use crate::common::{raw_apigateway, recording_observer, settings};

const CERT: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/aaaaaaaa-1111-2222-3333-444444444444";

fn throttled_moto() -> Moto {
    Moto::start_with_env(&[("FLARELINK_MOTO_DOMAIN_QUOTA_SECONDS", "2")])
}

/// How many requests moto answered 429 (from its request log).
fn throttled_answers(moto: &Moto) -> usize {
    moto.stderr()
        .lines()
        .filter(|l| l.contains("\" 429 "))
        .count()
}

async fn domain_exists(raw: &aws_sdk_apigateway::Client, name: &str) -> bool {
    raw.get_domain_name().domain_name(name).send().await.is_ok()
}

pub async fn second_create_waits_then_succeeds() {
    let moto = throttled_moto();
    let mut aws = AwsClients::load(&settings(moto.endpoint())).await.unwrap();
    let (observer, notices) = recording_observer();
    aws.set_wait_observer(observer);
    let raw = raw_apigateway(&moto);
    let none = BTreeMap::new();

    aws.apigateway
        .create_regional_domain_name("a.example.com", CERT, &none)
        .await
        .expect("first create");
    let started = Instant::now();
    let b = aws
        .apigateway
        .create_regional_domain_name("b.example.com", CERT, &none)
        .await
        .expect("second create, after waiting out the quota");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(b.name, "b.example.com");
    assert!(domain_exists(&raw, "a.example.com").await);
    assert!(domain_exists(&raw, "b.example.com").await);

    {
        let notices = notices.lock().unwrap();
        assert_eq!(notices.len(), 1, "{notices:?}");
        let n = &notices[0];
        assert_eq!(n.operation, "CreateDomainName");
        assert_eq!(n.attempt, 1);
        // moto's Retry-After is the rest of its 2 s window, rounded up: 1 or 2 s, waited as is.
        assert!(
            n.reason.contains("Retry-After: 2 s") || n.reason.contains("Retry-After: 1 s"),
            "{}",
            n.reason
        );
        assert!(n.reason.contains("per 30 s"), "{}", n.reason);
        assert!(
            n.wait >= Duration::from_secs(1) && n.wait < Duration::from_secs(3),
            "{:?}",
            n.wait
        );
    }

    // DeleteDomainName shares the quota, whose window the throttle taught: deleting right away
    // is held back until the window allows it (said, as a wait before sending).
    let started = Instant::now();
    assert!(aws
        .apigateway
        .delete_domain_name("a.example.com")
        .await
        .unwrap());
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(!domain_exists(&raw, "a.example.com").await);
    let notices = notices.lock().unwrap();
    assert_eq!(notices[1].operation, "DeleteDomainName");
    assert_eq!(notices[1].attempt, 0, "{notices:?}");
    assert!(
        notices[1].reason.contains("window"),
        "{}",
        notices[1].reason
    );
    // Exactly one throttled answer per retry: the SDK never retried a 429 on its own. (A
    // window learned from a Retry-After of 1 s is too short for moto's 2 s and costs the
    // delete one refusal; one of 2 s costs none.)
    let retries = notices.iter().filter(|n| n.attempt > 0).count();
    assert!(retries <= 2, "{notices:?}");
    assert_eq!(throttled_answers(&moto), retries, "{}", moto.stderr());
}

pub async fn no_budget_is_throttled_without_sdk_retries() {
    let moto = throttled_moto();
    let mut s = settings(moto.endpoint());
    s.max_quota_waits = 0;
    s.max_attempts = 3;
    let mut aws = AwsClients::load(&s).await.unwrap();
    let (observer, notices) = recording_observer();
    aws.set_wait_observer(observer);
    let raw = raw_apigateway(&moto);
    let none = BTreeMap::new();

    aws.apigateway
        .create_regional_domain_name("a.example.com", CERT, &none)
        .await
        .expect("first create");
    let started = Instant::now();
    let err = aws
        .apigateway
        .create_regional_domain_name("b.example.com", CERT, &none)
        .await
        .unwrap_err();
    // No quota wait (that would be 1-3 s); the 429 count below proves no SDK retry either.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.kind, ErrorKind::Throttled);
    assert_eq!(err.operation, "CreateDomainName");
    assert_eq!(err.code.as_deref(), Some("TooManyRequestsException"));
    assert!(
        err.message.contains("Too Many Requests"),
        "verbatim: {}",
        err.message
    );
    assert!(err.hint().unwrap().contains("30 seconds"));
    assert!(notices.lock().unwrap().is_empty());
    assert!(!domain_exists(&raw, "b.example.com").await);
    assert_eq!(throttled_answers(&moto), 1, "{}", moto.stderr());
}
