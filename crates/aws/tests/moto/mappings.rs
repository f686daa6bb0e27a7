use flarelink_aws::BasePathMapping;
use flarelink_test_support::Moto;

use crate::common::{clients, make_deployed_api, raw_apigateway};

const DOMAIN: &str = "api.example.com";

async fn raw_mappings(raw: &aws_sdk_apigateway::Client) -> Vec<(String, String, String)> {
    let mut all: Vec<_> = raw
        .get_base_path_mappings()
        .domain_name(DOMAIN)
        .send()
        .await
        .expect("raw GetBasePathMappings")
        .items()
        .iter()
        .map(|m| {
            (
                m.base_path().unwrap_or_default().to_string(),
                m.rest_api_id().unwrap_or_default().to_string(),
                m.stage().unwrap_or_default().to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

pub async fn create_list_update_delete() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let raw = raw_apigateway(&moto);
    raw.create_domain_name()
        .domain_name(DOMAIN)
        .regional_certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/x")
        .endpoint_configuration(
            aws_sdk_apigateway::types::EndpointConfiguration::builder()
                .types(aws_sdk_apigateway::types::EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .expect("raw CreateDomainName");
    let (api_a, _) = make_deployed_api(&raw, "a", "prod").await;
    let (api_b, _) = make_deployed_api(&raw, "b", "live").await;

    // A domain that never had a mapping lists empty.
    assert!(aws
        .apigateway
        .list_base_path_mappings(DOMAIN)
        .await
        .unwrap()
        .is_empty());

    // The empty base path: created without `basePath`, reported as "(none)".
    let root = aws
        .apigateway
        .create_base_path_mapping(DOMAIN, "", &api_a, "prod")
        .await
        .expect("create (none)");
    assert_eq!(
        root,
        BasePathMapping {
            base_path: "(none)".into(),
            rest_api_id: api_a.clone(),
            stage: Some("prod".into())
        }
    );
    let v1 = aws
        .apigateway
        .create_base_path_mapping(DOMAIN, "v1", &api_b, "live")
        .await
        .expect("create v1");
    assert_eq!(v1.base_path, "v1");
    assert_eq!(
        raw_mappings(&raw).await,
        vec![
            ("(none)".into(), api_a.clone(), "prod".into()),
            ("v1".into(), api_b.clone(), "live".into()),
        ]
    );

    let mut listed = aws
        .apigateway
        .list_base_path_mappings(DOMAIN)
        .await
        .unwrap();
    listed.sort_by(|a, b| a.base_path.cmp(&b.base_path));
    assert_eq!(listed, vec![root.clone(), v1.clone()]);

    // Re-point the empty base path ("(none)" spelled either way).
    let updated = aws
        .apigateway
        .update_base_path_mapping(DOMAIN, "(none)", &api_b, "live")
        .await
        .expect("update (none)");
    assert_eq!(updated.base_path, "(none)");
    assert_eq!(updated.rest_api_id, api_b);
    assert_eq!(updated.stage.as_deref(), Some("live"));
    assert_eq!(
        raw_mappings(&raw).await,
        vec![
            ("(none)".into(), api_b.clone(), "live".into()),
            ("v1".into(), api_b.clone(), "live".into()),
        ]
    );
    let updated = aws
        .apigateway
        .update_base_path_mapping(DOMAIN, "v1", &api_a, "prod")
        .await
        .expect("update v1");
    assert_eq!(updated.rest_api_id, api_a);

    assert!(aws
        .apigateway
        .delete_base_path_mapping(DOMAIN, "")
        .await
        .unwrap());
    assert!(!aws
        .apigateway
        .delete_base_path_mapping(DOMAIN, "(none)")
        .await
        .unwrap());
    assert_eq!(
        raw_mappings(&raw).await,
        vec![("v1".into(), api_a.clone(), "prod".into())]
    );
    assert!(aws
        .apigateway
        .delete_base_path_mapping(DOMAIN, "/v1")
        .await
        .unwrap());
    assert!(raw_mappings(&raw).await.is_empty());
    assert!(aws
        .apigateway
        .list_base_path_mappings(DOMAIN)
        .await
        .unwrap()
        .is_empty());
}

pub async fn unknown_domain_lists_empty() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    assert!(aws
        .apigateway
        .list_base_path_mappings("nowhere.example.com")
        .await
        .expect("NotFound is an empty list")
        .is_empty());
    assert!(!aws
        .apigateway
        .delete_base_path_mapping("nowhere.example.com", "")
        .await
        .expect("NotFound is already gone"));
}
