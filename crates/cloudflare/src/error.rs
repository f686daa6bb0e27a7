use crate::operations;

/// One entry of Cloudflare's `errors` array. Codes are kept as u32: DNS codes reach 81058.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct ApiMessage {
    pub code: u32,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Cloudflare answered `success: false` (after retries, if the failure was transient).
    #[error("Cloudflare refused {operation} (HTTP {status}): {}", render(.errors))]
    Api {
        operation: &'static str,
        status: u16,
        errors: Vec<ApiMessage>,
    },
    /// The request never got an answer (connection refused/reset, timeout), after retries.
    #[error("could not reach Cloudflare for {operation} at {url}: {detail}")]
    Transport {
        operation: &'static str,
        url: String,
        detail: String,
        /// The request may have reached Cloudflare (a timeout or reset after connecting, not a
        /// refused connection): a write's outcome is then unknown.
        may_have_acted: bool,
    },
    /// The zone name matched nothing the token can see.
    #[error("zone {name:?} not found (or the token cannot see it)")]
    ZoneNotFound { name: String },
    /// An answer that is not Cloudflare's envelope or lacks what we need.
    #[error("unexpected answer from Cloudflare for {operation}: {detail}")]
    InvalidResponse {
        operation: &'static str,
        detail: String,
    },
    /// Bad client configuration (e.g. an unparsable base URL).
    #[error("invalid Cloudflare client configuration: {0}")]
    Config(String),
}

fn render(errors: &[ApiMessage]) -> String {
    if errors.is_empty() {
        return "no error detail".into();
    }
    errors
        .iter()
        .map(|e| format!("{} (code {})", e.message, e.code))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// Cloudflare error codes carried by this error.
    pub fn codes(&self) -> Vec<u32> {
        match self {
            Error::Api { errors, .. } => errors.iter().map(|e| e.code).collect(),
            _ => Vec::new(),
        }
    }

    /// What the user can do about it, when we know.
    ///
    /// Cloudflare's messages name the symptom ("Authentication error") but rarely the fix (which
    /// token permission is missing), so the fix is derived here from the code, the HTTP status
    /// and the operation that failed.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Api {
                operation,
                status,
                errors,
            } => api_hint(operation, *status, errors),
            Error::Transport { .. } => Some(
                "check this machine's network access to the Cloudflare API (proxy, firewall, DNS), \
                 or CLOUDFLARE_API_BASE if it points flarelink at another API base URL"
                    .into(),
            ),
            Error::ZoneNotFound { name } => Some(format!(
                "check that {name:?} is the zone's apex as added to Cloudflare (e.g. example.com, \
                 not api.example.com) and that the API token's Zone Resources include it \
                 (permission {})",
                operations::required_permission(operations::FIND_ZONE).unwrap_or_default()
            )),
            Error::InvalidResponse { .. } => Some(
                "the answer was not Cloudflare API v4's; check CLOUDFLARE_API_BASE (it must end \
                 in /client/v4/) and any proxy in between"
                    .into(),
            ),
            Error::Config(_) => None,
        }
    }

    /// True when Cloudflare answered with error `code`.
    pub fn has_code(&self, code: u32) -> bool {
        self.codes().contains(&code)
    }

    /// Whether the call may have been carried out although it failed: no answer after the
    /// request may have left (timeout, reset), or a 5xx answer (Cloudflare may have acted before
    /// failing). A write that fails so is looked for before it is sent again. A 429 (rate
    /// limited) and every other 4xx mean Cloudflare did not act.
    pub fn may_have_acted(&self) -> bool {
        match self {
            Error::Api { status, .. } => *status >= 500,
            Error::Transport { may_have_acted, .. } => *may_have_acted,
            Error::InvalidResponse { .. } => true,
            Error::ZoneNotFound { .. } | Error::Config(_) => false,
        }
    }

    /// Whether a refusal is transient (rate limited): sending again later is safe.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Error::Api { status: 429, .. }) || self.has_code(10100)
    }

    /// The HTTP status of an [`Error::Api`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Codes Cloudflare uses for a DNS name clash; see [`Error::hint`].
pub const DNS_CONFLICT_CODES: [u32; 4] = [81053, 81054, 81057, 81058];

fn api_hint(operation: &str, status: u16, errors: &[ApiMessage]) -> Option<String> {
    let has = |code: u32| errors.iter().any(|e| e.code == code);
    let permission = operations::required_permission(operation);

    if has(6003) || has(6111) || has(6102) || has(6103) {
        return Some(
            "Cloudflare could not read the Authorization header: check that the API token is \
             the bare token value (no 'Bearer ' prefix, quotes, spaces or line breaks) and that \
             it is an API token, not a Global API Key"
                .into(),
        );
    }
    if has(10100) || status == 429 {
        return Some(
            "Cloudflare's API rate limit was hit (1200 requests per 5 minutes per user, shared \
             by every tool using the same account); wait a few minutes and run again"
                .into(),
        );
    }
    if has(81053) {
        return Some(
            "a DNS record with that name already exists (an A, AAAA or CNAME): a CNAME cannot \
             share its name with any other record, so delete or rename the existing record in \
             the Cloudflare dashboard, or point flarelink at another hostname"
                .into(),
        );
    }
    if has(81054) {
        return Some(
            "a CNAME record with that name already exists, so no other record can be added at \
             that name; update the existing CNAME instead or delete it first"
                .into(),
        );
    }
    if has(81057) || has(81058) {
        return Some(
            "an identical DNS record already exists; nothing needs creating (re-run to let \
             flarelink adopt it)"
                .into(),
        );
    }
    // 1001/1003 mean "invalid zone identifier" on zone-scoped calls; Origin CA reuses the
    // low 1000s for its own request errors, so they say nothing about the zone there.
    let origin_ca = operation.contains("origin certificate");
    // Origin pulls' refusals of a certificate, key or hostname say what is wrong in their
    // message ("missing leaf certificate"); their low-1000s codes are not zone errors either.
    let origin_pulls = operation.contains("hostname client");
    if origin_pulls && !(has(10000) || has(7003) || has(7000) || status == 403 || status == 401) {
        return None;
    }
    if has(7003) || has(7000) || (!origin_ca && (has(1001) || has(1003))) {
        return Some(
            "Cloudflare did not recognise the zone or object identifier: check the zone id (32 \
             hex characters, shown on the zone's Overview page) or let flarelink look the zone up \
             by name"
                .into(),
        );
    }
    if has(1009) {
        return Some(
            "Origin CA validity must be one of 7, 30, 90, 365, 730, 1095 or 5475 days".into(),
        );
    }
    if has(1007) || has(1011) {
        return Some("Origin CA could not parse the CSR: send it as PEM text".into());
    }
    if has(1010) {
        return Some(
            "Origin CA refused a hostname: every hostname must belong to a zone of this account"
                .into(),
        );
    }
    if has(10000) || status == 403 || status == 401 {
        return Some(match permission {
            Some(permission) => format!(
                "the API token was refused for {operation}: give it the permission \
                 {permission} for this zone (dashboard › My Profile › API Tokens), and check \
                 that it has not expired or been rolled"
            ),
            None => "the API token was refused: check its permissions and that it has not \
                     expired or been rolled"
                .into(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::*;

    fn api(operation: &'static str, status: u16, codes: &[u32]) -> Error {
        Error::Api {
            operation,
            status,
            errors: codes
                .iter()
                .map(|&code| ApiMessage {
                    code,
                    message: format!("message {code}"),
                })
                .collect(),
        }
    }

    fn hint(e: &Error) -> String {
        e.hint().expect("a hint")
    }

    #[test]
    fn auth_errors_name_the_missing_permission() {
        let cases = [
            (FIND_ZONE, "Zone › Zone › Read"),
            (GET_ZONE, "Zone › Zone › Read"),
            (
                CREATE_ORIGIN_CERTIFICATE,
                "Zone › SSL and Certificates › Edit",
            ),
            (
                REVOKE_ORIGIN_CERTIFICATE,
                "Zone › SSL and Certificates › Edit",
            ),
            (
                LIST_ORIGIN_CERTIFICATES,
                "Zone › SSL and Certificates › Edit",
            ),
            (LIST_DNS_RECORDS, "Zone › DNS › Read"),
            (CREATE_DNS_RECORD, "Zone › DNS › Edit"),
            (UPDATE_DNS_RECORD, "Zone › DNS › Edit"),
            (DELETE_DNS_RECORD, "Zone › DNS › Edit"),
            (GET_SSL_MODE, "Zone › Zone Settings › Read"),
            (SET_SSL_MODE, "Zone › Zone Settings › Edit"),
            (GET_CONFIG_RULES, "Zone › Config Rules › Read"),
            (PUT_CONFIG_RULES, "Zone › Config Rules › Edit"),
        ];
        for (operation, permission) in cases {
            let by_code = hint(&api(operation, 400, &[10000]));
            assert!(by_code.contains(permission), "{operation}: {by_code}");
            let by_status = hint(&api(operation, 403, &[]));
            assert!(by_status.contains(permission), "{operation}: {by_status}");
        }
    }

    #[test]
    fn known_codes_have_specific_hints() {
        assert!(hint(&api(FIND_ZONE, 400, &[6003, 6111])).contains("Authorization header"));
        assert!(hint(&api(FIND_ZONE, 400, &[6111])).contains("Bearer"));
        let rate = hint(&api(CREATE_DNS_RECORD, 429, &[10100]));
        assert!(rate.contains("1200 requests per 5 minutes"), "{rate}");
        assert!(hint(&api(CREATE_DNS_RECORD, 429, &[])).contains("rate limit"));
        assert!(hint(&api(CREATE_DNS_RECORD, 400, &[81053])).contains("CNAME cannot"));
        assert!(hint(&api(CREATE_DNS_RECORD, 400, &[81054])).contains("CNAME record"));
        assert!(hint(&api(CREATE_DNS_RECORD, 400, &[81057])).contains("identical"));
        assert!(hint(&api(CREATE_DNS_RECORD, 400, &[81058])).contains("identical"));
        for code in [1001, 1003, 7003] {
            assert!(hint(&api(GET_ZONE, 400, &[code])).contains("zone id"));
        }
        assert_eq!(api(GET_ORIGIN_CERTIFICATE, 400, &[1003]).hint(), None);
        assert!(hint(&api(CREATE_ORIGIN_CERTIFICATE, 400, &[1009])).contains("5475"));
        assert_eq!(api(CREATE_DNS_RECORD, 400, &[9999]).hint(), None);
    }

    #[test]
    fn other_variants_hint_too() {
        let transport = Error::Transport {
            operation: FIND_ZONE,
            url: "http://127.0.0.1:9/client/v4/zones".into(),
            detail: "connection refused".into(),
            may_have_acted: false,
        };
        assert!(hint(&transport).contains("CLOUDFLARE_API_BASE"));
        assert!(hint(&Error::ZoneNotFound {
            name: "example.com".into()
        })
        .contains("Zone › Zone › Read"));
    }

    #[test]
    fn display_lists_codes() {
        let e = api(CREATE_DNS_RECORD, 400, &[81053]);
        assert_eq!(
            e.to_string(),
            "Cloudflare refused create DNS record (HTTP 400): message 81053 (code 81053)"
        );
        assert!(e.has_code(81053));
        assert_eq!(e.status(), Some(400));
    }
}
