//! `provision`: the guide's Cognito and API setup, read back with boto3.

use serde_json::{json, Value};

use crate::harness::Stack;

/// Everything provision manages, read independently with boto3.
fn provisioned(stack: &Stack) -> Value {
    stack.boto3(
        r#"
idp = client("cognito-idp")
apigw = client("apigateway")
pools = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "APIgatewayUserPool"]
out = {"pools": len(pools)}
if pools:
    pool = idp.describe_user_pool(UserPoolId=pools[0]["Id"])["UserPool"]
    out["pool"] = {
        "id": pool["Id"], "arn": pool["Arn"],
        "self_sign_up": not pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"],
        "auto_verified": pool.get("AutoVerifiedAttributes", []),
        "email_required": any(a["Name"] == "email" and a.get("Required") for a in pool["SchemaAttributes"]),
        "password_policy": pool["Policies"]["PasswordPolicy"],
        "deletion_protection": pool.get("DeletionProtection"),
        "domain": pool.get("Domain"),
    }
    clients = idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]
    out["clients"] = len(clients)
    c = idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=clients[0]["ClientId"])["UserPoolClient"]
    out["client"] = {
        "flows": sorted(c.get("ExplicitAuthFlows", [])),
        "oauth_flows": sorted(c.get("AllowedOAuthFlows", [])),
        "oauth_enabled": c.get("AllowedOAuthFlowsUserPoolClient"),
        "scopes": sorted(c.get("AllowedOAuthScopes", [])),
        "callbacks": c.get("CallbackURLs", []),
        "providers": c.get("SupportedIdentityProviders", []),
        "secret": "ClientSecret" in c,
    }
    d = idp.describe_user_pool_domain(Domain="apigatewayauthonetwothree")["DomainDescription"]
    out["domain_pool"] = d.get("UserPoolId")
apis = [a for a in apigw.get_rest_apis()["items"] if a["name"] == "ditto-api"]
out["apis"] = len(apis)
if apis:
    api = apis[0]
    out["api"] = {"id": api["id"], "types": api["endpointConfiguration"]["types"], "tags": api.get("tags", {})}
    auths = apigw.get_authorizers(restApiId=api["id"])["items"]
    out["authorizers"] = [{"id": a["id"], "type": a["type"], "providers": a.get("providerARNs"), "source": a.get("identitySource")} for a in auths]
    routes = []
    for r in apigw.get_resources(restApiId=api["id"])["items"]:
        for m in (r.get("resourceMethods") or {}):
            method = apigw.get_method(restApiId=api["id"], resourceId=r["id"], httpMethod=m)
            integ = method.get("methodIntegration", {})
            routes.append({"path": r["path"], "method": m, "auth": method.get("authorizationType"),
                           "authorizer": method.get("authorizerId"), "type": integ.get("type"),
                           "uri": integ.get("uri"), "http_method": integ.get("httpMethod")})
    out["routes"] = sorted(routes, key=lambda r: (r["path"], r["method"]))
    deployments = apigw.get_deployments(restApiId=api["id"])["items"]
    out["deployments"] = len(deployments)
    try:
        stage = apigw.get_stage(restApiId=api["id"], stageName="prod")
        out["stage_deployment"] = stage.get("deploymentId")
    except apigw.exceptions.NotFoundException:
        out["stage_deployment"] = None
emit(out)
"#,
    )
}

#[test]
fn provision_builds_the_guides_setup_and_converges() {
    let stack = Stack::start();
    let config = stack.provision_config("", "");

    let dry = stack.flarelink(&config, &["provision", "--dry-run", "--output", "json"]);
    dry.assert_code(0);
    let planned: Vec<String> = dry
        .actions()
        .into_iter()
        .map(|(s, _, a)| format!("{s}:{a}"))
        .collect();
    for want in [
        "user-pool:create",
        "app-client:create",
        "hosted-ui-domain:create",
        "rest-api:create",
        "authorizer:create",
        "route:create",
        "deployment:create",
    ] {
        assert!(
            planned.contains(&want.to_string()),
            "{want} not in {planned:?}"
        );
    }
    let before = provisioned(&stack);
    assert_eq!(before["pools"], 0, "dry-run created a pool");
    assert_eq!(before["apis"], 0, "dry-run created an API");

    let run = stack.flarelink(&config, &["provision", "--output", "json"]);
    run.assert_code(0);
    let summary = &run.json()["report"]["provisioned"];
    let state = provisioned(&stack);
    let pool = &state["pool"];
    assert_eq!(state["pools"], 1);
    assert_eq!(pool["self_sign_up"], true);
    assert_eq!(pool["auto_verified"], json!(["email"]));
    assert_eq!(pool["email_required"], true);
    assert_eq!(pool["password_policy"]["MinimumLength"], 8);
    assert_eq!(pool["deletion_protection"], "INACTIVE");
    assert_eq!(summary["user_pool_id"], pool["id"]);
    let client = &state["client"];
    assert_eq!(state["clients"], 1);
    assert_eq!(
        client["flows"],
        json!(["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"])
    );
    assert_eq!(client["oauth_flows"], json!(["code", "implicit"]));
    assert_eq!(client["oauth_enabled"], true);
    assert_eq!(
        client["scopes"],
        json!([
            "aws.cognito.signin.user.admin",
            "email",
            "openid",
            "phone",
            "profile"
        ])
    );
    assert_eq!(client["callbacks"], json!(["https://example.com"]));
    assert_eq!(client["providers"], json!(["COGNITO"]));
    assert_eq!(client["secret"], false);
    assert_eq!(state["domain_pool"], pool["id"]);

    assert_eq!(state["apis"], 1);
    assert_eq!(state["api"]["types"], json!(["REGIONAL"]));
    assert_eq!(state["api"]["tags"]["flarelink:managed"], "true");
    let authorizers = state["authorizers"].as_array().unwrap();
    assert_eq!(authorizers.len(), 1);
    assert_eq!(authorizers[0]["type"], "COGNITO_USER_POOLS");
    assert_eq!(authorizers[0]["providers"], json!([pool["arn"]]));
    assert_eq!(
        authorizers[0]["source"],
        "method.request.header.Authorization"
    );
    assert_eq!(
        state["routes"],
        json!([{
            "path": "/ditto", "method": "GET", "auth": "COGNITO_USER_POOLS",
            "authorizer": authorizers[0]["id"], "type": "HTTP_PROXY",
            "uri": "https://pokeapi.co/api/v2/pokemon/ditto", "http_method": "GET"
        }])
    );
    assert_eq!(state["deployments"], 1);
    assert!(state["stage_deployment"].is_string());

    // Converged: a second run and a dry-run change nothing.
    let again = stack.flarelink(&config, &["provision", "--output", "json"]);
    again.assert_code(0);
    assert!(
        again.actions().iter().all(|(_, _, a)| a == "exists"),
        "{:?}",
        again.actions()
    );
    assert_eq!(provisioned(&stack), state, "a second run changed something");
    let dry = stack.flarelink(&config, &["provision", "--dry-run", "--output", "json"]);
    assert!(
        dry.actions().iter().all(|(_, _, a)| a == "exists"),
        "{:?}",
        dry.actions()
    );

    // One route changed in the config → exactly that change plus one new deployment.
    let changed = stack.provision_config(
        "[[api.route]]\npath = \"/ditto\"\nmethod = \"GET\"\nupstream = \"https://pokeapi.co/api/v2/pokemon/pikachu\"\nauth = \"cognito\"\n",
        "",
    );
    let run = stack.flarelink(&changed, &["provision", "--output", "json"]);
    run.assert_code(0);
    let writes = run.writes();
    assert_eq!(writes, vec!["route:change", "deployment:create"]);
    let after = provisioned(&stack);
    assert_eq!(after["deployments"], 2);
    assert_eq!(
        after["routes"][0]["uri"],
        "https://pokeapi.co/api/v2/pokemon/pikachu"
    );
    assert_eq!(after["pool"], state["pool"]);
    assert_eq!(after["client"], state["client"]);
}

#[test]
fn provision_refuses_a_domain_prefix_another_pool_holds() {
    let stack = Stack::start();
    stack.boto3(
        r#"
idp = client("cognito-idp")
other = idp.create_user_pool(PoolName="someone-else")["UserPool"]["Id"]
idp.create_user_pool_domain(Domain="apigatewayauthonetwothree", UserPoolId=other)
emit({})
"#,
    );
    let config = stack.provision_config("", "");
    let run = stack.flarelink(&config, &["provision", "--output", "json"]);
    run.assert_code(1);
    let doc = run.json();
    assert_eq!(doc["error"]["kind"], "conflict");
    assert!(
        doc["error"]["message"].as_str().unwrap().contains("taken"),
        "{doc:#}"
    );
    assert!(doc["error"]["hint"]
        .as_str()
        .unwrap()
        .contains("domain_prefix"));
    assert_eq!(provisioned(&stack)["pools"], 0, "nothing was created");
}

#[test]
fn switching_a_routes_auth_updates_the_method_in_place_and_redeploys() {
    let stack = Stack::start();
    let route = |auth: &str| {
        format!("[[api.route]]\npath = \"/ditto\"\nmethod = \"GET\"\nupstream = \"https://pokeapi.co/api/v2/pokemon/ditto\"\nauth = \"{auth}\"\n")
    };
    let guarded = stack.provision_config(&route("cognito"), "");
    stack.flarelink(&guarded, &["provision"]).assert_code(0);
    let before = provisioned(&stack);

    let open = stack.provision_config(&route("none"), "");
    let run = stack.flarelink(&open, &["provision", "--output", "json"]);
    run.assert_code(0);
    let writes = run.writes();
    assert_eq!(writes, vec!["route:change", "deployment:create"]);
    let after = provisioned(&stack);
    assert_eq!(after["routes"][0]["auth"], "NONE");
    assert_eq!(
        after["routes"][0]["uri"], before["routes"][0]["uri"],
        "the integration was kept"
    );
    assert_eq!(after["deployments"], 2);

    // And back (the config file is rewritten: both paths are the stack's config.toml).
    let guarded = stack.provision_config(&route("cognito"), "");
    let run = stack.flarelink(&guarded, &["provision", "--output", "json"]);
    run.assert_code(0);
    let back = provisioned(&stack);
    assert_eq!(back["routes"], before["routes"]);
    assert_eq!(back["deployments"], 3);
}

/// The `/pokemon/{name}` GET's request parameters, method's and integration's, read with boto3;
/// with `strip`, first removes them as a flarelink without path mappings left them.
fn pokemon_parameters(stack: &Stack, strip: bool) -> Value {
    stack.boto3(&format!(
        r#"
apigw = client("apigateway")
api = [a for a in apigw.get_rest_apis()["items"] if a["name"] == "ditto-api"][0]["id"]
res = [r for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/pokemon/{{name}}"][0]["id"]
if {strip}:
    apigw.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="HTTP_PROXY",
                          integrationHttpMethod="GET", uri="https://pokeapi.co/api/v2/pokemon/{{name}}")
    apigw.update_method(restApiId=api, resourceId=res, httpMethod="GET", patchOperations=[
        {{"op": "remove", "path": "/requestParameters/method.request.path.name"}}])
m = apigw.get_method(restApiId=api, resourceId=res, httpMethod="GET")
i = apigw.get_integration(restApiId=api, resourceId=res, httpMethod="GET")
emit({{"method": m.get("requestParameters") or {{}}, "integration": i.get("requestParameters") or {{}}}})
"#,
        strip = if strip { "True" } else { "False" }
    ))
}

#[test]
fn a_path_variable_is_mapped_and_an_unmapped_route_is_remapped_and_redeployed() {
    let stack = Stack::start();
    let config = stack.provision_config(
        "[[api.route]]\npath = \"/pokemon/{name}\"\nmethod = \"GET\"\nupstream = \"https://pokeapi.co/api/v2/pokemon/{name}\"\n",
        "",
    );
    stack.flarelink(&config, &["provision"]).assert_code(0);
    let mapped = json!({
        "method": {"method.request.path.name": true},
        "integration": {"integration.request.path.name": "method.request.path.name"},
    });
    assert_eq!(pokemon_parameters(&stack, false), mapped);

    // As an older flarelink left it: no mapping. The next run restores it and redeploys.
    assert_eq!(
        pokemon_parameters(&stack, true),
        json!({"method": {}, "integration": {}})
    );
    let run = stack.flarelink(&config, &["provision", "--output", "json"]);
    run.assert_code(0);
    assert_eq!(run.writes(), vec!["route:change", "deployment:create"]);
    assert_eq!(pokemon_parameters(&stack, false), mapped);
    assert_eq!(provisioned(&stack)["deployments"], 2);
    let again = stack.flarelink(&config, &["provision", "--output", "json"]);
    assert!(again.writes().is_empty(), "{:?}", again.actions());
}

#[test]
fn a_renamed_route_is_created_and_the_old_method_removed_on_flarelinks_api() {
    let stack = Stack::start();
    let route = |path: &str| {
        format!("[[api.route]]\npath = \"{path}\"\nmethod = \"GET\"\nupstream = \"https://pokeapi.co/api/v2/pokemon/ditto\"\nauth = \"cognito\"\n")
    };
    let config = stack.provision_config(&route("/ditto"), "");
    stack.flarelink(&config, &["provision"]).assert_code(0);

    let config = stack.provision_config(&route("/pokemon/{name}"), "");
    let run = stack.flarelink(&config, &["provision", "--output", "json"]);
    run.assert_code(0);
    let writes = run.writes();
    assert_eq!(
        writes,
        vec!["route:create", "route:delete", "deployment:create"]
    );
    let state = provisioned(&stack);
    let paths: Vec<&str> = state["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["/pokemon/{name}"]);
    let again = stack.flarelink(&config, &["provision", "--output", "json"]);
    assert!(
        again.actions().iter().all(|(_, _, a)| a == "exists"),
        "{:?}",
        again.actions()
    );
}

#[test]
fn provision_dry_run_without_credentials_prints_the_static_plan() {
    let stack = Stack::start();
    let config = stack.provision_config("", "");
    let out = crate::harness::bare_flarelink()
        .arg("--config")
        .arg(&config)
        .args(["provision", "--dry-run"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("[7/7] deployment"), "{stdout}");
    assert!(stdout.contains("Could not check live state"), "{stdout}");
    assert!(stdout.contains("nothing was changed"), "{stdout}");
}

#[test]
fn a_crash_between_routes_and_deployment_is_deployed_by_the_next_run() {
    let stack = Stack::start();
    let config = stack.provision_config("", "");
    let crashed = stack.flarelink_env(
        &config,
        &["provision"],
        &[("FLARELINK_FAULT_AFTER_STEP", "route")],
    );
    crashed.assert_code(1);
    assert!(
        crashed.stderr.contains("stopped after step route"),
        "{}",
        crashed.stderr
    );
    let state = provisioned(&stack);
    assert_eq!(
        state["deployments"], 0,
        "the crash came before the deployment"
    );
    assert_eq!(state["routes"].as_array().unwrap().len(), 1);

    let resumed = stack.flarelink(&config, &["provision", "--output", "json"]);
    resumed.assert_code(0);
    let writes = resumed.writes();
    assert_eq!(
        writes,
        vec!["deployment:create"],
        "only the missing deployment"
    );
    assert_eq!(provisioned(&stack)["deployments"], 1);
    let again = stack.flarelink(&config, &["provision", "--output", "json"]);
    assert!(
        again.actions().iter().all(|(_, _, a)| a == "exists"),
        "{:?}",
        again.actions()
    );
}
