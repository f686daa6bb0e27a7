//! Each step is its own command, converges on its own, and finds what it needs in live state.

use crate::assert_linked;
use crate::harness::{Stack, HOST};

#[test]
fn the_step_commands_in_order_do_what_link_domain_does() {
    let stack = Stack::start();
    let api = stack.sample_api("ditto-api", "prod");
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));

    // Out of order: the mapping needs the custom domain, which needs the certificate.
    let early = stack.flarelink(&config, &["api-mapping", "--output", "json"]);
    early.assert_code(1);
    assert_eq!(early.json()["error"]["kind"], "precondition");
    let early = stack.flarelink(&config, &["custom-domain"]);
    early.assert_code(1);
    assert!(
        early.stderr.contains("flarelink certificate"),
        "{}",
        early.stderr
    );
    // Nothing was made (the run lock's marker, taken for a run that plans writes, is gone).
    assert_eq!(stack.dns_records(), Vec::<serde_json::Value>::new());
    assert_eq!(stack.live_origin_certs(), Vec::<serde_json::Value>::new());

    for (cmd, steps) in [
        ("origin-cert", vec!["origin-cert", "acm-import"]),
        ("custom-domain", vec!["custom-domain"]),
        ("api-mapping", vec!["api-mapping"]),
        ("dns-record", vec!["dns-record"]),
        ("ssl-mode", vec!["ssl-mode"]),
    ] {
        let dry = stack.flarelink(&config, &[cmd, "--dry-run", "--output", "json"]);
        dry.assert_code(0);
        let planned: Vec<String> = dry.actions().into_iter().map(|(s, _, _)| s).collect();
        assert_eq!(planned, steps, "{cmd} --dry-run plans only its own step(s)");
        let run = stack.flarelink(&config, &[cmd, "--output", "json"]);
        run.assert_code(0);
        assert!(
            run.actions().iter().all(|(_, _, a)| a != "exists"),
            "{cmd}: {:?}",
            run.actions()
        );
        let again = stack.flarelink(&config, &[cmd, "--output", "json"]);
        assert!(
            again.actions().iter().all(|(_, _, a)| a == "exists"),
            "{cmd}: {:?}",
            again.actions()
        );
    }
    assert_linked(&stack, &api);
    let all = stack.flarelink(&config, &["link-domain", "--output", "json"]);
    assert!(all.actions().iter().all(|(_, _, a)| a == "exists"));
}

#[test]
fn ssl_mode_needs_only_cloudflare() {
    let stack = Stack::start();
    let config = stack.config(&Stack::domain(HOST, "ditto-api", "prod", ""));
    // No AWS at all: no credentials, no region, no endpoint.
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("region = \"us-east-1\"\n", "");
    std::fs::write(&config, text).unwrap();
    let out = crate::harness::bare_flarelink()
        .arg("--config")
        .arg(&config)
        .args(["ssl-mode", "--output", "json"])
        .env("CLOUDFLARE_API_BASE", stack.cf_base_url())
        .env("CLOUDFLARE_API_TOKEN", &stack.token)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(stack.linked_ssl(HOST), "full");
    assert_eq!(
        stack.ssl_mode(),
        "flexible",
        "the default scope leaves the zone alone"
    );
}
