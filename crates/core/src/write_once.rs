//! Creates whose answer may be lost: a reset, a timeout or a 5xx can come after the cloud acted.
//! Sending such a create again blindly makes a second certificate, record or domain, so the
//! clients never retry them on their own (the AWS SDK's retry is off for them; the Cloudflare
//! client does not resend a POST that may have arrived). Instead [`create_once`] looks for what
//! the create would have made — by the marks flarelink sets — and adopts it, and sends the
//! create again only when the look proves it absent. A refusal that says the cloud did not act
//! (throttled, rate limited, connection refused) is sent again after a backoff.
//!
//! Hand-written rather than a retry crate's policy because the decision between "retry" and
//! "look first" needs the lookup's answer, which generic retry policies do not model.

use std::future::Future;
use std::time::Duration;

use rand::Rng;

/// How a failed create ended, as far as the client can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The cloud refused it for good (bad request, conflict, permission): stop.
    Refused,
    /// The cloud surely did not act, and saying so again later may work (throttled).
    NotDone,
    /// The cloud may have acted (no answer, 5xx): look before sending again.
    Unknown,
}

/// How a client error tells its [`Outcome`].
pub trait WriteError {
    fn outcome(&self) -> Outcome;
}

impl WriteError for flarelink_aws::Error {
    fn outcome(&self) -> Outcome {
        if self.may_have_acted() {
            Outcome::Unknown
        } else if self.kind == flarelink_aws::ErrorKind::Throttled {
            Outcome::NotDone
        } else {
            Outcome::Refused
        }
    }
}

impl WriteError for flarelink_cloudflare::Error {
    fn outcome(&self) -> Outcome {
        if self.may_have_acted() {
            Outcome::Unknown
        } else if self.is_rate_limited() {
            Outcome::NotDone
        } else {
            Outcome::Refused
        }
    }
}

/// What [`create_once`] got: made by this call, or found after an unknown outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written<T> {
    Created(T),
    Adopted(T),
}

impl<T> Written<T> {
    pub fn into_inner(self) -> T {
        match self {
            Written::Created(v) | Written::Adopted(v) => v,
        }
    }
    pub fn adopted(&self) -> bool {
        matches!(self, Written::Adopted(_))
    }
}

/// The pause before attempt `attempt + 1`: 200 ms doubling up to 5 s, with full jitter so two
/// runs that failed together do not retry together.
fn backoff(attempt: u32) -> Duration {
    let ceiling = Duration::from_millis(200)
        .saturating_mul(1 << attempt.min(5))
        .min(Duration::from_secs(5));
    let ms = u64::try_from(ceiling.as_millis()).unwrap_or(5_000);
    Duration::from_millis(rand::rng().random_range(ms / 4..=ms))
}

/// Decide: after attempt `attempt` (from 1) of `max_attempts` failed with `outcome`, and a
/// lookup (made only for [`Outcome::Unknown`]) found the thing or not — adopt, try again, or
/// give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Adopt,
    Retry,
    GiveUp,
}

pub fn next_step(outcome: Outcome, found: bool, attempt: u32, max_attempts: u32) -> Next {
    match outcome {
        Outcome::Unknown if found => Next::Adopt,
        Outcome::Refused => Next::GiveUp,
        _ if attempt >= max_attempts => Next::GiveUp,
        Outcome::Unknown | Outcome::NotDone => Next::Retry,
    }
}

/// Sends `create` (at most `max_attempts` times). After an unknown outcome it calls `find`
/// (which reads live state for what the create makes, by flarelink's marks) and adopts what it
/// finds; it sends `create` again only when `find` proves it absent. `outcome` classifies an
/// error (usually [`WriteError::outcome`]; DNS also treats 81058 "identical record exists" as
/// unknown). A failing `find` ends the call with that error: the outcome stays unknown and the
/// next run's discovery settles it.
pub async fn create_once<T, E, C, CF, F, FF>(
    max_attempts: u32,
    outcome: impl Fn(&E) -> Outcome,
    mut create: C,
    mut find: F,
) -> Result<Written<T>, E>
where
    C: FnMut() -> CF,
    CF: Future<Output = Result<T, E>>,
    F: FnMut() -> FF,
    FF: Future<Output = Result<Option<T>, E>>,
    E: std::fmt::Display,
{
    let max_attempts = max_attempts.max(1);
    let mut attempt = 1;
    loop {
        let error = match create().await {
            Ok(v) => return Ok(Written::Created(v)),
            Err(e) => e,
        };
        let kind = outcome(&error);
        let mut found = None;
        if kind == Outcome::Unknown {
            tracing::info!(%error, "a create's outcome is unknown; looking for what it made");
            found = find().await?;
        }
        match next_step(kind, found.is_some(), attempt, max_attempts) {
            Next::Adopt => return Ok(Written::Adopted(found.expect("found"))),
            Next::GiveUp => return Err(error),
            Next::Retry => {
                tracing::info!(%error, attempt, "create did not happen; sending it again");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn an_unknown_outcome_adopts_what_is_found_and_retries_only_when_it_is_absent() {
        assert_eq!(next_step(Outcome::Unknown, true, 1, 3), Next::Adopt);
        assert_eq!(next_step(Outcome::Unknown, true, 3, 3), Next::Adopt);
        assert_eq!(next_step(Outcome::Unknown, false, 1, 3), Next::Retry);
        assert_eq!(next_step(Outcome::Unknown, false, 3, 3), Next::GiveUp);
    }

    #[test]
    fn a_refusal_is_final_and_not_done_is_retried_within_the_budget() {
        assert_eq!(next_step(Outcome::Refused, false, 1, 5), Next::GiveUp);
        assert_eq!(next_step(Outcome::NotDone, false, 1, 2), Next::Retry);
        assert_eq!(next_step(Outcome::NotDone, false, 2, 2), Next::GiveUp);
    }

    #[derive(Debug)]
    struct E(Outcome);
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }

    #[tokio::test]
    async fn a_lost_answer_whose_create_happened_is_adopted_without_a_second_create() {
        let creates = AtomicU32::new(0);
        let out = create_once(
            3,
            |e: &E| e.0,
            || async {
                creates.fetch_add(1, Ordering::SeqCst);
                Err::<u32, _>(E(Outcome::Unknown))
            },
            || async { Ok(Some(7)) },
        )
        .await
        .unwrap();
        assert_eq!(out, Written::Adopted(7));
        assert_eq!(creates.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_lost_request_that_did_not_happen_is_sent_again() {
        let creates = AtomicU32::new(0);
        let out = create_once(
            3,
            |e: &E| e.0,
            || async {
                match creates.fetch_add(1, Ordering::SeqCst) {
                    0 => Err(E(Outcome::Unknown)),
                    1 => Err(E(Outcome::NotDone)),
                    _ => Ok(9),
                }
            },
            || async { Ok(None) },
        )
        .await
        .unwrap();
        assert_eq!(out, Written::Created(9));
        assert_eq!(creates.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_refusal_is_not_looked_up_nor_sent_again() {
        let finds = AtomicU32::new(0);
        let err = create_once(
            5,
            |e: &E| e.0,
            || async { Err::<u32, _>(E(Outcome::Refused)) },
            || async {
                finds.fetch_add(1, Ordering::SeqCst);
                Ok(Some(1))
            },
        )
        .await
        .unwrap_err();
        assert_eq!(err.0, Outcome::Refused);
        assert_eq!(finds.load(Ordering::SeqCst), 0);
    }
}
