//! The stand-ins for one test: moto (AWS) as a child process, the Cloudflare emulator on its own
//! runtime, a temporary directory for configs, and the `flarelink` binary run as a user would.
//! State is read back independently: boto3 against moto, plain HTTP against the emulator.

use std::path::{Path, PathBuf};
use std::process::Command;

use flarelink_cloudflare_emulator::{EmulatorOptions, RunningEmulator, Stats};
use flarelink_test_support::{boto3, venv_python, workspace_root, Moto};
use serde_json::Value;

pub const ZONE: &str = "example.com";
pub const HOST: &str = "api.example.com";

pub struct Stack {
    pub moto: Moto,
    emulator: Option<RunningEmulator>,
    runtime: tokio::runtime::Runtime,
    pub dir: tempfile::TempDir,
    pub token: String,
    http: reqwest::Client,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n--- stderr ---\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The steps that changed something, as `step:action`.
    pub fn writes(&self) -> Vec<String> {
        self.actions()
            .into_iter()
            .filter(|(_, _, a)| a != "exists")
            .map(|(s, _, a)| format!("{s}:{a}"))
            .collect()
    }

    /// Steps of a `--output json` report as (step, hostname, action).
    pub fn actions(&self) -> Vec<(String, String, String)> {
        self.json()["report"]["steps"]
            .as_array()
            .expect("report.steps")
            .iter()
            .map(|s| {
                (
                    s["step"].as_str().unwrap().to_string(),
                    s["hostname"].as_str().unwrap_or("(zone)").to_string(),
                    s["action"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

/// The `flarelink` binary with no AWS, Cloudflare or flarelink setting of the developer's
/// inherited: no credentials, no endpoints, no shared AWS files, no instance-metadata probe.
pub fn bare_flarelink() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flarelink"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("CLOUDFLARE_") || k.starts_with("FLARELINK_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

impl Stack {
    pub fn start() -> Stack {
        Stack::start_with(&[], EmulatorOptions::default())
    }

    pub fn start_with(moto_env: &[(&str, &str)], mut options: EmulatorOptions) -> Stack {
        let token = format!("test-token-{}", std::process::id());
        options.tokens = vec![token.clone()];
        options.zones = vec![ZONE.to_string()];
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let emulator = runtime
            .block_on(flarelink_cloudflare_emulator::start(options))
            .expect("emulator starts");
        let moto = Moto::start_with_env(moto_env);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("origin-root.pem"),
            emulator.origin_ca_root_pem(),
        )
        .unwrap();
        Stack {
            moto,
            emulator: Some(emulator),
            runtime,
            dir,
            token,
            http: reqwest::Client::new(),
        }
    }

    fn emulator(&self) -> &RunningEmulator {
        self.emulator.as_ref().unwrap()
    }

    pub fn stats(&self) -> Stats {
        self.emulator().stats()
    }

    pub fn cf_base_url(&self) -> String {
        self.emulator().base_url()
    }

    pub fn zone_id(&self) -> String {
        self.emulator().zone_id(ZONE).unwrap()
    }

    /// The guide's sample REST API (GET /ditto) deployed to `stage`, created with boto3.
    pub fn sample_api(&self, name: &str, stage: &str) -> String {
        let mut cmd = Command::new(venv_python());
        cmd.arg(workspace_root().join("scripts/sample_api.py"))
            .arg(name)
            .arg(stage);
        self.moto.configure_command(&mut cmd);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// A config file: the zone, the emulator's root as the chain, us-east-1, a small retry
    /// budget (so a stand-in error surfaces at once), then `domains`.
    pub fn config(&self, domains: &str) -> PathBuf {
        self.config_with("", domains)
    }

    /// A config with `[cognito]` and `[api]` (the guide's setup) before `rest`.
    pub fn provision_config(&self, api_extra: &str, rest: &str) -> PathBuf {
        self.config(&format!(
            "[cognito]\nuser_pool = \"APIgatewayUserPool\"\napp_client = \"APIgatewayUserPoolClient\"\n\
             domain_prefix = \"apigatewayauthonetwothree\"\ncallback_urls = [\"https://example.com\"]\n\
             deletion_protection = false\n\n\
             [api]\nname = \"ditto-api\"\nstage = \"prod\"\n{api_extra}\n{rest}"
        ))
    }

    pub fn config_with(&self, cloudflare_extra: &str, domains: &str) -> PathBuf {
        let text = format!(
            "[cloudflare]\nzone = \"{ZONE}\"\norigin_ca_roots = [\"origin-root.pem\"]\n{cloudflare_extra}\n\
             [aws]\nregion = \"us-east-1\"\n\n[retry]\nmax_attempts = 2\nmax_quota_waits = 5\n\n{domains}"
        );
        let path = self.dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// One `[[domain]]` table.
    pub fn domain(hostname: &str, api: &str, stage: &str, base_path: &str) -> String {
        format!(
            "[[domain]]\nhostname = \"{hostname}\"\nrest_api = \"{api}\"\nstage = \"{stage}\"\nbase_path = \"{base_path}\"\n\n"
        )
    }

    pub fn flarelink(&self, config: &Path, args: &[&str]) -> Run {
        self.flarelink_env(config, args, &[])
    }

    pub fn flarelink_env(&self, config: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_flarelink"));
        cmd.arg("--config").arg(config).args(args);
        self.moto.configure_command(&mut cmd);
        cmd.env("CLOUDFLARE_API_BASE", self.emulator().base_url())
            .env("CLOUDFLARE_API_TOKEN", &self.token)
            .env_remove("FLARELINK_FAULT_AFTER_STEP")
            .env_remove("FLARELINK_LOG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run flarelink");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `GET` a Cloudflare API path (all pages are not needed: tests hold few objects) → result.
    pub fn cf_get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.emulator().base_url());
        self.runtime.block_on(async {
            let body: Value = self
                .http
                .get(&url)
                .bearer_auth(&self.token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(body["success"], true, "GET {path}: {body}");
            body["result"].clone()
        })
    }

    pub fn cf_post(&self, path: &str, payload: Value) -> Value {
        let url = format!("{}{path}", self.emulator().base_url());
        self.runtime.block_on(async {
            let body: Value = self
                .http
                .post(&url)
                .bearer_auth(&self.token)
                .json(&payload)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(body["success"], true, "POST {path}: {body}");
            body["result"].clone()
        })
    }

    pub fn inject_faults(&self, payload: Value) {
        let url = format!("{}/__emulator/faults", self.emulator().root_url());
        self.runtime.block_on(async {
            let status = self
                .http
                .post(&url)
                .json(&payload)
                .send()
                .await
                .unwrap()
                .status();
            assert!(status.is_success(), "inject faults: {status}");
        });
    }

    pub fn dns_records(&self) -> Vec<Value> {
        let zone = self.zone_id();
        self.cf_get(&format!("zones/{zone}/dns_records?per_page=100"))
            .as_array()
            .unwrap()
            .clone()
    }

    pub fn live_origin_certs(&self) -> Vec<Value> {
        let zone = self.zone_id();
        self.cf_get(&format!("certificates?zone_id={zone}"))
            .as_array()
            .unwrap()
            .clone()
    }

    pub fn ssl_mode(&self) -> String {
        let zone = self.zone_id();
        self.cf_get(&format!("zones/{zone}/settings/ssl"))["value"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The zone's Configuration Rules (its `http_config_settings` entry point), read with plain
    /// HTTP; empty when the phase was never set (404).
    pub fn config_rules(&self) -> Vec<Value> {
        let zone = self.zone_id();
        let url = format!(
            "{}zones/{zone}/rulesets/phases/http_config_settings/entrypoint",
            self.emulator().base_url()
        );
        self.runtime.block_on(async {
            let answer = self
                .http
                .get(&url)
                .bearer_auth(&self.token)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            let body: Value = answer.json().await.unwrap();
            if status == 404 {
                return Vec::new();
            }
            assert_eq!(body["success"], true, "GET entrypoint: {body}");
            body["result"]["rules"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
    }

    /// The SSL/TLS mode `host` gets at the edge, as far as rules naming it say: the last enabled
    /// Configuration Rule whose expression names it (quoted) and sets `ssl`, else the zone's.
    pub fn linked_ssl(&self, host: &str) -> String {
        let quoted = format!("\"{host}\"");
        self.config_rules()
            .iter()
            .rev()
            .filter(|r| r["enabled"] != false)
            .filter(|r| {
                r["expression"]
                    .as_str()
                    .is_some_and(|e| e.contains(&quoted))
            })
            .find_map(|r| r["action_parameters"]["ssl"].as_str().map(str::to_string))
            .unwrap_or_else(|| self.ssl_mode())
    }

    /// Everything flarelink can touch in AWS, read with boto3: certificates (with tags and PEM),
    /// custom domains (with tags) and their mappings.
    pub fn aws_state(&self) -> Value {
        boto3(
            r#"
acm = client("acm")
apigw = client("apigateway")
certs = []
for c in acm.list_certificates(Includes={"keyTypes": ["RSA_1024","RSA_2048","RSA_3072","RSA_4096","EC_prime256v1","EC_secp384r1","EC_secp521r1"]})["CertificateSummaryList"]:
    arn = c["CertificateArn"]
    tags = {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(CertificateArn=arn).get("Tags", [])}
    pem = acm.get_certificate(CertificateArn=arn)
    certs.append({"arn": arn, "tags": tags, "certificate": pem["Certificate"], "chain": pem.get("CertificateChain")})
domains = []
for d in apigw.get_domain_names()["items"]:
    maps = apigw.get_base_path_mappings(domainName=d["domainName"]).get("items", [])
    domains.append({
        "name": d["domainName"],
        "regional_domain_name": d.get("regionalDomainName"),
        "certificate": d.get("regionalCertificateArn"),
        "types": d.get("endpointConfiguration", {}).get("types"),
        "security_policy": d.get("securityPolicy"),
        "tags": d.get("tags", {}),
        "mappings": sorted([[m.get("basePath"), m["restApiId"], m.get("stage")] for m in maps]),
    })
emit({"certificates": sorted(certs, key=lambda c: c["arn"]), "domains": sorted(domains, key=lambda d: d["name"])})
"#,
            &self.moto,
        )
    }

    /// A custom domain for `HOST` made by someone else, with their own certificate.
    pub fn foreign_domain(&self) {
        self.boto3(
            r#"
apigw = client("apigateway")
apigw.create_domain_name(domainName="api.example.com", regionalCertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/someone-elses",
    endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_2")
emit({})
"#,
        );
    }

    /// Runs a boto3 snippet against this stack's moto.
    pub fn boto3(&self, script: &str) -> Value {
        boto3(script, &self.moto)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(e) = self.emulator.take() {
            self.runtime.block_on(e.shutdown());
        }
    }
}
