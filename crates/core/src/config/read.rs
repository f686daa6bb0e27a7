//! Reading `config.toml` into [`ConfigFile`] while keeping every problem and its place.
//!
//! Hand-written over toml's spanned document (`DeTable`) rather than `#[derive(Deserialize)]`:
//! serde stops at the first unknown key or wrong type and knows neither the key path nor the
//! line, while the user should see every problem at once, each with `domain[0].stage`, its line
//! and column, the value, what was expected and the fix. Each section's reader below asks for
//! its keys by name; what nobody asked for is an unknown key.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::file::*;
use super::secrets::{self, REDACTED};
use super::ConfigError;

/// Where each key path's value starts (line, column; 1-based).
pub type Places = BTreeMap<String, (usize, usize)>;

pub struct Reader<'t> {
    file: String,
    text: &'t str,
    pub problems: Vec<ConfigError>,
    pub places: Places,
}

/// One table being read: its key path and the keys asked for so far.
struct Tbl<'a, 'i> {
    path: String,
    section: String,
    table: &'a DeTable<'i>,
    span: Range<usize>,
    asked: Vec<&'static str>,
}

type Value<'a, 'i> = &'a Spanned<DeValue<'i>>;

/// 1-based line and column (in characters) of a byte offset.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a whole number",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "true/false",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl<'t> Reader<'t> {
    pub fn new(file: &str, text: &'t str) -> Self {
        Reader {
            file: file.to_string(),
            text,
            problems: Vec::new(),
            places: Places::new(),
        }
    }

    /// The value's source text, on one line and short, for the error's `value`.
    fn raw(&self, span: &Range<usize>) -> String {
        let s = self
            .text
            .get(span.clone())
            .unwrap_or("")
            .trim()
            .replace(['\n', '\r'], " ");
        if s.chars().count() > 60 {
            format!("{}…", s.chars().take(60).collect::<String>())
        } else {
            s
        }
    }

    fn report(
        &mut self,
        field: &str,
        span: &Range<usize>,
        value: String,
        problem: String,
        fix: String,
    ) {
        let at = position(self.text, span.start);
        self.problems
            .push(ConfigError::new(field, value, problem, fix).at(&self.file, Some(at)));
    }

    /// Like `report`, with the value as TOML source text.
    fn report_raw(
        &mut self,
        field: &str,
        span: &Range<usize>,
        value: String,
        problem: String,
        fix: String,
    ) {
        let redacted = value == REDACTED;
        self.report(field, span, value, problem, fix);
        if !redacted {
            if let Some(e) = self.problems.last_mut() {
                e.verbatim = e.value != REDACTED;
            }
        }
    }

    fn place(&mut self, path: &str, span: &Range<usize>) {
        let at = position(self.text, span.start);
        self.places.entry(path.to_string()).or_insert(at);
    }

    fn entry<'a, 'i>(&mut self, t: &mut Tbl<'a, 'i>, key: &'static str) -> Option<Value<'a, 'i>> {
        t.asked.push(key);
        let v = t
            .table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)?;
        self.place(&join(&t.path, key), &v.span());
        Some(v)
    }

    fn wrong_type(&mut self, path: &str, key: &str, v: Value<'_, '_>, expected: &str) {
        let raw = self.raw(&v.span());
        let value = if secrets::key_kind(key).is_some() {
            REDACTED.to_string()
        } else {
            raw.clone()
        };
        let fix = match (v.get_ref(), expected) {
            (DeValue::String(s), e)
                if e.starts_with("a whole number") && s.trim().parse::<i64>().is_ok() =>
            {
                format!("write the number without quotes: {key} = {}", s.trim())
            }
            (DeValue::String(s), "true or false") if matches!(s.trim(), "true" | "false") => {
                format!("write it without quotes: {key} = {}", s.trim())
            }
            (DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_), "a string") => {
                format!("put it in quotes: {key} = \"{raw}\"")
            }
            (DeValue::Array(_), "a string") => {
                format!("give one string: {key} = \"…\" (one hostname per [[domain]] table)")
            }
            (DeValue::String(_), "an array of strings") if value != REDACTED => {
                format!("write it as a list: {key} = [{raw}]")
            }
            _ => format!(
                "write {key} as {expected}; the README's Configuration table lists every key"
            ),
        };
        let problem = format!("is {}; expected {expected}", type_name(v.get_ref()));
        self.report_raw(path, &v.span(), value, problem, fix);
    }

    fn string(&mut self, t: &mut Tbl<'_, '_>, key: &'static str) -> Option<String> {
        let v = self.entry(t, key)?;
        let path = join(&t.path, key);
        match v.get_ref() {
            DeValue::String(s) => {
                if let Some(kind) = secrets::value_kind(s).filter(|k| k.is_certain()) {
                    self.report(
                        &path,
                        &v.span(),
                        REDACTED.into(),
                        "holds what looks like a secret, and secrets never go in config.toml"
                            .into(),
                        kind.advice().into(),
                    );
                    return None;
                }
                Some(s.to_string())
            }
            _ => {
                self.wrong_type(&path, key, v, "a string");
                None
            }
        }
    }

    /// A string the section cannot do without.
    fn required_string(
        &mut self,
        t: &mut Tbl<'_, '_>,
        key: &'static str,
        fix: &str,
    ) -> Option<String> {
        let present = t.table.iter().any(|(k, _)| k.get_ref().as_ref() == key);
        if !present {
            t.asked.push(key);
            let span = t.span.clone();
            let field = join(&t.path, key);
            let header = section_header(&t.section);
            self.report(
                &field,
                &span,
                String::new(),
                format!("is missing (required in {header})"),
                fix.to_string(),
            );
            return None;
        }
        self.string(t, key)
    }

    fn number(&mut self, t: &mut Tbl<'_, '_>, key: &'static str, expected: &str) -> Option<u64> {
        let v = self.entry(t, key)?;
        let path = join(&t.path, key);
        match v.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) if n >= 0 => Some(n as u64),
                Ok(_) => {
                    let raw = self.raw(&v.span());
                    self.report_raw(
                        &path,
                        &v.span(),
                        raw,
                        format!("is negative; expected {expected}"),
                        format!("write {key} as {expected}"),
                    );
                    None
                }
                Err(_) => {
                    let raw = self.raw(&v.span());
                    self.report_raw(
                        &path,
                        &v.span(),
                        raw,
                        format!("is far too large; expected {expected}"),
                        format!("write {key} as {expected}"),
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(&path, key, v, expected);
                None
            }
        }
    }

    fn number_u32(
        &mut self,
        t: &mut Tbl<'_, '_>,
        key: &'static str,
        expected: &str,
    ) -> Option<u32> {
        let n = self.number(t, key, expected)?;
        match u32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                let path = join(&t.path, key);
                let at = self.places.get(&path).copied();
                self.problems.push(
                    ConfigError::new(
                        &path,
                        n.to_string(),
                        format!("is far too large; expected {expected}"),
                        format!("write {key} as {expected}"),
                    )
                    .at(&self.file, at),
                );
                None
            }
        }
    }

    fn boolean(&mut self, t: &mut Tbl<'_, '_>, key: &'static str) -> Option<bool> {
        let v = self.entry(t, key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                let path = join(&t.path, key);
                self.wrong_type(&path, key, v, "true or false");
                None
            }
        }
    }

    fn strings(&mut self, t: &mut Tbl<'_, '_>, key: &'static str) -> Vec<String> {
        let Some(v) = self.entry(t, key) else {
            return Vec::new();
        };
        let path = join(&t.path, key);
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(&path, key, v, "an array of strings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            self.place(&item_path, &item.span());
            match item.get_ref() {
                DeValue::String(s) => {
                    if let Some(kind) = secrets::value_kind(s).filter(|k| k.is_certain()) {
                        self.report(
                            &item_path,
                            &item.span(),
                            REDACTED.into(),
                            "holds what looks like a secret, and secrets never go in config.toml"
                                .into(),
                            kind.advice().into(),
                        );
                        continue;
                    }
                    out.push(s.to_string())
                }
                _ => self.wrong_type(&item_path, key, item, "a string"),
            }
        }
        out
    }

    fn table<'a, 'i>(&mut self, t: &mut Tbl<'a, 'i>, key: &'static str) -> Option<Tbl<'a, 'i>> {
        let v = self.entry(t, key)?;
        let path = join(&t.path, key);
        let section = join(&t.section, key);
        match v.get_ref() {
            DeValue::Table(table) => Some(Tbl {
                path,
                section,
                table,
                span: v.span(),
                asked: Vec::new(),
            }),
            DeValue::Array(items) if items.iter().all(|i| i.get_ref().is_table()) => {
                let header = section_header(&section);
                self.report(
                    &path,
                    &v.span(),
                    String::new(),
                    format!("is a list of tables ([[{section}]]); expected one table"),
                    format!("write {header} with single brackets, once"),
                );
                None
            }
            _ => {
                self.wrong_type(
                    &path,
                    key,
                    v,
                    &format!("a table ({})", section_header(&section)),
                );
                None
            }
        }
    }

    /// An array of tables (`[[domain]]`). A single `[domain]` table is reported and still read,
    /// so that its values are checked in the same run.
    fn tables<'a, 'i>(&mut self, t: &mut Tbl<'a, 'i>, key: &'static str) -> Vec<Tbl<'a, 'i>> {
        let Some(v) = self.entry(t, key) else {
            return Vec::new();
        };
        let path = join(&t.path, key);
        let section = format!("{}[]", join(&t.section, key));
        let header = section_header(&section);
        match v.get_ref() {
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    self.place(&item_path, &item.span());
                    match item.get_ref() {
                        DeValue::Table(table) => out.push(Tbl {
                            path: item_path,
                            section: section.clone(),
                            table,
                            span: item.span(),
                            asked: Vec::new(),
                        }),
                        _ => self.wrong_type(&item_path, key, item, &format!("a table ({header})")),
                    }
                }
                out
            }
            DeValue::Table(table) => {
                self.report(
                    &path,
                    &v.span(),
                    String::new(),
                    format!("is a single table; expected a list of tables ({header})"),
                    format!("write {header} with two brackets, once for each entry"),
                );
                let item_path = format!("{path}[0]");
                self.place(&item_path, &v.span());
                vec![Tbl {
                    path: item_path,
                    section,
                    table,
                    span: v.span(),
                    asked: Vec::new(),
                }]
            }
            _ => {
                self.wrong_type(&path, key, v, &format!("a list of tables ({header})"));
                Vec::new()
            }
        }
    }

    /// Every key of `t` nobody asked for is an unknown key: a typo must not fall back to a
    /// default, and a secret must be told where it belongs.
    fn finish(&mut self, t: Tbl<'_, '_>) {
        for (k, v) in t.table.iter() {
            let key = k.get_ref().as_ref();
            if t.asked.contains(&key) {
                continue;
            }
            let field = join(&t.path, key);
            let header = section_header(&t.section);
            let value_secret = match v.get_ref() {
                DeValue::String(s) => secrets::value_kind(s),
                _ => None,
            };
            if let Some(kind) = secrets::key_kind(key).or(value_secret) {
                self.report(
                    &field,
                    &k.span(),
                    REDACTED.into(),
                    "is a secret, and secrets never go in config.toml".into(),
                    kind.advice().into(),
                );
                continue;
            }
            let raw = match v.get_ref() {
                DeValue::Table(_) => String::new(),
                _ => self.raw(&v.span()),
            };
            let problem = format!("is not a key of {header}");
            let fix = suggest(key, &t.section, &t.asked);
            self.report_raw(&field, &k.span(), raw, problem, fix);
        }
    }
}

/// "did you mean", "it belongs in [aws]", or the list of keys.
fn suggest(key: &str, section: &str, known: &[&str]) -> String {
    let lower = key.to_ascii_lowercase().replace('-', "_");
    if let Some(close) = known
        .iter()
        .filter(|k| **k == lower || strsim::damerau_levenshtein(k, &lower) <= 2.max(k.len() / 5))
        .min_by_key(|k| strsim::damerau_levenshtein(k, &lower))
    {
        return format!("did you mean `{close}`? (keys are lower case, with underscores)");
    }
    if let Some((other, _)) = SCHEMA
        .iter()
        .find(|(s, keys)| *s != section && keys.contains(&lower.as_str()))
    {
        let header = section_header(other);
        return format!("`{lower}` belongs in {header}: move it there");
    }
    if key == "domains" || key == "hostnames" {
        return "write one [[domain]] table per hostname, each with hostname = \"…\"".into();
    }
    let mut keys: Vec<&str> = known.to_vec();
    keys.sort_unstable();
    keys.dedup();
    format!("remove it, or use one of: {}", keys.join(", "))
}

/// Reads the whole document. Problems of shape (unknown keys, wrong types, missing keys,
/// secrets) are in `reader.problems`; the values that could be read are in the file.
pub fn read(reader: &mut Reader<'_>, root: &Spanned<DeTable<'_>>) -> ConfigFile {
    let mut top = Tbl {
        path: String::new(),
        section: String::new(),
        table: root.get_ref(),
        span: 0..0,
        asked: Vec::new(),
    };
    let mut file = ConfigFile::default();

    match reader.table(&mut top, "cloudflare") {
        Some(mut t) => {
            file.cloudflare.zone = reader.required_string(
                &mut t,
                "zone",
                "add zone = \"example.com\" (the zone's name) or its 32-hex zone id",
            );
            file.cloudflare.ssl_mode = reader.string(&mut t, "ssl_mode");
            file.cloudflare.ssl_scope = reader.string(&mut t, "ssl_scope");
            file.cloudflare.api_base = reader.string(&mut t, "api_base");
            file.cloudflare.origin_ca_roots = reader.strings(&mut t, "origin_ca_roots");
            reader.finish(t);
        }
        None if !top
            .table
            .iter()
            .any(|(k, _)| k.get_ref().as_ref() == "cloudflare") =>
        {
            let text_empty = reader.text.trim().is_empty();
            reader.problems.push(
                ConfigError::new(
                    "cloudflare",
                    "",
                    if text_empty {
                        "the file is empty: the [cloudflare] section is missing"
                    } else {
                        "the [cloudflare] section is missing"
                    },
                    "add [cloudflare] with zone = \"example.com\"; the repository's config.toml is a commented example",
                )
                .at(&reader.file.clone(), None),
            );
        }
        None => {}
    }

    if let Some(mut t) = reader.table(&mut top, "aws") {
        file.aws.region = reader.string(&mut t, "region");
        file.aws.profile = reader.string(&mut t, "profile");
        file.aws.truststore_bucket = reader.string(&mut t, "truststore_bucket");
        reader.finish(t);
    }

    if let Some(mut t) = reader.table(&mut top, "retry") {
        file.retry.max_attempts =
            reader.number_u32(&mut t, "max_attempts", "a whole number from 1 to 10");
        file.retry.max_quota_waits =
            reader.number_u32(&mut t, "max_quota_waits", "a whole number from 0 to 40");
        file.retry.request_timeout_seconds = reader.number(
            &mut t,
            "request_timeout_seconds",
            "a whole number of seconds from 1 to 300",
        );
        reader.finish(t);
    }

    if let Some(mut t) = reader.table(&mut top, "lock") {
        file.lock.lease_seconds = reader.number(
            &mut t,
            "lease_seconds",
            "a whole number of seconds from 10 to 3600",
        );
        reader.finish(t);
    }

    for mut t in reader.tables(&mut top, "domain") {
        let mut d = DomainSection {
            hostname: reader.required_string(
                &mut t,
                "hostname",
                "add hostname = \"api.example.com\" (the exact name clients call)",
            ),
            rest_api: reader.string(&mut t, "rest_api"),
            stage: reader.string(&mut t, "stage"),
            base_path: reader.string(&mut t, "base_path"),
            origin_lock: reader.string(&mut t, "origin_lock"),
            certificate: CertificateSection::default(),
        };
        if let Some(mut c) = reader.table(&mut t, "certificate") {
            d.certificate.key_type = reader.string(&mut c, "key_type");
            d.certificate.validity_days = reader.number_u32(
                &mut c,
                "validity_days",
                "a whole number of days: 7, 30, 90, 365, 730, 1095 or 5475",
            );
            d.certificate.renew_before_days = reader.number_u32(
                &mut c,
                "renew_before_days",
                "a whole number of days, fewer than validity_days",
            );
            d.certificate.source = reader.string(&mut c, "source");
            d.certificate.validation_timeout_seconds = reader.number_u32(
                &mut c,
                "validation_timeout_seconds",
                "a whole number of seconds, e.g. 900",
            );
            reader.finish(c);
        }
        reader.finish(t);
        file.domains.push(d);
    }

    if let Some(mut t) = reader.table(&mut top, "cognito") {
        let mut c = CognitoSection {
            user_pool: reader.required_string(
                &mut t,
                "user_pool",
                "add user_pool = \"APIgatewayUserPool\" (the pool's name)",
            ),
            app_client: reader.required_string(
                &mut t,
                "app_client",
                "add app_client = \"APIgatewayUserPoolClient\"",
            ),
            domain_prefix: reader.required_string(
                &mut t,
                "domain_prefix",
                "add domain_prefix = \"myapp-auth-7f3k\" (lower-case letters, digits, hyphens)",
            ),
            callback_urls: reader.strings(&mut t, "callback_urls"),
            logout_urls: reader.strings(&mut t, "logout_urls"),
            allow_user_password_auth: reader
                .boolean(&mut t, "allow_user_password_auth")
                .unwrap_or(false),
            implicit_flow: reader.boolean(&mut t, "implicit_flow"),
            deletion_protection: reader.boolean(&mut t, "deletion_protection"),
            password_policy: PasswordPolicySection::default(),
        };
        if let Some(mut p) = reader.table(&mut t, "password_policy") {
            let pp = &mut c.password_policy;
            pp.min_length = reader.number_u32(&mut p, "min_length", "a whole number from 6 to 99");
            pp.require_uppercase = reader.boolean(&mut p, "require_uppercase");
            pp.require_lowercase = reader.boolean(&mut p, "require_lowercase");
            pp.require_numbers = reader.boolean(&mut p, "require_numbers");
            pp.require_symbols = reader.boolean(&mut p, "require_symbols");
            pp.temporary_password_validity_days = reader.number_u32(
                &mut p,
                "temporary_password_validity_days",
                "a whole number of days from 1 to 365",
            );
            reader.finish(p);
        }
        reader.finish(t);
        file.cognito = Some(c);
    }

    if let Some(mut t) = reader.table(&mut top, "api") {
        let mut a = ApiSection {
            name: reader.required_string(
                &mut t,
                "name",
                "add name = \"ditto-api\" (the REST API's name)",
            ),
            stage: reader.required_string(&mut t, "stage", "add stage = \"prod\""),
            routes: Vec::new(),
        };
        for mut r in reader.tables(&mut t, "route") {
            a.routes.push(RouteSection {
                path: reader.required_string(&mut r, "path", "add path = \"/ditto\""),
                method: reader.required_string(&mut r, "method", "add method = \"GET\""),
                upstream: reader.required_string(
                    &mut r,
                    "upstream",
                    "add upstream = \"https://pokeapi.co/api/v2/pokemon/ditto\"",
                ),
                auth: reader.string(&mut r, "auth"),
            });
            reader.finish(r);
        }
        reader.finish(t);
        file.api = Some(a);
    }

    reader.finish(top);
    file
}
