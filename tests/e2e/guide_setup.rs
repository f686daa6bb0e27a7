//! What the tests that run the guide end to end on `Standins` share (dataplane, rotation,
//! ssl_scope): the flarelink process's outcome, how to run it, and the guide's configuration.

use std::path::{Path, PathBuf};
use std::process::Command;

use flarelink_test_support::standins::Standins;
use serde_json::Value;

/// One flarelink process's exit code and output.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}):\n{}\n--- stderr ---\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs flarelink on `config` against the stand-ins, with `env` added.
pub fn flarelink(s: &Standins, config: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flarelink"));
    cmd.arg("--config").arg(config).args(args);
    s.configure_command(&mut cmd);
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("run flarelink");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The guide's setup (Cognito, the `ditto-api` REST API at stage `prod`) and one `[[domain]]`
/// for `host`, the emulator's Origin CA root as the chain, written to `path`. `cloudflare` ends
/// the `[cloudflare]` table (ssl_mode, ssl_scope lines), `routes` comes before the domain
/// (`[[api.route]]`s), `domain` after it (a `[domain.certificate]` table).
pub fn guide_config(
    s: &Standins,
    path: PathBuf,
    host: &str,
    cloudflare: &str,
    routes: &str,
    domain: &str,
) -> PathBuf {
    let text = format!(
        "[cloudflare]\nzone = \"example.com\"\n{cloudflare}origin_ca_roots = [{root:?}]\n\n\
         [aws]\nregion = \"us-east-1\"\n\n[retry]\nmax_attempts = 2\n\n\
         [cognito]\nuser_pool = \"APIgatewayUserPool\"\napp_client = \"APIgatewayUserPoolClient\"\n\
         domain_prefix = \"apigatewayauthonetwothree\"\ncallback_urls = [\"https://example.com\"]\n\
         deletion_protection = false\n\n[api]\nname = \"ditto-api\"\nstage = \"prod\"\n\n\
         {routes}[[domain]]\nhostname = \"{host}\"\nrest_api = \"ditto-api\"\nstage = \"prod\"\n{domain}",
        root = s.origin_ca_root().display().to_string(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// The guide's `provision`, then the user `username` with `password` (`users create`, e-mail
/// `<username>@example.com`), then its ID token (`token`, SRP): the API exists, nothing is
/// linked yet.
pub fn provision_user(s: &Standins, config: &Path, username: &str, password: &str) -> String {
    let pw = [("E2E_PASSWORD", password)];
    let email = format!("{username}@example.com");
    flarelink(s, config, &["provision"], &[]).code(0);
    flarelink(
        s,
        config,
        &[
            "users",
            "create",
            "--username",
            username,
            "--email",
            &email,
            "--password-env",
            "E2E_PASSWORD",
        ],
        &pw,
    )
    .code(0);
    let token = flarelink(
        s,
        config,
        &[
            "token",
            "--username",
            username,
            "--password-env",
            "E2E_PASSWORD",
            "--output",
            "json",
        ],
        &pw,
    );
    token.code(0);
    token.json()["id_token"].as_str().unwrap().to_owned()
}
