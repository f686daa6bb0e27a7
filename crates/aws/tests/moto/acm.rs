use std::collections::BTreeMap;

use flarelink_aws::{ErrorKind, SecretPem};
use flarelink_test_support::{boto3, py_str, Moto};

use crate::common::{clients, raw_acm};

/// A self-signed leaf for `host` (CN and SAN) and its key, plus a separate self-signed
/// "chain" certificate.
fn certificate(host: &str) -> (String, SecretPem, String) {
    let self_signed = |name: &str| {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        (params.self_signed(&key).expect("self-signed"), key)
    };
    let (leaf, key) = self_signed(host);
    let (ca, _) = self_signed("ca.flarelink.test");
    (leaf.pem(), SecretPem::new(key.serialize_pem()), ca.pem())
}

pub async fn import_describe_tags_list_delete() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let (cert, key, chain) = certificate("api.example.com");
    let tags = BTreeMap::from([
        (
            "flarelink:hostname".to_string(),
            "api.example.com".to_string(),
        ),
        ("managed-by".to_string(), "flarelink".to_string()),
    ]);

    let arn = aws
        .acm
        .import_certificate(&cert, &key, Some(&chain), &tags)
        .await
        .expect("import");
    assert!(arn.starts_with("arn:aws:acm:us-east-1:"), "{arn}");

    // Read back independently: boto3 sees the tags set in the same call, and the chain.
    let seen = boto3(
        &format!(
            r#"
            acm = client("acm")
            arn = {arn}
            tags = acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]
            got = acm.get_certificate(CertificateArn=arn)
            emit({{"tags": {{t["Key"]: t.get("Value") for t in tags}},
                   "has_chain": bool(got.get("CertificateChain"))}})
            "#,
            arn = py_str(&arn)
        ),
        &moto,
    );
    assert_eq!(seen["tags"]["managed-by"], "flarelink");
    assert_eq!(seen["tags"]["flarelink:hostname"], "api.example.com");
    assert_eq!(seen["has_chain"], true);

    let described = aws
        .acm
        .describe_certificate(&arn)
        .await
        .expect("describe")
        .expect("known certificate");
    assert_eq!(described.arn, arn);
    assert_eq!(described.domain_name.as_deref(), Some("api.example.com"));
    assert!(described
        .subject_alternative_names
        .contains(&"api.example.com".to_string()));
    assert_eq!(described.certificate_type.as_deref(), Some("IMPORTED"));
    assert_eq!(described.status.as_deref(), Some("ISSUED"));
    let (not_before, not_after) = (described.not_before.unwrap(), described.not_after.unwrap());
    assert!(not_before < chrono::Utc::now() && chrono::Utc::now() < not_after);
    assert!(described.key_algorithm.is_some());

    assert_eq!(aws.acm.certificate_tags(&arn).await.expect("tags"), tags);
    assert!(aws
        .acm
        .list_certificate_arns()
        .await
        .expect("list")
        .contains(&arn));

    assert!(aws.acm.delete_certificate(&arn).await.expect("delete"));
    // Gone for an independent client too.
    let raw = raw_acm(&moto);
    let listed = raw.list_certificates().send().await.expect("raw list");
    assert!(listed
        .certificate_summary_list()
        .iter()
        .all(|c| c.certificate_arn() != Some(arn.as_str())));
    assert!(!aws
        .acm
        .delete_certificate(&arn)
        .await
        .expect("delete again"));
    assert_eq!(
        aws.acm.describe_certificate(&arn).await.expect("describe"),
        None
    );
}

pub async fn unknown_certificate() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let arn = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";
    assert_eq!(aws.acm.describe_certificate(arn).await.unwrap(), None);
    assert!(!aws.acm.delete_certificate(arn).await.unwrap());
    let err = aws.acm.certificate_tags(arn).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.operation, "ListTagsForCertificate");
    assert_eq!(err.code.as_deref(), Some("ResourceNotFoundException"));
    assert!(
        err.message.contains(arn),
        "verbatim service message: {}",
        err.message
    );
    assert!(aws.acm.list_certificate_arns().await.unwrap().is_empty());
}

/// RequestCertificate (DNS validation, tags in the call, an idempotency token) and
/// DescribeCertificate's validation records and status, against moto with a 5 s validation
/// wait; read back with boto3.
pub async fn request_describe_validation_and_issue() {
    let moto = Moto::start_with_env(&[("MOTO_ACM_VALIDATION_WAIT", "5")]);
    let aws = clients(&moto).await;
    let tags = BTreeMap::from([
        ("flarelink:managed".to_string(), "true".to_string()),
        (
            "flarelink:hostname".to_string(),
            "api.example.com".to_string(),
        ),
    ]);
    let token = "0123456789abcdef0123456789abcdef";
    let arn = aws
        .acm
        .request_certificate("api.example.com", token, &tags)
        .await
        .expect("request");
    // The same token (a repeat after a lost answer) names the same certificate.
    let again = aws
        .acm
        .request_certificate("api.example.com", token, &tags)
        .await
        .expect("request again");
    assert_eq!(again, arn);
    let other = aws
        .acm
        .request_certificate("api.example.com", "fedcba9876543210", &tags)
        .await
        .expect("request with another token");
    assert_ne!(other, arn);

    let pending = aws
        .acm
        .describe_certificate(&arn)
        .await
        .expect("describe")
        .expect("known");
    assert_eq!(pending.status.as_deref(), Some("PENDING_VALIDATION"));
    assert_eq!(pending.certificate_type.as_deref(), Some("AMAZON_ISSUED"));
    assert_eq!(pending.validation_records.len(), 1);
    let v = &pending.validation_records[0];
    assert_eq!(v.domain_name, "api.example.com");
    let record = v.record.as_ref().expect("a validation record");
    assert_eq!(record.record_type, "CNAME");
    assert_eq!(pending.failure_reason, None);

    let seen = boto3(
        &format!(
            r#"
            acm = client("acm")
            c = acm.describe_certificate(CertificateArn={arn})["Certificate"]
            tags = acm.list_tags_for_certificate(CertificateArn={arn})["Tags"]
            emit({{"type": c["Type"], "status": c["Status"], "domain": c["DomainName"],
                   "method": c["DomainValidationOptions"][0]["ValidationMethod"],
                   "record": c["DomainValidationOptions"][0]["ResourceRecord"],
                   "tags": {{t["Key"]: t.get("Value") for t in tags}}}})
            "#,
            arn = py_str(&arn)
        ),
        &moto,
    );
    assert_eq!(seen["type"], "AMAZON_ISSUED");
    assert_eq!(seen["method"], "DNS");
    assert_eq!(seen["tags"]["flarelink:hostname"], "api.example.com");

    assert_eq!(record.name, seen["record"]["Name"].as_str().unwrap());
    assert_eq!(record.value, seen["record"]["Value"].as_str().unwrap());

    // Issued once moto's wait is over (polled: a loaded machine is slow).
    let mut issued = pending.clone();
    for _ in 0..60 {
        issued = aws
            .acm
            .describe_certificate(&arn)
            .await
            .expect("describe")
            .expect("known");
        if issued.status.as_deref() == Some("ISSUED") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(issued.status.as_deref(), Some("ISSUED"));
    assert_eq!(
        issued.validation_records[0].validation_status.as_deref(),
        Some("SUCCESS")
    );

    // Deleted, then the same token again: a new certificate (moto patched; see the launcher).
    assert!(aws.acm.delete_certificate(&arn).await.expect("delete"));
    let after = aws
        .acm
        .request_certificate("api.example.com", token, &tags)
        .await
        .expect("request after delete");
    assert_ne!(after, arn);
    assert!(aws
        .acm
        .describe_certificate(&after)
        .await
        .unwrap()
        .is_some());
}
