//! Conformance: Cloudflare's official Python SDK (`cloudflare` on PyPI, pinned in
//! scripts/requirements.txt) drives an in-process emulator through
//! `conformance/official_sdk.py`. The interpreter is `$FLARELINK_VENV/bin/python`, by default
//! `<workspace>/.venv/bin/python`. A missing venv FAILS this test: run `scripts/setup-standins`.

use std::path::PathBuf;
use std::process::Command;

use flarelink_cloudflare_emulator::{start, EmulatorOptions};

fn venv_python() -> PathBuf {
    let venv = std::env::var_os("FLARELINK_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(".venv")
        });
    venv.join("bin").join("python")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_the_emulator() {
    let python = venv_python();
    assert!(
        python.exists(),
        "no Python venv at {} (set FLARELINK_VENV or run `scripts/setup-standins` to create \
         <workspace>/.venv with the pinned Cloudflare SDK)",
        python.display()
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/official_sdk.py");
    let emu = start(EmulatorOptions {
        zones: vec!["example.com".into(), "example.org".into()],
        tokens: vec!["sdk-token".into()],
        read_only_tokens: vec!["sdk-read-only".into()],
        ..EmulatorOptions::default()
    })
    .await
    .expect("emulator starts");

    let mut cmd = Command::new(&python);
    cmd.arg(&script)
        .args(["--base-url", &emu.base_url()])
        .args(["--root-url", &emu.root_url()])
        .args(["--token", "sdk-token", "--read-only-token", "sdk-read-only"])
        .args(["--zone", "example.com"])
        // Keep the SDK on loopback whatever the environment says.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env_remove("CLOUDFLARE_BASE_URL");
    let output = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "official SDK conformance failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
    let stats = emu.stats();
    assert!(
        stats.successful_writes > 0 && stats.requests > stats.writes,
        "{stats:?}"
    );
    emu.shutdown().await;
}
