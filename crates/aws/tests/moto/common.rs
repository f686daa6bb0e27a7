//! Shared test plumbing: process environment, runtimes, raw SDK clients, child scenarios.

use std::future::Future;
use std::process::{Command, ExitCode};
use std::sync::{Arc, Mutex};

use aws_credential_types::Credentials;
use aws_types::region::Region;
use flarelink_aws::{AwsClients, AwsSettings, WaitNotice, WaitObserver};
use flarelink_test_support::Moto;
use libtest_mimic::Trial;

pub const REGION: &str = "us-east-1";
const CHILD_SCENARIO: &str = "FLARELINK_AWS_TEST_CHILD";

/// Called first in `main`, while the process has a single thread: no `AWS_*` from the caller's
/// shell, dummy credentials, and the developer's `~/.aws` files never read.
pub fn fix_process_env() {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            std::env::remove_var(name);
        }
    }
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ] {
        std::env::set_var(name, value);
    }
}

/// A libtest-mimic trial running an async test on its own runtime.
pub fn trial<F, Fut>(name: &str, test: F) -> Trial
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    Trial::test(name, move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
            .block_on(test());
        Ok(())
    })
}

/// Settings pointing the code under test at `endpoint`.
pub fn settings(endpoint: &str) -> AwsSettings {
    AwsSettings {
        region: Some(REGION.to_string()),
        profile: None,
        endpoint_url: Some(endpoint.to_string()),
        max_attempts: 2,
        max_quota_waits: 3,
        request_timeout: None,
    }
}

pub async fn clients(moto: &Moto) -> AwsClients {
    AwsClients::load(&settings(moto.endpoint()))
        .await
        .expect("load AWS clients")
}

/// Raw SDK configuration built by hand (independent of `flarelink_aws`'s loading code), for
/// setting up and reading back state.
pub fn raw_config(endpoint: &str) -> aws_types::SdkConfig {
    aws_types::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                "testing", "testing", None, None, "tests",
            )),
        )
        .build()
}

pub fn raw_apigateway(moto: &Moto) -> aws_sdk_apigateway::Client {
    aws_sdk_apigateway::Client::new(&raw_config(moto.endpoint()))
}

pub fn raw_acm(moto: &Moto) -> aws_sdk_acm::Client {
    aws_sdk_acm::Client::new(&raw_config(moto.endpoint()))
}

/// An observer that records every notice.
pub fn recording_observer() -> (WaitObserver, Arc<Mutex<Vec<WaitNotice>>>) {
    let notices = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&notices);
    (
        Arc::new(move |n: WaitNotice| seen.lock().unwrap().push(n)),
        notices,
    )
}

/// A REST API with a MOCK GET on `/`, deployed to `stage`, made with the raw SDK.
/// Returns (api id, deployment id).
pub async fn make_deployed_api(
    apigw: &aws_sdk_apigateway::Client,
    name: &str,
    stage: &str,
) -> (String, String) {
    use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, IntegrationType};
    let api = apigw
        .create_rest_api()
        .name(name)
        .endpoint_configuration(
            EndpointConfiguration::builder()
                .types(EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .expect("CreateRestApi");
    let api_id = api.id().unwrap().to_string();
    let root = apigw
        .get_resources()
        .rest_api_id(&api_id)
        .send()
        .await
        .expect("GetResources")
        .items()
        .iter()
        .find(|r| r.path() == Some("/"))
        .and_then(|r| r.id().map(str::to_string))
        .expect("root resource");
    apigw
        .put_method()
        .rest_api_id(&api_id)
        .resource_id(&root)
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .expect("PutMethod");
    apigw
        .put_integration()
        .rest_api_id(&api_id)
        .resource_id(&root)
        .http_method("GET")
        .r#type(IntegrationType::Mock)
        .send()
        .await
        .expect("PutIntegration");
    let deployment = apigw
        .create_deployment()
        .rest_api_id(&api_id)
        .stage_name(stage)
        .send()
        .await
        .expect("CreateDeployment");
    (api_id, deployment.id().unwrap().to_string())
}

// ---- child scenarios: this binary re-run with its own environment -------------------------

/// Runs `scenario` in a child copy of this binary with exactly `env` for `AWS_*` (everything
/// else inherited); returns what the scenario printed.
pub fn child(scenario: &str, env: &[(String, String)]) -> serde_json::Value {
    let exe = std::env::current_exe().expect("current test binary");
    let mut command = Command::new(exe);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .env(CHILD_SCENARIO, scenario)
        .envs(env.iter().cloned());
    let output = command.output().expect("run the child scenario");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "child scenario {scenario} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| {
            panic!("child scenario {scenario} printed no JSON:\n{stdout}\n{stderr}")
        });
    serde_json::from_str(line).expect("child JSON")
}

pub fn run_child_scenario_if_asked() -> Option<ExitCode> {
    let scenario = std::env::var(CHILD_SCENARIO).ok()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(crate::config::child_scenario(&scenario));
    println!("{result}");
    Some(ExitCode::SUCCESS)
}
