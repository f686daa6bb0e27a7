use flarelink_aws::{RestApi, Stage};
use flarelink_test_support::Moto;

use crate::common::{clients, make_deployed_api, raw_apigateway};

pub async fn list_get_stage() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let raw = raw_apigateway(&moto);

    assert!(aws.apigateway.list_rest_apis().await.unwrap().is_empty());
    let (orders, deployment) = make_deployed_api(&raw, "orders", "prod").await;
    let (users, _) = make_deployed_api(&raw, "users", "dev").await;
    // A second stage on the same deployment.
    raw.create_stage()
        .rest_api_id(&orders)
        .stage_name("canary")
        .deployment_id(&deployment)
        .send()
        .await
        .expect("raw CreateStage");

    let mut apis = aws.apigateway.list_rest_apis().await.unwrap();
    apis.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        apis,
        vec![
            RestApi {
                id: orders.clone(),
                name: "orders".into(),
                endpoint_types: vec!["REGIONAL".into()]
            },
            RestApi {
                id: users.clone(),
                name: "users".into(),
                endpoint_types: vec!["REGIONAL".into()]
            },
        ]
    );
    assert_eq!(
        aws.apigateway.get_rest_api(&orders).await.unwrap(),
        Some(apis[0].clone())
    );
    assert_eq!(
        aws.apigateway.get_rest_api("nope123456").await.unwrap(),
        None
    );

    for stage in ["prod", "canary"] {
        assert_eq!(
            aws.apigateway.get_stage(&orders, stage).await.unwrap(),
            Some(Stage {
                name: stage.into(),
                deployment_id: Some(deployment.clone())
            })
        );
    }
    assert_eq!(
        aws.apigateway.get_stage(&orders, "dev").await.unwrap(),
        None
    );
    assert_eq!(
        aws.apigateway
            .get_stage("nope123456", "prod")
            .await
            .unwrap(),
        None
    );
}
