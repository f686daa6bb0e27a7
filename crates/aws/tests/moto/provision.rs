//! Provisioning the guide's REST API (`/ditto` GET → HTTP proxy to PokeAPI, guarded by a Cognito
//! user-pools authorizer on the Authorization header, deployed to `prod`) through flarelink's
//! functions, read back with boto3.
//!
//! moto 5.2.5 quirks met here (each pinned where a test meets it):
//! * GetResources embeds full methods (with their integration) whatever `embed` says and never
//!   pages; the paging and the GetMethod fallback for unembedded methods run against the stub.
//! * UpdateMethod is not implemented (HTTP 500), and UpdateAuthorizer answers 500 for any
//!   `/providerARNs` patch (`/identitySource` works): those request shapes are proved against
//!   the scripted stub, with AWS-shaped answers.
//! * DeleteMethod of a method that does not exist answers 204 (AWS: NotFound); DeleteRestApi of
//!   an unknown id answers 500 (AWS: NotFound, which the stub plays).
//! * No quota emulation for CreateRestApi/CreateDeployment/DeleteRestApi: the waits run against
//!   the stub's 429 + Retry-After.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use flarelink_aws::{AwsClients, ErrorKind, MethodAuth, AUTHORIZATION_HEADER};
use flarelink_test_support::{boto3, py_str, Moto};
use serde_json::json;

use crate::common::{clients, recording_observer, settings};
use crate::stub::{Canned, Stub};

const POKEAPI: &str = "https://pokeapi.co/api/v2/pokemon/ditto";
const POKEAPI_NAMED: &str = "https://pokeapi.co/api/v2/pokemon/{name}";
const METHOD_NAME: &str = "method.request.path.name";
const INTEGRATION_NAME: &str = "integration.request.path.name";

/// A Cognito user pool made with boto3 (independent of flarelink); returns its ARN.
fn user_pool_arn(moto: &Moto, name: &str) -> String {
    let out = boto3(
        &format!(
            r#"
            pool = client("cognito-idp").create_user_pool(PoolName={name})["UserPool"]
            emit({{"arn": pool["Arn"]}})
            "#,
            name = py_str(name)
        ),
        moto,
    );
    out["arn"].as_str().expect("user pool ARN").to_string()
}

fn flarelink_tags() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("flarelink:managed".to_string(), "true".to_string()),
        ("flarelink:api".to_string(), "ditto-api".to_string()),
    ])
}

/// The root resource's id (every REST API has `/`).
async fn root_id(aws: &AwsClients, api_id: &str) -> String {
    aws.apigateway
        .get_resources(api_id)
        .await
        .expect("get resources")
        .into_iter()
        .find(|r| r.path == "/")
        .expect("root resource")
        .id
}

pub async fn guide_api_step_by_step() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let pool_arn = user_pool_arn(&moto, "APIgatewayUserPool");
    assert!(
        pool_arn.starts_with("arn:aws:cognito-idp:us-east-1:"),
        "{pool_arn}"
    );

    // 1. The REST API, regional, tagged in the same call.
    let api = aws
        .apigateway
        .create_rest_api("ditto-api", Some("the guide's API"), &flarelink_tags())
        .await
        .expect("create REST API");
    assert_eq!(api.name, "ditto-api");
    assert_eq!(api.endpoint_types, vec!["REGIONAL".to_string()]);
    assert_eq!(
        aws.apigateway.get_rest_api_tags(&api.id).await.unwrap(),
        Some(flarelink_tags())
    );
    assert_eq!(
        aws.apigateway.get_rest_api(&api.id).await.unwrap(),
        Some(api.clone())
    );

    // 2. `/ditto` under the root.
    let resources = aws.apigateway.get_resources(&api.id).await.unwrap();
    assert_eq!(resources.len(), 1, "{resources:?}");
    let root = &resources[0];
    assert_eq!(
        (root.path.as_str(), &root.parent_id, &root.path_part),
        ("/", &None, &None)
    );
    assert!(root.methods.is_empty());
    let ditto = aws
        .apigateway
        .create_resource(&api.id, &root.id, "ditto")
        .await
        .expect("create /ditto");
    assert_eq!(ditto.path, "/ditto");
    assert_eq!(ditto.path_part.as_deref(), Some("ditto"));
    assert_eq!(ditto.parent_id.as_deref(), Some(root.id.as_str()));
    assert!(ditto.methods.is_empty());

    // 3. The Cognito authorizer on the Authorization header.
    let authorizer = aws
        .apigateway
        .create_cognito_authorizer(
            &api.id,
            "ApiGatewayAuth",
            std::slice::from_ref(&pool_arn),
            AUTHORIZATION_HEADER,
        )
        .await
        .expect("create authorizer");
    assert_eq!(authorizer.name, "ApiGatewayAuth");
    assert_eq!(authorizer.type_, "COGNITO_USER_POOLS");
    assert_eq!(authorizer.provider_arns, vec![pool_arn.clone()]);
    assert_eq!(
        authorizer.identity_source.as_deref(),
        Some("method.request.header.Authorization")
    );
    assert_eq!(
        aws.apigateway.list_authorizers(&api.id).await.unwrap(),
        vec![authorizer.clone()]
    );

    // 4. GET guarded by it, 5. proxied to PokeAPI.
    let method = aws
        .apigateway
        .put_method(
            &api.id,
            &ditto.id,
            "GET",
            &MethodAuth::cognito(&authorizer.id, vec![]),
            &BTreeMap::new(),
        )
        .await
        .expect("put GET");
    assert_eq!(method.http_method, "GET");
    assert_eq!(method.authorization_type, "COGNITO_USER_POOLS");
    assert_eq!(
        method.authorizer_id.as_deref(),
        Some(authorizer.id.as_str())
    );
    assert!(method.authorization_scopes.is_empty());
    assert!(!method.api_key_required);
    assert_eq!(method.integration, None);
    assert_eq!(
        aws.apigateway
            .get_integration(&api.id, &ditto.id, "GET")
            .await
            .unwrap(),
        None,
        "moto answers {{}} for a method without integration; read as none"
    );

    let integration = aws
        .apigateway
        .put_integration(
            &api.id,
            &ditto.id,
            "GET",
            "HTTP_PROXY",
            "GET",
            POKEAPI,
            &BTreeMap::new(),
        )
        .await
        .expect("put integration");
    assert_eq!(integration.type_, "HTTP_PROXY");
    assert_eq!(integration.http_method.as_deref(), Some("GET"));
    assert_eq!(integration.uri.as_deref(), Some(POKEAPI));
    assert_eq!(
        aws.apigateway
            .get_integration(&api.id, &ditto.id, "GET")
            .await
            .unwrap(),
        Some(integration.clone())
    );

    // Everything as get_resources tells it.
    let resources = aws.apigateway.get_resources(&api.id).await.unwrap();
    let seen = resources
        .iter()
        .find(|r| r.path == "/ditto")
        .expect("/ditto listed");
    let get = &seen.methods["GET"];
    assert_eq!(get.auth(), MethodAuth::cognito(&authorizer.id, vec![]));
    assert_eq!(get.integration.as_ref(), Some(&integration));

    // 6. Deployed to prod.
    let deployment = aws
        .apigateway
        .create_deployment(&api.id, "prod", "flarelink: ditto via Cognito")
        .await
        .expect("create deployment");
    assert!(!deployment.id.is_empty());
    assert_eq!(
        deployment.description.as_deref(),
        Some("flarelink: ditto via Cognito")
    );
    assert!(deployment.created.is_some());
    let stage = aws
        .apigateway
        .get_stage(&api.id, "prod")
        .await
        .unwrap()
        .expect("stage prod");
    assert_eq!(stage.deployment_id.as_deref(), Some(deployment.id.as_str()));
    assert_eq!(
        aws.apigateway
            .get_deployment(&api.id, &deployment.id)
            .await
            .unwrap(),
        Some(deployment.clone())
    );

    // Read everything back independently.
    let held = boto3(
        &format!(
            r#"
            apigw = client("apigateway")
            api_id = {api_id}
            api = apigw.get_rest_api(restApiId=api_id)
            resources = apigw.get_resources(restApiId=api_id)["items"]
            ditto = [r for r in resources if r["path"] == "/ditto"][0]
            method = apigw.get_method(restApiId=api_id, resourceId=ditto["id"], httpMethod="GET")
            integration = apigw.get_integration(
                restApiId=api_id, resourceId=ditto["id"], httpMethod="GET")
            authorizers = apigw.get_authorizers(restApiId=api_id)["items"]
            stage = apigw.get_stage(restApiId=api_id, stageName="prod")
            deployment = apigw.get_deployment(restApiId=api_id, deploymentId=stage["deploymentId"])
            emit({{
                "endpoint_types": api["endpointConfiguration"]["types"],
                "tags": api.get("tags", {{}}),
                "paths": sorted(r["path"] for r in resources),
                "ditto_parent": ditto.get("parentId"),
                "auth_type": method["authorizationType"],
                "authorizer_id": method.get("authorizerId"),
                "authorizers": [{{
                    "id": a["id"], "name": a["name"], "type": a["type"],
                    "providerARNs": a.get("providerARNs"),
                    "identitySource": a.get("identitySource"),
                }} for a in authorizers],
                "integration": {{
                    "type": integration["type"], "uri": integration["uri"],
                    "httpMethod": integration["httpMethod"],
                }},
                "deployment_id": stage["deploymentId"],
                "description": deployment["description"],
            }})
            "#,
            api_id = py_str(&api.id)
        ),
        &moto,
    );
    assert_eq!(held["endpoint_types"], json!(["REGIONAL"]));
    assert_eq!(
        held["tags"],
        json!({"flarelink:managed": "true", "flarelink:api": "ditto-api"})
    );
    assert_eq!(held["paths"], json!(["/", "/ditto"]));
    assert_eq!(held["ditto_parent"], json!(root.id));
    assert_eq!(held["auth_type"], "COGNITO_USER_POOLS");
    assert_eq!(held["authorizer_id"], json!(authorizer.id));
    assert_eq!(
        held["authorizers"],
        json!([{
            "id": authorizer.id, "name": "ApiGatewayAuth", "type": "COGNITO_USER_POOLS",
            "providerARNs": [pool_arn],
            "identitySource": "method.request.header.Authorization",
        }])
    );
    assert_eq!(
        held["integration"],
        json!({"type": "HTTP_PROXY", "uri": POKEAPI, "httpMethod": "GET"})
    );
    assert_eq!(held["deployment_id"], json!(deployment.id));
    assert_eq!(held["description"], "flarelink: ditto via Cognito");
}

pub async fn resources_with_several_methods() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let pool_arn = user_pool_arn(&moto, "pool");
    let api = aws
        .apigateway
        .create_rest_api("several", None, &BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(
        aws.apigateway.get_rest_api_tags(&api.id).await.unwrap(),
        Some(BTreeMap::new())
    );
    let root = root_id(&aws, &api.id).await;
    let ditto = aws
        .apigateway
        .create_resource(&api.id, &root, "ditto")
        .await
        .unwrap();
    let named = aws
        .apigateway
        .create_resource(&api.id, &ditto.id, "{name}")
        .await
        .unwrap();
    assert_eq!(named.path, "/ditto/{name}");
    let authorizer = aws
        .apigateway
        .create_cognito_authorizer(&api.id, "auth", &[pool_arn], AUTHORIZATION_HEADER)
        .await
        .unwrap();
    let cognito = MethodAuth::cognito(&authorizer.id, vec!["email".into()]);

    // `/ditto/{name}` declares its path variable and maps it into the upstream's `{name}`.
    let none = (BTreeMap::new(), BTreeMap::new());
    let name = (
        BTreeMap::from([(METHOD_NAME.to_string(), true)]),
        BTreeMap::from([(INTEGRATION_NAME.to_string(), METHOD_NAME.to_string())]),
    );
    for (resource, verb, auth, integrate, (method_params, integration_params), uri) in [
        (&ditto.id, "GET", &cognito, true, &none, POKEAPI),
        (&ditto.id, "POST", &MethodAuth::none(), true, &none, POKEAPI),
        (
            &ditto.id,
            "DELETE",
            &MethodAuth::none(),
            false,
            &none,
            POKEAPI,
        ),
        (&named.id, "ANY", &cognito, true, &name, POKEAPI_NAMED),
    ] {
        let method = aws
            .apigateway
            .put_method(&api.id, resource, verb, auth, method_params)
            .await
            .unwrap();
        assert_eq!(&method.auth(), auth, "{verb}");
        assert_eq!(&method.request_parameters, method_params, "{verb}");
        if integrate {
            let integration = aws
                .apigateway
                .put_integration(
                    &api.id,
                    resource,
                    verb,
                    "HTTP_PROXY",
                    verb,
                    uri,
                    integration_params,
                )
                .await
                .unwrap();
            assert_eq!(
                &integration.request_parameters, integration_params,
                "{verb}"
            );
        }
    }

    let mut resources = aws.apigateway.get_resources(&api.id).await.unwrap();
    resources.sort_by(|a, b| a.path.cmp(&b.path));
    let paths: Vec<&str> = resources.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/", "/ditto", "/ditto/{name}"]);
    let methods = &resources[1].methods;
    assert_eq!(
        methods.keys().map(String::as_str).collect::<Vec<_>>(),
        ["DELETE", "GET", "POST"]
    );
    assert_eq!(methods["GET"].auth(), cognito);
    assert_eq!(
        methods["GET"].authorization_scopes,
        vec!["email".to_string()]
    );
    assert_eq!(methods["POST"].auth(), MethodAuth::none());
    assert_eq!(
        methods["POST"]
            .integration
            .as_ref()
            .map(|i| (i.type_.as_str(), i.http_method.as_deref())),
        Some(("HTTP_PROXY", Some("POST")))
    );
    assert_eq!(methods["DELETE"].integration, None);
    assert_eq!(
        resources[2].methods["ANY"].authorizer_id.as_deref(),
        Some(authorizer.id.as_str())
    );
    // The path mapping read back: through get_resources, GetIntegration, and boto3.
    assert_eq!(resources[2].methods["ANY"].request_parameters, name.0);
    assert_eq!(
        aws.apigateway
            .get_integration(&api.id, &named.id, "ANY")
            .await
            .unwrap()
            .map(|i| i.request_parameters),
        Some(name.1.clone())
    );
    let stored = |moto: &Moto| {
        boto3(
            &format!(
                r#"
                c = client("apigateway")
                m = c.get_method(restApiId={api}, resourceId={res}, httpMethod="ANY")
                i = c.get_integration(restApiId={api}, resourceId={res}, httpMethod="ANY")
                emit({{"method": m.get("requestParameters"), "integration": i.get("requestParameters"),
                       "uri": i.get("uri")}})
                "#,
                api = py_str(&api.id),
                res = py_str(&named.id)
            ),
            moto,
        )
    };
    assert_eq!(
        stored(&moto),
        json!({
            "method": {METHOD_NAME: true},
            "integration": {INTEGRATION_NAME: METHOD_NAME},
            "uri": POKEAPI_NAMED,
        })
    );
    // UpdateMethod drops and adds the declaration in place (patch `remove`/`add
    // /requestParameters/method.request.path.name`).
    let dropped = aws
        .apigateway
        .update_method_request_parameters(&api.id, &named.id, "ANY", &name.0, &BTreeMap::new())
        .await
        .expect("UpdateMethod remove /requestParameters");
    assert!(dropped.request_parameters.is_empty());
    assert_eq!(stored(&moto)["method"], json!({}));
    let added = aws
        .apigateway
        .update_method_request_parameters(&api.id, &named.id, "ANY", &BTreeMap::new(), &name.0)
        .await
        .expect("UpdateMethod add /requestParameters");
    assert_eq!(added.request_parameters, name.0);
    assert_eq!(stored(&moto)["method"], json!({METHOD_NAME: true}));
    assert_eq!(
        aws.apigateway
            .get_method(&api.id, &ditto.id, "GET")
            .await
            .unwrap()
            .as_ref(),
        Some(&methods["GET"])
    );
    assert_eq!(
        aws.apigateway
            .get_method(&api.id, &ditto.id, "PATCH")
            .await
            .unwrap(),
        None
    );

    // Delete one method: gone, the others stay (boto3 agrees).
    assert!(aws
        .apigateway
        .delete_method(&api.id, &ditto.id, "DELETE")
        .await
        .unwrap());
    let verbs = boto3(
        &format!(
            r#"
            r = client("apigateway").get_resource(restApiId={api}, resourceId={res})
            emit(sorted(r.get("resourceMethods", {{}}).keys()))
            "#,
            api = py_str(&api.id),
            res = py_str(&ditto.id)
        ),
        &moto,
    );
    assert_eq!(verbs, json!(["GET", "POST"]));
    // moto quirk: deleting a method that does not exist answers 204 (AWS: NotFound → false).
    assert!(aws
        .apigateway
        .delete_method(&api.id, &ditto.id, "DELETE")
        .await
        .unwrap());
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

fn ok(status: u16, body: serde_json::Value) -> Canned {
    Canned {
        status,
        headers: vec![],
        body: body.to_string(),
    }
}

fn patch_ops(body: &str) -> Vec<(String, String, String)> {
    let body: serde_json::Value = serde_json::from_str(body).expect("JSON body");
    body["patchOperations"]
        .as_array()
        .expect("patchOperations")
        .iter()
        .map(|p| {
            (
                p["op"].as_str().unwrap_or_default().to_string(),
                p["path"].as_str().unwrap_or_default().to_string(),
                p["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn patch(op: &str, path: &str, value: &str) -> (String, String, String) {
    (op.to_string(), path.to_string(), value.to_string())
}

/// Switching a method from the Cognito authorizer to NONE in place (and back). moto 5.2.5 has
/// no UpdateMethod (its 500 is pinned here), so the patch and the answer run against the stub.
pub async fn switch_method_auth_in_place() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let api = aws
        .apigateway
        .create_rest_api("switch", None, &BTreeMap::new())
        .await
        .unwrap();
    let root = root_id(&aws, &api.id).await;
    let pool_arn = user_pool_arn(&moto, "pool");
    let authorizer = aws
        .apigateway
        .create_cognito_authorizer(&api.id, "auth", &[pool_arn], AUTHORIZATION_HEADER)
        .await
        .unwrap();
    let cognito = MethodAuth::cognito(&authorizer.id, vec![]);
    aws.apigateway
        .put_method(&api.id, &root, "GET", &cognito, &BTreeMap::new())
        .await
        .unwrap();
    // moto 5.2.5 has no UpdateMethod; the project's launcher adds it (scripts/moto_launcher.py).
    let opened = aws
        .apigateway
        .update_method_auth(&api.id, &root, "GET", &cognito, &MethodAuth::none())
        .await
        .expect("UpdateMethod to NONE");
    assert_eq!(opened.authorization_type, "NONE");
    let held = boto3(
        &format!(
            r#"
            m = client("apigateway").get_method(restApiId={api}, resourceId={root}, httpMethod="GET")
            emit({{"type": m.get("authorizationType"), "authorizer": m.get("authorizerId")}})
            "#,
            api = py_str(&api.id),
            root = py_str(&root)
        ),
        &moto,
    );
    assert_eq!(held, json!({"type": "NONE", "authorizer": null}));
    aws.apigateway
        .update_method_auth(&api.id, &root, "GET", &MethodAuth::none(), &cognito)
        .await
        .expect("UpdateMethod back to the authorizer");

    let stub = Stub::start(vec![
        ok(
            200,
            json!({
                "httpMethod": "GET", "authorizationType": "NONE", "apiKeyRequired": false,
                "methodIntegration": {"type": "HTTP_PROXY", "httpMethod": "GET", "uri": POKEAPI,
                                      "passthroughBehavior": "WHEN_NO_MATCH",
                                      "timeoutInMillis": 29000, "connectionType": "INTERNET"}
            }),
        ),
        ok(
            200,
            json!({
                "httpMethod": "GET", "authorizationType": "COGNITO_USER_POOLS",
                "authorizerId": "abc123", "apiKeyRequired": false,
                "methodIntegration": {"type": "HTTP_PROXY", "httpMethod": "GET", "uri": POKEAPI}
            }),
        ),
    ]);
    let aws = AwsClients::load(&settings(stub.endpoint())).await.unwrap();
    let cognito = MethodAuth::cognito("abc123", vec![]);
    let open = aws
        .apigateway
        .update_method_auth("a1b2c3d4e5", "res123", "GET", &cognito, &MethodAuth::none())
        .await
        .expect("switch to NONE");
    assert_eq!(open.auth(), MethodAuth::none());
    let integration = open.integration.expect("integration kept");
    assert_eq!(integration.type_, "HTTP_PROXY");
    assert_eq!(integration.uri.as_deref(), Some(POKEAPI));
    assert_eq!(integration.timeout_in_millis, Some(29000));
    assert_eq!(
        integration.passthrough_behavior.as_deref(),
        Some("WHEN_NO_MATCH")
    );
    assert_eq!(integration.connection_type.as_deref(), Some("INTERNET"));

    let guarded = aws
        .apigateway
        .update_method_auth("a1b2c3d4e5", "res123", "GET", &MethodAuth::none(), &cognito)
        .await
        .expect("switch back to COGNITO_USER_POOLS");
    assert_eq!(guarded.auth(), cognito);

    let requests = stub.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    for r in &requests {
        assert_eq!(r.method, "PATCH");
        assert_eq!(r.path, "/restapis/a1b2c3d4e5/resources/res123/methods/GET");
    }
    assert_eq!(
        patch_ops(&requests[0].body),
        vec![
            patch("replace", "/authorizationType", "NONE"),
            patch("replace", "/authorizerId", ""),
        ]
    );
    assert_eq!(
        patch_ops(&requests[1].body),
        vec![
            patch("replace", "/authorizationType", "COGNITO_USER_POOLS"),
            patch("replace", "/authorizerId", "abc123"),
        ]
    );
}

/// UpdateAuthorizer: the identity source against moto, the provider ARNs against the stub
/// (moto 5.2.5 answers 500 to any `/providerARNs` patch, pinned here).
pub async fn update_authorizer_in_place() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let api = aws
        .apigateway
        .create_rest_api("authz", None, &BTreeMap::new())
        .await
        .unwrap();
    let pool_a = user_pool_arn(&moto, "a");
    let pool_b = user_pool_arn(&moto, "b");
    let created = aws
        .apigateway
        .create_cognito_authorizer(
            &api.id,
            "auth",
            std::slice::from_ref(&pool_a),
            "method.request.header.X-Token",
        )
        .await
        .unwrap();
    let updated = aws
        .apigateway
        .update_authorizer(
            &api.id,
            &created,
            std::slice::from_ref(&pool_a),
            AUTHORIZATION_HEADER,
        )
        .await
        .expect("identity source patch");
    assert_eq!(
        updated.identity_source.as_deref(),
        Some(AUTHORIZATION_HEADER)
    );
    assert_eq!(updated.provider_arns, vec![pool_a.clone()]);
    let held = boto3(
        &format!(
            r#"
            a = client("apigateway").get_authorizer(restApiId={api}, authorizerId={id})
            emit({{"identitySource": a.get("identitySource"), "providerARNs": a.get("providerARNs")}})
            "#,
            api = py_str(&api.id),
            id = py_str(&created.id)
        ),
        &moto,
    );
    assert_eq!(
        held,
        json!({"identitySource": AUTHORIZATION_HEADER, "providerARNs": [pool_a]})
    );
    // moto 5.2.5 cannot patch /providerARNs; the project's launcher adds add/remove.
    let repointed = aws
        .apigateway
        .update_authorizer(
            &api.id,
            &updated,
            std::slice::from_ref(&pool_b),
            AUTHORIZATION_HEADER,
        )
        .await
        .expect("providerARNs patch");
    assert_eq!(repointed.provider_arns, vec![pool_b.clone()]);
    let held = boto3(
        &format!(
            r#"
            a = client("apigateway").get_authorizer(restApiId={api}, authorizerId={id})
            emit(a.get("providerARNs"))
            "#,
            api = py_str(&api.id),
            id = py_str(&created.id)
        ),
        &moto,
    );
    assert_eq!(held, json!([pool_b]));

    let stub = Stub::start(vec![ok(
        200,
        json!({
            "id": "abc123", "name": "auth", "type": "COGNITO_USER_POOLS",
            "providerARNs": [pool_b], "identitySource": AUTHORIZATION_HEADER,
            "authorizerResultTtlInSeconds": 300
        }),
    )]);
    let aws = AwsClients::load(&settings(stub.endpoint())).await.unwrap();
    let mut current = updated.clone();
    current.id = "abc123".into();
    let switched = aws
        .apigateway
        .update_authorizer(
            "a1b2c3d4e5",
            &current,
            std::slice::from_ref(&pool_b),
            AUTHORIZATION_HEADER,
        )
        .await
        .expect("provider ARNs patch");
    assert_eq!(switched.provider_arns, vec![pool_b.clone()]);
    assert_eq!(switched.result_ttl_seconds, Some(300));
    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "PATCH");
    assert_eq!(requests[0].path, "/restapis/a1b2c3d4e5/authorizers/abc123");
    assert_eq!(
        patch_ops(&requests[0].body),
        vec![
            patch("add", "/providerARNs", &pool_b),
            patch("remove", "/providerARNs", &current.provider_arns[0]),
        ]
    );
}

/// GetResources pages, and reads unembedded methods with GetMethod. moto never pages nor
/// leaves methods unembedded, so the stub plays AWS.
pub async fn get_resources_follows_pages_and_reads_bare_methods() {
    let stub = Stub::start(vec![
        ok(
            200,
            json!({"position": "page2", "item": [
                {"id": "root1", "path": "/", "resourceMethods": {"GET": {}}}
            ]}),
        ),
        ok(
            200,
            json!({"httpMethod": "GET", "authorizationType": "NONE", "apiKeyRequired": false}),
        ),
        ok(
            200,
            json!({"item": [
                {"id": "res2", "parentId": "root1", "pathPart": "ditto", "path": "/ditto",
                 "resourceMethods": {"GET": {
                     "httpMethod": "GET", "authorizationType": "COGNITO_USER_POOLS",
                     "authorizerId": "abc123", "apiKeyRequired": false,
                     "methodIntegration": {"type": "HTTP_PROXY", "httpMethod": "GET",
                                           "uri": POKEAPI}}}}
            ]}),
        ),
    ]);
    let aws = AwsClients::load(&settings(stub.endpoint())).await.unwrap();
    let resources = aws.apigateway.get_resources("a1b2c3d4e5").await.unwrap();
    assert_eq!(resources.len(), 2);
    assert_eq!(resources[0].methods["GET"].auth(), MethodAuth::none());
    assert_eq!(resources[0].methods["GET"].integration, None);
    assert_eq!(resources[1].path, "/ditto");
    assert_eq!(
        resources[1].methods["GET"].auth(),
        MethodAuth::cognito("abc123", vec![])
    );
    let requests = stub.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
    assert!(
        paths[0].starts_with("/restapis/a1b2c3d4e5/resources?")
            && paths[0].contains("embed=methods"),
        "{paths:?}"
    );
    assert_eq!(paths[1], "/restapis/a1b2c3d4e5/resources/root1/methods/GET");
    assert!(
        paths[2].contains("position=page2") && paths[2].contains("embed=methods"),
        "{paths:?}"
    );
}

pub async fn delete_rest_api() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let keep = aws
        .apigateway
        .create_rest_api("keep", None, &BTreeMap::new())
        .await
        .unwrap();
    let gone = aws
        .apigateway
        .create_rest_api("gone", None, &flarelink_tags())
        .await
        .unwrap();
    assert!(aws.apigateway.delete_rest_api(&gone.id).await.unwrap());
    assert_eq!(
        aws.apigateway.get_rest_api_tags(&gone.id).await.unwrap(),
        None
    );
    let names = boto3(
        r#"emit(sorted(a["name"] for a in client("apigateway").get_rest_apis()["items"]))"#,
        &moto,
    );
    assert_eq!(names, json!(["keep"]));
    assert!(aws
        .apigateway
        .get_rest_api(&keep.id)
        .await
        .unwrap()
        .is_some());

    // Already gone: AWS answers NotFound (moto 5.2.5 answers 500, so the stub plays AWS).
    let stub = Stub::start(vec![Canned {
        status: 404,
        headers: vec![("x-amzn-ErrorType", "NotFoundException".to_string())],
        body: r#"{"message":"Invalid API identifier specified"}"#.to_string(),
    }]);
    let aws = AwsClients::load(&settings(stub.endpoint())).await.unwrap();
    assert!(!aws.apigateway.delete_rest_api("a1b2c3d4e5").await.unwrap());
    assert_eq!(stub.requests()[0].method, "DELETE");
    assert_eq!(stub.requests()[0].path, "/restapis/a1b2c3d4e5");
}

/// CreateRestApi (1 per 3 s), CreateDeployment (1 per 5 s) and DeleteRestApi (1 per 30 s):
/// a 429 with Retry-After is waited out once, told to the observer, and not retried by the SDK.
pub async fn quota_limited_calls_wait_out_throttles() {
    let stub = Stub::start(vec![
        too_many_requests("1"),
        ok(
            201,
            json!({"id": "a1b2c3d4e5", "name": "ditto-api",
                   "endpointConfiguration": {"types": ["REGIONAL"]}, "rootResourceId": "root1"}),
        ),
        too_many_requests("1"),
        ok(
            201,
            json!({"id": "dep123", "description": "flarelink", "createdDate": 1700000000}),
        ),
        too_many_requests("1"),
        ok(202, json!({})),
    ]);
    let mut aws = AwsClients::load(&settings(stub.endpoint())).await.unwrap();
    let (observer, notices) = recording_observer();
    aws.set_wait_observer(observer);

    let started = Instant::now();
    let api = aws
        .apigateway
        .create_rest_api("ditto-api", None, &flarelink_tags())
        .await
        .expect("create after one wait");
    assert_eq!(api.id, "a1b2c3d4e5");
    assert_eq!(api.endpoint_types, vec!["REGIONAL".to_string()]);
    let deployment = aws
        .apigateway
        .create_deployment("a1b2c3d4e5", "prod", "flarelink")
        .await
        .expect("deploy after one wait");
    assert_eq!(deployment.id, "dep123");
    assert_eq!(
        deployment.created.map(|c| c.timestamp()),
        Some(1_700_000_000)
    );
    assert!(aws
        .apigateway
        .delete_rest_api("a1b2c3d4e5")
        .await
        .expect("delete after one wait"));
    assert!(started.elapsed() >= Duration::from_secs(3));

    let requests = stub.requests();
    let shape: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        shape,
        [
            ("POST", "/restapis"),
            ("POST", "/restapis"),
            ("POST", "/restapis/a1b2c3d4e5/deployments"),
            ("POST", "/restapis/a1b2c3d4e5/deployments"),
            ("DELETE", "/restapis/a1b2c3d4e5"),
            ("DELETE", "/restapis/a1b2c3d4e5"),
        ],
        "one wait and one retry each, no SDK retries of the 429"
    );
    let create: serde_json::Value = serde_json::from_str(&requests[1].body).unwrap();
    assert_eq!(create["name"], "ditto-api");
    assert_eq!(
        create["endpointConfiguration"],
        json!({"types": ["REGIONAL"]})
    );
    assert_eq!(create["tags"]["flarelink:managed"], "true");
    let deploy: serde_json::Value = serde_json::from_str(&requests[3].body).unwrap();
    assert_eq!(
        deploy,
        json!({"stageName": "prod", "description": "flarelink"})
    );

    let notices = notices.lock().unwrap();
    let ops: Vec<&str> = notices.iter().map(|n| n.operation).collect();
    assert_eq!(ops, ["CreateRestApi", "CreateDeployment", "DeleteRestApi"]);
    for n in notices.iter() {
        assert_eq!(n.attempt, 1);
        assert!(n.reason.contains(n.operation), "{}", n.reason);
        assert!(n.reason.contains("Retry-After: 1 s"), "{}", n.reason);
        assert!(n.wait >= Duration::from_secs(1) && n.wait < Duration::from_secs(2));
    }
    assert!(
        notices[0].reason.contains("per 3 s"),
        "{}",
        notices[0].reason
    );
    assert!(
        notices[1].reason.contains("per 5 s"),
        "{}",
        notices[1].reason
    );
    assert!(
        notices[2].reason.contains("per 30 s"),
        "{}",
        notices[2].reason
    );
}

pub async fn quota_budget_spent_is_throttled_with_a_hint() {
    let stub = Stub::start(vec![too_many_requests("1")]);
    let mut s = settings(stub.endpoint());
    s.max_quota_waits = 1;
    let aws = AwsClients::load(&s).await.unwrap();
    let err = aws
        .apigateway
        .create_deployment("a1b2c3d4e5", "prod", "flarelink")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Throttled);
    assert_eq!(err.operation, "CreateDeployment");
    assert_eq!(err.code.as_deref(), Some("TooManyRequestsException"));
    let hint = err.hint().unwrap();
    assert!(
        hint.contains("CreateDeployment") && hint.contains("5 seconds"),
        "{hint}"
    );
    assert_eq!(stub.requests().len(), 2);
}
