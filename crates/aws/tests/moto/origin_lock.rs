//! The origin lock's lower layers against moto: the S3 truststore bucket and object, a custom
//! domain's mutual TLS and ownership-verification certificate, and a REST API's default
//! endpoint switch. Every outcome is read back with boto3.

use std::collections::BTreeMap;

use flarelink_aws::{ErrorKind, Versioning};
use flarelink_test_support::{boto3, py_str, Moto};

use crate::common::{clients, make_deployed_api, raw_apigateway, settings};

const BUCKET: &str = "flarelink-truststore-test";
const KEY: &str = "origin-lock/truststore.pem";

fn ca_pem(name: &str) -> String {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.self_signed(&key).expect("self-signed").pem()
}

/// A self-signed leaf (not a CA) for `host`, CN and SAN, and its key.
fn leaf(host: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(vec![host.to_string()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, host);
    let cert = params.self_signed(&key).expect("self-signed");
    (cert.pem(), key.serialize_pem())
}

pub async fn s3_truststore_bucket_lifecycle() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let s3 = &aws.s3;
    let tags = BTreeMap::from([("managed-by".to_string(), "flarelink".to_string())]);

    assert!(!s3.bucket_exists(BUCKET).await.unwrap());
    s3.create_bucket(BUCKET).await.expect("create");
    s3.put_bucket_tags(BUCKET, &tags).await.expect("tag");
    assert!(s3.bucket_exists(BUCKET).await.unwrap());
    assert_eq!(s3.bucket_tags(BUCKET).await.unwrap(), tags);
    assert_eq!(s3.versioning(BUCKET).await.unwrap(), Versioning::Off);
    s3.enable_versioning(BUCKET).await.expect("versioning");
    assert_eq!(s3.versioning(BUCKET).await.unwrap(), Versioning::Enabled);

    let (one, two) = (ca_pem("client ca one"), ca_pem("client ca two"));
    let v1 = s3
        .put_object(
            BUCKET,
            KEY,
            one.clone().into_bytes(),
            "application/x-pem-file",
        )
        .await
        .expect("put v1")
        .expect("a version id");
    let v2 = s3
        .put_object(
            BUCKET,
            KEY,
            two.clone().into_bytes(),
            "application/x-pem-file",
        )
        .await
        .expect("put v2")
        .expect("a version id");
    assert_ne!(v1, v2);
    let head = s3
        .head_object(BUCKET, KEY, Some(&v1))
        .await
        .unwrap()
        .expect("v1");
    assert_eq!(head.version_id.as_deref(), Some(v1.as_str()));
    assert_eq!(head.size, Some(one.len() as i64));
    let current = s3
        .head_object(BUCKET, KEY, None)
        .await
        .unwrap()
        .expect("current");
    assert_eq!(current.version_id.as_deref(), Some(v2.as_str()));
    assert_eq!(
        s3.get_object(BUCKET, KEY, Some(&v1)).await.unwrap(),
        Some(one.clone().into_bytes())
    );
    assert_eq!(
        s3.get_object(BUCKET, KEY, None).await.unwrap(),
        Some(two.into_bytes())
    );
    assert_eq!(
        s3.head_object(BUCKET, "missing.pem", None).await.unwrap(),
        None
    );
    assert_eq!(
        s3.get_object(BUCKET, "missing.pem", None).await.unwrap(),
        None
    );

    let seen = boto3(
        &format!(
            r#"
            s3 = client("s3")
            b, k, v1 = {b}, {k}, {v1}
            emit({{"tags": {{t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=b)["TagSet"]}},
                   "versioning": s3.get_bucket_versioning(Bucket=b).get("Status"),
                   "v1": s3.get_object(Bucket=b, Key=k, VersionId=v1)["Body"].read().decode(),
                   "versions": sorted(v["VersionId"] for v in s3.list_object_versions(Bucket=b)["Versions"])}})
            "#,
            b = py_str(BUCKET),
            k = py_str(KEY),
            v1 = py_str(&v1)
        ),
        &moto,
    );
    assert_eq!(seen["tags"]["managed-by"], "flarelink");
    assert_eq!(seen["versioning"], "Enabled");
    assert_eq!(seen["v1"], one.as_str());
    let mut both = vec![v1.clone(), v2.clone()];
    both.sort();
    assert_eq!(seen["versions"], serde_json::json!(both));

    // Teardown: every version for good, then the bucket.
    let versions = s3.list_object_versions(BUCKET, "").await.unwrap();
    assert_eq!(versions.len(), 2);
    for v in &versions {
        assert!(!v.delete_marker);
        assert!(s3
            .delete_object_version(BUCKET, &v.key, &v.version_id)
            .await
            .unwrap());
    }
    assert!(s3
        .list_object_versions(BUCKET, "")
        .await
        .unwrap()
        .is_empty());
    assert!(s3.delete_bucket(BUCKET).await.unwrap());
    assert!(!s3.delete_bucket(BUCKET).await.unwrap());
    let gone = boto3(
        &format!(
            r#"
            s3 = client("s3")
            emit({b} in [x["Name"] for x in s3.list_buckets()["Buckets"]])
            "#,
            b = py_str(BUCKET)
        ),
        &moto,
    );
    assert_eq!(gone, serde_json::json!(false));

    // An untagged bucket has no tags (not an error); a missing one is NotFound.
    boto3(
        r#"
        client("s3").create_bucket(Bucket="someone-elses")
        emit(None)
        "#,
        &moto,
    );
    assert!(s3.bucket_tags("someone-elses").await.unwrap().is_empty());
    let err = s3.bucket_tags("no-such-bucket").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err:?}");
}

pub async fn s3_bucket_outside_us_east_1_gets_a_location_constraint() {
    let moto = Moto::start();
    let mut in_ireland = settings(moto.endpoint());
    in_ireland.region = Some("eu-west-1".to_string());
    let aws = flarelink_aws::AwsClients::load(&in_ireland).await.unwrap();
    aws.s3.create_bucket("flarelink-eu").await.expect("create");
    let location = boto3(
        r#"
        emit(client("s3").get_bucket_location(Bucket="flarelink-eu").get("LocationConstraint"))
        "#,
        &moto,
    );
    assert_eq!(location, serde_json::json!("eu-west-1"));
    // Creating it again is refused (our own bucket): the caller looks instead of repeating.
    let err = aws.s3.create_bucket("flarelink-eu").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict, "{err:?}");
}

pub async fn domain_mutual_tls_enable_rotate_disable() {
    let moto = Moto::start_with_env(&[("MOTO_ACM_VALIDATION_WAIT", "0")]);
    let aws = clients(&moto).await;
    let host = "api.lock.example";
    let (cert, key) = leaf(host);
    let ids = boto3(
        &format!(
            r#"
            acm = client("acm")
            imported = acm.import_certificate(Certificate={cert}, PrivateKey={key})["CertificateArn"]
            owners = [acm.request_certificate(DomainName={host})["CertificateArn"] for _ in range(2)]
            for arn in owners:
                acm.describe_certificate(CertificateArn=arn)  # moto issues it here (no wait)
            emit({{"imported": imported, "owners": owners}})
            "#,
            cert = py_str(&cert),
            key = py_str(&key),
            host = py_str(host)
        ),
        &moto,
    );
    let imported = ids["imported"].as_str().unwrap();
    let owner = ids["owners"][0].as_str().unwrap();
    let other_owner = ids["owners"][1].as_str().unwrap();

    let s3 = &aws.s3;
    s3.create_bucket(BUCKET).await.unwrap();
    s3.enable_versioning(BUCKET).await.unwrap();
    let v1 = s3
        .put_object(
            BUCKET,
            KEY,
            ca_pem("client ca").into_bytes(),
            "application/x-pem-file",
        )
        .await
        .unwrap()
        .unwrap();
    let uri = format!("s3://{BUCKET}/{KEY}");
    aws.apigateway
        .create_regional_domain_name(host, imported, &BTreeMap::new())
        .await
        .expect("create domain");
    let plain = aws
        .apigateway
        .get_domain_client_auth(host)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            plain.mutual_tls,
            plain.ownership_verification_certificate_arn
        ),
        (None, None)
    );
    assert_eq!(
        aws.apigateway
            .get_domain_client_auth("nope.example")
            .await
            .unwrap(),
        None
    );

    // An imported serving certificate needs the ownership certificate: refused as AWS does.
    let err = aws
        .apigateway
        .enable_domain_mutual_tls(host, &uri, Some(&v1), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest);
    assert_eq!(err.message, "Missing ownershipVerificationCertificate.");

    let on = aws
        .apigateway
        .enable_domain_mutual_tls(host, &uri, Some(&v1), Some(owner))
        .await
        .expect("enable");
    let mtls = on.mutual_tls.expect("mutual TLS on");
    assert_eq!(mtls.truststore_uri, uri);
    assert_eq!(mtls.truststore_version.as_deref(), Some(v1.as_str()));
    assert!(
        mtls.truststore_warnings.is_empty(),
        "{:?}",
        mtls.truststore_warnings
    );
    assert_eq!(
        on.ownership_verification_certificate_arn.as_deref(),
        Some(owner)
    );
    let read = || {
        boto3(
            &format!(
                r#"
                d = client("apigateway").get_domain_name(domainName={host})
                emit({{"mtls": d.get("mutualTlsAuthentication"),
                       "owner": d.get("ownershipVerificationCertificateArn")}})
                "#,
                host = py_str(host)
            ),
            &moto,
        )
    };
    let seen = read();
    assert_eq!(
        seen["mtls"],
        serde_json::json!({"truststoreUri": uri, "truststoreVersion": v1})
    );
    assert_eq!(seen["owner"], owner);

    // A new version with a non-CA certificate in it: AWS warns, mutual TLS stays on.
    let (stray, _) = leaf("not-a-ca.example");
    let v2 = s3
        .put_object(
            BUCKET,
            KEY,
            format!("{}{stray}", ca_pem("client ca 2")).into_bytes(),
            "application/x-pem-file",
        )
        .await
        .unwrap()
        .unwrap();
    let rotated = aws
        .apigateway
        .set_domain_truststore_version(host, &v2)
        .await
        .expect("rotate");
    let mtls = rotated.mutual_tls.expect("still on");
    assert_eq!(mtls.truststore_version.as_deref(), Some(v2.as_str()));
    assert_eq!(
        mtls.truststore_warnings.len(),
        1,
        "{:?}",
        mtls.truststore_warnings
    );
    assert!(
        mtls.truststore_warnings[0].contains("not-a-ca.example"),
        "{:?}",
        mtls.truststore_warnings
    );
    let seen = read();
    assert_eq!(seen["mtls"]["truststoreVersion"], v2.as_str());
    assert_eq!(
        seen["mtls"]["truststoreWarnings"].as_array().map(Vec::len),
        Some(1)
    );

    let moved = aws
        .apigateway
        .set_domain_ownership_certificate(host, other_owner)
        .await
        .expect("ownership");
    assert_eq!(
        moved.ownership_verification_certificate_arn.as_deref(),
        Some(other_owner)
    );
    assert_eq!(read()["owner"], other_owner);

    let off = aws
        .apigateway
        .disable_domain_mutual_tls(host)
        .await
        .expect("disable");
    assert_eq!(off.mutual_tls, None);
    assert_eq!(read()["mtls"], serde_json::Value::Null);

    // A truststore object that does not exist: refused, and nothing changes.
    let err = aws
        .apigateway
        .enable_domain_mutual_tls(
            host,
            &format!("s3://{BUCKET}/missing.pem"),
            None,
            Some(owner),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadRequest, "{err:?}");
    assert_eq!(read()["mtls"], serde_json::Value::Null);
}

pub async fn rest_api_default_endpoint_switch() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let raw = raw_apigateway(&moto);
    let (api, _) = make_deployed_api(&raw, "lock-default-endpoint", "prod").await;
    assert_eq!(
        aws.apigateway
            .execute_api_endpoint_disabled(&api)
            .await
            .unwrap(),
        Some(false)
    );
    let read = || {
        boto3(
            &format!(
                r#"emit(client("apigateway").get_rest_api(restApiId={api})["disableExecuteApiEndpoint"])"#,
                api = py_str(&api)
            ),
            &moto,
        )
    };
    assert!(aws
        .apigateway
        .set_execute_api_endpoint_disabled(&api, true)
        .await
        .unwrap());
    assert_eq!(read(), serde_json::json!(true));
    assert_eq!(
        aws.apigateway
            .execute_api_endpoint_disabled(&api)
            .await
            .unwrap(),
        Some(true)
    );
    assert!(!aws
        .apigateway
        .set_execute_api_endpoint_disabled(&api, false)
        .await
        .unwrap());
    assert_eq!(read(), serde_json::json!(false));
    assert_eq!(
        aws.apigateway
            .execute_api_endpoint_disabled("zzzzzzzzzz")
            .await
            .unwrap(),
        None
    );
}
