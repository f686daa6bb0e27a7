//! Two writing runs at once on one config, and a holder that dies: the zone's run lock
//! (`_flarelink-lock.<zone>` TXT marker, see `crates/core/src/run_lock.rs`). Outcomes are read
//! back from the stand-ins directly (boto3, plain HTTP to the emulator).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::assert_linked;
use crate::harness::{Stack, HOST};

fn spawn(stack: &Stack, config: &Path, args: &[&str]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flarelink"));
    cmd.arg("--config").arg(config).args(args);
    stack.moto.configure_command(&mut cmd);
    cmd.env("CLOUDFLARE_API_BASE", stack.cf_base_url())
        .env("CLOUDFLARE_API_TOKEN", &stack.token)
        .env_remove("FLARELINK_FAULT_AFTER_STEP")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().expect("start flarelink")
}

fn lock_markers(stack: &Stack) -> Vec<serde_json::Value> {
    stack
        .dns_records()
        .into_iter()
        .filter(|r| {
            r["name"]
                .as_str()
                .unwrap_or("")
                .starts_with("_flarelink-lock.")
        })
        .collect()
}

#[test]
fn two_link_domain_runs_started_together_both_exit_0_and_leave_one_of_everything() {
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    let a = spawn(&stack, &config, &["link-domain"]);
    let b = spawn(&stack, &config, &["link-domain"]);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(a.status.code(), Some(0), "run A: {}", text(&a));
    assert_eq!(b.status.code(), Some(0), "run B: {}", text(&b));
    assert!(
        text(&a).contains("waiting for another flarelink run")
            || text(&b).contains("waiting for another flarelink run"),
        "one run waited for the other: A: {} B: {}",
        text(&a),
        text(&b)
    );
    // Exactly one certificate, domain, mapping, CNAME, live origin certificate (boto3, HTTP).
    assert_linked(&stack, &api);
    assert_eq!(lock_markers(&stack), Vec::<serde_json::Value>::new());
    // And the state is a converged run's: the next run only reads.
    let writes = stack.stats().writes;
    stack.flarelink(&config, &["link-domain"]).assert_code(0);
    assert_eq!(stack.stats().writes, writes, "a converged re-run wrote");
}

#[test]
fn two_unlink_domain_runs_started_together_both_exit_0() {
    let stack = Stack::start();
    let _api = stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    stack.flarelink(&config, &["link-domain"]).assert_code(0);
    let a = spawn(&stack, &config, &["unlink-domain"]);
    let b = spawn(&stack, &config, &["unlink-domain"]);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(
        b.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&b.stderr)
    );
    assert!(stack.dns_records().iter().all(|r| r["name"] != HOST));
    assert_eq!(stack.aws_state()["domains"].as_array().unwrap().len(), 0);
    assert_eq!(lock_markers(&stack), Vec::<serde_json::Value>::new());
}

#[test]
fn a_sigkilled_holders_lock_expires_and_the_next_run_takes_over() {
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let config = stack.config_with(
        "",
        &format!(
            "[lock]\nlease_seconds = 10\n\n{}",
            Stack::domain(HOST, "ditto-api", "prod", "")
        ),
    );
    let mut holder = spawn(&stack, &config, &["link-domain"]);
    let start = Instant::now();
    while lock_markers(&stack).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the run never took the lock"
        );
        assert!(
            holder.try_wait().unwrap().is_none(),
            "the run ended before taking the lock"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    holder.kill().unwrap(); // SIGKILL: the marker stays behind, unrenewed
    let _ = holder.wait();
    assert_eq!(
        lock_markers(&stack).len(),
        1,
        "the dead run's marker is left"
    );

    let taken = Instant::now();
    let run = stack.flarelink(&config, &["link-domain"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("waiting for another flarelink run"),
        "the wait is shown: {}",
        run.stderr
    );
    assert!(
        taken.elapsed() >= Duration::from_secs(5),
        "the next run waited for the lease ({:?})",
        taken.elapsed()
    );
    assert_linked(&stack, &api);
    assert_eq!(lock_markers(&stack), Vec::<serde_json::Value>::new());
}
