//! Reliability under faults: the fault proxy (`crates/fault-proxy`) sits in front of moto and
//! the Cloudflare emulator and fails a seeded share of calls — before they reach the stand-in,
//! or after it acted with the answer lost. Every run is then read back directly from the
//! stand-ins (boto3, plain HTTP), not through the proxy.
//!
//! Each test runs `FLARELINK_CHAOS_SEEDS` seeds (default: a small smoke count) starting at
//! `FLARELINK_CHAOS_FIRST_SEED` (default 1); a failure names its seed, and
//! `FLARELINK_CHAOS_FIRST_SEED=<seed> FLARELINK_CHAOS_SEEDS=1` replays it. `scripts/chaos` runs
//! the full counts.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use flarelink_fault_proxy::{Fault, FaultPlan, Flavor, RunningProxy, When};

use crate::assert_linked;
use crate::harness::{Run, Stack, HOST, ZONE};

/// Faults a run may hit; the client timeout is 2 s, so a 3 s stall outlasts it.
const REQUEST_TIMEOUT_SECONDS: u64 = 2;
const STALL: Duration = Duration::from_secs(3);

fn seeds(smoke: u64) -> Vec<u64> {
    let count = std::env::var("FLARELINK_CHAOS_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(smoke);
    let first = std::env::var("FLARELINK_CHAOS_FIRST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    (first..first + count).collect()
}

/// The two proxies of one stack, on their own runtime.
struct Proxies {
    aws: RunningProxy,
    cloudflare: RunningProxy,
    _runtime: tokio::runtime::Runtime,
}

impl Proxies {
    fn start(stack: &Stack) -> Proxies {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let cf_root = stack
            .cf_base_url()
            .trim_end_matches("/client/v4/")
            .to_string();
        let (aws, cloudflare) = runtime.block_on(async {
            let aws = flarelink_fault_proxy::start(
                stack.moto.endpoint(),
                Flavor::Aws,
                FaultPlan::default(),
                0,
            )
            .await
            .unwrap();
            let cf =
                flarelink_fault_proxy::start(&cf_root, Flavor::Cloudflare, FaultPlan::default(), 0)
                    .await
                    .unwrap();
            (aws, cf)
        });
        Proxies {
            aws,
            cloudflare,
            _runtime: runtime,
        }
    }

    fn set(&self, plan: FaultPlan) {
        self.aws.set_plan(FaultPlan {
            seed: plan.seed.wrapping_mul(2),
            ..plan.clone()
        });
        self.cloudflare.set_plan(FaultPlan {
            seed: plan.seed.wrapping_mul(2) + 1,
            ..plan
        });
    }

    fn clear(&self) {
        self.aws.set_plan(FaultPlan::default());
        self.cloudflare.set_plan(FaultPlan::default());
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL".into(), self.aws.url()),
            (
                "CLOUDFLARE_API_BASE".into(),
                format!("{}/client/v4/", self.cloudflare.url()),
            ),
        ]
    }

    fn injected(&self) -> usize {
        self.aws.stats().injected.len() + self.cloudflare.stats().injected.len()
    }
}

/// A config with a retry budget sized for 30 % faults and a short request timeout.
fn chaos_config(stack: &Stack, extra: &str) -> PathBuf {
    let text = format!(
        "[cloudflare]\nzone = \"{ZONE}\"\norigin_ca_roots = [\"origin-root.pem\"]\n\n\
         [aws]\nregion = \"us-east-1\"\n\n\
         [retry]\nmax_attempts = 6\nmax_quota_waits = 5\nrequest_timeout_seconds = {REQUEST_TIMEOUT_SECONDS}\n\n\
         {extra}{}",
        Stack::domain(HOST, "ditto-api", "prod", "")
    );
    let path = stack.dir.path().join("chaos.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn through(stack: &Stack, proxies: &Proxies, config: &Path, args: &[&str]) -> Run {
    let env = proxies.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    stack.flarelink_env(config, args, &env)
}

/// Runs `args` through the proxies until it exits 0, at most `max_runs` times; the runs made.
fn until_ok(
    stack: &Stack,
    proxies: &Proxies,
    config: &Path,
    args: &[&str],
    max_runs: usize,
) -> Vec<Run> {
    let mut runs = Vec::new();
    for _ in 0..max_runs {
        let run = through(stack, proxies, config, args);
        let ok = run.code == 0;
        runs.push(run);
        if ok {
            break;
        }
    }
    runs
}

fn describe(runs: &[Run]) -> String {
    runs.iter()
        .enumerate()
        .map(|(i, r)| format!("run {}: exit {}\n{}", i + 1, r.code, r.stderr))
        .collect::<Vec<_>>()
        .join("\n")
}

fn faults_before(seed: u64) -> FaultPlan {
    FaultPlan {
        seed,
        rate: 0.3,
        when: vec![When::Before],
        stall: STALL,
        ..FaultPlan::default()
    }
}

/// Writes lose their answer after the stand-in acted. 429 is not among them: a cloud that
/// throttles has not acted, and flarelink relies on that (see the README's table).
fn faults_after_on_writes(seed: u64) -> FaultPlan {
    FaultPlan {
        seed,
        rate: 0.3,
        writes_only: true,
        faults: vec![
            Fault::Status(500),
            Fault::Status(502),
            Fault::Status(503),
            Fault::Reset,
            Fault::Stall,
        ],
        when: vec![When::After],
        stall: STALL,
        ..FaultPlan::default()
    }
}

#[test]
fn link_domain_converges_with_faults_before_forwarding() {
    for seed in seeds(2) {
        eprintln!("chaos seed {seed}: link-domain, 30% faults before forwarding");
        let stack = Stack::start();
        let api = stack.sample_api("ditto-api", "prod");
        let config = chaos_config(&stack, "");
        let proxies = Proxies::start(&stack);
        proxies.set(faults_before(seed));
        let runs = until_ok(&stack, &proxies, &config, &["link-domain"], 3);
        let injected = proxies.injected();
        proxies.clear();
        assert_eq!(
            runs.last().unwrap().code,
            0,
            "seed {seed}: no exit 0 in 3 runs ({injected} faults)\n{}",
            describe(&runs)
        );
        assert_linked(&stack, &api);
        eprintln!(
            "chaos seed {seed}: converged in {} run(s), {injected} faults",
            runs.len()
        );
    }
}

#[test]
fn link_domain_converges_when_write_answers_are_lost() {
    for seed in seeds(2) {
        eprintln!("chaos seed {seed}: link-domain, 30% of writes lose their answer");
        let stack = Stack::start();
        let api = stack.sample_api("ditto-api", "prod");
        let config = chaos_config(&stack, "");
        let proxies = Proxies::start(&stack);
        proxies.set(faults_after_on_writes(seed));
        let runs = until_ok(&stack, &proxies, &config, &["link-domain"], 3);
        let injected = proxies.injected();
        proxies.clear();
        assert_eq!(
            runs.last().unwrap().code,
            0,
            "seed {seed}: no exit 0 in 3 runs ({injected} faults)\n{}",
            describe(&runs)
        );
        // One more clean run, then exactly one of everything and the origin certificate behind
        // the served ACM certificate live (assert_linked checks all of it).
        through(&stack, &proxies, &config, &["link-domain"]).assert_code(0);
        assert_linked(&stack, &api);
        eprintln!(
            "chaos seed {seed}: converged in {} run(s), {injected} faults",
            runs.len()
        );
    }
}

/// A tiny seeded generator for the kill moment (xorshift; the standard library has none).
fn seeded_millis(seed: u64, below: u64) -> u64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x % below
}

#[test]
fn a_run_killed_at_a_random_moment_is_finished_by_a_clean_rerun() {
    for seed in seeds(2) {
        let stack = Stack::start();
        let api = stack.sample_api("ditto-api", "prod");
        // A short lease: a run killed while holding the lock holds up the re-run only 10 s.
        let config = chaos_config(&stack, "[lock]\nlease_seconds = 10\n\n");
        // Kill somewhere inside the run. How long a run takes depends on the machine's load, so
        // the window is scaled from a dry-run (reads only) on the same stack: a first run makes
        // those reads twice (its read-only look and the run) plus the lock and the writes, so 8 dry-runs cover a first run and some time after it.
        let dry = Instant::now();
        stack
            .flarelink(&config, &["link-domain", "--dry-run"])
            .assert_code(0);
        let window = (dry.elapsed().as_millis() as u64 * 8).max(200);
        let delay = Duration::from_millis(seeded_millis(seed, window));
        eprintln!("chaos seed {seed}: SIGKILL after {} ms", delay.as_millis());
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_flarelink"));
        cmd.arg("--config").arg(&config).args(["link-domain"]);
        stack.moto.configure_command(&mut cmd);
        cmd.env("CLOUDFLARE_API_BASE", stack.cf_base_url())
            .env("CLOUDFLARE_API_TOKEN", &stack.token)
            .env_remove("FLARELINK_FAULT_AFTER_STEP")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        let start = Instant::now();
        while start.elapsed() < delay {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let rerun = Instant::now();
        stack.flarelink(&config, &["link-domain"]).assert_code(0);
        eprintln!(
            "chaos seed {seed}: {}; the clean re-run took {} ms",
            if finished {
                "the run had finished before the kill"
            } else {
                "killed mid-run"
            },
            rerun.elapsed().as_millis()
        );
        assert_linked(&stack, &api);
    }
}

/// The ARN and the serial (hex) of the one ACM certificate, read with boto3.
fn served_serial(stack: &Stack) -> (String, String) {
    let doc = stack.boto3(
        r#"
from cryptography import x509
acm = client("acm")
arns = [c["CertificateArn"] for c in acm.list_certificates(Includes={"keyTypes": ["RSA_2048", "EC_prime256v1"]})["CertificateSummaryList"]]
assert len(arns) == 1, arns
body = acm.get_certificate(CertificateArn=arns[0])["Certificate"]
emit([arns[0], format(x509.load_pem_x509_certificate(body.encode()).serial_number, "x")])
"#,
    );
    (
        doc[0].as_str().unwrap().to_string(),
        doc[1].as_str().unwrap().to_string(),
    )
}

/// `rotate-cert` under `plan` (its writes: the origin certificate, the re-import, the tag
/// update, the revoke) until it exits 0: then the same ARN serves a new serial, and everything
/// is as link-domain leaves it (one ACM certificate tagged with the one live origin certificate,
/// which is what it holds) after one clean link-domain that must write nothing new but what an
/// interrupted rotation leaves.
fn rotation_converges(seed: u64, plan: FaultPlan, what: &str) {
    eprintln!("chaos seed {seed}: rotate-cert, {what}");
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let config = chaos_config(&stack, "");
    stack.flarelink(&config, &["link-domain"]).assert_code(0);
    let (arn, serial) = served_serial(&stack);
    let proxies = Proxies::start(&stack);
    proxies.set(plan);
    let runs = until_ok(&stack, &proxies, &config, &["rotate-cert"], 3);
    let injected = proxies.injected();
    proxies.clear();
    assert_eq!(
        runs.last().unwrap().code,
        0,
        "seed {seed}: no exit 0 in 3 runs ({injected} faults)\n{}",
        describe(&runs)
    );
    through(&stack, &proxies, &config, &["link-domain"]).assert_code(0);
    assert_linked(&stack, &api);
    let (arn_after, serial_after) = served_serial(&stack);
    assert_eq!(arn_after, arn, "seed {seed}: the same ARN");
    assert_ne!(serial_after, serial, "seed {seed}: a new certificate");
    eprintln!(
        "chaos seed {seed}: rotated in {} run(s), {injected} faults",
        runs.len()
    );
}

#[test]
fn rotate_cert_converges_with_faults_before_forwarding() {
    for seed in seeds(1) {
        rotation_converges(seed, faults_before(seed), "30% faults before forwarding");
    }
}

#[test]
fn rotate_cert_converges_when_write_answers_are_lost() {
    for seed in seeds(1) {
        rotation_converges(
            seed,
            faults_after_on_writes(seed),
            "30% of writes lose their answer",
        );
    }
}

#[test]
fn provision_converges_with_faults_before_forwarding() {
    for seed in seeds(1) {
        eprintln!("chaos seed {seed}: provision, 30% faults before forwarding");
        let stack = Stack::start();
        let config = chaos_config(
            &stack,
            "[cognito]\nuser_pool = \"APIgatewayUserPool\"\napp_client = \"APIgatewayUserPoolClient\"\n\
             domain_prefix = \"apigatewayauthonetwothree\"\ncallback_urls = [\"https://example.com\"]\n\
             deletion_protection = false\n\n[api]\nname = \"ditto-api\"\nstage = \"prod\"\n\n",
        );
        let proxies = Proxies::start(&stack);
        proxies.set(faults_before(seed));
        let runs = until_ok(&stack, &proxies, &config, &["provision"], 3);
        let injected = proxies.injected();
        proxies.clear();
        assert_eq!(
            runs.last().unwrap().code,
            0,
            "seed {seed}: no exit 0 in 3 runs ({injected} faults)\n{}",
            describe(&runs)
        );
        let counts = stack.boto3(
            r#"
idp = client("cognito-idp")
apigw = client("apigateway")
pools = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "APIgatewayUserPool"]
clients = idp.list_user_pool_clients(UserPoolId=pools[0]["Id"], MaxResults=60)["UserPoolClients"] if pools else []
apis = [a for a in apigw.get_rest_apis()["items"] if a["name"] == "ditto-api"]
auths = apigw.get_authorizers(restApiId=apis[0]["id"])["items"] if apis else []
res = apigw.get_resources(restApiId=apis[0]["id"])["items"] if apis else []
emit({"pools": len(pools), "clients": len(clients), "apis": len(apis), "authorizers": len(auths),
      "ditto": len([r for r in res if r.get("path") == "/ditto"])})
"#,
        );
        assert_eq!(
            counts,
            serde_json::json!({"pools": 1, "clients": 1, "apis": 1, "authorizers": 1, "ditto": 1}),
            "seed {seed}"
        );
        // And a clean second run has nothing to do.
        let again = stack.flarelink(&config, &["--output", "json", "provision"]);
        again.assert_code(0);
        assert!(
            again.writes().is_empty(),
            "seed {seed}: {:?}",
            again.writes()
        );
    }
}

/// `source = "acm"` under lost write answers: the certificate request (sent with an idempotency
/// token, so a repeat names the same request), the DNS-only validation CNAME (a POST, looked up
/// after a lost answer) and the rest of the chain. However the faults fall, the clean end state is
/// exactly one requested certificate — issued, tagged, served by the custom domain — and exactly
/// one validation record at the name ACM asks for; a clean run after it writes nothing.
#[test]
fn acm_issued_link_domain_converges_when_write_answers_are_lost() {
    use crate::acm_issued::{acm_certificates, acm_domain, validation_records};
    for seed in seeds(1) {
        eprintln!(
            "chaos seed {seed}: link-domain with source = acm, 30% of writes lose their answer"
        );
        let stack = crate::acm_issued::stack("1");
        stack.sample_api("ditto-api", "prod");
        let text = format!(
            "[cloudflare]\nzone = \"{ZONE}\"\nssl_mode = \"strict\"\n\n\
             [aws]\nregion = \"us-east-1\"\n\n\
             [retry]\nmax_attempts = 6\nmax_quota_waits = 5\nrequest_timeout_seconds = {REQUEST_TIMEOUT_SECONDS}\n\n{}",
            acm_domain("validation_timeout_seconds = 60\n")
        );
        let config = stack.dir.path().join("chaos-acm.toml");
        std::fs::write(&config, text).unwrap();
        let proxies = Proxies::start(&stack);
        proxies.set(faults_after_on_writes(seed));
        let runs = until_ok(&stack, &proxies, &config, &["link-domain"], 4);
        let injected = proxies.injected();
        proxies.clear();
        assert_eq!(
            runs.last().unwrap().code,
            0,
            "seed {seed}: no exit 0 in 4 runs ({injected} faults)\n{}",
            describe(&runs)
        );
        through(&stack, &proxies, &config, &["link-domain"]).assert_code(0);

        let certs = acm_certificates(&stack);
        assert_eq!(
            certs.len(),
            1,
            "seed {seed}: one requested certificate: {certs:#?}"
        );
        let cert = &certs[0];
        assert_eq!(cert["type"], "AMAZON_ISSUED", "seed {seed}");
        assert_eq!(cert["status"], "ISSUED", "seed {seed}");
        assert_eq!(cert["tags"]["flarelink:managed"], "true", "seed {seed}");
        assert_eq!(cert["tags"]["flarelink:hostname"], HOST, "seed {seed}");
        let aws = stack.aws_state();
        let domains = aws["domains"].as_array().unwrap();
        assert_eq!(domains.len(), 1, "seed {seed}: {aws:#}");
        assert_eq!(domains[0]["certificate"], cert["arn"], "seed {seed}");
        let records = validation_records(&stack);
        assert_eq!(
            records.len(),
            1,
            "seed {seed}: one validation record: {records:#?}"
        );
        assert_eq!(
            records[0]["name"].as_str().unwrap().trim_end_matches('.'),
            cert["record"]["Name"]
                .as_str()
                .unwrap()
                .trim_end_matches('.'),
            "seed {seed}"
        );
        assert_eq!(records[0]["proxied"], false, "seed {seed}: DNS-only");

        let again = stack.flarelink(&config, &["--output", "json", "link-domain"]);
        again.assert_code(0);
        assert!(
            again.writes().is_empty(),
            "seed {seed}: {:?}",
            again.writes()
        );
        eprintln!(
            "chaos seed {seed}: converged in {} run(s), {injected} faults",
            runs.len()
        );
    }
}
