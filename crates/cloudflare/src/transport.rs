//! Sending one API call: an [`EndpointSpec`] becomes an HTTP request (reqwest), Cloudflare's
//! envelope becomes a result or an [`Error`], and transient failures are retried.
//!
//! Why not `cloudflare::framework::client::async_api::Client`? Because cloudflare 0.14 parses
//! the envelope's error codes as `u16`: an answer carrying 81053 ("An A, AAAA, or CNAME record
//! with that host already exists") or any other code above 65535 fails to parse and the error
//! list comes back empty, which is exactly where flarelink needs the code. It also has no
//! retries. So only the crate's endpoint descriptions are used; sending and parsing are here.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use cloudflare::framework::endpoint::{spec::EndpointSpec, RequestBody};
use rand::Rng;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use url::Url;

use crate::error::{ApiMessage, Error};

/// More pages than this means the server's `result_info` is lying; stop rather than loop.
const MAX_PAGES: u32 = 10_000;

/// How transient failures are retried. Delays grow `base, 2·base, 4·base, …` up to `cap`, and
/// each actual sleep is drawn uniformly from `[0, delay]` ("full jitter", so concurrent runs
/// hitting the same limit spread out). A `Retry-After` from Cloudflare replaces the drawn
/// delay, capped at `retry_after_cap` so a bogus header cannot park the CLI for hours.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// Total attempts per call, including the first (at least 1).
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
    pub retry_after_cap: Duration,
}

impl RetryPolicy {
    pub const DEFAULT_BASE: Duration = Duration::from_millis(200);
    pub const DEFAULT_CAP: Duration = Duration::from_secs(10);
    pub const DEFAULT_RETRY_AFTER_CAP: Duration = Duration::from_secs(60);

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::new()
            .with_min_delay(self.base)
            .with_max_delay(self.cap.max(self.base))
            .with_factor(2.0)
            .with_max_times(self.max_attempts.max(1) as usize - 1)
    }

    /// The sleep before the next attempt, given backon's un-jittered delay for it.
    pub fn delay(&self, backoff: Duration, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(wait) => wait.min(self.retry_after_cap),
            None => full_jitter(backoff),
        }
    }
}

fn full_jitter(delay: Duration) -> Duration {
    let nanos = u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rand::rng().random_range(0..=nanos))
}

/// A successful envelope: `result` still untyped, plus paging info.
#[derive(Debug)]
pub(crate) struct Answer {
    pub result: Option<serde_json::Value>,
    pub result_info: Option<ResultInfo>,
}

impl Answer {
    /// Types `result`; a missing/null result is offered to `T` as JSON `null`.
    pub fn into_result<T: DeserializeOwned>(self, operation: &'static str) -> Result<T, Error> {
        let value = self.result.unwrap_or(serde_json::Value::Null);
        serde_json::from_value(value).map_err(|e| Error::InvalidResponse {
            operation,
            detail: format!("result has an unexpected shape: {e}"),
        })
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub(crate) struct ResultInfo {
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub per_page: Option<u32>,
    #[serde(default)]
    pub total_pages: Option<u32>,
    #[serde(default)]
    pub total_count: Option<u32>,
}

impl ResultInfo {
    /// `total_pages`, or derived from `total_count`/`per_page` where an endpoint omits it.
    pub fn total_pages(&self) -> Option<u32> {
        self.total_pages
            .or_else(|| match (self.total_count, self.per_page) {
                (Some(total), Some(per_page)) if per_page > 0 => Some(total.div_ceil(per_page)),
                _ => None,
            })
    }
}

/// One attempt's failure, with what the retry loop needs to know about it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: Error,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

impl Failure {
    fn permanent(error: Error) -> Self {
        Failure {
            error,
            retryable: false,
            retry_after: None,
        }
    }
}

/// How a request failed before any answer arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportFailure {
    /// No connection was made (refused, DNS, TLS handshake): the request never left.
    Connect,
    /// No complete answer in time: the server may or may not have acted.
    Timeout,
    /// Anything else after connecting (reset, truncated answer): may or may not have acted.
    Other,
}

/// Whether a request that got no answer may be sent again.
///
/// A POST that timed out or was cut off may already have created something (an Origin CA
/// certificate, a DNS record); sending it again could create a duplicate. So a POST is retried
/// here only when it provably never left this machine (connect errors), and of its answers only
/// a 429 is retried (rate limited: Cloudflare did not act; see [`answer_is_retryable`]). A 5xx
/// may come after Cloudflare acted, so it is not retried here either: the caller looks for what
/// the POST would have made (`Error::may_have_acted`) and sends it again only when it is
/// provably absent. GET, PUT, PATCH and DELETE are idempotent and are retried on every
/// transport failure and every transient answer.
pub(crate) fn transport_is_retryable(method: &Method, failure: TransportFailure) -> bool {
    failure == TransportFailure::Connect || *method != Method::POST
}

/// Whether an error answer to `method` may be sent again at once: transient answers (see
/// [`status_is_retryable`]), except a POST's 5xx, whose outcome is unknown.
pub(crate) fn answer_is_retryable(method: &Method, status: u16, errors: &[ApiMessage]) -> bool {
    status_is_retryable(status, errors) && (*method != Method::POST || status < 500)
}

/// Whether an error *answer* is transient: 429 (rate limit, code 10100) and 5xx except 501.
/// Other 4xx are permanent and never retried.
pub(crate) fn status_is_retryable(status: u16, errors: &[ApiMessage]) -> bool {
    status == 429 || ((500..600).contains(&status) && status != 501) || {
        errors.iter().any(|e| e.code == 10100)
    }
}

/// `Retry-After` as delta-seconds or an HTTP date.
pub(crate) fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[derive(Deserialize)]
struct WireEnvelope {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    errors: Vec<WireMessage>,
    #[serde(default)]
    result: Option<serde_json::Value>,
    #[serde(default)]
    result_info: Option<ResultInfo>,
}

/// An `errors` entry. Codes are read as u64 (Cloudflare's go past u16), and `error_chain`
/// (e.g. 6003 "Invalid request headers" → 6111 "Invalid format for Authorization header") is
/// flattened after its parent so callers see every code.
#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    code: Option<u64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_chain: Vec<WireMessage>,
}

fn flatten_messages(wire: Vec<WireMessage>, out: &mut Vec<ApiMessage>) {
    for m in wire {
        out.push(ApiMessage {
            code: m.code.and_then(|c| u32::try_from(c).ok()).unwrap_or(0),
            message: m.message.unwrap_or_default(),
        });
        flatten_messages(m.error_chain, out);
    }
}

/// Turns one HTTP answer into an [`Answer`] or a classified [`Failure`].
pub(crate) fn classify_answer(
    operation: &'static str,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<Answer, Failure> {
    let ok_status = (200..300).contains(&status);
    let envelope = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<WireEnvelope>(body).ok()
    };
    match envelope {
        Some(envelope) if ok_status && envelope.success != Some(false) => Ok(Answer {
            result: envelope.result,
            result_info: envelope.result_info,
        }),
        Some(envelope) => {
            let mut errors = Vec::new();
            flatten_messages(envelope.errors, &mut errors);
            Err(api_failure(operation, status, errors, retry_after))
        }
        // An empty 2xx (e.g. 204) carries nothing to parse and nothing wrong.
        None if ok_status && body.iter().all(u8::is_ascii_whitespace) => Ok(Answer {
            result: None,
            result_info: None,
        }),
        None if ok_status => Err(Failure::permanent(Error::InvalidResponse {
            operation,
            detail: format!("HTTP {status} with a body that is not Cloudflare's JSON envelope"),
        })),
        // Error pages from proxies/load balancers (HTML 502s, bare 429s) carry no envelope.
        None => Err(api_failure(operation, status, Vec::new(), retry_after)),
    }
}

fn api_failure(
    operation: &'static str,
    status: u16,
    errors: Vec<ApiMessage>,
    retry_after: Option<Duration>,
) -> Failure {
    let retryable = status_is_retryable(status, &errors);
    Failure {
        error: Error::Api {
            operation,
            status,
            errors,
        },
        retryable,
        retry_after: if retryable { retry_after } else { None },
    }
}

/// An endpoint turned into what an attempt needs; built once per call, reused per attempt.
struct Prepared {
    method: Method,
    url: Url,
    path: String,
    body: Option<(String, Vec<u8>)>,
}

/// Holds the HTTP client, the base URL and the Authorization header. The header value is
/// marked sensitive and this type has no Debug impl, so the token cannot reach logs.
#[derive(Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    base: Url,
    authorization: HeaderValue,
    pub retry: RetryPolicy,
}

impl Transport {
    pub fn new(
        api_base: &str,
        token: &str,
        request_timeout: Duration,
        retry: RetryPolicy,
    ) -> Result<Self, Error> {
        let base = parse_base(api_base)?;
        let token = token.trim();
        if token.is_empty() {
            return Err(Error::Config("the Cloudflare API token is empty".into()));
        }
        // Never echo the token, not even in this error.
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                Error::Config(
                    "the Cloudflare API token contains characters not allowed in an HTTP header"
                        .into(),
                )
            })?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .timeout(request_timeout)
            .connect_timeout(request_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("flarelink/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Transport {
            http,
            base,
            authorization,
            retry,
        })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    fn prepare<E: EndpointSpec>(&self, endpoint: &E) -> Result<Prepared, Error> {
        let path = endpoint.path();
        debug_assert!(
            !path.starts_with('/'),
            "endpoint paths are relative: {path}"
        );
        let mut url = self
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::Config(format!("cannot join {path:?} to the API base: {e}")))?;
        url.set_query(endpoint.query().as_deref().filter(|q| !q.is_empty()));
        let content_type = endpoint
            .content_type()
            .map(|c| c.into_owned())
            .unwrap_or_else(|| "application/json".into());
        let body = match endpoint.body() {
            None => None,
            Some(RequestBody::Json(json)) => Some((content_type, json.into_bytes())),
            Some(RequestBody::Raw(bytes)) => Some((content_type, bytes)),
            Some(RequestBody::MultiPart(_)) => {
                return Err(Error::Config(
                    "multipart bodies are not supported by this client".into(),
                ))
            }
        };
        Ok(Prepared {
            method: endpoint.method(),
            url,
            path,
            body,
        })
    }

    /// Sends `endpoint`, retrying transient failures per [`RetryPolicy`].
    pub async fn call<E: EndpointSpec>(
        &self,
        operation: &'static str,
        endpoint: &E,
    ) -> Result<Answer, Error> {
        let prepared = self.prepare(endpoint)?;
        let policy = self.retry;
        (|| self.attempt(operation, &prepared))
            .retry(policy.backoff())
            .sleep(tokio::time::sleep)
            .when(|failure: &Failure| failure.retryable)
            .adjust(|failure: &Failure, next: Option<Duration>| {
                // `next` is None once attempts are exhausted; Retry-After never extends them.
                next.map(|backoff| policy.delay(backoff, failure.retry_after))
            })
            .notify(|failure: &Failure, wait: Duration| {
                tracing::debug!(
                    method = %prepared.method,
                    path = %prepared.path,
                    wait_ms = wait.as_millis() as u64,
                    error = %failure.error,
                    "retrying Cloudflare call after a transient failure"
                );
            })
            .await
            .map_err(|failure| failure.error)
    }

    /// Sends `endpoint_for_page(1)`, `(2)`, … until `result_info.total_pages` is reached,
    /// concatenating the `result` arrays. Each page's `result` is parsed as `P` (a `Vec<T>` or
    /// a newtype around one).
    pub async fn call_all_pages<E, P, T, F>(
        &self,
        operation: &'static str,
        mut endpoint_for_page: F,
    ) -> Result<Vec<T>, Error>
    where
        E: EndpointSpec,
        P: DeserializeOwned + Into<Vec<T>>,
        F: FnMut(u32) -> E,
    {
        let mut all = Vec::new();
        let mut page = 1;
        loop {
            let answer = self.call(operation, &endpoint_for_page(page)).await?;
            let info = answer.result_info;
            let items: Option<P> = answer.into_result(operation)?;
            let items: Vec<T> = items.map(Into::into).unwrap_or_default();
            let got = items.len();
            all.extend(items);
            match info.and_then(|i| i.total_pages()) {
                Some(total) if page < total && got > 0 => page += 1,
                _ => return Ok(all),
            }
            if page > MAX_PAGES {
                return Err(Error::InvalidResponse {
                    operation,
                    detail: format!("more than {MAX_PAGES} pages"),
                });
            }
        }
    }

    async fn attempt(&self, operation: &'static str, req: &Prepared) -> Result<Answer, Failure> {
        let mut builder = self
            .http
            .request(req.method.clone(), req.url.clone())
            .header(header::AUTHORIZATION, self.authorization.clone())
            .header(header::ACCEPT, "application/json");
        if let Some((content_type, body)) = &req.body {
            builder = builder
                .header(header::CONTENT_TYPE, content_type.as_str())
                .body(body.clone());
        }
        let response = match builder.send().await {
            Ok(response) => response,
            Err(e) => return Err(self.transport_failure(operation, req, e)),
        };
        let status = response.status().as_u16();
        tracing::debug!(method = %req.method, path = %req.path, status, "Cloudflare API call");
        let retry_after = parse_retry_after(response.headers());
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) => return Err(self.transport_failure(operation, req, e)),
        };
        classify_answer(operation, status, retry_after, &body).map_err(|mut failure| {
            if let Error::Api { errors, .. } = &failure.error {
                failure.retryable = answer_is_retryable(&req.method, status, errors);
            }
            failure
        })
    }

    fn transport_failure(
        &self,
        operation: &'static str,
        req: &Prepared,
        error: reqwest::Error,
    ) -> Failure {
        let kind = if error.is_connect() {
            TransportFailure::Connect
        } else if error.is_timeout() {
            TransportFailure::Timeout
        } else {
            TransportFailure::Other
        };
        tracing::debug!(method = %req.method, path = %req.path, ?kind, "Cloudflare API call failed");
        Failure {
            error: Error::Transport {
                operation,
                url: req.url.to_string(),
                detail: error_chain(&error),
                may_have_acted: kind != TransportFailure::Connect,
            },
            retryable: transport_is_retryable(&req.method, kind),
            retry_after: None,
        }
    }
}

/// reqwest's Display stops at "error sending request"; the cause (refused, reset, timed out)
/// is further down the source chain.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The base URL must be absolute http(s); a missing trailing slash is added, since without it
/// `Url::join` would drop the last segment (`…/client/v4` + `zones` → `…/client/zones`).
fn parse_base(api_base: &str) -> Result<Url, Error> {
    let mut text = api_base.trim().to_string();
    if !text.ends_with('/') {
        text.push('/');
    }
    let url = Url::parse(&text)
        .map_err(|e| Error::Config(format!("invalid Cloudflare API base URL {api_base:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(Error::Config(format!(
            "the Cloudflare API base URL must be http(s), got {api_base:?}"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OP: &str = "create DNS record";

    #[test]
    fn success_envelope_yields_result_and_paging() {
        let body = br#"{"success":true,"errors":[],"messages":[],"result":[{"id":"a"}],
            "result_info":{"page":1,"per_page":100,"total_pages":3,"count":1,"total_count":201}}"#;
        let answer = classify_answer(OP, 200, None, body).unwrap();
        assert_eq!(answer.result_info.unwrap().total_pages(), Some(3));
        let ids: Vec<serde_json::Value> = answer.into_result(OP).unwrap();
        assert_eq!(ids[0]["id"], "a");
    }

    #[test]
    fn code_81053_survives_parsing_and_is_permanent() {
        let body = br#"{"success":false,"errors":[{"code":81053,
            "message":"An A, AAAA, or CNAME record with that host already exists."}],
            "messages":[],"result":null}"#;
        let failure = classify_answer(OP, 400, None, body).unwrap_err();
        assert!(!failure.retryable);
        assert_eq!(failure.error.codes(), vec![81053]);
        assert_eq!(failure.error.status(), Some(400));
        assert!(failure.error.to_string().contains("(code 81053)"));
    }

    #[test]
    fn error_chain_is_flattened() {
        let body = br#"{"success":false,"errors":[{"code":6003,"message":"Invalid request headers",
            "error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]}],
            "messages":[],"result":null}"#;
        let failure = classify_answer(OP, 400, None, body).unwrap_err();
        assert_eq!(failure.error.codes(), vec![6003, 6111]);
    }

    #[test]
    fn rate_limit_is_retryable_and_keeps_retry_after() {
        let body = br#"{"success":false,"errors":[{"code":10100,"message":"Rate limited"}]}"#;
        let failure = classify_answer(OP, 429, Some(Duration::from_secs(7)), body).unwrap_err();
        assert!(failure.retryable);
        assert_eq!(failure.retry_after, Some(Duration::from_secs(7)));
    }

    #[test]
    fn non_json_error_pages_keep_their_status() {
        let failure = classify_answer(OP, 502, None, b"<html>Bad gateway</html>").unwrap_err();
        assert!(failure.retryable);
        assert!(
            matches!(failure.error, Error::Api { status: 502, ref errors, .. } if errors.is_empty())
        );
    }

    #[test]
    fn success_false_in_a_200_is_an_error() {
        let body = br#"{"success":false,"errors":[{"code":1004,"message":"x"}],"result":null}"#;
        let failure = classify_answer(OP, 200, None, body).unwrap_err();
        assert!(!failure.retryable);
        assert_eq!(failure.error.codes(), vec![1004]);
    }

    #[test]
    fn non_envelope_2xx_is_invalid_response_and_empty_2xx_is_fine() {
        let failure = classify_answer(OP, 200, None, b"hello").unwrap_err();
        assert!(matches!(failure.error, Error::InvalidResponse { .. }));
        assert!(!failure.retryable);
        assert!(classify_answer(OP, 204, None, b"").is_ok());
    }

    #[test]
    fn retry_classification_of_answers() {
        assert!(status_is_retryable(429, &[]));
        assert!(status_is_retryable(500, &[]));
        assert!(status_is_retryable(503, &[]));
        assert!(!status_is_retryable(501, &[]));
        for status in [400, 401, 403, 404, 409, 422] {
            assert!(!status_is_retryable(status, &[]), "{status}");
        }
        let rate_limited = [ApiMessage {
            code: 10100,
            message: "rate limited".into(),
        }];
        assert!(status_is_retryable(400, &rate_limited));
    }

    #[test]
    fn retry_classification_of_transport_failures() {
        use TransportFailure::*;
        for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
            for kind in [Connect, Timeout, Other] {
                assert!(transport_is_retryable(&method, kind), "{method} {kind:?}");
            }
        }
        // A POST that may have reached the server is never resent.
        assert!(transport_is_retryable(&Method::POST, Connect));
        assert!(!transport_is_retryable(&Method::POST, Timeout));
        assert!(!transport_is_retryable(&Method::POST, Other));
    }

    #[test]
    fn a_posts_5xx_is_not_resent_but_its_429_is() {
        assert!(!answer_is_retryable(&Method::POST, 500, &[]));
        assert!(!answer_is_retryable(&Method::POST, 503, &[]));
        assert!(answer_is_retryable(&Method::POST, 429, &[]));
        assert!(answer_is_retryable(&Method::GET, 503, &[]));
        assert!(answer_is_retryable(&Method::DELETE, 502, &[]));
        assert!(!answer_is_retryable(&Method::POST, 400, &[]));
    }

    #[test]
    fn retry_after_parsing() {
        let mut headers = HeaderMap::new();
        assert_eq!(parse_retry_after(&headers), None);
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("0.5"));
        assert_eq!(
            parse_retry_after(&headers),
            Some(Duration::from_millis(500))
        );
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&headers), Some(Duration::ZERO));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers), None);
    }

    #[test]
    fn delays_are_jittered_or_follow_retry_after_within_caps() {
        let policy = RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
            retry_after_cap: Duration::from_secs(60),
        };
        for _ in 0..200 {
            assert!(policy.delay(Duration::from_millis(800), None) <= Duration::from_millis(800));
        }
        assert_eq!(
            policy.delay(Duration::from_millis(800), Some(Duration::from_secs(5))),
            Duration::from_secs(5)
        );
        assert_eq!(
            policy.delay(Duration::from_millis(800), Some(Duration::from_secs(3600))),
            Duration::from_secs(60)
        );
        // backon computes in f32; compare whole milliseconds.
        let millis = |p: RetryPolicy| -> Vec<u128> {
            backon::BackoffBuilder::build(p.backoff())
                .map(|d| d.as_millis())
                .collect()
        };
        assert_eq!(
            millis(policy),
            vec![200, 400, 800],
            "max_attempts 4 = 3 retries, doubling from base"
        );
        let long = RetryPolicy {
            max_attempts: 10,
            ..policy
        };
        assert_eq!(millis(long).last(), Some(&10_000), "capped");
        let once = RetryPolicy {
            max_attempts: 1,
            ..policy
        };
        assert_eq!(backon::BackoffBuilder::build(once.backoff()).count(), 0);
    }

    #[test]
    fn total_pages_falls_back_to_counts() {
        let info = ResultInfo {
            per_page: Some(50),
            total_count: Some(101),
            ..Default::default()
        };
        assert_eq!(info.total_pages(), Some(3));
        assert_eq!(ResultInfo::default().total_pages(), None);
    }

    #[test]
    fn base_url_gets_its_trailing_slash_and_must_be_http() {
        assert_eq!(
            parse_base("http://127.0.0.1:1/client/v4").unwrap().as_str(),
            "http://127.0.0.1:1/client/v4/"
        );
        assert!(parse_base("not a url").is_err());
        assert!(parse_base("ftp://example.com/").is_err());
    }
}
