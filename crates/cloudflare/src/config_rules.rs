//! Configuration Rules: the zone's `http_config_settings` phase entry point ruleset and its
//! rules, typed for what flarelink reads and writes, and lossless for everything else.
//!
//! A `PUT` of the entry point replaces the whole rule list, so a read-merge-write must send
//! every rule flarelink did not write back exactly as it was read. [`ConfigRule`] therefore
//! keeps a rule as the JSON object Cloudflare sent — every field, known or not, `null`s
//! included — and offers typed accessors and setters over it; serializing it writes that object
//! back unchanged (JSON object key order aside, which carries no meaning).
//!
//! The one exception on the way out: [`crate::CloudflareClient::put_config_rules`] leaves out
//! `version` and `last_updated`, which Cloudflare assigns itself (read-only in its API schema,
//! absent from the official SDK's request types), so that a rule sent back as read is never
//! refused for carrying them. The rule's `id` (which keeps its identity), `ref` and every other
//! field are sent as read.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::SslMode;

/// The action of a Configuration Rule.
pub const SET_CONFIG: &str = "set_config";

/// Rule fields Cloudflare assigns; not sent in a `PUT`.
const ASSIGNED_BY_CLOUDFLARE: [&str; 2] = ["version", "last_updated"];

/// One rule of the entry point, as Cloudflare sent it (or as flarelink built it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConfigRule(Map<String, Value>);

impl ConfigRule {
    /// A new enabled `set_config` rule that sets the SSL/TLS mode for requests matching
    /// `expression`. Cloudflare assigns its `id`, `ref`, `version` and `last_updated`.
    pub fn set_ssl(expression: &str, mode: SslMode, description: &str) -> Self {
        let mut fields = Map::new();
        fields.insert("action".into(), Value::from(SET_CONFIG));
        fields.insert("expression".into(), Value::from(expression));
        fields.insert(
            "action_parameters".into(),
            serde_json::json!({ "ssl": mode.as_str() }),
        );
        fields.insert("description".into(), Value::from(description));
        fields.insert("enabled".into(), Value::Bool(true));
        ConfigRule(fields)
    }

    /// A rule from its JSON object, every field kept.
    pub fn from_fields(fields: Map<String, Value>) -> Self {
        ConfigRule(fields)
    }

    /// The rule's JSON object, exactly as it will be sent.
    pub fn fields(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The rule as sent in a `PUT`: every field but those Cloudflare assigns.
    pub(crate) fn request_fields(&self) -> Map<String, Value> {
        self.0
            .iter()
            .filter(|(k, _)| !ASSIGNED_BY_CLOUDFLARE.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    /// Cloudflare's id for the rule (absent on a rule not yet written).
    pub fn id(&self) -> Option<&str> {
        self.text("id")
    }

    pub fn action(&self) -> Option<&str> {
        self.text("action")
    }

    pub fn expression(&self) -> Option<&str> {
        self.text("expression")
    }

    pub fn description(&self) -> Option<&str> {
        self.text("description")
    }

    /// Cloudflare treats a rule without `enabled` as enabled.
    pub fn enabled(&self) -> bool {
        self.0
            .get("enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// The SSL/TLS mode the rule sets, when it is a `set_config` rule that sets one of the
    /// four modes (`origin_pull` and other values are `None`; see [`Self::ssl_value`]).
    pub fn ssl(&self) -> Option<SslMode> {
        self.ssl_value().and_then(SslMode::parse)
    }

    /// The raw `action_parameters.ssl` value, whatever it is.
    pub fn ssl_value(&self) -> Option<&str> {
        self.0
            .get("action_parameters")
            .and_then(|p| p.get("ssl"))
            .and_then(Value::as_str)
    }

    /// Replace the expression, keeping every other field.
    pub fn set_expression(&mut self, expression: &str) {
        self.0.insert("expression".into(), Value::from(expression));
    }

    /// Set `action_parameters.ssl`, keeping the other parameters and fields.
    pub fn set_ssl_mode(&mut self, mode: SslMode) {
        let params = self
            .0
            .entry("action_parameters")
            .or_insert_with(|| Value::Object(Map::new()));
        if !params.is_object() {
            *params = Value::Object(Map::new());
        }
        if let Value::Object(params) = params {
            params.insert("ssl".into(), Value::from(mode.as_str()));
        }
    }
}

/// The zone's `http_config_settings` entry point ruleset.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigRuleset {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Cloudflare's version of the ruleset (a decimal string), bumped by every write.
    pub version: Option<String>,
    pub last_updated: Option<String>,
    /// In Cloudflare's order, which is evaluation order: for the same setting the last
    /// matching rule wins.
    pub rules: Vec<ConfigRule>,
}

/// The ruleset as Cloudflare sends it; other fields (`kind`, `phase`, …) are not needed.
#[derive(Debug, Deserialize)]
pub(crate) struct WireRuleset {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub last_updated: Option<String>,
    #[serde(default)]
    pub rules: Option<Vec<ConfigRule>>,
}

impl From<WireRuleset> for ConfigRuleset {
    fn from(wire: WireRuleset) -> Self {
        ConfigRuleset {
            id: wire.id,
            name: wire.name,
            description: wire.description,
            version: wire.version,
            last_updated: wire.last_updated,
            rules: wire.rules.unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_foreign_rule_serializes_back_exactly() {
        let foreign = json!({
            "id": "2f2feab2026849078ba485f918791bdc",
            "version": "3",
            "action": "set_config",
            "expression": "(http.user_agent contains \"Java/1.\")",
            "action_parameters": {"bic": false, "autominify": {"css": true, "js": null}},
            "description": null,
            "last_updated": "2024-01-01T00:00:00.000001Z",
            "ref": "someone-elses",
            "enabled": false,
            "logging": {"enabled": true},
            "future_field": [1, 2.5, {"x": "y"}],
        });
        let rule: ConfigRule = serde_json::from_value(foreign.clone()).unwrap();
        assert_eq!(serde_json::to_value(&rule).unwrap(), foreign);
        assert_eq!(rule.id(), Some("2f2feab2026849078ba485f918791bdc"));
        assert!(!rule.enabled());
        assert_eq!(rule.ssl(), None);
        assert_eq!(rule.description(), None);
        let sent = rule.request_fields();
        assert!(sent.get("version").is_none() && sent.get("last_updated").is_none());
        assert_eq!(sent.len(), foreign.as_object().unwrap().len() - 2);
        assert_eq!(sent["description"], Value::Null);
        assert_eq!(sent["future_field"], foreign["future_field"]);
    }

    #[test]
    fn flarelinks_rule_and_in_place_updates() {
        let mut rule = ConfigRule::set_ssl(
            "(http.host eq \"api.example.com\")",
            SslMode::Full,
            "flarelink",
        );
        assert_eq!(
            serde_json::to_value(&rule).unwrap(),
            json!({
                "action": "set_config",
                "expression": "(http.host eq \"api.example.com\")",
                "action_parameters": {"ssl": "full"},
                "description": "flarelink",
                "enabled": true,
            })
        );
        assert_eq!(rule.id(), None);
        assert_eq!(rule.ssl(), Some(SslMode::Full));

        let mut read: ConfigRule = serde_json::from_value(json!({
            "id": "a", "action": "set_config", "expression": "true", "ref": "r",
            "action_parameters": {"ssl": "full", "bic": true},
        }))
        .unwrap();
        read.set_ssl_mode(SslMode::Strict);
        read.set_expression("(http.host in {\"a\" \"b\"})");
        assert_eq!(
            serde_json::to_value(&read).unwrap(),
            json!({
                "id": "a", "action": "set_config", "ref": "r",
                "expression": "(http.host in {\"a\" \"b\"})",
                "action_parameters": {"ssl": "strict", "bic": true},
            })
        );
        rule.set_ssl_mode(SslMode::Flexible);
        assert_eq!(rule.ssl_value(), Some("flexible"));
    }
}
