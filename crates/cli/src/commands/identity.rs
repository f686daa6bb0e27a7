//! `users`, `token` and `login-url`: the provisioned pool and client, found by name.

use std::sync::Arc;

use chrono::{Duration, Utc};
use flarelink_aws::AwsClients;
use flarelink_core::config::{CognitoConfig, Config};
use flarelink_core::session::{self, Flow, Target};
use serde_json::json;

use crate::args::{Cli, TokenArgs, UsersCommand};
use crate::clients::{self, Built};
use crate::commands::password;
use crate::progress::Ui;
use crate::{load_config, report_config_errors, report_error};

/// The configuration, the AWS clients and the provisioned pool and client.
async fn setup(cli: &Cli, human: bool) -> Result<(Config, Box<AwsClients>, Target), u8> {
    let config = load_config(cli, &[]).map_err(|e| report_config_errors(&e, human))?;
    config
        .require_cognito()
        .map_err(|e| report_config_errors(&e, human))?;
    let ui = Arc::new(Ui::new(false));
    let aws = match clients::aws_only(&config, false, ui).await {
        Ok(Built::Ready(a)) => a,
        Ok(Built::Unchecked(_)) => unreachable!("not a dry-run"),
        Err(e) => return Err(report_config_errors(&e, human)),
    };
    let c: &CognitoConfig = config.cognito.as_ref().expect("checked above");
    let target = session::target(&aws, c)
        .await
        .map_err(|e| report_error(&e, human))?;
    Ok((config, aws, target))
}

fn print(human: bool, text: String, doc: serde_json::Value) {
    if human {
        println!("{text}");
    } else {
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
    }
}

pub async fn users(cli: &Cli, command: &UsersCommand, human: bool) -> u8 {
    // Read the password before any remote call: bad input stops here.
    let password = match command {
        UsersCommand::Create {
            password, username, ..
        } => match password::read(password, &format!("new password for {username}: ")) {
            Ok(p) => Some(p),
            Err(e) => return report_config_errors(&e.into(), human),
        },
        _ => None,
    };
    let (_, aws, target) = match setup(cli, human).await {
        Ok(v) => v,
        Err(code) => return code,
    };
    let result = match command {
        UsersCommand::Create {
            username, email, ..
        } => {
            let password = password.expect("read above");
            session::create_user(&aws, &target, username, email, &password).await.map(|u| {
                (
                    format!("user {} in {}: {} (email {} verified)", u.username, target.pool.id, u.status.clone().unwrap_or_default(), u.email.clone().unwrap_or_default()),
                    json!({"ok": true, "user": {"username": u.username, "status": u.status, "email": u.email, "email_verified": u.email_verified, "user_pool_id": target.pool.id}}),
                )
            })
        }
        UsersCommand::Confirm { username } => session::confirm_user(&aws, &target, username)
            .await
            .map(|()| {
                (
                    format!("user {username} confirmed"),
                    json!({"ok": true, "confirmed": username}),
                )
            }),
        UsersCommand::Delete { username } => session::delete_user(&aws, &target, username)
            .await
            .map(|deleted| {
                (
                    if deleted {
                        format!("user {username} deleted")
                    } else {
                        format!("user {username} did not exist")
                    },
                    json!({"ok": true, "deleted": deleted, "username": username}),
                )
            }),
    };
    match result {
        Ok((text, doc)) => {
            print(human, text, doc);
            0
        }
        Err(e) => report_error(&e, human),
    }
}

pub async fn token(cli: &Cli, args: &TokenArgs, human: bool) -> u8 {
    let password =
        match password::read(&args.password, &format!("password for {}: ", args.username)) {
            Ok(p) => p,
            Err(e) => return report_config_errors(&e.into(), human),
        };
    let (_, aws, target) = match setup(cli, human).await {
        Ok(v) => v,
        Err(code) => return code,
    };
    let flow = if args.password_auth {
        Flow::UserPassword
    } else {
        Flow::Srp
    };
    let tokens = match session::sign_in(&aws, &target, &args.username, &password, flow).await {
        Ok(t) => t,
        Err(e) => return report_error(&e, human),
    };
    if human {
        // Only the token on stdout, so `$(flarelink token …)` works.
        let t = if args.access {
            &tokens.access_token
        } else {
            &tokens.id_token
        };
        println!("{}", t.expose());
        if let Ok(claims) = flarelink_auth::decode_claims(tokens.id_token.expose()) {
            eprintln!(
                "signed in as {} (pool {}, client {}); expires in {} minutes",
                claims.username.as_deref().unwrap_or(&args.username),
                claims.pool_id().unwrap_or_default(),
                claims.client().unwrap_or_default(),
                tokens.expires_in / 60
            );
        }
    } else {
        let claims = flarelink_auth::decode_claims(tokens.id_token.expose()).ok();
        let expires_at = Utc::now() + Duration::seconds(tokens.expires_in.into());
        let doc = json!({
            "ok": true,
            "id_token": tokens.id_token.expose(),
            "access_token": tokens.access_token.expose(),
            "refresh_token": tokens.refresh_token.as_ref().map(|t| t.expose().to_string()),
            "expires_in": tokens.expires_in,
            "expires_at": expires_at.to_rfc3339(),
            "claims": claims,
        });
        println!("{}", serde_json::to_string_pretty(&doc).expect("json"));
    }
    0
}

pub async fn login_url(cli: &Cli, human: bool) -> u8 {
    let (config, aws, target) = match setup(cli, human).await {
        Ok(v) => v,
        Err(code) => return code,
    };
    let c = config.cognito.as_ref().expect("checked in setup");
    match session::login_urls(c, aws.region(), &target.client) {
        Ok(urls) => {
            let mut text = format!(
                "Sign in (authorization code with PKCE; keep the verifier to redeem the code):\n  {}\n  code_verifier: {}\n  state: {}",
                urls.code_pkce, urls.code_verifier, urls.state
            );
            if let Some(i) = &urls.implicit {
                text.push_str(&format!(
                    "\n\nThe guide's implicit flow (legacy; the ID token comes back in the redirect's #id_token=…):\n  {i}"
                ));
            }
            print(human, text, json!({"ok": true, "login_urls": urls}));
            0
        }
        Err(e) => report_error(&e, human),
    }
}
