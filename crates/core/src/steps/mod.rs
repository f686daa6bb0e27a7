//! The six steps, one module each, every one written as discover → decide → act:
//! `discover` reads live state, `decide` is a pure function from that state to what must happen
//! (or a refusal when something not flarelink's is in the way), and `act` performs exactly that.
//! Running a step twice converges: the second `decide` sees the first one's result and answers
//! "exists".

pub mod acm_import;
pub mod api_mapping;
pub mod custom_domain;
pub mod dns_record;
pub mod origin_cert;
pub mod ssl_mode;

/// Something not flarelink's is in the way; the step refuses and the run changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub fix: String,
}

impl Refusal {
    pub fn new(message: impl Into<String>, fix: impl Into<String>) -> Self {
        Refusal {
            message: message.into(),
            fix: fix.into(),
        }
    }
}

/// DNS names compare case-insensitively and without a trailing dot.
pub(crate) fn same_dns_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}
