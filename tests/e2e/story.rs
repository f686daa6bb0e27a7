//! The guide's whole story on the stand-ins: provision, a demo user, sign-in (SRP), the token's
//! claims checked against the pool's JWKS, the hosted-UI URLs, and `verify`'s diagnosis when
//! nothing answers.

use flarelink_auth::jwks::verify_rs256;
use serde_json::Value;

use crate::harness::Stack;

const PASSWORD: &str = "Superd3d$";

fn pool_and_client(stack: &Stack) -> (String, String) {
    let v = stack.boto3(
        r#"
idp = client("cognito-idp")
pool = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "APIgatewayUserPool"][0]["Id"]
client_id = idp.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"][0]["ClientId"]
emit({"pool": pool, "client": client_id})
"#,
    );
    (
        v["pool"].as_str().unwrap().into(),
        v["client"].as_str().unwrap().into(),
    )
}

#[test]
fn provision_user_sign_in_and_verified_token() {
    let stack = Stack::start();
    let config = stack.provision_config("", "");
    stack.flarelink(&config, &["provision"]).assert_code(0);
    let (pool, client) = pool_and_client(&stack);
    let env = [("DEMO_PASSWORD", PASSWORD)];

    let created = stack.flarelink_env(
        &config,
        &[
            "users",
            "create",
            "--username",
            "superdude",
            "--email",
            "superdude@example.com",
            "--password-env",
            "DEMO_PASSWORD",
            "--output",
            "json",
        ],
        &env,
    );
    created.assert_code(0);
    assert_eq!(created.json()["user"]["status"], "CONFIRMED");
    let user = stack.boto3(&format!(
        r#"
u = client("cognito-idp").admin_get_user(UserPoolId="{pool}", Username="superdude")
emit({{"status": u["UserStatus"], "attrs": {{a["Name"]: a["Value"] for a in u["UserAttributes"]}}}})
"#
    ));
    assert_eq!(user["status"], "CONFIRMED");
    assert_eq!(user["attrs"]["email"], "superdude@example.com");
    assert_eq!(user["attrs"]["email_verified"], "true");

    // SRP sign-in; the ID token verifies against the pool's JWKS.
    let signed = stack.flarelink_env(
        &config,
        &[
            "token",
            "--username",
            "superdude",
            "--password-env",
            "DEMO_PASSWORD",
            "--output",
            "json",
        ],
        &env,
    );
    signed.assert_code(0);
    let doc = signed.json();
    let id_token = doc["id_token"].as_str().unwrap();
    let jwks = reqwest_get(&format!(
        "{}/{pool}/.well-known/jwks.json",
        stack.moto.endpoint()
    ));
    let issuer = format!("https://cognito-idp.us-east-1.amazonaws.com/{pool}");
    let claims =
        verify_rs256(id_token, &jwks, &issuer, Some(&client), true).expect("the ID token verifies");
    assert_eq!(claims.token_use.as_deref(), Some("id"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(claims.exp.unwrap() > now);
    assert_eq!(doc["claims"]["username"], "superdude");
    assert!(doc["access_token"].is_string());

    // Human output: the token alone on stdout, for $(flarelink token …).
    let human = stack.flarelink_env(
        &config,
        &[
            "token",
            "--username",
            "superdude",
            "--password-env",
            "DEMO_PASSWORD",
        ],
        &env,
    );
    human.assert_code(0);
    assert_eq!(
        human.stdout.trim().split('.').count(),
        3,
        "{}",
        human.stdout
    );
    assert!(!human.stdout.contains(PASSWORD) && !human.stderr.contains(PASSWORD));

    // USER_PASSWORD_AUTH only when the client allows it.
    let refused = stack.flarelink_env(
        &config,
        &[
            "token",
            "--username",
            "superdude",
            "--password-env",
            "DEMO_PASSWORD",
            "--password-auth",
        ],
        &env,
    );
    refused.assert_code(1);
    assert!(
        refused.stderr.contains("USER_PASSWORD_AUTH"),
        "{}",
        refused.stderr
    );

    // Hosted-UI URLs: code + PKCE, and the guide's implicit flow.
    let urls = stack.flarelink(&config, &["login-url", "--output", "json"]);
    urls.assert_code(0);
    let urls: Value = urls.json()["login_urls"].clone();
    let code = urls["code_pkce"].as_str().unwrap();
    assert!(
        code.starts_with("https://apigatewayauthonetwothree.auth.us-east-1.amazoncognito.com/"),
        "{code}"
    );
    assert!(
        code.contains(&format!("client_id={client}"))
            && code.contains("code_challenge_method=S256"),
        "{code}"
    );
    assert!(
        code.contains("redirect_uri=https%3A%2F%2Fexample.com"),
        "{code}"
    );
    assert!(urls["implicit"]
        .as_str()
        .unwrap()
        .contains("response_type=token"));

    // Self sign-up (as through the hosted UI), confirmed by an admin instead of the e-mailed
    // code, then signed in.
    stack.boto3(&format!(
        r#"
client("cognito-idp").sign_up(ClientId="{client}", Username="pikachu", Password="{PASSWORD}",
    UserAttributes=[{{"Name": "email", "Value": "pikachu@example.com"}}])
emit({{}})
"#
    ));
    let early = stack.flarelink_env(
        &config,
        &[
            "token",
            "--username",
            "pikachu",
            "--password-env",
            "DEMO_PASSWORD",
        ],
        &env,
    );
    early.assert_code(1);
    stack
        .flarelink(&config, &["users", "confirm", "--username", "pikachu"])
        .assert_code(0);
    let signed = stack.flarelink_env(
        &config,
        &[
            "token",
            "--username",
            "pikachu",
            "--password-env",
            "DEMO_PASSWORD",
            "--output",
            "json",
        ],
        &env,
    );
    signed.assert_code(0);
    let claims = verify_rs256(
        signed.json()["id_token"].as_str().unwrap(),
        &jwks,
        &issuer,
        Some(&client),
        true,
    )
    .expect("the self-signed-up user's ID token verifies");
    assert_eq!(claims.username.as_deref(), Some("pikachu"));

    let deleted = stack.flarelink(
        &config,
        &[
            "users",
            "delete",
            "--username",
            "superdude",
            "--output",
            "json",
        ],
    );
    deleted.assert_code(0);
    assert_eq!(deleted.json()["deleted"], true);
    let gone = stack.boto3(&format!(
        r#"
idp = client("cognito-idp")
try:
    idp.admin_get_user(UserPoolId="{pool}", Username="superdude")
    emit({{"gone": False}})
except idp.exceptions.UserNotFoundException:
    emit({{"gone": True}})
"#
    ));
    assert_eq!(gone["gone"], true);
}

#[test]
fn passwords_never_come_from_argv_and_are_needed_before_any_call() {
    let stack = Stack::start();
    let config = stack.provision_config("", "");
    let argv = stack.flarelink(
        &config,
        &["token", "--username", "superdude", "--password", PASSWORD],
    );
    argv.assert_code(2);
    let none = stack.flarelink(&config, &["token", "--username", "superdude"]);
    none.assert_code(2);
    assert!(none.stderr.contains("--password-stdin"), "{}", none.stderr);
    let unset = stack.flarelink(
        &config,
        &[
            "users",
            "create",
            "--username",
            "u",
            "--email",
            "u@example.com",
            "--password-env",
            "NOPE_NOT_SET",
        ],
    );
    unset.assert_code(2);
    assert!(unset.stderr.contains("NOPE_NOT_SET"), "{}", unset.stderr);
}

#[test]
fn verify_explains_an_unreachable_origin() {
    let stack = Stack::start();
    let config = stack.provision_config(
        "",
        &Stack::domain("api.example.com", "ditto-api", "prod", ""),
    );
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = stack.flarelink(
        &config,
        &[
            "verify",
            "--resolve",
            &format!("api.example.com:{port}:127.0.0.1"),
            "--output",
            "json",
        ],
    );
    run.assert_code(1);
    let doc = run.json();
    assert_eq!(doc["ok"], false);
    let text = doc.to_string().to_lowercase();
    assert!(
        text.contains("refused") || text.contains("connect"),
        "{doc:#}"
    );
}

fn reqwest_get(url: &str) -> String {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        reqwest::get(url)
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .text()
            .await
            .unwrap()
    })
}
