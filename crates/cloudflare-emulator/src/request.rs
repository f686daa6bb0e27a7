//! Strict parsing of request bodies and query strings, and pagination.
//!
//! Real Cloudflare validates bodies against its OpenAPI schemas; the exact codes it uses for
//! schema violations differ per product and are mostly undocumented. The emulator is
//! deliberately stricter (unknown fields and unknown query parameters are refused) so that a
//! client bug surfaces in tests. Codes used here are approximations except 6007, which is
//! Cloudflare's code for "Malformed JSON in request body".

use serde_json::{Map, Value};

use crate::envelope::{ApiError, ResultInfo};

/// Which product area a request belongs to; selects the error code for malformed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Zones,
    OriginCa,
    Dns,
    Settings,
    /// Per-hostname Authenticated Origin Pulls (`origin_tls_client_auth/hostnames…`).
    OriginPulls,
}

impl Family {
    /// Approximated codes: DNS 9207 ("Request body is invalid"-style), zone settings 1007
    /// ("Invalid value for zone setting ..."), zones, Origin CA and origin pulls 1001 (generic
    /// invalid request).
    pub fn invalid(self, detail: impl Into<String>) -> ApiError {
        let code = match self {
            Family::Dns => 9207,
            Family::Settings => 1007,
            Family::Zones | Family::OriginCa | Family::OriginPulls => 1001,
        };
        ApiError::bad_request(code, detail)
    }
}

/// Parse a JSON object body, refusing unknown keys.
pub fn parse_object(
    bytes: &[u8],
    family: Family,
    allowed: &[&str],
) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(family.invalid("Request body is required (a JSON object)"));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|_| ApiError::bad_request(6007, "Malformed JSON in request body"))?;
    let Value::Object(obj) = value else {
        return Err(family.invalid("Request body must be a JSON object"));
    };
    if let Some(unknown) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(family.invalid(format!(
            "Unknown field `{unknown}` in request body (allowed: {})",
            allowed.join(", ")
        )));
    }
    Ok(obj)
}

fn type_error(family: Family, key: &str, expected: &str) -> ApiError {
    family.invalid(format!("Field `{key}` must be {expected}"))
}

pub fn req_str(obj: &Map<String, Value>, key: &str, family: Family) -> Result<String, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Err(family.invalid(format!("Field `{key}` is required"))),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(type_error(family, key, "a string")),
    }
}

/// A string field that may be absent or `null` (both → `None`).
pub fn opt_str(
    obj: &Map<String, Value>,
    key: &str,
    family: Family,
) -> Result<Option<String>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(type_error(family, key, "a string")),
    }
}

pub fn opt_bool(
    obj: &Map<String, Value>,
    key: &str,
    family: Family,
) -> Result<Option<bool>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(type_error(family, key, "a boolean")),
    }
}

/// A non-negative integer field. JSON numbers with a zero fraction (e.g. `300.0`, which the
/// Python SDK may send for `float` parameters) are accepted as integers.
pub fn opt_u64(
    obj: &Map<String, Value>,
    key: &str,
    family: Family,
) -> Result<Option<u64>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(u) = n.as_u64() {
                return Ok(Some(u));
            }
            match n.as_f64() {
                Some(f) if f >= 0.0 && f.fract() == 0.0 && f <= u32::MAX as f64 => {
                    Ok(Some(f as u64))
                }
                _ => Err(type_error(family, key, "a non-negative integer")),
            }
        }
        Some(_) => Err(type_error(family, key, "a non-negative integer")),
    }
}

pub fn opt_str_array(
    obj: &Map<String, Value>,
    key: &str,
    family: Family,
) -> Result<Option<Vec<String>>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(type_error(family, key, "an array of strings")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(type_error(family, key, "an array of strings")),
    }
}

/// Decoded query parameters, in order.
#[derive(Debug, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self { pairs }
    }

    /// Refuse parameters outside `allowed` and parameters given twice.
    pub fn check(&self, family: Family, allowed: &[&str]) -> Result<(), ApiError> {
        for (i, (k, _)) in self.pairs.iter().enumerate() {
            if !allowed.contains(&k.as_str()) {
                return Err(family.invalid(format!(
                    "Unknown query parameter `{k}` (the emulator accepts: {})",
                    allowed.join(", ")
                )));
            }
            if self.pairs[..i].iter().any(|(k2, _)| k2 == k) {
                return Err(family.invalid(format!("Query parameter `{k}` given more than once")));
            }
        }
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A positive integer parameter; "2" and "2.0" (float-typed SDK params) are both accepted.
    pub fn positive_int(&self, key: &str, family: Family) -> Result<Option<u64>, ApiError> {
        let Some(raw) = self.get(key) else {
            return Ok(None);
        };
        let parsed = raw.parse::<u64>().ok().or_else(|| {
            raw.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e12)
                .map(|f| f as u64)
        });
        match parsed {
            Some(n) if n >= 1 => Ok(Some(n)),
            _ => Err(family.invalid(format!(
                "Query parameter `{key}` must be a positive integer"
            ))),
        }
    }

    pub fn bool(&self, key: &str, family: Family) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => {
                Err(family.invalid(format!("Query parameter `{key}` must be true or false")))
            }
        }
    }

    /// `page` and `per_page` with the given default and bounds for `per_page`.
    pub fn paging(&self, family: Family, limits: PageLimits) -> Result<Paging, ApiError> {
        let page = self.positive_int("page", family)?.unwrap_or(1);
        let per_page = self
            .positive_int("per_page", family)?
            .unwrap_or(limits.default_per_page);
        if per_page < limits.min || per_page > limits.max {
            return Err(family.invalid(format!(
                "per_page must be between {} and {}",
                limits.min, limits.max
            )));
        }
        Ok(Paging { page, per_page })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PageLimits {
    pub default_per_page: u64,
    pub min: u64,
    pub max: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub page: u64,
    pub per_page: u64,
}

impl Paging {
    /// Cut one page out of `items` and describe it.
    pub fn apply<T>(self, items: Vec<T>) -> (Vec<T>, ResultInfo) {
        let total = items.len() as u64;
        let start = (self.page - 1).saturating_mul(self.per_page);
        let page_items: Vec<T> = items
            .into_iter()
            .skip(usize::try_from(start).unwrap_or(usize::MAX))
            .take(usize::try_from(self.per_page).unwrap_or(usize::MAX))
            .collect();
        let info = ResultInfo {
            page: self.page,
            per_page: self.per_page,
            count: page_items.len() as u64,
            total_count: total,
            total_pages: total.div_ceil(self.per_page),
        };
        (page_items, info)
    }
}
