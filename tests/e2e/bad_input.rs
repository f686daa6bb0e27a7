//! A corpus of bad inputs (tests/bad-configs): each exits 2 naming the field, before any remote
//! call. Both endpoints point at a listener that counts connections, which must stay at zero.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::harness::bare_flarelink;

struct Tripwire {
    url: String,
    hits: Arc<AtomicUsize>,
}

fn tripwire() -> Tripwire {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
        }
    });
    Tripwire { url, hits }
}

fn run(config: &Path, extra_env: &[(&str, &str)], args: &[&str], wire: &Tripwire) -> (i32, String) {
    let mut cmd = bare_flarelink();
    cmd.arg("--config")
        .arg(config)
        .args(args)
        .env("AWS_ENDPOINT_URL", &wire.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("CLOUDFLARE_API_BASE", format!("{}/client/v4/", wire.url))
        .env("CLOUDFLARE_API_TOKEN", "a-token-that-is-never-sent");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Each file's first line is `# expect: <text the error must contain>`.
#[test]
fn every_bad_config_exits_2_naming_the_field_with_no_remote_call() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-configs");
    let mut checked = 0;
    let wire = tripwire();
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{} lacks its '# expect:' line", path.display()));
        // Every command validates the whole file; provisioning configs are also tried with
        // `provision`.
        let mut commands = vec!["link-domain"];
        if text.contains("[api]") {
            commands.push("provision");
        }
        for command in commands {
            let (code, stderr) = run(&path, &[], &[command], &wire);
            assert_eq!(code, 2, "{} ({command}): {stderr}", path.display());
            for needle in expect.split(" && ") {
                assert!(
                    stderr.contains(needle),
                    "{} ({command}): expected {needle:?} in:\n{stderr}",
                    path.display()
                );
            }
            assert!(
                stderr.contains("fix:"),
                "{}: no fix in:\n{stderr}",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} bad configs found");
    assert_eq!(
        wire.hits.load(Ordering::SeqCst),
        0,
        "a bad input reached the network"
    );
}

#[test]
fn a_missing_token_or_a_bad_flag_is_bad_input() {
    let wire = tripwire();
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");

    let mut cmd = bare_flarelink();
    cmd.env("AWS_ENDPOINT_URL", &wire.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("CLOUDFLARE_API_BASE", format!("{}/client/v4/", wire.url))
        .args(["--config"])
        .arg(&good)
        .arg("link-domain");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("CLOUDFLARE_API_TOKEN"), "{stderr}");

    let (code, stderr) = run(
        &good,
        &[("CLOUDFLARE_API_TOKEN", "Bearer abc")],
        &["link-domain"],
        &wire,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("Bearer"), "{stderr}");

    let (code, stderr) = run(&good, &[], &["link-domain", "--region", "mars-1"], &wire);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--region"), "{stderr}");

    let (code, stderr) = run(
        &good,
        &[],
        &["link-domain", "--hostname", "www.example.com"],
        &wire,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--hostname"), "{stderr}");

    let (code, _) = run(&good, &[], &["link-domain", "--no-such-flag"], &wire);
    assert_eq!(code, 2);

    let missing = Path::new("/nonexistent/flarelink.toml");
    let (code, stderr) = run(missing, &[], &["link-domain"], &wire);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--config"), "{stderr}");

    assert_eq!(wire.hits.load(Ordering::SeqCst), 0);
}
