//! Cognito user pools against moto, read back independently with boto3.

use std::collections::BTreeMap;
use std::time::Duration;

use flarelink_aws::cognito::{AppClientSpec, AuthOutcome, PasswordPolicy, Tokens, UserPoolSpec};
use flarelink_aws::{AwsClients, ErrorKind, Secret};
use flarelink_test_support::{boto3, py_str, Moto};

use crate::common::clients;

const PASSWORD: &str = "Superd3d$";

fn spec(name: &str) -> UserPoolSpec {
    let mut spec = UserPoolSpec::guide_defaults(name);
    spec.password_policy = PasswordPolicy {
        min_length: 9,
        require_uppercase: true,
        require_lowercase: true,
        require_numbers: true,
        require_symbols: false,
        temporary_password_validity_days: 3,
    };
    spec.tags = BTreeMap::from([("flarelink:managed".to_string(), "true".to_string())]);
    spec
}

/// The JSON payload of a JWT (base64url, no padding), decoded without any library.
fn jwt_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut bytes = Vec::new();
    for c in payload.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => panic!("not base64url: {c}"),
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            bytes.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    serde_json::from_slice(&bytes).expect("JWT payload is JSON")
}

fn tokens(outcome: AuthOutcome) -> Tokens {
    match outcome {
        AuthOutcome::Tokens(t) => t,
        other => panic!("expected tokens, got {other:?}"),
    }
}

/// A pool and a client allowing USER_PASSWORD_AUTH and SRP, made through flarelink.
async fn pool_and_client(aws: &AwsClients) -> (String, String) {
    let pool = aws
        .cognito
        .create_user_pool(&spec("auth-pool"))
        .await
        .expect("create pool");
    let mut client_spec = AppClientSpec::new("cli", Vec::new());
    client_spec
        .explicit_auth_flows
        .push("ALLOW_USER_PASSWORD_AUTH".to_string());
    let client = aws
        .cognito
        .create_client(&pool.id, &client_spec)
        .await
        .expect("create client");
    (pool.id, client.id)
}

pub async fn pool_create_read_back_and_find() {
    let moto = Moto::start();
    let aws = clients(&moto).await;

    assert_eq!(
        aws.cognito.find_user_pool_by_name("ditto").await.unwrap(),
        None
    );
    assert_eq!(
        aws.cognito
            .describe_user_pool("us-east-1_doesnotexist")
            .await
            .unwrap(),
        None
    );

    let created = aws
        .cognito
        .create_user_pool(&spec("ditto"))
        .await
        .expect("create");
    assert!(created.id.starts_with("us-east-1_"), "{}", created.id);
    assert_eq!(created.name, "ditto");
    assert!(created.self_sign_up);
    assert_eq!(created.auto_verified_attributes, vec!["email".to_string()]);
    assert_eq!(created.required_attributes, vec!["email".to_string()]);
    assert!(created.username_attributes.is_empty());
    assert_eq!(created.password_policy, Some(spec("x").password_policy));
    assert!(created.deletion_protection);
    assert_eq!(created.domain, None);
    assert_eq!(created.tags, spec("x").tags);

    // Every setting as an independent client sees it.
    let seen = boto3(
        &format!(
            r#"
            p = client("cognito-idp").describe_user_pool(UserPoolId={id})["UserPool"]
            emit({{
                "name": p["Name"],
                "arn": p["Arn"],
                "admin_only": p["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"],
                "auto_verified": p.get("AutoVerifiedAttributes"),
                "required": sorted(a["Name"] for a in p["SchemaAttributes"] if a.get("Required")),
                "email_mutable": [a.get("Mutable") for a in p["SchemaAttributes"] if a["Name"] == "email"],
                "username_attributes": p.get("UsernameAttributes", []),
                "case_sensitive": p.get("UsernameConfiguration", {{}}).get("CaseSensitive"),
                "password": p["Policies"]["PasswordPolicy"],
                "deletion_protection": p.get("DeletionProtection"),
                "recovery": p.get("AccountRecoverySetting"),
                "tags": p.get("UserPoolTags"),
            }})
            "#,
            id = py_str(&created.id)
        ),
        &moto,
    );
    assert_eq!(seen["name"], "ditto");
    assert_eq!(seen["arn"].as_str(), created.arn.as_deref());
    assert_eq!(seen["admin_only"], false);
    assert_eq!(seen["auto_verified"], serde_json::json!(["email"]));
    assert_eq!(seen["required"], serde_json::json!(["email"]));
    assert_eq!(seen["email_mutable"], serde_json::json!([true]));
    assert_eq!(seen["username_attributes"], serde_json::json!([]));
    assert_eq!(seen["case_sensitive"], false);
    assert_eq!(
        seen["password"],
        serde_json::json!({
            "MinimumLength": 9,
            "RequireUppercase": true,
            "RequireLowercase": true,
            "RequireNumbers": true,
            "RequireSymbols": false,
            "TemporaryPasswordValidityDays": 3,
        })
    );
    assert_eq!(seen["deletion_protection"], "ACTIVE");
    assert_eq!(
        seen["recovery"],
        serde_json::json!({"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]})
    );
    assert_eq!(
        seen["tags"],
        serde_json::json!({"flarelink:managed": "true"})
    );

    let described = aws
        .cognito
        .describe_user_pool(&created.id)
        .await
        .unwrap()
        .expect("exists");
    assert_eq!(described, created);
    assert_eq!(
        aws.cognito.find_user_pool_by_name("ditto").await.unwrap(),
        Some(created.clone())
    );
    let named = aws.cognito.list_user_pools_named("ditto").await.unwrap();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].id, created.id);
    assert!(named[0].creation_date.is_some());
}

pub async fn pool_listing_pages_and_refuses_ambiguous_names() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    // 62 others first, so the twins sit beyond ListUserPools' first page of 60.
    let ids = boto3(
        r#"
        idp = client("cognito-idp")
        for i in range(62):
            idp.create_user_pool(PoolName=f"filler-{i}")
        emit([idp.create_user_pool(PoolName="twin")["UserPool"]["Id"] for _ in range(2)])
        "#,
        &moto,
    );
    let twins = aws.cognito.list_user_pools_named("twin").await.unwrap();
    let mut found: Vec<&str> = twins.iter().map(|p| p.id.as_str()).collect();
    found.sort();
    let mut expected: Vec<&str> = ids
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    expected.sort();
    assert_eq!(found, expected);

    let err = aws
        .cognito
        .find_user_pool_by_name("twin")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict);
    assert_eq!(err.operation, "ListUserPools");
    for id in expected {
        assert!(err.message.contains(id), "{}", err.message);
    }
    assert!(aws
        .cognito
        .find_user_pool_by_name("filler-61")
        .await
        .unwrap()
        .is_some());
}

pub async fn pool_update_keeps_unmanaged_settings() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    // A pool someone configured beyond what flarelink manages.
    let id = boto3(
        r#"
        p = client("cognito-idp").create_user_pool(
            PoolName="ditto",
            AutoVerifiedAttributes=["email"],
            LambdaConfig={"PreSignUp": "arn:aws:lambda:us-east-1:123456789012:function:pre"},
            VerificationMessageTemplate={
                "DefaultEmailOption": "CONFIRM_WITH_CODE",
                "EmailMessage": "Your ditto code is {####}",
                "EmailSubject": "Ditto code",
                "SmsMessage": "Ditto {####}",
            },
            SmsAuthenticationMessage="Ditto MFA {####}",
            DeviceConfiguration={"ChallengeRequiredOnNewDevice": True,
                                 "DeviceOnlyRememberedOnUserPrompt": False},
            UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
            AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "admin_only", "Priority": 1}]},
            AdminCreateUserConfig={
                "AllowAdminCreateUserOnly": False,
                "InviteMessageTemplate": {"EmailMessage": "Hi {username}, {####}", "EmailSubject": "Welcome"},
            },
            UserPoolTags={"owner": "team-a", "flarelink:managed": "old"},
        )
        emit(p["UserPool"]["Id"])
        "#,
        &moto,
    );
    let id = id.as_str().unwrap().to_string();

    // Same name: moto 5.2.5 ignores PoolName in UpdateUserPool (AWS renames).
    let mut new_spec = spec("ditto");
    new_spec.self_sign_up = false;
    new_spec.deletion_protection = false;
    new_spec.password_policy.min_length = 12;
    new_spec.password_policy.require_symbols = true;
    aws.cognito
        .update_user_pool(&id, &new_spec)
        .await
        .expect("update");

    let read_back = r#"
        p = client("cognito-idp").describe_user_pool(UserPoolId=ID)["UserPool"]
        emit({
            "name": p["Name"],
            "admin_only": p["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"],
            "invite": p["AdminCreateUserConfig"].get("InviteMessageTemplate"),
            "password": p["Policies"]["PasswordPolicy"],
            "deletion_protection": p.get("DeletionProtection"),
            "lambda": p.get("LambdaConfig"),
            "template": p.get("VerificationMessageTemplate"),
            "sms_auth": p.get("SmsAuthenticationMessage"),
            "device": p.get("DeviceConfiguration"),
            "attribute_updates": p.get("UserAttributeUpdateSettings"),
            "recovery": p.get("AccountRecoverySetting"),
            "tags": p.get("UserPoolTags"),
            "auto_verified": p.get("AutoVerifiedAttributes"),
        })
    "#
    .replace("ID", &py_str(&id));
    let seen = boto3(&read_back, &moto);
    // Managed: as the spec says.
    assert_eq!(seen["name"], "ditto");
    assert_eq!(seen["admin_only"], true);
    assert_eq!(seen["password"]["MinimumLength"], 12);
    assert_eq!(seen["password"]["RequireSymbols"], true);
    assert_eq!(seen["password"]["TemporaryPasswordValidityDays"], 3);
    assert_eq!(seen["deletion_protection"], "INACTIVE");
    assert_eq!(seen["auto_verified"], serde_json::json!(["email"]));
    // Tags: the spec's merged over the others.
    assert_eq!(
        seen["tags"],
        serde_json::json!({"owner": "team-a", "flarelink:managed": "true"})
    );
    // Unmanaged: untouched.
    assert_eq!(
        seen["lambda"],
        serde_json::json!({"PreSignUp": "arn:aws:lambda:us-east-1:123456789012:function:pre"})
    );
    assert_eq!(
        seen["template"]["EmailMessage"],
        "Your ditto code is {####}"
    );
    assert_eq!(seen["template"]["EmailSubject"], "Ditto code");
    assert_eq!(seen["template"]["SmsMessage"], "Ditto {####}");
    assert_eq!(seen["sms_auth"], "Ditto MFA {####}");
    assert_eq!(
        seen["device"],
        // The Rust SDK always writes this struct's booleans, so both appear.
        serde_json::json!({"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": false})
    );
    assert_eq!(
        seen["attribute_updates"],
        serde_json::json!({"AttributesRequireVerificationBeforeUpdate": ["email"]})
    );
    assert_eq!(
        seen["recovery"],
        serde_json::json!({"RecoveryMechanisms": [{"Name": "admin_only", "Priority": 1}]})
    );
    assert_eq!(
        seen["invite"],
        serde_json::json!({"EmailMessage": "Hi {username}, {####}", "EmailSubject": "Welcome"})
    );

    let pool = aws
        .cognito
        .describe_user_pool(&id)
        .await
        .unwrap()
        .expect("exists");
    assert!(!pool.self_sign_up);
    assert!(!pool.deletion_protection);
    assert_eq!(pool.password_policy.unwrap().min_length, 12);

    // The control: a bare UpdateUserPool does reset what it omits (in moto as in AWS), so the
    // assertions above would have caught a careless update.
    let reset = boto3(
        &r#"
        idp = client("cognito-idp")
        idp.update_user_pool(UserPoolId=ID, SmsAuthenticationMessage="x {####}")
        emit(idp.describe_user_pool(UserPoolId=ID)["UserPool"].get("LambdaConfig"))
        "#
        .replace("ID", &py_str(&id)),
        &moto,
    );
    assert!(
        reset.is_null() || reset == serde_json::json!({}),
        "moto kept LambdaConfig after a bare update: {reset}"
    );
}

pub async fn client_create_update_read_back() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let pool = aws
        .cognito
        .create_user_pool(&spec("ditto"))
        .await
        .expect("pool");

    assert!(aws.cognito.list_clients(&pool.id).await.unwrap().is_empty());
    assert_eq!(
        aws.cognito
            .describe_client(&pool.id, "nosuchclient")
            .await
            .unwrap(),
        None
    );

    let mut client_spec = AppClientSpec::new(
        "APIgatewayUserPoolClient",
        vec!["https://example.com/callback".to_string()],
    );
    client_spec.logout_urls = vec!["https://example.com/".to_string()];
    client_spec.token_validity.access_token = Some(Duration::from_secs(30 * 60));
    client_spec.token_validity.id_token = Some(Duration::from_secs(2 * 3600));
    client_spec.token_validity.refresh_token = Some(Duration::from_secs(10 * 86_400));
    let created = aws
        .cognito
        .create_client(&pool.id, &client_spec)
        .await
        .expect("create client");
    assert_eq!(created.name, "APIgatewayUserPoolClient");
    assert_eq!(created.user_pool_id, pool.id);
    assert!(!created.has_secret);
    assert_eq!(
        created.explicit_auth_flows,
        vec!["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    );
    assert_eq!(created.allowed_oauth_flows, vec!["code"]);
    assert!(created.allowed_oauth_flows_user_pool_client);
    assert_eq!(
        created.allowed_oauth_scopes,
        vec!["openid", "email", "profile"]
    );
    assert_eq!(created.callback_urls, vec!["https://example.com/callback"]);
    assert_eq!(created.logout_urls, vec!["https://example.com/"]);
    assert_eq!(created.supported_identity_providers, vec!["COGNITO"]);
    assert_eq!(created.token_validity, client_spec.token_validity);
    assert_eq!(
        created.prevent_user_existence_errors.as_deref(),
        Some("ENABLED")
    );

    let seen = boto3(
        &format!(
            r#"
            c = client("cognito-idp").describe_user_pool_client(UserPoolId={pool}, ClientId={id})["UserPoolClient"]
            emit({{k: c.get(k) for k in [
                "ClientName", "ClientSecret", "ExplicitAuthFlows", "AllowedOAuthFlows",
                "AllowedOAuthFlowsUserPoolClient", "AllowedOAuthScopes", "CallbackURLs",
                "LogoutURLs", "SupportedIdentityProviders", "AccessTokenValidity",
                "IdTokenValidity", "RefreshTokenValidity", "TokenValidityUnits",
                "PreventUserExistenceErrors", "EnableTokenRevocation"]}})
            "#,
            pool = py_str(&pool.id),
            id = py_str(&created.id)
        ),
        &moto,
    );
    assert_eq!(
        seen,
        serde_json::json!({
            "ClientName": "APIgatewayUserPoolClient",
            "ClientSecret": null,
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthFlowsUserPoolClient": true,
            "AllowedOAuthScopes": ["openid", "email", "profile"],
            "CallbackURLs": ["https://example.com/callback"],
            "LogoutURLs": ["https://example.com/"],
            "SupportedIdentityProviders": ["COGNITO"],
            "AccessTokenValidity": 30,
            "IdTokenValidity": 2,
            "RefreshTokenValidity": 10,
            "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "days"},
            "PreventUserExistenceErrors": "ENABLED",
            "EnableTokenRevocation": true,
        })
    );

    // Someone adds settings flarelink does not manage.
    boto3(
        &format!(
            r#"
            client("cognito-idp").update_user_pool_client(
                UserPoolId={pool}, ClientId={id},
                ReadAttributes=["email", "email_verified"], AuthSessionValidity=7)
            emit(None)
            "#,
            pool = py_str(&pool.id),
            id = py_str(&created.id)
        ),
        &moto,
    );

    let mut changed = client_spec.clone();
    changed.name = "renamed".to_string();
    changed
        .explicit_auth_flows
        .push("ALLOW_USER_PASSWORD_AUTH".to_string());
    changed.allowed_oauth_flows = vec!["code".to_string(), "implicit".to_string()];
    changed.allowed_oauth_scopes = vec![
        "openid".to_string(),
        "aws.cognito.signin.user.admin".to_string(),
    ];
    changed.callback_urls = vec!["https://api.example.com/cb".to_string()];
    changed.token_validity.refresh_token = None; // keep the client's 10 days
    changed.token_validity.access_token = Some(Duration::from_secs(3600));
    let updated = aws
        .cognito
        .update_client(&pool.id, &created.id, &changed)
        .await
        .expect("update client");
    assert_eq!(updated.name, "renamed");
    assert_eq!(
        updated.explicit_auth_flows,
        vec![
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_USER_PASSWORD_AUTH"
        ]
    );
    assert_eq!(updated.allowed_oauth_flows, vec!["code", "implicit"]);
    assert_eq!(
        updated.allowed_oauth_scopes,
        vec!["openid", "aws.cognito.signin.user.admin"]
    );
    assert_eq!(updated.callback_urls, vec!["https://api.example.com/cb"]);
    assert_eq!(
        updated.token_validity.refresh_token,
        Some(Duration::from_secs(10 * 86_400))
    );
    assert_eq!(
        updated.token_validity.access_token,
        Some(Duration::from_secs(3600))
    );

    let seen = boto3(
        &format!(
            r#"
            c = client("cognito-idp").describe_user_pool_client(UserPoolId={pool}, ClientId={id})["UserPoolClient"]
            emit({{k: c.get(k) for k in ["ClientName", "CallbackURLs", "ReadAttributes",
                "AuthSessionValidity", "RefreshTokenValidity", "AccessTokenValidity",
                "TokenValidityUnits", "PreventUserExistenceErrors"]}})
            "#,
            pool = py_str(&pool.id),
            id = py_str(&created.id)
        ),
        &moto,
    );
    assert_eq!(seen["ClientName"], "renamed");
    assert_eq!(
        seen["CallbackURLs"],
        serde_json::json!(["https://api.example.com/cb"])
    );
    assert_eq!(
        seen["ReadAttributes"],
        serde_json::json!(["email", "email_verified"])
    );
    assert_eq!(seen["AuthSessionValidity"], 7);
    assert_eq!(seen["RefreshTokenValidity"], 10);
    assert_eq!(seen["AccessTokenValidity"], 1);
    assert_eq!(seen["TokenValidityUnits"]["AccessToken"], "hours");
    assert_eq!(seen["PreventUserExistenceErrors"], "ENABLED");

    let listed = aws.cognito.list_clients(&pool.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, created.id);
    assert_eq!(listed[0].name, "renamed");
    assert_eq!(
        aws.cognito
            .describe_client(&pool.id, &created.id)
            .await
            .unwrap(),
        Some(updated)
    );
}

pub async fn domain_create_describe_owner_delete() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let mine = aws
        .cognito
        .create_user_pool(&spec("mine"))
        .await
        .expect("pool");

    assert_eq!(
        aws.cognito
            .describe_domain("apigatewayauthonetwothree")
            .await
            .unwrap(),
        None
    );
    aws.cognito
        .create_domain("apigatewayauthonetwothree", &mine.id)
        .await
        .expect("create domain");
    let domain = aws
        .cognito
        .describe_domain("apigatewayauthonetwothree")
        .await
        .unwrap()
        .expect("exists");
    assert_eq!(domain.prefix, "apigatewayauthonetwothree");
    assert_eq!(domain.user_pool_id, mine.id);
    assert_eq!(domain.status.as_deref(), Some("ACTIVE"));
    assert!(domain.cloudfront_distribution.is_some());
    let pool = aws
        .cognito
        .describe_user_pool(&mine.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pool.domain.as_deref(), Some("apigatewayauthonetwothree"));
    let seen = boto3(
        r#"emit(client("cognito-idp").describe_user_pool_domain(Domain="apigatewayauthonetwothree")["DomainDescription"]["UserPoolId"])"#,
        &moto,
    );
    assert_eq!(seen.as_str(), Some(mine.id.as_str()));

    // A prefix another pool holds: the caller sees which pool.
    let other = boto3(
        r#"
        idp = client("cognito-idp")
        other = idp.create_user_pool(PoolName="someone-else")["UserPool"]["Id"]
        idp.create_user_pool_domain(Domain="taken-prefix", UserPoolId=other)
        emit(other)
        "#,
        &moto,
    );
    let taken = aws
        .cognito
        .describe_domain("taken-prefix")
        .await
        .unwrap()
        .expect("taken");
    assert_eq!(Some(taken.user_pool_id.as_str()), other.as_str());
    assert_ne!(taken.user_pool_id, mine.id);

    assert!(aws
        .cognito
        .delete_domain("apigatewayauthonetwothree", &mine.id)
        .await
        .expect("delete"));
    assert_eq!(
        aws.cognito
            .describe_domain("apigatewayauthonetwothree")
            .await
            .unwrap(),
        None
    );
    assert!(!aws
        .cognito
        .delete_domain("apigatewayauthonetwothree", &mine.id)
        .await
        .expect("delete again"));
}

pub async fn users_admin_lifecycle_and_sign_up() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let (pool, client) = pool_and_client(&aws).await;
    let temporary = Secret::new("Tempor4ry!");

    let created = aws
        .cognito
        .admin_create_user(
            &pool,
            "superdude",
            "superdude@example.com",
            Some(&temporary),
            true,
        )
        .await
        .expect("create user");
    assert_eq!(created.username, "superdude");
    assert_eq!(created.status.as_deref(), Some("FORCE_CHANGE_PASSWORD"));
    assert!(created.enabled);
    assert_eq!(created.email.as_deref(), Some("superdude@example.com"));
    assert!(created.email_verified);

    let seen = boto3(
        &format!(
            r#"
            u = client("cognito-idp").admin_get_user(UserPoolId={pool}, Username="superdude")
            emit({{"status": u["UserStatus"], "attrs": {{a["Name"]: a["Value"] for a in u["UserAttributes"]}}}})
            "#,
            pool = py_str(&pool)
        ),
        &moto,
    );
    assert_eq!(seen["status"], "FORCE_CHANGE_PASSWORD");
    assert_eq!(seen["attrs"]["email"], "superdude@example.com");
    assert_eq!(seen["attrs"]["email_verified"], "true");

    let again = aws
        .cognito
        .admin_create_user(&pool, "superdude", "superdude@example.com", None, true)
        .await
        .unwrap_err();
    assert_eq!(again.kind, ErrorKind::Conflict);
    assert_eq!(again.code.as_deref(), Some("UsernameExistsException"));

    let weak = aws
        .cognito
        .admin_set_user_password(&pool, "superdude", &Secret::new("short"), true)
        .await
        .unwrap_err();
    assert_eq!(weak.kind, ErrorKind::BadRequest);
    assert_eq!(weak.code.as_deref(), Some("InvalidPasswordException"));

    aws.cognito
        .admin_set_user_password(&pool, "superdude", &Secret::new(PASSWORD), true)
        .await
        .expect("set password");
    let got = aws
        .cognito
        .admin_get_user(&pool, "superdude")
        .await
        .unwrap()
        .expect("exists");
    assert_eq!(got.status.as_deref(), Some("CONFIRMED"));
    assert!(got.sub.is_some());

    assert_eq!(
        aws.cognito.admin_get_user(&pool, "nobody").await.unwrap(),
        None
    );
    let no_pool = aws
        .cognito
        .admin_get_user("us-east-1_doesnotexist", "superdude")
        .await
        .unwrap_err();
    assert_eq!(no_pool.kind, ErrorKind::NotFound, "{no_pool}");

    // Self sign-up through the public client, then an administrator confirms it.
    let signed = aws
        .cognito
        .sign_up(
            &client,
            "newbie",
            &Secret::new(PASSWORD),
            "newbie@example.com",
        )
        .await
        .expect("sign up");
    assert!(!signed.confirmed);
    assert!(!signed.user_sub.is_empty());
    let newbie = aws
        .cognito
        .admin_get_user(&pool, "newbie")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(newbie.status.as_deref(), Some("UNCONFIRMED"));
    assert_eq!(newbie.email.as_deref(), Some("newbie@example.com"));
    assert_eq!(newbie.sub.as_deref(), Some(signed.user_sub.as_str()));
    aws.cognito
        .admin_confirm_sign_up(&pool, "newbie")
        .await
        .expect("confirm");
    let status = boto3(
        &format!(
            r#"emit(client("cognito-idp").admin_get_user(UserPoolId={pool}, Username="newbie")["UserStatus"])"#,
            pool = py_str(&pool)
        ),
        &moto,
    );
    assert_eq!(status, "CONFIRMED");

    assert!(aws
        .cognito
        .admin_delete_user(&pool, "newbie")
        .await
        .unwrap());
    assert!(!aws
        .cognito
        .admin_delete_user(&pool, "newbie")
        .await
        .unwrap());
    assert_eq!(
        aws.cognito.admin_get_user(&pool, "newbie").await.unwrap(),
        None
    );
}

pub async fn password_auth_tokens_and_claims() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let (pool, client) = pool_and_client(&aws).await;
    aws.cognito
        .admin_create_user(&pool, "superdude", "superdude@example.com", None, true)
        .await
        .unwrap();
    aws.cognito
        .admin_set_user_password(&pool, "superdude", &Secret::new(PASSWORD), true)
        .await
        .unwrap();

    let outcome = aws
        .cognito
        .initiate_user_password_auth(&client, "superdude", &Secret::new(PASSWORD))
        .await
        .expect("sign in");
    let debug = format!("{outcome:?}");
    let t = tokens(outcome);
    assert!(!debug.contains(t.id_token.expose()), "tokens leak in Debug");
    assert!(t.expires_in > 0);
    assert_eq!(t.token_type.as_deref(), Some("Bearer"));
    assert!(t.refresh_token.is_some());

    let id = jwt_claims(t.id_token.expose());
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["aud"], client.as_str());
    assert_eq!(id["cognito:username"], "superdude");
    assert!(
        id["iss"].as_str().unwrap().ends_with(&format!("/{pool}")),
        "{}",
        id["iss"]
    );
    let access = jwt_claims(t.access_token.expose());
    assert_eq!(access["token_use"], "access");
    assert_eq!(access["client_id"], client.as_str());
    assert_eq!(access["iss"], id["iss"]);

    // The ID token verifies against the pool's JWKS (fetched from moto, checked by PyJWT).
    let verified = boto3(
        &format!(
            r#"
            import json, urllib.request, jwt, os
            url = os.environ["AWS_ENDPOINT_URL"] + "/" + {pool} + "/.well-known/jwks.json"
            # moto routes this path to Cognito only with a SigV4-looking Authorization header.
            req = urllib.request.Request(url, headers={{"Authorization":
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/cognito-idp/aws4_request, "
                "SignedHeaders=host, Signature=x"}})
            jwks = json.loads(urllib.request.urlopen(req).read())
            token = {token}
            kid = jwt.get_unverified_header(token)["kid"]
            key = jwt.PyJWKSet.from_dict(jwks)[kid]
            claims = jwt.decode(token, key.key, algorithms=["RS256"], audience={client},
                                issuer="https://cognito-idp.us-east-1.amazonaws.com/" + {pool})
            emit(claims["token_use"])
            "#,
            pool = py_str(&pool),
            token = py_str(t.id_token.expose()),
            client = py_str(&client)
        ),
        &moto,
    );
    assert_eq!(verified, "id");

    // A wrong password is NotAuthorized — not an AWS-credentials problem.
    let wrong = aws
        .cognito
        .initiate_user_password_auth(&client, "superdude", &Secret::new("Wr0ngpass!"))
        .await
        .unwrap_err();
    assert_eq!(wrong.kind, ErrorKind::NotAuthorized);
    assert_eq!(wrong.code.as_deref(), Some("NotAuthorizedException"));
    let hint = wrong.hint().unwrap();
    assert!(
        hint.contains("password") && !hint.contains("AWS_PROFILE"),
        "{hint}"
    );

    // An unconfirmed self sign-up cannot sign in yet.
    aws.cognito
        .sign_up(
            &client,
            "newbie",
            &Secret::new(PASSWORD),
            "newbie@example.com",
        )
        .await
        .unwrap();
    let unconfirmed = aws
        .cognito
        .initiate_user_password_auth(&client, "newbie", &Secret::new(PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(unconfirmed.kind, ErrorKind::NotAuthorized);
    assert_eq!(
        unconfirmed.code.as_deref(),
        Some("UserNotConfirmedException")
    );

    // A temporary password answers NEW_PASSWORD_REQUIRED; answering it signs in.
    aws.cognito
        .admin_create_user(
            &pool,
            "invited",
            "invited@example.com",
            Some(&Secret::new("Tempor4ry!")),
            true,
        )
        .await
        .unwrap();
    let challenge = aws
        .cognito
        .initiate_user_password_auth(&client, "invited", &Secret::new("Tempor4ry!"))
        .await
        .unwrap();
    let AuthOutcome::Challenge {
        name,
        session,
        parameters,
    } = challenge
    else {
        panic!("expected a challenge, got {challenge:?}");
    };
    assert_eq!(name, "NEW_PASSWORD_REQUIRED");
    assert_eq!(
        parameters.get("USERNAME").map(String::as_str),
        Some("invited")
    );
    let session = session.expect("session");
    let signed_in = aws
        .cognito
        .respond_new_password_required(&client, "invited", &session, &Secret::new(PASSWORD))
        .await
        .expect("new password");
    let claims = jwt_claims(tokens(signed_in).id_token.expose());
    assert_eq!(claims["cognito:username"], "invited");
    let user = aws
        .cognito
        .admin_get_user(&pool, "invited")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.status.as_deref(), Some("CONFIRMED"));
}

pub async fn srp_initiate_and_password_verifier() {
    let moto = Moto::start();
    let aws = clients(&moto).await;
    let (pool, client) = pool_and_client(&aws).await;
    aws.cognito
        .admin_create_user(&pool, "superdude", "superdude@example.com", None, true)
        .await
        .unwrap();
    aws.cognito
        .admin_set_user_password(&pool, "superdude", &Secret::new(PASSWORD), true)
        .await
        .unwrap();

    let challenge = aws
        .cognito
        .initiate_srp_auth(&client, "superdude", &"ab".repeat(384))
        .await
        .expect("SRP initiate");
    assert!(!challenge.salt.is_empty());
    assert!(!challenge.srp_b.is_empty());
    assert!(!challenge.secret_block.expose().is_empty());
    assert!(!challenge.user_id_for_srp.is_empty());
    assert_eq!(challenge.username, "superdude");
    assert!(
        !format!("{challenge:?}").contains(challenge.secret_block.expose()),
        "secret block leaks in Debug"
    );

    // moto does not check the signature (AWS does): this proves the request's shape only.
    let outcome = aws
        .cognito
        .respond_password_verifier(
            &client,
            &challenge,
            "Tue Mar 3 07:08:09 UTC 2026",
            "c2lnbmF0dXJl",
        )
        .await
        .expect("verifier");
    let claims = jwt_claims(tokens(outcome).access_token.expose());
    assert_eq!(claims["token_use"], "access");
    assert_eq!(claims["username"], "superdude");

    let unknown = aws
        .cognito
        .initiate_srp_auth(&client, "nobody", "abcd")
        .await
        .unwrap_err();
    // moto answers UserNotFoundException; AWS, preventing user-existence errors, answers
    // NotAuthorizedException.
    assert!(
        matches!(unknown.kind, ErrorKind::NotFound | ErrorKind::NotAuthorized),
        "{unknown}"
    );
}
