//! Step 6 — ssl-mode: Cloudflare reaches API Gateway over HTTPS — Full (or Full (strict)) —
//! in one of two scopes (`cloudflare.ssl_scope`):
//!
//! - **hostname** (the default): a Configuration Rule in the zone's `http_config_settings`
//!   phase entry point sets `ssl` for exactly the linked hostnames; the zone's own setting (and
//!   so every other proxied hostname of the zone) stays as it is. The merge — flarelink's rules,
//!   their marker, what is kept, never lowering, a later rule that would win — is [`rule`]'s.
//! - **zone**: the guide's step, the zone's SSL/TLS setting, which reaches every proxied
//!   hostname of the zone; the plan and the report list them.
//!
//! **Writing the rules.** `PUT` of the entry point replaces the whole list, so flarelink sends
//! every rule it read, unchanged, with its own merged in. The `PUT` is idempotent: one whose
//! answer was lost is safe to repeat (the client retries it), and a second run sends nothing.
//! After writing, flarelink reads the list again and checks that its rules are there as written
//! and that every other rule is as it read it; it also compares the ruleset's version (one
//! write bumps it by one). **What remains:** Cloudflare offers no conditional `PUT` on the
//! entry point, so an edit someone else makes between flarelink's read and its write is lost
//! without a trace flarelink can see, unless it also bumps the version (then the report warns);
//! the window is the time between one `GET` and one `PUT` (milliseconds).

mod rule;

pub use rule::{marker, HostSsl, RuleMerge, RuleRemoval, Via};

use flarelink_cloudflare::{
    CloudflareClient, ConfigRule, ConfigRuleset, SslMode, SslSetting, Zone,
};
use serde_json::{Map, Value};

use super::Refusal;
use crate::config::SslScope;
use crate::error::{Context, Error};
use crate::report::{Action, StepId, StepReport};
use crate::settle::Settle;

const STEP: StepId = StepId::SslMode;

/// What discovery found: the zone's setting, and the scope's own state.
#[derive(Debug, Clone)]
pub enum SslFound {
    /// The zone's setting and every proxied hostname of the zone.
    Zone {
        setting: SslSetting,
        proxied: Vec<String>,
    },
    /// The zone's setting and the Configuration Rules entry point (`None`: never set).
    Hostname {
        setting: SslSetting,
        ruleset: Option<ConfigRuleset>,
    },
}

impl SslFound {
    pub fn setting(&self) -> &SslSetting {
        match self {
            SslFound::Zone { setting, .. } | SslFound::Hostname { setting, .. } => setting,
        }
    }
}

/// Discover: the zone's SSL/TLS setting beside (zone scope) its proxied records, or (hostname
/// scope) its Configuration Rules.
pub async fn discover(
    cloudflare: &CloudflareClient,
    zone: &Zone,
    scope: SslScope,
) -> Result<SslFound, Error> {
    let setting = async {
        cloudflare
            .get_ssl_mode(&zone.id)
            .await
            .step(STEP, &zone.name)
    };
    match scope {
        SslScope::Zone => {
            let proxied = async {
                cloudflare
                    .list_proxied_records(&zone.id)
                    .await
                    .step(STEP, &zone.name)
            };
            let (setting, records) = tokio::try_join!(setting, proxied)?;
            let mut proxied: Vec<String> = records
                .into_iter()
                .map(|r| r.name.to_ascii_lowercase())
                .collect();
            proxied.sort();
            proxied.dedup();
            Ok(SslFound::Zone { setting, proxied })
        }
        SslScope::Hostname => {
            let rules = async {
                cloudflare
                    .get_config_rules(&zone.id)
                    .await
                    .step(STEP, &zone.name)
            };
            let (setting, ruleset) = tokio::try_join!(setting, rules)?;
            Ok(SslFound::Hostname { setting, ruleset })
        }
    }
}

/// The step's plan, per scope.
#[derive(Debug, Clone, PartialEq)]
pub enum SslPlan {
    Zone {
        decision: SslDecision,
        /// Every proxied hostname the zone-wide setting reaches (with the linked ones).
        affected: Vec<String>,
        /// Those of them this configuration does not link.
        others: Vec<String>,
    },
    Hostname {
        zone_mode: SslMode,
        /// The ruleset as read (`None`: the phase was never set).
        read: Option<ConfigRuleset>,
        merge: Box<RuleMerge>,
    },
}

/// Decide (pure): `hostnames` are the configuration's.
pub fn decide_plan(
    found: &SslFound,
    wanted: SslMode,
    hostnames: &[String],
    force: bool,
) -> Result<SslPlan, Refusal> {
    match found {
        SslFound::Zone { setting, proxied } => {
            let decision = decide(setting, wanted)?;
            let linked: Vec<String> = hostnames.iter().map(|h| h.to_ascii_lowercase()).collect();
            let mut affected: Vec<String> = proxied.iter().chain(&linked).cloned().collect();
            affected.sort();
            affected.dedup();
            let others = affected
                .iter()
                .filter(|h| !linked.contains(h))
                .cloned()
                .collect();
            Ok(SslPlan::Zone {
                decision,
                affected,
                others,
            })
        }
        SslFound::Hostname { setting, ruleset } => {
            let rules = ruleset.as_ref().map(|r| r.rules.as_slice()).unwrap_or(&[]);
            let merge = rule::merge(rules, setting.value, wanted, hostnames, force)?;
            Ok(SslPlan::Hostname {
                zone_mode: setting.value,
                read: ruleset.clone(),
                merge: Box::new(merge),
            })
        }
    }
}

impl SslPlan {
    /// The zone's own mode after the step.
    pub fn zone_after(&self) -> SslMode {
        match self {
            SslPlan::Zone { decision, .. } => decision.resulting(),
            SslPlan::Hostname { zone_mode, .. } => *zone_mode,
        }
    }

    pub fn scope(&self) -> SslScope {
        match self {
            SslPlan::Zone { .. } => SslScope::Zone,
            SslPlan::Hostname { .. } => SslScope::Hostname,
        }
    }

    /// Warnings for the run's summary.
    pub fn warnings(&self) -> Vec<String> {
        match self {
            SslPlan::Zone { .. } => Vec::new(),
            SslPlan::Hostname { merge, .. } => merge.warnings.clone(),
        }
    }
}

/// The zone scope's decision on the zone's setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SslDecision {
    Keep {
        current: SslMode,
        note: Option<String>,
    },
    Set {
        from: SslMode,
        to: SslMode,
    },
}

pub fn decide(current: &SslSetting, wanted: SslMode) -> Result<SslDecision, Refusal> {
    if current.value == wanted {
        return Ok(SslDecision::Keep {
            current: current.value,
            note: None,
        });
    }
    if wanted == SslMode::Full && current.value == SslMode::Strict {
        // Never weaken: Full (strict) also accepts an Origin CA certificate.
        return Ok(SslDecision::Keep {
            current: current.value,
            note: Some("already Full (strict), which also accepts the Origin CA certificate; not lowered to Full".into()),
        });
    }
    if !current.editable {
        return Err(Refusal::new(
            format!(
                "the zone's SSL/TLS mode is {} and Cloudflare marks it not editable",
                current.value
            ),
            "check the zone's plan and any Configuration Rules that pin the SSL setting",
        ));
    }
    Ok(SslDecision::Set {
        from: current.value,
        to: wanted,
    })
}

impl SslDecision {
    /// The mode the zone has after the step.
    pub fn resulting(&self) -> SslMode {
        match self {
            SslDecision::Keep { current, .. } => *current,
            SslDecision::Set { to, .. } => *to,
        }
    }
}

/// The zone scope's report, which says the setting is zone-wide and whom it reaches.
fn zone_report(
    zone: Option<&Zone>,
    d: &SslDecision,
    affected: &[String],
    others: &[String],
) -> StepReport {
    let zone_name = zone.map(|z| z.name.as_str()).unwrap_or("the zone");
    let zone_wide = format!("zone-wide: applies to every proxied hostname in {zone_name}");
    let reach = if affected.is_empty() {
        "no proxied hostname in the zone yet".to_string()
    } else {
        format!("proxied hostnames affected: {}", affected.join(", "))
    };
    let mut r = match d {
        SslDecision::Keep { current, note } => {
            let mut r = StepReport::new(
                STEP,
                None,
                Action::Exists,
                format!("SSL/TLS encryption mode is {current} (zone-wide)"),
            )
            .detail(zone_wide);
            if let Some(n) = note {
                r = r.detail(n.clone());
            }
            r
        }
        SslDecision::Set { from, to } => StepReport::new(
            STEP,
            None,
            Action::Change,
            format!("set SSL/TLS encryption mode {from} → {to} (zone-wide)"),
        )
        .detail(format!("before: {from}"))
        .detail(zone_wide),
    };
    r = r.detail(reach);
    if matches!(d, SslDecision::Set { .. }) && !others.is_empty() {
        r = r.detail(format!(
            "not linked by this configuration, changed too: {}; cloudflare.ssl_scope = \"hostname\" leaves them alone",
            others.join(", ")
        ));
    }
    r
}

/// "full for a.example.com, b.example.com (Configuration Rule)" groups, in configuration order.
fn hostname_groups(hosts: &[HostSsl]) -> String {
    let mut groups: Vec<(SslMode, &Via, Vec<&str>)> = Vec::new();
    for h in hosts {
        match groups
            .iter_mut()
            .find(|(m, v, _)| *m == h.mode && **v == h.via)
        {
            Some(g) => g.2.push(&h.hostname),
            None => groups.push((h.mode, &h.via, vec![&h.hostname])),
        }
    }
    groups
        .iter()
        .map(|(mode, via, names)| {
            let through = match via {
                Via::Rule => "Configuration Rule",
                Via::Zone => "zone setting, not lowered",
                Via::Foreign(_) => "another rule, not lowered",
            };
            format!("{mode} for {} ({through})", names.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The hostname scope's report.
fn hostname_report(zone_mode: SslMode, read: Option<&ConfigRuleset>, m: &RuleMerge) -> StepReport {
    let summary = format!("{}, zone stays {zone_mode}", hostname_groups(&m.hosts));
    let action = match (&m.write, read) {
        (None, _) => Action::Exists,
        (Some(_), None) => Action::Create,
        (Some(_), Some(_)) if m.before.values().all(Option::is_none) => Action::Create,
        (Some(_), Some(_)) => Action::Change,
    };
    let mut r = StepReport::new(STEP, None, action, summary);
    for (mode, after) in &m.after {
        let before = &m.before[mode];
        let name = marker(*mode);
        r = match (before, after) {
            (None, None) => r,
            (Some(b), Some(a)) if b == a => r.detail(format!("rule \"{name}\": {a}")),
            (Some(b), Some(a)) => r
                .detail(format!("rule \"{name}\": {a}"))
                .detail(format!("before: {b}")),
            (None, Some(a)) => r.detail(format!("new rule \"{name}\": {a}")),
            (Some(b), None) => r.detail(format!(
                "rule \"{name}\" removed (it named only hostnames moved to another mode; was {b})"
            )),
        };
    }
    if read.is_none() && m.write.is_some() {
        r = r.detail(
            "the zone had no Configuration Rules: the http_config_settings entry point is created",
        );
    }
    if !m.kept_hosts.is_empty() {
        r = r.detail(format!(
            "kept in flarelink's rules (another configuration links them): {}",
            m.kept_hosts.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if m.foreign_rules > 0 {
        r = r.detail(format!(
            "{} rule(s) not flarelink's kept unchanged and in place",
            m.foreign_rules
        ));
    }
    r = r.detail(format!(
        "the zone's own mode ({zone_mode}) and its other proxied hostnames are left as they are"
    ));
    for n in &m.notes {
        r = r.detail(n.clone());
    }
    for w in &m.warnings {
        r = r.detail(format!("warning: {w}"));
    }
    r
}

/// What a dry-run prints and an applied step starts from.
pub fn report(zone: Option<&Zone>, plan: &SslPlan) -> StepReport {
    match plan {
        SslPlan::Zone {
            decision,
            affected,
            others,
        } => zone_report(zone, decision, affected, others),
        SslPlan::Hostname {
            zone_mode,
            read,
            merge,
        } => hostname_report(*zone_mode, read.as_ref(), merge),
    }
}

pub fn static_report(wanted: SslMode, scope: SslScope, hostnames: &[String]) -> StepReport {
    let summary = match scope {
        SslScope::Zone => format!("SSL/TLS encryption mode {wanted} (zone-wide)"),
        SslScope::Hostname => format!(
            "{wanted} for {} (Configuration Rule), zone mode unchanged",
            hostnames.join(", ")
        ),
    };
    StepReport::new(STEP, None, Action::Unknown, summary)
}

/// Apply: set the zone's mode, or write the merged rule list and check it took.
pub async fn apply(
    cloudflare: &CloudflareClient,
    settle: Settle<'_>,
    zone: &Zone,
    plan: &SslPlan,
) -> Result<StepReport, Error> {
    let mut r = report(Some(zone), plan);
    match plan {
        SslPlan::Zone {
            decision: SslDecision::Set { to, .. },
            ..
        } => {
            settle.begin(STEP, None, &r.summary);
            cloudflare
                .set_ssl_mode(&zone.id, *to)
                .await
                .step(STEP, &zone.name)?;
            r.applied = true;
        }
        SslPlan::Zone { .. } => {}
        SslPlan::Hostname { read, merge, .. } => {
            if let Some(rules) = &merge.write {
                settle.begin(STEP, None, &r.summary);
                if let Some(w) = write_rules(cloudflare, zone, read.as_ref(), rules).await? {
                    r = r.detail(format!("warning: {w}"));
                }
                r.applied = true;
            }
        }
    }
    Ok(r)
}

/// A rule as compared after writing: without the fields Cloudflare assigns.
fn comparable(rule: &ConfigRule) -> Map<String, Value> {
    let mut f = rule.fields().clone();
    f.remove("version");
    f.remove("last_updated");
    f
}

/// `PUT`s `rules`, then reads the list again: every rule sent is there, in order, with every
/// field as sent (what Cloudflare adds — `id`, `ref`, `version`, `last_updated` — aside);
/// anything else is an error that says what to do. Returns a warning when the ruleset's version
/// moved by more than this one write.
async fn write_rules(
    cloudflare: &CloudflareClient,
    zone: &Zone,
    read: Option<&ConfigRuleset>,
    rules: &[ConfigRule],
) -> Result<Option<String>, Error> {
    let written = cloudflare
        .put_config_rules(&zone.id, rules)
        .await
        .step(STEP, &zone.name)?;
    let again = cloudflare
        .get_config_rules(&zone.id)
        .await
        .step(STEP, &zone.name)?;
    let now = again.map(|r| r.rules).unwrap_or_default();
    if !as_written(rules, &now) {
        return Err(Error::Conflict {
            step: STEP,
            hostname: zone.name.clone(),
            message: "the zone's Configuration Rules changed right after flarelink wrote them (someone else edited them at the same time)".into(),
            fix: "check the rules in the dashboard (Rules › Configuration Rules), then run flarelink again: it merges with what is there".into(),
        });
    }
    Ok(version_warning(
        read.and_then(|r| r.version.as_deref()),
        written.version.as_deref(),
    ))
}

/// Whether the list read back holds every rule sent, in order, with every field as sent.
/// Fields Cloudflare adds (a new rule's `id` and `ref`, defaults it fills in) are not a change.
fn as_written(sent: &[ConfigRule], now: &[ConfigRule]) -> bool {
    now.len() == sent.len()
        && now.iter().zip(sent).all(|(got, sent)| {
            let got = comparable(got);
            comparable(sent).iter().all(|(k, v)| got.get(k) == Some(v))
        })
}

/// One write bumps the ruleset's version by one; more means another write came in between.
fn version_warning(before: Option<&str>, after: Option<&str>) -> Option<String> {
    let parse = |v: Option<&str>| v.and_then(|v| v.parse::<u64>().ok());
    match (parse(before), parse(after)) {
        (Some(b), Some(a)) if a > b + 1 => Some(format!(
            "the Configuration Rules' version went from {b} to {a} while flarelink wrote them: a write was repeated after a lost answer, or someone else wrote between flarelink's read and its write — check no edit of theirs is missing"
        )),
        _ => None,
    }
}

/// `unlink-domain`'s plan for the step.
#[derive(Debug, Clone, PartialEq)]
pub enum SslRemoval {
    /// Zone scope: the zone-wide mode stays as it is.
    Zone,
    /// Hostname scope: the hostnames out of flarelink's rules.
    Hostname {
        zone_mode: SslMode,
        removal: RuleRemoval,
    },
}

/// `unlink-domain`'s discovery: nothing for the zone scope; the zone's setting and the rules for
/// the hostname scope.
pub async fn discover_removal(
    cloudflare: &CloudflareClient,
    zone: &Zone,
    scope: SslScope,
) -> Result<Option<SslFound>, Error> {
    match scope {
        SslScope::Zone => Ok(None),
        SslScope::Hostname => discover(cloudflare, zone, scope).await.map(Some),
    }
}

/// Pure.
pub fn decide_removal(found: Option<&SslFound>, hostnames: &[String]) -> SslRemoval {
    match found {
        Some(SslFound::Hostname { setting, ruleset }) => {
            let rules = ruleset.as_ref().map(|r| r.rules.as_slice()).unwrap_or(&[]);
            SslRemoval::Hostname {
                zone_mode: setting.value,
                removal: rule::remove(rules, hostnames),
            }
        }
        _ => SslRemoval::Zone,
    }
}

/// `unlink-domain`'s line for the step.
pub fn removal_report(removal: &SslRemoval, hostnames: &[String]) -> StepReport {
    match removal {
        SslRemoval::Zone => StepReport::new(
            STEP,
            None,
            Action::Skip,
            "SSL/TLS encryption mode left as is (zone-wide; other hostnames may rely on it)",
        ),
        SslRemoval::Hostname { zone_mode, removal } => {
            let mut r = if removal.write.is_some() {
                let names: Vec<&str> = removal.removed.iter().map(|(h, _)| h.as_str()).collect();
                let mut r = StepReport::new(
                    STEP,
                    None,
                    Action::Delete,
                    format!(
                        "remove {} from flarelink's Configuration Rule, zone stays {zone_mode}",
                        names.join(", ")
                    ),
                );
                for mode in &removal.deleted_rules {
                    r = r.detail(format!(
                        "rule \"{}\" deleted: it names no other hostname",
                        marker(*mode)
                    ));
                }
                r
            } else {
                StepReport::new(
                    STEP,
                    None,
                    Action::Skip,
                    format!(
                        "no flarelink Configuration Rule names {}; zone stays {zone_mode}",
                        hostnames.join(", ")
                    ),
                )
            };
            if let Some(n) = &removal.note {
                r = r.detail(n.clone());
            }
            r.detail("the Configuration Rules entry point, rules not flarelink's and the zone's own mode are left as they are")
        }
    }
}

/// The static plan's line (dry-run without credentials).
pub fn static_removal_report(scope: SslScope) -> StepReport {
    match scope {
        SslScope::Zone => StepReport::new(
            STEP,
            None,
            Action::Skip,
            "SSL/TLS encryption mode left as is (zone-wide)",
        ),
        SslScope::Hostname => StepReport::new(
            STEP,
            None,
            Action::Unknown,
            "the hostnames out of flarelink's Configuration Rule (zone mode left as is)",
        ),
    }
}

/// `unlink-domain`'s write: the list without the hostnames (checked like link's).
pub async fn remove(
    cloudflare: &CloudflareClient,
    settle: Settle<'_>,
    zone: &Zone,
    removal: &SslRemoval,
    found: Option<&SslFound>,
    report: &StepReport,
) -> Result<Option<String>, Error> {
    let SslRemoval::Hostname { removal, .. } = removal else {
        return Ok(None);
    };
    let Some(rules) = &removal.write else {
        return Ok(None);
    };
    let read = match found {
        Some(SslFound::Hostname { ruleset, .. }) => ruleset.as_ref(),
        _ => None,
    };
    settle.begin(STEP, None, &report.summary);
    write_rules(cloudflare, zone, read, rules).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: SslMode, editable: bool) -> SslSetting {
        SslSetting {
            value: v,
            editable,
            modified_on: None,
        }
    }

    #[test]
    fn the_read_back_must_hold_every_rule_as_sent_and_the_version_one_write_further() {
        let rule = |v: serde_json::Value| -> ConfigRule { serde_json::from_value(v).unwrap() };
        let theirs = rule(
            serde_json::json!({"id": "t", "version": "3", "action": "set_config",
            "expression": "true", "action_parameters": {"bic": true}, "enabled": false}),
        );
        let ours = ConfigRule::set_ssl("(http.host eq \"a.example.com\")", SslMode::Full, "m");
        let sent = vec![theirs.clone(), ours.clone()];
        // Cloudflare adds id/ref/version/last_updated to the new rule and bumps versions.
        let mut added = ours.fields().clone();
        added.insert("id".into(), "n".into());
        added.insert("ref".into(), "n".into());
        added.insert("version".into(), "1".into());
        let mut bumped = theirs.fields().clone();
        bumped.insert("version".into(), "4".into());
        let back = vec![
            ConfigRule::from_fields(bumped),
            ConfigRule::from_fields(added.clone()),
        ];
        assert!(as_written(&sent, &back));
        // Someone else's rule changed, ours missing, or the order changed: not as written.
        let mut edited = theirs.clone();
        edited.set_expression("false");
        assert!(!as_written(
            &sent,
            &[edited, ConfigRule::from_fields(added.clone())]
        ));
        assert!(!as_written(&sent, std::slice::from_ref(&theirs)));
        assert!(!as_written(
            &sent,
            &[ConfigRule::from_fields(added), theirs]
        ));

        assert_eq!(version_warning(Some("5"), Some("6")), None);
        assert_eq!(version_warning(None, Some("1")), None);
        assert!(version_warning(Some("5"), Some("7"))
            .unwrap()
            .contains("5 to 7"));
    }

    #[test]
    fn the_mode_is_set_unless_already_right_never_lowered_from_strict_and_refused_when_not_editable(
    ) {
        assert!(matches!(
            decide(&s(SslMode::Full, true), SslMode::Full),
            Ok(SslDecision::Keep { note: None, .. })
        ));
        assert!(matches!(
            decide(&s(SslMode::Strict, true), SslMode::Full),
            Ok(SslDecision::Keep { note: Some(_), .. })
        ));
        assert_eq!(
            decide(&s(SslMode::Flexible, true), SslMode::Full),
            Ok(SslDecision::Set {
                from: SslMode::Flexible,
                to: SslMode::Full
            })
        );
        assert_eq!(
            decide(&s(SslMode::Full, true), SslMode::Strict),
            Ok(SslDecision::Set {
                from: SslMode::Full,
                to: SslMode::Strict
            })
        );
        assert!(decide(&s(SslMode::Off, false), SslMode::Full).is_err());
    }
}
