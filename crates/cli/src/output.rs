//! Rendering a run for people (lines and a summary) and for scripts (one JSON document).

use flarelink_core::plan::{Action, RunReport, StepReport};
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
    if let Some(mode) = &report.zone.ssl_mode {
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
