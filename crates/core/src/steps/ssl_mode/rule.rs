//! The hostname scope's pure part: reading flarelink's Configuration Rules out of the zone's
//! `http_config_settings` entry point and merging the linked hostnames into them (or out of
//! them, for `unlink-domain`).
//!
//! **One rule per SSL/TLS mode**, marked by its description ([`marker`]): `flarelink: ssl full
//! for linked hostnames` and `flarelink: ssl strict for linked hostnames`. One rule per mode
//! (rather than one rule, or one per hostname) lets two configurations on the same zone ask for
//! different modes without fighting over one rule, and keeps the list short (Cloudflare limits
//! the rules of a phase). A hostname is in at most one of them.
//!
//! A rule's expression matches exactly its hostnames, lower case, sorted:
//! `(http.host eq "a.example.com")` for one, `(http.host in {"a.example.com" "b.example.com"})`
//! for more. Hostnames already in a rule that this configuration does not name (another
//! configuration on the same zone put them there) are kept.
//!
//! Every rule flarelink did not write is kept exactly as read and in its place; flarelink's own
//! rules are updated in place; a new one is appended, so it comes after (and wins over) rules
//! that were already there. Never lowered: a hostname already on Full (strict) — through the
//! zone, flarelink's strict rule, or someone else's rule that names it — is not put on Full.
//! Someone else's rule that comes after flarelink's, sets `ssl` and names the hostname would win
//! over it: that is refused (never edited) unless `--force`; someone else's later `ssl` rule
//! that does not name the hostname might still match it (its expression is not evaluated
//! here): that is a warning.

use std::collections::{BTreeMap, BTreeSet};

use flarelink_cloudflare::{ConfigRule, SslMode, SET_CONFIG};
use serde_json::Value;

use crate::steps::Refusal;

/// The description that marks flarelink's rule for `mode`.
pub fn marker(mode: SslMode) -> String {
    format!("flarelink: ssl {mode} for linked hostnames")
}

/// The mode a description marks, when it is one of flarelink's markers.
fn marked_mode(description: &str) -> Option<SslMode> {
    [SslMode::Full, SslMode::Strict]
        .into_iter()
        .find(|m| description == marker(*m))
}

/// The expression matching exactly `hosts` (lower case, sorted by the set).
pub fn expression(hosts: &BTreeSet<String>) -> String {
    let quoted: Vec<String> = hosts.iter().map(|h| format!("\"{h}\"")).collect();
    match quoted.as_slice() {
        [one] => format!("(http.host eq {one})"),
        _ => format!("(http.host in {{{}}})", quoted.join(" ")),
    }
}

/// The hostnames of an expression flarelink wrote; `None` for any other expression (a rule
/// edited by hand).
fn parse_expression(expr: &str) -> Option<BTreeSet<String>> {
    let expr = expr.trim();
    let names: Vec<&str> = if let Some(one) = expr
        .strip_prefix("(http.host eq ")
        .and_then(|r| r.strip_suffix(')'))
    {
        vec![one.trim()]
    } else {
        let inner = expr.strip_prefix("(http.host in {")?.strip_suffix("})")?;
        inner.split_whitespace().collect()
    };
    let mut hosts = BTreeSet::new();
    for quoted in names {
        let name = quoted.strip_prefix('"')?.strip_suffix('"')?;
        if name.is_empty() || name.contains(['"', '\\']) {
            return None;
        }
        hosts.insert(name.to_string());
    }
    (!hosts.is_empty()).then_some(hosts)
}

/// A rule of the entry point, as flarelink sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// flarelink's rule for `mode`, naming `hosts`.
    Ours {
        mode: SslMode,
        hosts: BTreeSet<String>,
    },
    /// Someone else's.
    Foreign,
}

/// How flarelink reads a rule; a rule with flarelink's marker that flarelink could not have
/// written is refused rather than guessed at.
fn classify(rule: &ConfigRule) -> Result<Kind, Refusal> {
    let Some(mode) = rule.description().and_then(marked_mode) else {
        return Ok(Kind::Foreign);
    };
    let what = format!(
        "the Configuration Rule \"{}\"{}",
        marker(mode),
        rule.id().map(|i| format!(" (id {i})")).unwrap_or_default()
    );
    let edited = |how: &str| {
        Refusal::new(
            format!("{what} carries flarelink's marker but {how}, so flarelink did not write it this way"),
            "restore it (or delete it: flarelink writes it again), or change its description if it is yours now",
        )
    };
    if rule.action() != Some(SET_CONFIG) {
        return Err(edited("its action is not set_config"));
    }
    if rule.ssl() != Some(mode) {
        return Err(edited(&format!(
            "it sets ssl {:?}",
            rule.ssl_value().unwrap_or("(nothing)")
        )));
    }
    let hosts = rule
        .expression()
        .and_then(parse_expression)
        .ok_or_else(|| edited("its expression is not a list of hostnames"))?;
    Ok(Kind::Ours { mode, hosts })
}

/// Someone else's enabled rule that sets an SSL/TLS mode; `names(h)`: its expression names `h`
/// as a quoted string.
struct ForeignSsl<'a> {
    index: usize,
    rule: &'a ConfigRule,
    mode: Option<SslMode>,
    raw: &'a str,
}

impl ForeignSsl<'_> {
    fn names(&self, host: &str) -> bool {
        let quoted = format!("\"{host}\"");
        self.rule
            .expression()
            .is_some_and(|e| e.to_ascii_lowercase().contains(&quoted))
    }

    fn label(&self) -> String {
        let name = match self.rule.description() {
            Some(d) if !d.is_empty() => format!("\"{d}\""),
            _ => "without a description".into(),
        };
        match self.rule.id() {
            Some(id) => format!("rule {name} (id {id}, ssl {})", self.raw),
            None => format!("rule {name} (ssl {})", self.raw),
        }
    }
}

/// What a linked hostname gets after the step, and through what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSsl {
    pub hostname: String,
    pub mode: SslMode,
    pub via: Via,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// flarelink's Configuration Rule for the mode.
    Rule,
    /// The zone's own setting, already stronger than asked (not lowered).
    Zone,
    /// Someone else's rule that names the hostname and is already stronger (not lowered).
    Foreign(String),
}

/// The merge's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleMerge {
    /// The linked hostnames, in configuration order.
    pub hosts: Vec<HostSsl>,
    /// The whole new rule list, when it differs from what was read.
    pub write: Option<Vec<ConfigRule>>,
    /// flarelink's rules before and after, per mode (`None`: no such rule).
    pub before: BTreeMap<SslMode, Option<String>>,
    pub after: BTreeMap<SslMode, Option<String>>,
    /// Hostnames in flarelink's rules that this configuration does not name (kept).
    pub kept_hosts: BTreeSet<String>,
    /// How many rules are someone else's (kept byte for byte).
    pub foreign_rules: usize,
    /// Facts worth saying (not lowered, overrides).
    pub notes: Vec<String>,
    /// Things the user should check (a later rule that may win).
    pub warnings: Vec<String>,
}

/// Merges `hosts` (the configuration's hostnames, any case) into `rules` (the entry point's
/// list as read; empty when the phase was never set) for `wanted`, the zone being on
/// `zone_mode`. Pure.
pub fn merge(
    rules: &[ConfigRule],
    zone_mode: SslMode,
    wanted: SslMode,
    hosts: &[String],
    force: bool,
) -> Result<RuleMerge, Refusal> {
    let kinds: Vec<Kind> = rules.iter().map(classify).collect::<Result<_, _>>()?;
    // flarelink's rule per mode: the first one with the marker (a second one, which flarelink
    // never writes, is folded into it).
    let mut ours: BTreeMap<SslMode, usize> = BTreeMap::new();
    let mut current: BTreeMap<SslMode, BTreeSet<String>> = BTreeMap::new();
    for (i, kind) in kinds.iter().enumerate() {
        if let Kind::Ours { mode, hosts } = kind {
            ours.entry(*mode).or_insert(i);
            current
                .entry(*mode)
                .or_default()
                .extend(hosts.iter().cloned());
        }
    }
    let foreign: Vec<ForeignSsl> = rules
        .iter()
        .enumerate()
        .filter(|(i, r)| kinds[*i] == Kind::Foreign && r.enabled())
        .filter_map(|(index, rule)| {
            rule.ssl_value().map(|raw| ForeignSsl {
                index,
                rule,
                mode: rule.ssl(),
                raw,
            })
        })
        .collect();

    let wanted_hosts: Vec<String> = hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
    let mut notes = Vec::new();
    let mut warnings = Vec::new();
    let mut outcome = Vec::new();
    let mut next = current.clone();
    for h in &wanted_hosts {
        let in_ours = [SslMode::Strict, SslMode::Full]
            .into_iter()
            .find(|m| current.get(m).is_some_and(|s| s.contains(h)));
        // What the hostname has without flarelink's rules: the last other rule naming it,
        // else the zone.
        let without_ours = foreign
            .iter()
            .rev()
            .find(|f| f.names(h))
            .map(|f| (f.mode, Some(f.label())))
            .unwrap_or((Some(zone_mode), None));
        let target = match (in_ours, without_ours) {
            (Some(SslMode::Strict), _) if wanted == SslMode::Full => {
                notes.push(format!("{h}: already Full (strict) through flarelink's strict rule, which also accepts the Origin CA certificate; not lowered to Full"));
                Some(SslMode::Strict)
            }
            (None, (Some(SslMode::Strict), source)) if wanted == SslMode::Full => {
                let via = match &source {
                    Some(label) => {
                        notes.push(format!(
                            "{h}: already Full (strict) through {label}; not lowered to Full"
                        ));
                        Via::Foreign(label.clone())
                    }
                    None => {
                        notes.push(format!("{h}: the zone is already Full (strict), which also accepts the Origin CA certificate; not lowered to Full"));
                        Via::Zone
                    }
                };
                outcome.push(HostSsl {
                    hostname: h.clone(),
                    mode: SslMode::Strict,
                    via,
                });
                None
            }
            _ => Some(wanted),
        };
        for (mode, set) in next.iter_mut() {
            if Some(*mode) != target {
                set.remove(h);
            }
        }
        let Some(target) = target else { continue };
        next.entry(target).or_default().insert(h.clone());
        outcome.push(HostSsl {
            hostname: h.clone(),
            mode: target,
            via: Via::Rule,
        });
        // Our rule's place: where it is, or at the end when it is new.
        let position = ours.get(&target).copied().unwrap_or(rules.len());
        for f in foreign
            .iter()
            .filter(|f| f.index < position && f.mode != Some(target) && f.names(h))
        {
            notes.push(format!(
                "{h}: {} also names it; flarelink's rule comes after it and wins",
                f.label()
            ));
        }
        for f in foreign.iter().filter(|f| f.index > position) {
            let weaker = f.mode != Some(target)
                && !(f.mode == Some(SslMode::Strict) && target == SslMode::Full);
            if !weaker {
                continue;
            }
            let label = f.label();
            if f.names(h) {
                let message = format!(
                    "{label} comes after flarelink's Configuration Rule and names {h}: where it matches, it wins and {h} gets ssl {} instead of {target}",
                    f.raw
                );
                if !force {
                    return Err(Refusal::new(
                        message,
                        format!("edit that rule yourself (flarelink never does): remove {h} from it, set its ssl to {target}, or move it before flarelink's rule; or run with --force to write flarelink's rule anyway"),
                    ));
                }
                warnings.push(format!("{message} (--force: written anyway)"));
            } else {
                warnings.push(format!(
                    "{label} comes after flarelink's Configuration Rule and also sets ssl; if its expression matches {h}, it wins there — check it does not, or move it before flarelink's rule"
                ));
            }
        }
    }
    // The configuration order, whatever order the loop found them in.
    outcome.sort_by_key(|o| wanted_hosts.iter().position(|h| *h == o.hostname));
    notes.dedup();
    warnings.dedup();

    let new_rules = rebuild(rules, &kinds, &ours, &next);
    let unchanged = new_rules.len() == rules.len()
        && new_rules
            .iter()
            .zip(rules)
            .all(|(a, b)| a.fields() == b.fields());
    let named: BTreeSet<&String> = wanted_hosts.iter().collect();
    let kept_hosts = next
        .values()
        .flatten()
        .filter(|h| !named.contains(h))
        .cloned()
        .collect();
    Ok(RuleMerge {
        hosts: outcome,
        write: (!unchanged).then_some(new_rules),
        before: expressions(&current),
        after: expressions(&next),
        kept_hosts,
        foreign_rules: kinds.iter().filter(|k| **k == Kind::Foreign).count(),
        notes,
        warnings,
    })
}

fn expressions(sets: &BTreeMap<SslMode, BTreeSet<String>>) -> BTreeMap<SslMode, Option<String>> {
    [SslMode::Full, SslMode::Strict]
        .into_iter()
        .map(|m| {
            let e = sets.get(&m).filter(|s| !s.is_empty()).map(expression);
            (m, e)
        })
        .collect()
}

/// The new list: someone else's rules as read and in place; flarelink's first rule per mode
/// updated in place (dropped when it names nobody, re-enabled if disabled); a second marked rule
/// of the same mode dropped (folded into the first); a new rule per mode appended.
fn rebuild(
    rules: &[ConfigRule],
    kinds: &[Kind],
    ours: &BTreeMap<SslMode, usize>,
    next: &BTreeMap<SslMode, BTreeSet<String>>,
) -> Vec<ConfigRule> {
    let mut out = Vec::with_capacity(rules.len() + 1);
    for (i, (rule, kind)) in rules.iter().zip(kinds).enumerate() {
        match kind {
            Kind::Foreign => out.push(rule.clone()),
            Kind::Ours { mode, hosts } => {
                if ours.get(mode) != Some(&i) {
                    continue;
                }
                let Some(wanted) = next.get(mode).filter(|s| !s.is_empty()) else {
                    continue;
                };
                let mut fields = rule.fields().clone();
                if wanted != hosts {
                    fields.insert("expression".into(), Value::from(expression(wanted)));
                }
                if !rule.enabled() {
                    fields.insert("enabled".into(), Value::Bool(true));
                }
                out.push(ConfigRule::from_fields(fields));
            }
        }
    }
    for (mode, hosts) in next {
        if !hosts.is_empty() && !ours.contains_key(mode) {
            out.push(ConfigRule::set_ssl(
                &expression(hosts),
                *mode,
                &marker(*mode),
            ));
        }
    }
    out
}

/// `unlink-domain`'s merge: `hosts` out of flarelink's rules (a rule left naming nobody goes).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRemoval {
    /// The configured hostnames flarelink's rules named, with the mode.
    pub removed: Vec<(String, SslMode)>,
    /// Modes whose rule goes entirely.
    pub deleted_rules: Vec<SslMode>,
    pub write: Option<Vec<ConfigRule>>,
    /// A marked rule flarelink could not read (left alone).
    pub note: Option<String>,
}

pub fn remove(rules: &[ConfigRule], hosts: &[String]) -> RuleRemoval {
    let kinds: Vec<Kind> = match rules.iter().map(classify).collect::<Result<_, _>>() {
        Ok(k) => k,
        Err(refusal) => {
            return RuleRemoval {
                removed: Vec::new(),
                deleted_rules: Vec::new(),
                write: None,
                note: Some(format!("{}; left alone", refusal.message)),
            }
        }
    };
    let mut ours = BTreeMap::new();
    let mut sets: BTreeMap<SslMode, BTreeSet<String>> = BTreeMap::new();
    for (i, kind) in kinds.iter().enumerate() {
        if let Kind::Ours { mode, hosts } = kind {
            ours.entry(*mode).or_insert(i);
            sets.entry(*mode).or_default().extend(hosts.iter().cloned());
        }
    }
    let mut removed = Vec::new();
    for h in hosts.iter().map(|h| h.to_ascii_lowercase()) {
        for (mode, set) in sets.iter_mut() {
            if set.remove(&h) {
                removed.push((h.clone(), *mode));
            }
        }
    }
    let deleted_rules = sets
        .iter()
        .filter(|(_, s)| s.is_empty())
        .map(|(m, _)| *m)
        .collect();
    let new_rules = rebuild(rules, &kinds, &ours, &sets);
    let unchanged = new_rules.len() == rules.len()
        && new_rules
            .iter()
            .zip(rules)
            .all(|(a, b)| a.fields() == b.fields());
    RuleRemoval {
        removed,
        deleted_rules,
        write: (!unchanged).then_some(new_rules),
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: serde_json::Value) -> ConfigRule {
        serde_json::from_value(v).unwrap()
    }

    fn ours(mode: SslMode, expr: &str) -> ConfigRule {
        rule(json!({
            "id": format!("ours-{mode}"), "version": "2", "action": "set_config",
            "expression": expr, "action_parameters": {"ssl": mode.as_str()},
            "description": marker(mode), "enabled": true, "ref": "r",
        }))
    }

    fn foreign(expr: &str, ssl: &str) -> ConfigRule {
        rule(json!({
            "id": format!("f-{ssl}"), "version": "7", "action": "set_config", "expression": expr,
            "action_parameters": {"ssl": ssl, "bic": false}, "description": "theirs",
            "enabled": true, "logging": {"enabled": true},
        }))
    }

    fn hosts(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn expressions_round_trip_and_anything_else_is_not_ours() {
        let one: BTreeSet<String> = ["a.example.com".to_string()].into();
        assert_eq!(expression(&one), r#"(http.host eq "a.example.com")"#);
        let two: BTreeSet<String> = ["b.example.com".into(), "a.example.com".into()].into();
        assert_eq!(
            expression(&two),
            r#"(http.host in {"a.example.com" "b.example.com"})"#
        );
        assert_eq!(parse_expression(&expression(&one)), Some(one));
        assert_eq!(parse_expression(&expression(&two)), Some(two));
        for other in [
            "true",
            r#"(http.host eq "a" or true)"#,
            r#"(http.host in {})"#,
            r#"(http.host in {"a\"b"})"#,
            r#"(http.host eq a)"#,
        ] {
            assert_eq!(parse_expression(other), None, "{other}");
        }
    }

    #[test]
    fn a_never_set_phase_gets_one_new_rule_and_a_second_run_writes_nothing() {
        let m = merge(
            &[],
            SslMode::Flexible,
            SslMode::Full,
            &hosts(&["API.example.com"]),
            false,
        )
        .unwrap();
        let written = m.write.clone().unwrap();
        assert_eq!(written.len(), 1);
        assert_eq!(
            serde_json::to_value(&written[0]).unwrap(),
            json!({"action": "set_config", "expression": "(http.host eq \"api.example.com\")",
                   "action_parameters": {"ssl": "full"}, "enabled": true,
                   "description": "flarelink: ssl full for linked hostnames"})
        );
        assert_eq!(m.hosts[0].via, Via::Rule);
        let again = merge(
            &written,
            SslMode::Flexible,
            SslMode::Full,
            &hosts(&["api.example.com"]),
            false,
        )
        .unwrap();
        assert_eq!(again.write, None);
    }

    #[test]
    fn foreign_rules_are_kept_in_place_ours_is_updated_in_place_and_other_hosts_stay() {
        let before = foreign(r#"(http.request.uri.path contains "/old")"#, "off");
        let read = vec![
            before.clone(),
            ours(SslMode::Full, r#"(http.host eq "other.example.com")"#),
            rule(
                json!({"id": "x", "action": "set_config", "expression": "true",
                        "action_parameters": {"bic": true}, "description": null}),
            ),
        ];
        let m = merge(
            &read,
            SslMode::Flexible,
            SslMode::Full,
            &hosts(&["api.example.com"]),
            false,
        )
        .unwrap();
        let w = m.write.unwrap();
        assert_eq!(w.len(), 3);
        assert_eq!(w[0], read[0]);
        assert_eq!(w[2], read[2]);
        assert_eq!(
            w[1].expression(),
            Some(r#"(http.host in {"api.example.com" "other.example.com"})"#)
        );
        assert_eq!(w[1].id(), Some("ours-full"));
        assert_eq!(w[1].fields()["ref"], "r");
        assert!(m.kept_hosts.contains("other.example.com"));
        assert_eq!(m.foreign_rules, 2);
    }

    #[test]
    fn never_lowered_from_strict_by_the_zone_our_strict_rule_or_a_foreign_rule() {
        let h = hosts(&["api.example.com"]);
        let m = merge(&[], SslMode::Strict, SslMode::Full, &h, false).unwrap();
        assert_eq!(m.write, None);
        assert_eq!(m.hosts[0].via, Via::Zone);
        assert_eq!(m.hosts[0].mode, SslMode::Strict);
        assert!(m.notes[0].contains("not lowered"), "{:?}", m.notes);

        let strict = vec![ours(SslMode::Strict, r#"(http.host eq "api.example.com")"#)];
        let m = merge(&strict, SslMode::Flexible, SslMode::Full, &h, false).unwrap();
        assert_eq!(m.write, None);
        assert_eq!(m.hosts[0].mode, SslMode::Strict);

        let theirs = vec![foreign(r#"http.host eq "api.example.com""#, "strict")];
        let m = merge(&theirs, SslMode::Flexible, SslMode::Full, &h, false).unwrap();
        assert_eq!(m.write, None);
        assert!(matches!(m.hosts[0].via, Via::Foreign(_)));

        // Full → strict moves the hostname into the strict rule; the full rule, now empty, goes.
        let full = vec![ours(SslMode::Full, r#"(http.host eq "api.example.com")"#)];
        let m = merge(&full, SslMode::Flexible, SslMode::Strict, &h, false).unwrap();
        let w = m.write.unwrap();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].description(), Some(marker(SslMode::Strict).as_str()));
        assert_eq!(w[0].ssl(), Some(SslMode::Strict));
    }

    #[test]
    fn a_later_foreign_rule_naming_the_hostname_is_refused_and_one_that_may_match_is_a_warning() {
        let h = hosts(&["api.example.com"]);
        let read = vec![
            ours(SslMode::Full, r#"(http.host eq "api.example.com")"#),
            foreign(r#"(http.host eq "API.example.com")"#, "flexible"),
        ];
        let r = merge(&read, SslMode::Flexible, SslMode::Full, &h, false).unwrap_err();
        assert!(r.message.contains("comes after"), "{r:?}");
        assert!(r.fix.contains("--force"), "{r:?}");
        let forced = merge(&read, SslMode::Flexible, SslMode::Full, &h, true).unwrap();
        assert_eq!(forced.write, None);
        assert_eq!(forced.warnings.len(), 1);

        let read = vec![
            ours(SslMode::Full, r#"(http.host eq "api.example.com")"#),
            foreign(
                r#"starts_with(http.request.uri.path, "/legacy")"#,
                "flexible",
            ),
        ];
        let m = merge(&read, SslMode::Flexible, SslMode::Full, &h, false).unwrap();
        assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
        // A new rule is appended after everything: nothing comes after it.
        let m = merge(&read[1..], SslMode::Flexible, SslMode::Full, &h, false).unwrap();
        assert!(m.warnings.is_empty());
        assert_eq!(m.write.unwrap().len(), 2);
    }

    #[test]
    fn a_marked_rule_flarelink_did_not_write_is_refused() {
        let mut edited = ours(SslMode::Full, "(http.host eq \"api.example.com\") or true");
        let r = merge(
            std::slice::from_ref(&edited),
            SslMode::Flexible,
            SslMode::Full,
            &hosts(&["api.example.com"]),
            false,
        )
        .unwrap_err();
        assert!(r.message.contains("flarelink's marker"), "{r:?}");
        edited = ours(SslMode::Full, "(http.host eq \"api.example.com\")");
        edited.set_ssl_mode(SslMode::Flexible);
        assert!(merge(
            &[edited],
            SslMode::Flexible,
            SslMode::Full,
            &hosts(&["a.b"]),
            false
        )
        .is_err());
    }

    #[test]
    fn unlink_removes_only_its_hostnames_and_an_empty_rule() {
        let theirs = foreign("true", "strict");
        let read = vec![
            ours(
                SslMode::Full,
                r#"(http.host in {"a.example.com" "b.example.com"})"#,
            ),
            theirs.clone(),
        ];
        let r = remove(&read, &hosts(&["a.example.com"]));
        let w = r.write.unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].expression(), Some(r#"(http.host eq "b.example.com")"#));
        assert_eq!(w[1], theirs);
        assert_eq!(r.removed, vec![("a.example.com".into(), SslMode::Full)]);
        assert!(r.deleted_rules.is_empty());

        let r = remove(&w, &hosts(&["b.example.com"]));
        assert_eq!(r.write.unwrap(), vec![theirs.clone()]);
        assert_eq!(r.deleted_rules, vec![SslMode::Full]);
        let r = remove(std::slice::from_ref(&theirs), &hosts(&["b.example.com"]));
        assert_eq!(r.write, None);
        assert!(r.removed.is_empty());
    }
}
