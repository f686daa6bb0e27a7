//! The API Gateway data plane's own tests (routing, base paths, templates, TLS by SNI, every
//! Cognito authorizer answer, deployments as snapshots) live beside it in Python
//! (`scripts/test_dataplane.py`, standard-library unittest + boto3 + http.client/ssl); this runs
//! them in `cargo test` and fails with their output.

use std::process::Command;

use flarelink_test_support::{venv_python, workspace_root};

#[test]
fn data_plane_unit_and_wire_tests_pass() {
    let python = venv_python();
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-standins",
        python.display()
    );
    let mut command = Command::new(&python);
    command
        .args(["-W", "ignore", "-m", "unittest", "-v", "test_dataplane"])
        .current_dir(workspace_root().join("scripts"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    let out = command.output().expect("run the data plane's tests");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scripts/test_dataplane.py failed:\n{stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // unittest -v lists each test on stderr; make sure they ran rather than being skipped.
    let ran = stderr.lines().filter(|l| l.ends_with("... ok")).count();
    assert!(
        ran >= 13,
        "expected the data plane's tests to run, saw:\n{stderr}"
    );
}
