//! Rendering a run for people (lines and a summary) and for scripts (one JSON document).

use flarelink_core::report::{Action, RunReport, StepReport};
use serde_json::json;

/// What a step is about: its hostname, "(zone)" for the zone-wide SSL mode, nothing for
/// provisioning steps (their summary names what they touch).
fn subject(r: &StepReport) -> &str {
    match (&r.hostname, r.step) {
        (Some(h), _) => h,
        (None, flarelink_core::StepId::SslMode) => "(zone)",
        (None, _) => "",
    }
}

pub fn step_line(r: &StepReport) -> String {
    let mut line = format!(
        "[{}/{}] {:<16} {:<18} {:<7} {}",
        r.number,
        r.of,
        r.step.name(),
        subject(r),
        r.action.as_str(),
        r.summary
    );
    for d in &r.details {
        line.push_str("\n        ");
        line.push_str(d);
    }
    line
}

/// The summary after the step lines (which were printed as they settled).
pub fn human_summary(report: &RunReport) -> String {
    let mut out = String::new();
    if !report.unchecked.is_empty() {
        out.push_str("\nCould not check live state, so this is the static plan:\n");
        for u in &report.unchecked {
            out.push_str(&format!("  - {u}\n"));
        }
    }
    for w in &report.warnings {
        out.push_str(&format!("\nwarning: {w}\n"));
    }
    out.push('\n');
    for d in &report.domains {
        let row = |k: &str, v: Option<&str>| format!("  {k:<22} {}\n", v.unwrap_or("-"));
        out.push_str(&row("hostname", Some(&d.hostname)));
        out.push_str(&row(
            "regional domain name",
            d.regional_domain_name.as_deref(),
        ));
        out.push_str(&row("certificate ARN", d.certificate_arn.as_deref()));
        out.push_str(&row(
            "Cloudflare cert id",
            d.cloudflare_certificate_id.as_deref(),
        ));
        out.push_str(&row(
            "API mapping",
            Some(&format!(
                "{} → {} stage {}",
                d.base_path,
                d.rest_api_id.as_deref().unwrap_or("?"),
                d.stage
            )),
        ));
        // The origin lock's rows, only when the run knows of one (so other summaries are
        // unchanged).
        let lock = &d.lock;
        if let Some(state) = &lock.origin_lock {
            out.push_str(&row("origin lock", Some(state)));
        }
        if let Some(id) = &lock.client_certificate_id {
            let expires = lock
                .client_certificate_expires
                .as_deref()
                .map(|t| format!(" (expires {})", t.get(..10).unwrap_or(t)))
                .unwrap_or_default();
            out.push_str(&row("client certificate", Some(&format!("{id}{expires}"))));
        }
        if let Some(uri) = &lock.truststore_uri {
            let version = lock
                .truststore_version
                .as_deref()
                .unwrap_or("(after this run)");
            out.push_str(&row(
                "truststore",
                Some(&format!("{uri} version {version}")),
            ));
        }
    }
    if let Some(p) = &report.provisioned {
        let row = |k: &str, v: Option<&str>| format!("  {k:<22} {}\n", v.unwrap_or("-"));
        out.push_str(&row("user pool", p.user_pool_id.as_deref()));
        out.push_str(&row("app client", p.app_client_id.as_deref()));
        out.push_str(&row("hosted UI", p.hosted_ui.as_deref()));
        out.push_str(&row("REST API", p.rest_api_id.as_deref()));
        out.push_str(&row("stage", Some(&p.stage)));
        out.push_str(&row("invoke URL", p.invoke_url.as_deref()));
    }
    let rule_line = report
        .steps
        .iter()
        .find(|s| s.step == flarelink_core::StepId::SslMode)
        .filter(|_| report.zone.ssl_scope.as_deref() == Some("hostname"));
    if let Some(step) = rule_line {
        // Hostname scope: the step's own line says what each hostname gets and the zone keeps.
        out.push_str(&format!("  {:<22} {}\n", "SSL/TLS mode", step.summary));
    } else if let Some(mode) = &report.zone.ssl_mode {
        let zone = report.zone.name.as_deref().unwrap_or("the zone");
        let was = match report.zone.ssl_mode_before.as_deref() {
            Some(before) if before != mode => format!(", was {before}"),
            _ => String::new(),
        };
        out.push_str(&format!(
            "  {:<22} {mode}{was} (zone-wide for {zone})\n",
            "SSL/TLS mode"
        ));
    }
    let changes = report.changes();
    out.push('\n');
    if report.dry_run {
        if !report.unchecked.is_empty() || report.steps.iter().any(|s| s.action == Action::Unknown)
        {
            out.push_str("Dry run: nothing was changed.\n");
        } else if changes == 0 {
            out.push_str("Dry run: everything is in place; a real run would change nothing.\n");
        } else {
            out.push_str(&format!(
                "Dry run: {changes} step(s) would change something; nothing was changed.\n"
            ));
        }
    } else if changes == 0 {
        out.push_str("Done: everything was already in place; nothing changed.\n");
    } else {
        out.push_str(&format!("Done: {changes} step(s) changed something.\n"));
    }
    out
}

pub fn json_report(report: &RunReport) -> String {
    serde_json::to_string_pretty(&json!({ "ok": true, "report": report }))
        .expect("reports serialize")
}

pub fn json_error(
    kind: &str,
    message: &str,
    hint: Option<&str>,
    problems: Option<serde_json::Value>,
) -> String {
    let mut error = json!({ "kind": kind, "message": message });
    if let Some(h) = hint {
        error["hint"] = json!(h);
    }
    if let Some(p) = problems {
        error["problems"] = p;
    }
    serde_json::to_string_pretty(&json!({ "ok": false, "error": error })).expect("errors serialize")
}

#[cfg(test)]
mod tests {
    use flarelink_core::report::{Action, DomainSummary, RunReport, StepReport};
    use flarelink_core::StepId;

    use super::*;

    fn report(dry_run: bool, steps: Vec<StepReport>) -> RunReport {
        let mut r = RunReport::new("link-domain", dry_run);
        r.steps = steps;
        r
    }

    fn step(id: StepId, host: Option<&str>, action: Action) -> StepReport {
        StepReport::new(id, host, action, "what")
    }

    #[test]
    fn a_step_line_has_number_name_subject_action_summary_then_indented_details() {
        let r = StepReport::new(
            StepId::DnsRecord,
            Some("api.example.com"),
            Action::Change,
            "update CNAME",
        )
        .detail("before: CNAME api.example.com → old.example.net");
        assert_eq!(
            step_line(&r),
            "[5/6] dns-record       api.example.com    change  update CNAME\n        before: CNAME api.example.com → old.example.net"
        );
    }

    #[test]
    fn the_zone_wide_step_names_the_zone_and_provision_steps_name_nothing() {
        let ssl = step_line(&step(StepId::SslMode, None, Action::Exists));
        assert!(ssl.starts_with("[6/6] ssl-mode         (zone)  "), "{ssl}");
        let pool = step_line(&step(StepId::UserPool, None, Action::Create));
        assert!(pool.starts_with("[1/7] user-pool        "), "{pool}");
        assert!(!pool.contains("(zone)"), "{pool}");
    }

    #[test]
    fn the_closing_line_counts_changes_and_says_whether_anything_was_changed() {
        let two = vec![
            step(StepId::OriginCert, Some("h"), Action::Create),
            step(StepId::AcmImport, Some("h"), Action::Exists),
            step(StepId::SslMode, None, Action::Change),
        ];
        let done = human_summary(&report(false, two.clone()));
        assert!(
            done.ends_with("\nDone: 2 step(s) changed something.\n"),
            "{done}"
        );
        let dry = human_summary(&report(true, two));
        assert!(
            dry.ends_with("\nDry run: 2 step(s) would change something; nothing was changed.\n"),
            "{dry}"
        );
        let nothing = vec![step(StepId::OriginCert, Some("h"), Action::Exists)];
        assert!(human_summary(&report(false, nothing.clone()))
            .ends_with("Done: everything was already in place; nothing changed.\n"));
        assert!(human_summary(&report(true, nothing))
            .ends_with("Dry run: everything is in place; a real run would change nothing.\n"));
        let unknown = vec![step(StepId::OriginCert, Some("h"), Action::Unknown)];
        assert!(human_summary(&report(true, unknown)).ends_with("Dry run: nothing was changed.\n"));
    }

    #[test]
    fn the_summary_lists_each_hostname_unchecked_reasons_warnings_and_the_previous_ssl_mode() {
        let mut r = report(false, Vec::new());
        r.domains.push(DomainSummary {
            hostname: "api.example.com".into(),
            regional_domain_name: Some("d-1.execute-api.us-east-1.amazonaws.com".into()),
            certificate_arn: None,
            cloudflare_certificate_id: Some("42".into()),
            rest_api_id: Some("abc".into()),
            stage: "prod".into(),
            base_path: "(none)".into(),
            lock: Default::default(),
        });
        r.unchecked.push("Cloudflare: no token".into());
        r.warnings.push("imported without a chain".into());
        r.zone.name = Some("example.com".into());
        r.zone.ssl_mode_before = Some("flexible".into());
        r.zone.ssl_mode = Some("full".into());
        let text = human_summary(&r);
        for line in [
            "Could not check live state, so this is the static plan:\n  - Cloudflare: no token\n",
            "\nwarning: imported without a chain\n",
            "  hostname               api.example.com\n",
            "  regional domain name   d-1.execute-api.us-east-1.amazonaws.com\n",
            "  certificate ARN        -\n",
            "  Cloudflare cert id     42\n",
            "  API mapping            (none) → abc stage prod\n",
            "  SSL/TLS mode           full, was flexible (zone-wide for example.com)\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
        r.zone.ssl_mode_before = Some("full".into());
        assert!(human_summary(&r)
            .contains("  SSL/TLS mode           full (zone-wide for example.com)\n"));
    }

    #[test]
    fn json_documents_are_ok_with_the_report_or_not_ok_with_the_error() {
        let doc: serde_json::Value =
            serde_json::from_str(&json_report(&report(true, Vec::new()))).unwrap();
        assert_eq!(doc["ok"], true);
        assert_eq!(doc["report"]["command"], "link-domain");
        assert_eq!(doc["report"]["dry_run"], true);
        assert!(
            doc["report"].get("warnings").is_none(),
            "empty lists are left out"
        );

        let err: serde_json::Value = serde_json::from_str(&json_error(
            "conflict",
            "refused",
            Some("pass --force"),
            None,
        ))
        .unwrap();
        assert_eq!(
            err,
            serde_json::json!({"ok": false, "error": {"kind": "conflict", "message": "refused", "hint": "pass --force"}})
        );
        let bare: serde_json::Value = serde_json::from_str(&json_error(
            "config",
            "bad",
            None,
            Some(serde_json::json!([1])),
        ))
        .unwrap();
        assert_eq!(bare["error"]["problems"], serde_json::json!([1]));
        assert!(bare["error"].get("hint").is_none());
    }
}
