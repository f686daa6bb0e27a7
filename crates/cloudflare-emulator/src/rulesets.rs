//! Rulesets API, the zone's phase entry point of Configuration Rules:
//! `GET`/`PUT /zones/{z}/rulesets/phases/http_config_settings/entrypoint`, and
//! `GET /zones/{z}/rulesets` (the zone's rulesets, without their rules).
//!
//! Faithful (with sources):
//! - a phase that was never set answers 404, code 10003 "could not find entrypoint ruleset in
//!   the {phase} phase" (the answer many public clients test for, e.g. in their fixtures of
//!   Cloudflare's reply);
//! - `PUT` replaces the whole rule list and creates the entry point when it does not exist
//!   (Cloudflare's Rulesets API docs; cloud-facts); the ruleset has `id, name, description,
//!   kind: "zone", phase, rules, version, last_updated` (the official Python SDK's
//!   `PhaseGetResponse`); rules get `id`, `version` and `last_updated` from Cloudflare (its
//!   ruleset JSON reference), and a rule sent with its `id` keeps it;
//! - `set_config` without `action_parameters` → 20113 "action parameters are required for the
//!   set_config action" (quoted from a Cloudflare answer in terraform-provider-cloudflare issue
//!   #2285);
//! - an action the phase does not allow → "'block' is not a valid value for action because it
//!   is not possible to use the block action in a ruleset with phase … and kind …" (the wording
//!   quoted in terraform-provider-cloudflare issue #1242);
//! - a bad expression → the engine's "Filter parsing error (1:COL): …" text (see
//!   [`crate::expression`]);
//! - `action_parameters.ssl` ∈ off, flexible, full, strict, origin_pull and the other
//!   `set_config` parameter names (the official SDK's `SetConfigRule.ActionParameters`);
//! - errors carry `source.pointer` (e.g. `/rules/0/action`) and every problem of a body is
//!   listed at once; `dry_run=true` validates without storing and answers `result: null` (the
//!   SDK's `phases.update(dry_run=…)` docs).
//!
//! Approximated: code 20021 for every other validation error (Cloudflare's codes for them are
//! not documented), `ref` (= the id) and `enabled: true` filled in on rules sent without them,
//! an unknown rule `id` or a repeated `id`/`ref` refused with 20021, a `PUT` without `rules`
//! taken as an empty list, the
//! default ruleset name `default` when the first `PUT` names none, an empty
//! `action_parameters` object treated like a missing one, rule `version` bumped only when a
//! rule's content changes and ruleset `version` on every `PUT`, read-only rule fields
//! (`version`, `last_updated`) accepted and ignored in a `PUT` (clients send back what they
//! read), no per-plan rule count limit. Only the `http_config_settings` phase is emulated: the
//! other phases read as never set (404) and refuse writes with an emulator message.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use chrono::Utc;
use serde_json::{json, Map, Value};

use crate::envelope::{ok, ApiError, ApiResult, ErrorItem};
use crate::expression;
use crate::request::QueryParams;
use crate::state::{is_cloudflare_id, new_id, ts, AppState, Data, Ruleset, RulesetRule};

/// The one phase whose entry point the emulator stores.
pub const CONFIG_PHASE: &str = "http_config_settings";

/// Cloudflare's phase names (the official SDK's `Phase` type).
const PHASES: &[&str] = &[
    "ddos_l4",
    "ddos_l7",
    "http_config_settings",
    "http_custom_errors",
    "http_log_custom_fields",
    "http_ratelimit",
    "http_request_cache_settings",
    "http_request_dynamic_redirect",
    "http_request_firewall_custom",
    "http_request_firewall_managed",
    "http_request_late_transform",
    "http_request_origin",
    "http_request_redirect",
    "http_request_sanitize",
    "http_request_sbfm",
    "http_request_transform",
    "http_response_cache_settings",
    "http_response_compression",
    "http_response_firewall_managed",
    "http_response_headers_transform",
    "magic_transit",
    "magic_transit_ids_managed",
    "magic_transit_managed",
    "magic_transit_ratelimit",
];

/// Rule actions of the Rulesets API (the SDK's rule types); only `set_config` is allowed in
/// `http_config_settings`.
const ACTIONS: &[&str] = &[
    "block",
    "challenge",
    "compress_response",
    "ddos_dynamic",
    "execute",
    "force_connection_close",
    "js_challenge",
    "log",
    "log_custom_field",
    "managed_challenge",
    "redirect",
    "rewrite",
    "route",
    "score",
    "serve_error",
    "set_cache_settings",
    "set_config",
    "skip",
];

/// The value kinds of `set_config`'s parameters (the SDK's `SetConfigRule.ActionParameters`).
enum ParamKind {
    Bool,
    True,
    OneOf(&'static [&'static str]),
    Object,
    Strings,
}

const SSL_VALUES: &[&str] = &["off", "flexible", "full", "strict", "origin_pull"];

fn param_kind(name: &str) -> Option<ParamKind> {
    use ParamKind::*;
    Some(match name {
        "automatic_https_rewrites"
        | "bic"
        | "content_converter"
        | "email_obfuscation"
        | "fonts"
        | "hotlink_protection"
        | "mirage"
        | "opportunistic_encryption"
        | "redirects_for_ai_training"
        | "rocket_loader"
        | "server_side_excludes"
        | "sxg"
        | "webmcp_enabled" => Bool,
        "disable_apps" | "disable_pay_per_crawl" | "disable_rum" | "disable_zaraz" => True,
        "polish" => OneOf(&["off", "lossless", "lossy", "webp"]),
        "request_body_buffering" => OneOf(&["none", "standard", "full"]),
        "response_body_buffering" => OneOf(&["none", "standard"]),
        "security_level" => OneOf(&[
            "off",
            "essentially_off",
            "low",
            "medium",
            "high",
            "under_attack",
        ]),
        "ssl" => OneOf(SSL_VALUES),
        "autominify" => Object,
        "webmcp_packs" => Strings,
        _ => return None,
    })
}

/// Fields a rule may carry in a `PUT`. `version` and `last_updated` are Cloudflare's and are
/// ignored (clients that send back what they read include them).
const RULE_FIELDS: &[&str] = &[
    "id",
    "action",
    "action_parameters",
    "expression",
    "description",
    "enabled",
    "ref",
    "logging",
    "exposed_credential_check",
    "ratelimit",
];
const READ_ONLY_RULE_FIELDS: &[&str] = &["version", "last_updated"];
const BODY_FIELDS: &[&str] = &["name", "description", "rules", "kind", "phase"];

/// The approximated code for a ruleset validation error (see the module docs).
const INVALID: u32 = 20021;
const MISSING_ACTION_PARAMETERS: u32 = 20113;
const ENTRYPOINT_NOT_FOUND: u32 = 10003;

fn invalid(message: impl Into<String>, pointer: &str) -> ErrorItem {
    ErrorItem::new(INVALID, message).at(pointer)
}

fn not_a_valid_value(value: &str, field: &str, because: &str, pointer: &str) -> ErrorItem {
    invalid(
        format!("'{value}' is not a valid value for {field} because {because}"),
        pointer,
    )
}

pub fn rule_json(rule: &RulesetRule) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(rule.id));
    out.insert("version".into(), json!(rule.version.to_string()));
    for (k, v) in &rule.fields {
        out.insert(k.clone(), v.clone());
    }
    out.insert("last_updated".into(), json!(ts(rule.last_updated)));
    Value::Object(out)
}

fn ruleset_summary(r: &Ruleset) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(r.id));
    m.insert("name".into(), json!(r.name));
    m.insert("description".into(), json!(r.description));
    m.insert("kind".into(), json!("zone"));
    m.insert("phase".into(), json!(r.phase));
    m.insert("version".into(), json!(r.version.to_string()));
    m.insert("last_updated".into(), json!(ts(r.last_updated)));
    m
}

pub fn ruleset_json(r: &Ruleset) -> Value {
    let mut m = ruleset_summary(r);
    m.insert(
        "rules".into(),
        Value::Array(r.rules.iter().map(rule_json).collect()),
    );
    Value::Object(m)
}

fn check_zone(data: &Data, zone_id: &str, uri: &Uri) -> Result<(), ApiError> {
    data.zone(zone_id)
        .map(|_| ())
        .ok_or_else(|| ApiError::no_route(uri.path()))
}

fn check_phase(phase: &str) -> Result<(), ApiError> {
    if PHASES.contains(&phase) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            INVALID,
            format!("'{phase}' is not a valid value for phase"),
        ))
    }
}

fn not_found(phase: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ENTRYPOINT_NOT_FOUND,
        format!("could not find entrypoint ruleset in the {phase} phase"),
    )
}

/// `GET zones/{z}/rulesets`: the zone's rulesets without their rules.
pub async fn list(
    State(state): State<Arc<AppState>>,
    Path(zone_id): Path<String>,
    RawQuery(raw): RawQuery,
    uri: Uri,
) -> ApiResult {
    let data = state.data();
    check_zone(&data, &zone_id, &uri)?;
    let q = QueryParams::parse(raw.as_deref());
    q.check(crate::request::Family::Zones, &["per_page", "cursor"])
        .map_err(|e| ApiError::bad_request(INVALID, e.errors[0].message.clone()))?;
    if q.get("cursor").is_some() {
        // Every zone has few rulesets: the first page holds them all, so no cursor is issued.
        return Err(ApiError::bad_request(INVALID, "invalid cursor"));
    }
    let all: Vec<Value> = data
        .rulesets
        .iter()
        .filter(|r| r.zone_id == zone_id)
        .map(|r| Value::Object(ruleset_summary(r)))
        .collect();
    Ok(ok(Value::Array(all)))
}

/// `GET zones/{z}/rulesets/phases/{phase}/entrypoint`.
pub async fn get_entrypoint(
    State(state): State<Arc<AppState>>,
    Path((zone_id, phase)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    uri: Uri,
) -> ApiResult {
    let data = state.data();
    check_zone(&data, &zone_id, &uri)?;
    check_phase(&phase)?;
    QueryParams::parse(raw.as_deref())
        .check(crate::request::Family::Zones, &[])
        .map_err(|e| ApiError::bad_request(INVALID, e.errors[0].message.clone()))?;
    let ruleset = data
        .entrypoint(&zone_id, &phase)
        .ok_or_else(|| not_found(&phase))?;
    Ok(ok(ruleset_json(ruleset)))
}

/// A validated rule, before ids are assigned.
struct NewRule {
    id: Option<String>,
    fields: Map<String, Value>,
    expression: expression::Expr,
}

fn validate_action_parameters(params: &Value, pointer: &str, errors: &mut Vec<ErrorItem>) {
    let Value::Object(params) = params else {
        errors.push(invalid("action_parameters must be an object", pointer));
        return;
    };
    for (name, value) in params {
        let at = format!("{pointer}/{name}");
        let Some(kind) = param_kind(name) else {
            errors.push(invalid(
                format!("'{name}' is not a valid parameter of the set_config action"),
                &at,
            ));
            continue;
        };
        let fine = match (&kind, value) {
            (ParamKind::Bool, Value::Bool(_)) => true,
            (ParamKind::True, Value::Bool(true)) => true,
            (ParamKind::OneOf(allowed), Value::String(s)) => allowed.contains(&s.as_str()),
            (ParamKind::Object, Value::Object(_)) => true,
            (ParamKind::Strings, Value::Array(items)) => items.iter().all(Value::is_string),
            _ => false,
        };
        if !fine {
            let shown = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let because = match kind {
                ParamKind::OneOf(allowed) => format!("it must be one of {}", allowed.join(", ")),
                ParamKind::Bool => "it must be a boolean".into(),
                ParamKind::True => "it can only be true".into(),
                ParamKind::Object => "it must be an object".into(),
                ParamKind::Strings => "it must be an array of strings".into(),
            };
            errors.push(not_a_valid_value(&shown, name, &because, &at));
        }
    }
}

fn validate_rule(
    phase: &str,
    index: usize,
    value: &Value,
    errors: &mut Vec<ErrorItem>,
) -> Option<NewRule> {
    let base = format!("/rules/{index}");
    let Value::Object(rule) = value else {
        errors.push(invalid("a rule must be a JSON object", &base));
        return None;
    };
    let before = errors.len();
    for key in rule.keys() {
        if !RULE_FIELDS.contains(&key.as_str()) && !READ_ONLY_RULE_FIELDS.contains(&key.as_str()) {
            errors.push(invalid(
                format!(
                    "unknown field `{key}` in a rule (allowed: {})",
                    RULE_FIELDS.join(", ")
                ),
                &format!("{base}/{key}"),
            ));
        }
    }
    let string_field = |key: &str, errors: &mut Vec<ErrorItem>| match rule.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(invalid(
                format!("{key} must be a string"),
                &format!("{base}/{key}"),
            ));
            None
        }
    };
    let id = string_field("id", errors);
    if let Some(id) = &id {
        if !is_cloudflare_id(id) {
            errors.push(invalid(
                format!("'{id}' is not a valid rule id (32 hex characters)"),
                &format!("{base}/id"),
            ));
        }
    }
    string_field("description", errors);
    string_field("ref", errors);
    if rule.get("enabled").is_some_and(|v| !v.is_boolean()) {
        errors.push(invalid(
            "enabled must be a boolean",
            &format!("{base}/enabled"),
        ));
    }
    if let Some(logging) = rule.get("logging") {
        let ok = logging
            .as_object()
            .is_some_and(|l| l.len() == 1 && l.get("enabled").is_some_and(Value::is_boolean));
        if !ok {
            errors.push(invalid(
                "logging must be {\"enabled\": <boolean>}",
                &format!("{base}/logging"),
            ));
        }
    }
    match string_field("action", errors) {
        None if rule.get("action").is_none_or(Value::is_null) => errors.push(invalid(
            "a rule must have an action",
            &format!("{base}/action"),
        )),
        None => {}
        Some(action) if action == "set_config" => match rule.get("action_parameters") {
            None | Some(Value::Null) => errors.push(
                ErrorItem::new(
                    MISSING_ACTION_PARAMETERS,
                    "action parameters are required for the set_config action",
                )
                .at(format!("{base}/action_parameters")),
            ),
            Some(Value::Object(p)) if p.is_empty() => errors.push(
                ErrorItem::new(
                    MISSING_ACTION_PARAMETERS,
                    "action parameters are required for the set_config action",
                )
                .at(format!("{base}/action_parameters")),
            ),
            Some(params) => {
                validate_action_parameters(params, &format!("{base}/action_parameters"), errors)
            }
        },
        Some(action) if ACTIONS.contains(&action.as_str()) => errors.push(not_a_valid_value(
            &action,
            "action",
            &format!(
                "it is not possible to use the {action} action in a ruleset with phase {phase} \
                 and kind zone"
            ),
            &format!("{base}/action"),
        )),
        Some(action) => errors.push(not_a_valid_value(
            &action,
            "action",
            "it is not a known action",
            &format!("{base}/action"),
        )),
    }
    let parsed = match string_field("expression", errors) {
        None => {
            if rule.get("expression").is_none_or(Value::is_null) {
                errors.push(invalid(
                    "a rule must have an expression",
                    &format!("{base}/expression"),
                ));
            }
            None
        }
        Some(text) => match expression::parse(&text) {
            Ok(e) => Some(e),
            Err(e) => {
                errors.push(invalid(e.to_string(), &format!("{base}/expression")));
                None
            }
        },
    };
    if errors.len() > before {
        return None;
    }
    let mut fields: Map<String, Value> = rule
        .iter()
        .filter(|(k, _)| RULE_FIELDS.contains(&k.as_str()) && k.as_str() != "id")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    fields
        .entry("enabled".to_string())
        .or_insert(Value::Bool(true));
    Some(NewRule {
        id,
        fields,
        expression: parsed?,
    })
}

/// `PUT zones/{z}/rulesets/phases/{phase}/entrypoint`: replace (or create) the rule list.
pub async fn put_entrypoint(
    State(state): State<Arc<AppState>>,
    Path((zone_id, phase)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    uri: Uri,
    body: Bytes,
) -> ApiResult {
    let mut data = state.data();
    check_zone(&data, &zone_id, &uri)?;
    check_phase(&phase)?;
    let q = QueryParams::parse(raw.as_deref());
    q.check(crate::request::Family::Zones, &["dry_run"])
        .map_err(|e| ApiError::bad_request(INVALID, e.errors[0].message.clone()))?;
    let dry_run = q
        .bool("dry_run", crate::request::Family::Zones)
        .map_err(|e| ApiError::bad_request(INVALID, e.errors[0].message.clone()))?
        .unwrap_or(false);
    if phase != CONFIG_PHASE {
        return Err(ApiError::bad_request(
            INVALID,
            format!(
                "the Cloudflare emulator stores only the {CONFIG_PHASE} phase entry point, \
                 not {phase}"
            ),
        ));
    }
    let obj = match serde_json::from_slice::<Value>(&body) {
        _ if body.iter().all(u8::is_ascii_whitespace) => {
            return Err(ApiError::bad_request(
                INVALID,
                "request body is required (a JSON object)",
            ))
        }
        Err(_) => {
            return Err(ApiError::bad_request(
                6007,
                "Malformed JSON in request body",
            ))
        }
        Ok(Value::Object(obj)) => obj,
        Ok(_) => {
            return Err(ApiError::bad_request(
                INVALID,
                "request body must be a JSON object",
            ))
        }
    };

    let mut errors = Vec::new();
    for key in obj.keys() {
        if !BODY_FIELDS.contains(&key.as_str()) {
            errors.push(invalid(
                format!(
                    "unknown field `{key}` in the ruleset (allowed: {})",
                    BODY_FIELDS.join(", ")
                ),
                &format!("/{key}"),
            ));
        }
    }
    match obj.get("kind") {
        None | Some(Value::Null) => {}
        Some(Value::String(k)) if k == "zone" => {}
        Some(other) => errors.push(not_a_valid_value(
            other.as_str().unwrap_or(&other.to_string()),
            "kind",
            "the entry point of a zone has kind zone",
            "/kind",
        )),
    }
    match obj.get("phase") {
        None | Some(Value::Null) => {}
        Some(Value::String(p)) if *p == phase => {}
        Some(other) => errors.push(not_a_valid_value(
            other.as_str().unwrap_or(&other.to_string()),
            "phase",
            &format!("this is the {phase} phase entry point"),
            "/phase",
        )),
    }
    for key in ["name", "description"] {
        if obj.get(key).is_some_and(|v| !v.is_string() && !v.is_null()) {
            errors.push(invalid(
                format!("{key} must be a string"),
                &format!("/{key}"),
            ));
        }
    }
    let rules_in = match obj.get("rules") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(_) => {
            errors.push(invalid("rules must be an array", "/rules"));
            Vec::new()
        }
    };
    let new_rules: Vec<Option<NewRule>> = rules_in
        .iter()
        .enumerate()
        .map(|(i, r)| validate_rule(&phase, i, r, &mut errors))
        .collect();

    let existing = data.entrypoint(&zone_id, &phase).cloned();
    let known = |id: &str| {
        existing
            .as_ref()
            .is_some_and(|r| r.rules.iter().any(|x| x.id == id))
    };
    let mut seen_ids: Vec<&str> = Vec::new();
    let mut seen_refs: Vec<&str> = Vec::new();
    for (i, rule) in new_rules.iter().enumerate() {
        let Some(rule) = rule else { continue };
        if let Some(id) = rule.id.as_deref() {
            if !known(id) {
                errors.push(invalid(
                    format!("could not find a rule with id {id} in this ruleset"),
                    &format!("/rules/{i}/id"),
                ));
            }
            if seen_ids.contains(&id) {
                errors.push(invalid(
                    format!("rule id {id} is given more than once"),
                    &format!("/rules/{i}/id"),
                ));
            }
            seen_ids.push(id);
        }
        if let Some(r) = rule.fields.get("ref").and_then(Value::as_str) {
            if seen_refs.contains(&r) {
                errors.push(invalid(
                    format!("rule ref {r} is given more than once"),
                    &format!("/rules/{i}/ref"),
                ));
            }
            seen_refs.push(r);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::many(StatusCode::BAD_REQUEST, errors));
    }

    let now = Utc::now();
    let version = existing.as_ref().map_or(1, |r| r.version + 1);
    let rules: Vec<RulesetRule> = new_rules
        .into_iter()
        .flatten()
        .map(|new| {
            let previous = new.id.as_deref().and_then(|id| {
                existing
                    .as_ref()
                    .and_then(|r| r.rules.iter().find(|x| x.id == id))
            });
            let id = new.id.clone().unwrap_or_else(new_id);
            let mut fields = new.fields;
            fields.entry("ref".to_string()).or_insert_with(|| json!(id));
            match previous {
                Some(prev) if prev.fields == fields => prev.clone(),
                Some(prev) => RulesetRule {
                    id,
                    version: prev.version + 1,
                    last_updated: now,
                    fields,
                    expression: new.expression,
                },
                None => RulesetRule {
                    id,
                    version: 1,
                    last_updated: now,
                    fields,
                    expression: new.expression,
                },
            }
        })
        .collect();
    let text = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_string);
    let ruleset = Ruleset {
        id: existing.as_ref().map_or_else(new_id, |r| r.id.clone()),
        zone_id: zone_id.clone(),
        phase: phase.clone(),
        name: text("name")
            .or_else(|| existing.as_ref().map(|r| r.name.clone()))
            .unwrap_or_else(|| "default".to_string()),
        description: text("description")
            .or_else(|| existing.as_ref().map(|r| r.description.clone()))
            .unwrap_or_default(),
        version,
        last_updated: now,
        rules,
    };
    if dry_run {
        return Ok(ok(Value::Null));
    }
    let answer = ruleset_json(&ruleset);
    data.rulesets
        .retain(|r| !(r.zone_id == zone_id && r.phase == phase));
    data.rulesets.push(ruleset);
    Ok(ok(answer))
}
