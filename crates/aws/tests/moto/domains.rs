use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use flarelink_aws::{AwsClients, ErrorKind};
use flarelink_test_support::Moto;

use crate::common::{clients, raw_apigateway, recording_observer, settings};
use crate::stub::{Canned, Stub};

const CERT_A: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/aaaaaaaa-1111-2222-3333-444444444444";
const CERT_B: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/bbbbbbbb-1111-2222-3333-444444444444";

pub async fn create_get_delete() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let raw = raw_apigateway(&moto);
    let tags = BTreeMap::from([("managed-by".to_string(), "flarelink".to_string())]);

    assert_eq!(
        aws.apigateway
            .get_domain_name("api.example.com")
            .await
            .unwrap(),
        None
    );

    let created = aws
        .apigateway
        .create_regional_domain_name("api.example.com", CERT_A, &tags)
        .await
        .expect("create");
    assert_eq!(created.name, "api.example.com");
    let target = created
        .regional_domain_name
        .clone()
        .expect("regional domain name");
    assert!(
        target.starts_with("d-") && target.ends_with(".execute-api.us-east-1.amazonaws.com"),
        "{target}"
    );
    assert_eq!(created.regional_certificate_arn.as_deref(), Some(CERT_A));
    assert_eq!(created.endpoint_types, vec!["REGIONAL".to_string()]);
    assert_eq!(created.security_policy.as_deref(), Some("TLS_1_2"));
    assert_eq!(created.tags, tags);
    assert!(created.regional_hosted_zone_id.is_some());

    // What AWS (moto) holds, read with an independent client.
    let stored = raw
        .get_domain_name()
        .domain_name("api.example.com")
        .send()
        .await
        .expect("raw GetDomainName");
    assert_eq!(stored.regional_certificate_arn(), Some(CERT_A));
    assert_eq!(stored.regional_domain_name(), Some(target.as_str()));
    assert_eq!(
        stored.endpoint_configuration().map(|c| c.types().to_vec()),
        Some(vec![aws_sdk_apigateway::types::EndpointType::Regional])
    );
    assert_eq!(
        stored.security_policy(),
        Some(&aws_sdk_apigateway::types::SecurityPolicy::Tls12)
    );
    assert_eq!(
        stored
            .tags()
            .and_then(|t| t.get("managed-by"))
            .map(String::as_str),
        Some("flarelink")
    );

    let got = aws
        .apigateway
        .get_domain_name("api.example.com")
        .await
        .unwrap()
        .expect("exists");
    assert_eq!(got, created);

    assert!(aws
        .apigateway
        .delete_domain_name("api.example.com")
        .await
        .unwrap());
    let gone = raw
        .get_domain_name()
        .domain_name("api.example.com")
        .send()
        .await
        .unwrap_err();
    assert!(gone
        .as_service_error()
        .is_some_and(|e| e.is_not_found_exception()));
    assert!(!aws
        .apigateway
        .delete_domain_name("api.example.com")
        .await
        .unwrap());
    assert_eq!(
        aws.apigateway
            .get_domain_name("api.example.com")
            .await
            .unwrap(),
        None
    );
}

fn domain_json(certificate_arn: &str) -> String {
    serde_json::json!({
        "domainName": "api.example.com",
        "regionalDomainName": "d-abc123.execute-api.us-east-1.amazonaws.com",
        "regionalHostedZoneId": "Z1UJRXOUMOOFQ8",
        "regionalCertificateArn": certificate_arn,
        "endpointConfiguration": {"types": ["REGIONAL"]},
        "securityPolicy": "TLS_1_2",
        "domainNameStatus": "AVAILABLE",
        "tags": {"managed-by": "flarelink"}
    })
    .to_string()
}

fn too_many_requests(retry_after: &str) -> Canned {
    Canned {
        status: 429,
        headers: vec![
            ("x-amzn-ErrorType", "TooManyRequestsException".to_string()),
            ("Retry-After", retry_after.to_string()),
        ],
        body: r#"{"message":"Too Many Requests"}"#.to_string(),
    }
}

/// moto 5.2.5 has no UpdateDomainName, so this runs against a scripted stub: the request shape
/// (a `replace /regionalCertificateArn` patch) and the quota wait on a real 429 + Retry-After.
pub async fn set_certificate_patches_and_waits_out_the_quota() {
    let stub = Stub::start(vec![
        too_many_requests("1"),
        Canned {
            status: 200,
            headers: vec![],
            body: domain_json(CERT_B),
        },
    ]);
    let mut aws = AwsClients::load(&settings(stub.endpoint())).await.unwrap();
    let (observer, notices) = recording_observer();
    aws.set_wait_observer(observer);

    let started = Instant::now();
    let updated = aws
        .apigateway
        .set_domain_certificate("api.example.com", CERT_B)
        .await
        .expect("update after one wait");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(updated.regional_certificate_arn.as_deref(), Some(CERT_B));
    assert_eq!(
        updated.regional_domain_name.as_deref(),
        Some("d-abc123.execute-api.us-east-1.amazonaws.com")
    );

    let requests = stub.requests();
    assert_eq!(
        requests.len(),
        2,
        "the SDK must not retry the 429 itself: {requests:?}"
    );
    for r in &requests {
        assert_eq!(r.method, "PATCH");
        assert_eq!(r.path, "/domainnames/api.example.com");
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"patchOperations": [
                {"op": "replace", "path": "/regionalCertificateArn", "value": CERT_B}
            ]})
        );
    }
    let notices = notices.lock().unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].operation, "UpdateDomainName");
    assert_eq!(notices[0].attempt, 1);
    assert!(notices[0].wait >= Duration::from_secs(1) && notices[0].wait < Duration::from_secs(2));
    assert!(
        notices[0].reason.contains("Retry-After: 1 s"),
        "{}",
        notices[0].reason
    );
}

pub async fn set_certificate_gives_up_after_the_budget() {
    let stub = Stub::start(vec![too_many_requests("1")]);
    let mut s = settings(stub.endpoint());
    s.max_quota_waits = 1;
    let aws = AwsClients::load(&s).await.unwrap();
    let err = aws
        .apigateway
        .set_domain_certificate("api.example.com", CERT_B)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Throttled);
    assert_eq!(err.operation, "UpdateDomainName");
    assert_eq!(err.code.as_deref(), Some("TooManyRequestsException"));
    assert_eq!(err.message, "Too Many Requests");
    assert!(err.hint().unwrap().contains("30 seconds"));
    // One call, one wait, one retry: no SDK retries in between.
    assert_eq!(stub.requests().len(), 2);
}
