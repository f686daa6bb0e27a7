//! API Gateway allows one CreateDomainName/UpdateDomainName/DeleteDomainName per 30 s per
//! account. Hostnames settle in parallel, so without a gate they would all hit the quota at once,
//! all wait out the same `Retry-After`, and race again. One gate per run lets one domain-name call
//! through at a time (in arrival order: tokio's mutex is fair), and the others queue only at this
//! call — the rest of their chains run on. A queued hostname says so in its progress line.
//!
//! The gate orders; the AWS client times (`flarelink_aws`'s quota retry): the first call that
//! meets the quota waits out the `Retry-After` AWS names, exactly, and teaches the client the
//! window; every later domain-name call is sent one window after the last accepted one instead
//! of being sent, refused and retried. So with the gate, hostnames after the second pay no
//! refused round trip and no jitter, only the quota's own window.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Mutex;

use crate::report::{Progress, StepId};

#[derive(Default)]
pub struct DomainQuota {
    turn: Mutex<()>,
    /// Calls holding or waiting for the gate.
    queued: AtomicUsize,
}

impl DomainQuota {
    /// Runs `call` (one domain-name write) when it is this caller's turn.
    pub async fn call<T>(
        &self,
        progress: &dyn Progress,
        step: StepId,
        hostname: &str,
        call: impl Future<Output = T>,
    ) -> T {
        let ahead = self.queued.fetch_add(1, Ordering::SeqCst);
        let guard = match self.turn.try_lock() {
            Ok(g) => g,
            Err(_) => {
                progress.begin(
                    step,
                    Some(hostname),
                    &format!(
                        "waiting for API Gateway's domain quota (one CreateDomainName/UpdateDomainName/DeleteDomainName per 30 s per account): {ahead} hostname(s) ahead"
                    ),
                );
                self.turn.lock().await
            }
        };
        let out = call.await;
        drop(guard);
        self.queued.fetch_sub(1, Ordering::SeqCst);
        out
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::report::{NoProgress, StepReport};

    struct Heard(std::sync::Mutex<Vec<String>>);
    impl Progress for Heard {
        fn begin(&self, _: StepId, h: Option<&str>, message: &str) {
            self.0
                .lock()
                .unwrap()
                .push(format!("{}: {message}", h.unwrap_or("")));
        }
        fn end(&self, _: &StepReport) {}
    }

    #[tokio::test]
    async fn one_domain_call_at_a_time_and_a_queued_hostname_says_it_waits() {
        let gate = Arc::new(DomainQuota::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let heard = Heard(Default::default());
        let call = |h: &'static str| {
            let inside = inside.clone();
            let gate = gate.clone();
            let heard = &heard;
            async move {
                gate.call(heard, StepId::CustomDomain, h, async {
                    assert_eq!(
                        inside.fetch_add(1, Ordering::SeqCst),
                        0,
                        "two calls at once"
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }
        };
        futures::join!(call("a"), call("b"), call("c"));
        let heard = heard.0.lock().unwrap().clone();
        assert_eq!(heard.len(), 2, "{heard:?}");
        assert!(
            heard.iter().all(|l| l.contains("domain quota")),
            "{heard:?}"
        );
        gate.call(&NoProgress, StepId::CustomDomain, "d", async {})
            .await;
        assert_eq!(gate.queued.load(Ordering::SeqCst), 0);
    }
}
