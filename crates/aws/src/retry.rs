//! Waiting out API Gateway's hard per-account quotas on a few control-plane calls.
//!
//! CreateDomainName, UpdateDomainName and DeleteDomainName allow one call per 30 s per account;
//! so does DeleteRestApi; CreateDeployment one per 5 s; CreateRestApi (regional) one per 3 s.
//! Throttled calls answer `TooManyRequestsException`, whose `retryAfterSeconds` member the SDK
//! binds from the `Retry-After` header. The SDK's standard retry would treat that answer as an
//! ordinary throttle: a few attempts with exponential backoff of a second or two, which cannot
//! outlast a 30 s window and only spends calls, and it ignores `Retry-After` (it honours only
//! `x-amz-retry-after`). So for these calls a retry classifier forbids the SDK from retrying
//! `TooManyRequestsException` (other transient failures keep the SDK's standard retry), and
//! [`with_quota_waits`] waits as long as AWS asks, tells the observer, and tries again.
//!
//! Pacing: the first throttle of a quota teaches its window ([`Pacer`]), and from then on the
//! calls of that quota are sent one window after the last accepted one instead of each being
//! sent, refused and retried. A quota's window is the same for every call of the account, so
//! the pacer is shared by every clone of the client. Waiting for a known window (AWS's
//! `Retry-After`, or the learned window) adds no jitter — it would only delay the next call
//! past the moment AWS named; jitter is added only when AWS named none and the documented
//! window is assumed.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use rand::Rng;
use tokio::time::Instant;

use crate::{errors, Error, WaitNotice, WaitObserver};

/// The wait when a throttled domain-name call carries no usable `Retry-After`: the quota's
/// window. Other operations wait their own window (see [`quota_of`]).
pub(crate) const DEFAULT_QUOTA_WAIT: Duration = Duration::from_secs(30);
/// Never wait longer than this for one `Retry-After`, whatever the header says.
const MAX_QUOTA_WAIT: Duration = Duration::from_secs(300);
const THROTTLE_CODE: &str = "TooManyRequestsException";
/// A paced call tells the observer only of waits at least this long.
const NOTICE_FROM: Duration = Duration::from_millis(200);

/// How a quota-limited call waits: how often, whom it tells, and the pace its quota has taught.
#[derive(Clone, Default)]
pub(crate) struct QuotaPolicy {
    pub(crate) max_waits: u32,
    pub(crate) observer: Option<WaitObserver>,
    /// Shared by every clone of the client: the account's quotas are.
    pub(crate) pace: Arc<Pacer>,
}

/// What one quota has taught: its window (from its first throttle) and when the last call it
/// accepted was sent.
#[derive(Debug, Clone, Copy, Default)]
struct Pace {
    window: Option<Duration>,
    last_accepted: Option<Instant>,
}

/// The learned pace of each quota (keyed by the quota's name: the three domain-name calls share
/// one). Hand-written: a rate limiter crate paces at a rate known in advance, where this one is
/// learned from AWS's answers.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    quotas: Mutex<std::collections::HashMap<&'static str, Pace>>,
}

/// A margin past a learned window: the window is measured from this machine's send times, AWS
/// counts from its own arrival times, and one call sent a hair early costs a whole refusal.
fn margin(window: Duration) -> Duration {
    (window / 50).max(Duration::from_millis(20))
}

impl Pacer {
    fn get(&self, quota: &'static str) -> Pace {
        self.quotas
            .lock()
            .expect("pacer")
            .get(quota)
            .copied()
            .unwrap_or_default()
    }

    fn update(&self, quota: &'static str, f: impl FnOnce(&mut Pace)) {
        f(self.quotas.lock().expect("pacer").entry(quota).or_default());
    }

    /// How long a call of `quota` must wait at `now` to be sent one learned window (and a
    /// margin) after the last accepted one; `None`: send now.
    fn wait_before(&self, quota: &'static str, now: Instant) -> Option<(Duration, Duration)> {
        let pace = self.get(quota);
        let (window, last) = (pace.window?, pace.last_accepted?);
        let due = last + window + margin(window);
        (due > now).then(|| (due - now, window))
    }

    fn accepted(&self, quota: &'static str, sent: Instant) {
        self.update(quota, |p| p.last_accepted = Some(sent));
    }

    /// Learns from a throttle of a call sent at `sent`, AWS asking for `retry_after`. The first
    /// throttle teaches the window AWS names (a call refused right after an accepted one waits
    /// about a whole window). A throttle of a call paced at a learned window proves the window
    /// longer: it is then at least the time since the last accepted call plus what AWS asks.
    fn throttled(&self, quota: &'static str, sent: Instant, retry_after: Option<Duration>) {
        let Some(asked) = retry_after else { return };
        self.update(quota, |p| {
            let seen = match p.last_accepted {
                Some(last) if p.window.is_some() => sent.saturating_duration_since(last) + asked,
                _ => asked,
            };
            p.window = Some(p.window.map_or(seen, |w| w.max(seen)));
        });
    }
}

impl fmt::Debug for QuotaPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuotaPolicy")
            .field("max_waits", &self.max_waits)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

/// One attempt's failure: throttled by the quota (wait and retry), or anything else (give up).
pub(crate) enum CallError {
    Throttled {
        error: Error,
        retry_after: Option<Duration>,
    },
    Failed(Error),
}

/// Maps an SDK error of a quota-limited call; `retry_after_of` says whether the error is the
/// modeled `TooManyRequestsException` and, if so, returns its `retryAfterSeconds`.
pub(crate) fn call_error<E>(
    operation: &'static str,
    err: SdkError<E, HttpResponse>,
    retry_after_of: fn(&E) -> Option<Option<&str>>,
) -> CallError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let throttled = err.as_service_error().and_then(|e| {
        retry_after_of(e)
            .map(|ra| ra.map(str::to_owned))
            .or_else(|| (e.code() == Some(THROTTLE_CODE)).then_some(None))
    });
    let error = errors::from_sdk(operation, err);
    match throttled {
        Some(retry_after) => CallError::Throttled {
            error,
            retry_after: retry_after.as_deref().and_then(parse_retry_after),
        },
        None => CallError::Failed(error),
    }
}

/// `Retry-After` as API Gateway sends it: whole (or decimal) seconds.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(seconds).min(MAX_QUOTA_WAIT))
}

/// The quota an operation waits out: how to name it, and its window (the wait when AWS sends no
/// usable `Retry-After`). Domain-name calls are the default.
fn quota_of(operation: &str) -> (&'static str, Duration) {
    match operation {
        "CreateRestApi" => (
            "API Gateway allows one CreateRestApi per 3 s per account (regional APIs)",
            Duration::from_secs(3),
        ),
        "CreateDeployment" => (
            "API Gateway allows one CreateDeployment per 5 s per account",
            Duration::from_secs(5),
        ),
        "DeleteRestApi" => (
            "API Gateway allows one DeleteRestApi per 30 s per account",
            Duration::from_secs(30),
        ),
        _ => (
            "API Gateway allows one CreateDomainName/UpdateDomainName/DeleteDomainName per 30 s \
             per account",
            DEFAULT_QUOTA_WAIT,
        ),
    }
}

fn jitter() -> Duration {
    Duration::from_millis(rand::rng().random_range(100..=900))
}

/// Runs `call`, waiting out quota throttles up to `policy.max_waits` times.
pub(crate) async fn with_quota_waits<T, F, Fut>(
    operation: &'static str,
    policy: &QuotaPolicy,
    mut call: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CallError>>,
{
    let (quota, window) = quota_of(operation);
    let mut waits = 0u32;
    loop {
        // Paced only before the first attempt: a retry goes when AWS said it may.
        let pace = (waits == 0)
            .then(|| policy.pace.wait_before(quota, Instant::now()))
            .flatten();
        if let Some((wait, learned)) = pace {
            let reason = format!(
                "{quota} (learned from its first {THROTTLE_CODE}: a {} s window); waiting {} s \
                 for the next slot",
                format_secs(learned),
                format_secs(wait)
            );
            tracing::info!(operation, wait_ms = wait.as_millis() as u64, "{reason}");
            // A wait of a margin's length is not worth a line.
            if let Some(observer) = policy.observer.as_ref().filter(|_| wait >= NOTICE_FROM) {
                observer(WaitNotice {
                    operation,
                    wait,
                    attempt: 0,
                    reason,
                });
            }
            tokio::time::sleep(wait).await;
        }
        let sent = Instant::now();
        match call().await {
            Ok(value) => {
                policy.pace.accepted(quota, sent);
                return Ok(value);
            }
            Err(CallError::Failed(error)) => return Err(error),
            Err(CallError::Throttled { error, retry_after }) => {
                policy.pace.throttled(quota, sent, retry_after);
                if waits >= policy.max_waits {
                    return Err(error);
                }
                waits += 1;
                // AWS named the moment: wait exactly that. Without it, the documented window
                // is a guess, and jitter keeps guessers apart.
                let wait = retry_after.unwrap_or_else(|| window + jitter());
                let asked_text = match retry_after {
                    Some(d) => format!("Retry-After: {} s", format_secs(d)),
                    None => format!("no Retry-After, assuming {} s", window.as_secs()),
                };
                let reason = format!(
                    "{quota} ({THROTTLE_CODE}, {asked_text}); waiting {} s before retry {waits} \
                     of {}",
                    format_secs(wait),
                    policy.max_waits
                );
                tracing::info!(
                    operation,
                    wait_ms = wait.as_millis() as u64,
                    attempt = waits,
                    "{reason}"
                );
                if let Some(observer) = &policy.observer {
                    observer(WaitNotice {
                        operation,
                        wait,
                        attempt: waits,
                        reason,
                    });
                }
                tokio::time::sleep(wait).await;
            }
        }
    }
}

fn format_secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s:.1}")
    }
}

/// A retry classifier that forbids the SDK's own retry of `TooManyRequestsException` for the
/// operation whose error type is `E`, leaving that throttle to [`with_quota_waits`]. It runs
/// after the SDK's classifiers, so its verdict wins; everything else keeps their verdict.
pub(crate) struct QuotaThrottleIsOurs<E>(PhantomData<fn() -> E>);

impl<E> QuotaThrottleIsOurs<E> {
    pub(crate) fn new() -> Self {
        QuotaThrottleIsOurs(PhantomData)
    }
}

impl<E> fmt::Debug for QuotaThrottleIsOurs<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QuotaThrottleIsOurs")
    }
}

impl<E> ClassifyRetry for QuotaThrottleIsOurs<E>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let code = match ctx.output_or_error() {
            Some(Err(err)) => err
                .as_operation_error()
                .and_then(|e| e.downcast_ref::<E>())
                .and_then(|e| e.code()),
            _ => None,
        };
        if code == Some(THROTTLE_CODE) {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "flarelink: an API Gateway hard quota is waited out by the caller"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Per-operation config for a create that must not be sent twice blindly: the SDK's own retry
/// is off (it would re-send an ImportCertificate or CreateDomainName whose answer was lost and
/// make a second one). flarelink's caller retries it, after looking for what it would have made.
pub(crate) fn acm_create_once() -> aws_sdk_acm::config::Builder {
    aws_sdk_acm::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// [`acm_create_once`] for API Gateway.
pub(crate) fn apigateway_create_once() -> aws_sdk_apigateway::config::Builder {
    aws_sdk_apigateway::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// [`acm_create_once`] for Cognito.
pub(crate) fn cognito_create_once() -> aws_sdk_cognitoidentityprovider::config::Builder {
    aws_sdk_cognitoidentityprovider::config::Builder::default()
        .retry_config(RetryConfig::disabled())
}

/// Per-operation config that installs [`QuotaThrottleIsOurs`] for the error type `E`.
pub(crate) fn quota_override<E>() -> aws_sdk_apigateway::config::Builder
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    aws_sdk_apigateway::config::Builder::default().retry_classifier(QuotaThrottleIsOurs::<E>::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use std::sync::{Arc, Mutex};

    fn throttled(retry_after: Option<Duration>) -> CallError {
        CallError::Throttled {
            error: Error {
                operation: "CreateDomainName",
                kind: ErrorKind::Throttled,
                code: Some(THROTTLE_CODE.into()),
                message: "Too Many Requests".into(),
            },
            retry_after,
        }
    }

    #[test]
    fn parses_retry_after() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 1.5 "),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_retry_after("9999"), Some(MAX_QUOTA_WAIT));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn waits_as_asked_then_succeeds_and_tells_the_observer() {
        let notices = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&notices);
        let policy = QuotaPolicy {
            max_waits: 3,
            observer: Some(Arc::new(move |n: WaitNotice| seen.lock().unwrap().push(n))),
            ..Default::default()
        };
        let mut calls = 0;
        let start = tokio::time::Instant::now();
        let out = with_quota_waits("CreateDomainName", &policy, || {
            calls += 1;
            let n = calls;
            async move {
                match n {
                    1 => Err(throttled(Some(Duration::from_secs(7)))),
                    2 => Err(throttled(None)),
                    _ => Ok("done"),
                }
            }
        })
        .await;
        assert_eq!(out.unwrap(), "done");
        let notices = notices.lock().unwrap();
        assert_eq!(notices.len(), 2);
        assert_eq!(notices[0].attempt, 1);
        assert_eq!(
            notices[0].wait,
            Duration::from_secs(7),
            "AWS named the moment: no jitter"
        );
        assert!(
            notices[0].reason.contains("Retry-After: 7 s"),
            "{}",
            notices[0].reason
        );
        assert!(
            notices[0].reason.contains("per 30 s"),
            "{}",
            notices[0].reason
        );
        assert!(notices[1].wait >= DEFAULT_QUOTA_WAIT);
        assert!(
            notices[1].reason.contains("no Retry-After"),
            "{}",
            notices[1].reason
        );
        assert!(start.elapsed() >= Duration::from_secs(37));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_as_throttled_after_the_budget() {
        let policy = QuotaPolicy {
            max_waits: 1,
            observer: None,
            ..Default::default()
        };
        let mut calls = 0;
        let err = with_quota_waits("DeleteDomainName", &policy, || {
            calls += 1;
            async { Err::<(), _>(throttled(Some(Duration::from_secs(1)))) }
        })
        .await
        .unwrap_err();
        assert_eq!(calls, 2);
        assert_eq!(err.kind, ErrorKind::Throttled);
        assert_eq!(err.code.as_deref(), Some(THROTTLE_CODE));

        let zero = QuotaPolicy::default();
        let mut calls = 0;
        let err = with_quota_waits("DeleteDomainName", &zero, || {
            calls += 1;
            async { Err::<(), _>(throttled(None)) }
        })
        .await
        .unwrap_err();
        assert_eq!(calls, 1);
        assert_eq!(err.kind, ErrorKind::Throttled);
    }

    #[tokio::test(start_paused = true)]
    async fn other_quotas_wait_their_own_window_and_name_themselves() {
        for (operation, window) in [
            ("CreateRestApi", Duration::from_secs(3)),
            ("CreateDeployment", Duration::from_secs(5)),
            ("DeleteRestApi", Duration::from_secs(30)),
        ] {
            let notices = Arc::new(Mutex::new(Vec::new()));
            let seen = Arc::clone(&notices);
            let policy = QuotaPolicy {
                max_waits: 1,
                observer: Some(Arc::new(move |n: WaitNotice| seen.lock().unwrap().push(n))),
                ..Default::default()
            };
            let mut calls = 0;
            let out = with_quota_waits(operation, &policy, || {
                calls += 1;
                let n = calls;
                async move {
                    if n == 1 {
                        Err(throttled(None))
                    } else {
                        Ok(())
                    }
                }
            })
            .await;
            assert!(out.is_ok());
            let notices = notices.lock().unwrap();
            assert_eq!(notices.len(), 1);
            let n = &notices[0];
            assert_eq!(n.operation, operation);
            assert!(n.wait >= window && n.wait < window + Duration::from_secs(1));
            assert!(n.reason.contains(operation), "{}", n.reason);
            assert!(
                n.reason
                    .contains(&format!("no Retry-After, assuming {} s", window.as_secs())),
                "{}",
                n.reason
            );
        }
    }

    #[tokio::test]
    async fn other_failures_are_not_retried() {
        let policy = QuotaPolicy {
            max_waits: 5,
            observer: None,
            ..Default::default()
        };
        let mut calls = 0;
        let err = with_quota_waits("CreateDomainName", &policy, || {
            calls += 1;
            async {
                Err::<(), _>(CallError::Failed(Error {
                    operation: "CreateDomainName",
                    kind: ErrorKind::BadRequest,
                    code: Some("BadRequestException".into()),
                    message: "no".into(),
                }))
            }
        })
        .await
        .unwrap_err();
        assert_eq!(calls, 1);
        assert_eq!(err.kind, ErrorKind::BadRequest);
    }

    /// A stand-in for API Gateway's domain quota on the paused clock: one accepted call per
    /// `window`; a refused one is told the rest of the window, rounded up to whole seconds.
    struct FakeQuota {
        window: Duration,
        last: Mutex<Option<tokio::time::Instant>>,
        sent: Mutex<Vec<(Duration, bool)>>,
        start: tokio::time::Instant,
    }

    impl FakeQuota {
        fn new(window: Duration) -> Self {
            FakeQuota {
                window,
                last: Mutex::new(None),
                sent: Mutex::new(Vec::new()),
                start: tokio::time::Instant::now(),
            }
        }

        fn call(&self) -> Result<(), CallError> {
            let now = tokio::time::Instant::now();
            let mut last = self.last.lock().unwrap();
            let refused = last.filter(|l| now - *l < self.window).map(|l| {
                let rest = self.window - (now - l);
                Duration::from_secs(rest.as_secs_f64().ceil().max(1.0) as u64)
            });
            self.sent
                .lock()
                .unwrap()
                .push((now - self.start, refused.is_none()));
            match refused {
                Some(retry_after) => Err(throttled(Some(retry_after))),
                None => {
                    *last = Some(now);
                    Ok(())
                }
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_first_throttle_domain_calls_are_paced_at_the_learned_window() {
        let quota = FakeQuota::new(Duration::from_secs(2));
        let notices = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&notices);
        let policy = QuotaPolicy {
            max_waits: 3,
            observer: Some(Arc::new(move |n: WaitNotice| seen.lock().unwrap().push(n))),
            ..Default::default()
        };
        // Five hostnames' domain calls, one after another (the core's gate orders them).
        let q = &quota;
        for operation in [
            "CreateDomainName",
            "CreateDomainName",
            "UpdateDomainName",
            "CreateDomainName",
            "DeleteDomainName",
        ] {
            with_quota_waits(operation, &policy, move || async move { q.call() })
                .await
                .unwrap();
        }
        let sent = quota.sent.lock().unwrap().clone();
        // Only the second call meets the quota; the later ones are sent when it allows them.
        let refused: Vec<usize> = (0..sent.len()).filter(|i| !sent[*i].1).collect();
        assert_eq!(refused, [1], "{sent:?}");
        assert_eq!(sent.len(), 6, "{sent:?}");
        // Accepted at 0, 2 (Retry-After exactly, no jitter), then one window and a margin apart.
        let accepted: Vec<Duration> = sent.iter().filter(|s| s.1).map(|s| s.0).collect();
        let step = Duration::from_secs(2) + margin(Duration::from_secs(2));
        assert_eq!(accepted[0], Duration::ZERO);
        assert_eq!(accepted[1], Duration::from_secs(2));
        for pair in accepted.windows(2).skip(1) {
            assert_eq!(pair[1] - pair[0], step, "{accepted:?}");
        }
        let notices = notices.lock().unwrap();
        assert_eq!(notices[0].attempt, 1);
        assert_eq!(notices[0].wait, Duration::from_secs(2));
        let paced: Vec<&WaitNotice> = notices.iter().filter(|n| n.attempt == 0).collect();
        assert_eq!(paced.len(), 3, "{notices:?}");
        assert!(paced.iter().all(|n| n.wait == step), "{notices:?}");
        assert!(
            paced[0].reason.contains("a 2 s window"),
            "{}",
            paced[0].reason
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_window_learned_too_short_is_lengthened_by_the_next_throttle() {
        // The first refusal comes late in the window and names 1 s; the window is 3 s.
        let quota = FakeQuota::new(Duration::from_secs(3));
        let policy = QuotaPolicy {
            max_waits: 3,
            ..Default::default()
        };
        let q = &quota;
        let call = move || async move { q.call() };
        with_quota_waits("CreateDomainName", &policy, call)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(2500)).await;
        with_quota_waits("CreateDomainName", &policy, call)
            .await
            .unwrap(); // refused once: 1 s
        with_quota_waits("CreateDomainName", &policy, call)
            .await
            .unwrap(); // paced at 1 s: refused
        let before = quota.sent.lock().unwrap().len();
        with_quota_waits("CreateDomainName", &policy, call)
            .await
            .unwrap();
        let sent = quota.sent.lock().unwrap().clone();
        assert_eq!(
            sent.len(),
            before + 1,
            "paced at the lengthened window: {sent:?}"
        );
        assert!(sent.last().unwrap().1);
    }

    #[tokio::test(start_paused = true)]
    async fn quotas_are_paced_apart_and_unthrottled_calls_are_never_delayed() {
        let policy = QuotaPolicy {
            max_waits: 1,
            ..Default::default()
        };
        let start = tokio::time::Instant::now();
        for _ in 0..3 {
            with_quota_waits("CreateDeployment", &policy, || async {
                Ok::<_, CallError>(())
            })
            .await
            .unwrap();
        }
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "nothing learned, nothing paced"
        );
        let domains = FakeQuota::new(Duration::from_secs(2));
        let d = &domains;
        with_quota_waits("CreateDomainName", &policy, move || async move { d.call() })
            .await
            .unwrap();
        with_quota_waits("CreateDomainName", &policy, move || async move { d.call() })
            .await
            .unwrap();
        // The domain quota's window says nothing about deployments.
        let before = tokio::time::Instant::now();
        with_quota_waits("CreateDeployment", &policy, || async {
            Ok::<_, CallError>(())
        })
        .await
        .unwrap();
        assert_eq!(before.elapsed(), Duration::ZERO);
    }
}
