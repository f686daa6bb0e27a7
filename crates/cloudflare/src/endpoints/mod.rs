//! One module per Cloudflare API area. Each describes its calls as `EndpointSpec`s (the
//! `cloudflare` crate's own where they fit, ours where it lacks the call or a field) and holds
//! the functions that send them through [`crate::transport::Transport`].

pub(crate) mod dns;
pub(crate) mod origin_ca;
pub(crate) mod origin_pulls;
pub(crate) mod rulesets;
pub(crate) mod settings;
pub(crate) mod zones;

use cloudflare::framework::endpoint::RequestBody;
use serde::Serialize;

use crate::Error;

/// JSON body for an endpoint. Our bodies are plain structs of strings, numbers and booleans,
/// for which serde_json cannot fail.
pub(crate) fn json_body<T: Serialize>(value: &T) -> Option<RequestBody<'static>> {
    Some(RequestBody::Json(
        serde_json::to_string(value).expect("plain structs always serialize to JSON"),
    ))
}

/// Checks an identifier before it is put in a URL path. Cloudflare ids are hex or decimal;
/// anything with `/`, `.`, `?` or `%` could point the request at another resource.
pub(crate) fn path_id<'a>(what: &str, id: &'a str) -> Result<&'a str, Error> {
    if !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(id)
    } else {
        Err(Error::Config(format!(
            "{what} {id:?} is not a valid Cloudflare identifier"
        )))
    }
}

#[cfg(test)]
mod tests {
    use cloudflare::framework::endpoint::spec::EndpointSpec;
    use cloudflare::framework::endpoint::{Method, RequestBody};

    use super::*;
    use crate::{NewDnsRecord, NewOriginCertificate, OriginRequestType, SslMode};

    fn body_json<E: EndpointSpec>(e: &E) -> serde_json::Value {
        match e.body() {
            Some(RequestBody::Json(json)) => serde_json::from_str(&json).unwrap(),
            _ => panic!("expected a JSON body"),
        }
    }

    #[test]
    fn zones_list_sends_name_and_paging_only() {
        let e = zones::list_zones_endpoint("example.com", 2);
        assert_eq!(e.method(), Method::GET);
        assert_eq!(e.path(), "zones");
        assert_eq!(
            e.query().as_deref(),
            Some("name=example.com&page=2&per_page=50")
        );
    }

    #[test]
    fn dns_list_of_proxied_records_filters_on_proxied() {
        let e = dns::list_proxied_endpoint("z1", 2);
        assert_eq!(e.method(), Method::GET);
        assert_eq!(e.path(), "zones/z1/dns_records");
        assert_eq!(
            e.query().as_deref(),
            Some("proxied=true&page=2&per_page=100")
        );
    }

    #[test]
    fn dns_list_sends_name_exact() {
        let e = dns::list_endpoint("z1", "api.example.com", 3);
        assert_eq!(e.path(), "zones/z1/dns_records");
        assert_eq!(
            e.query().as_deref(),
            Some("name.exact=api.example.com&page=3&per_page=100")
        );
    }

    #[test]
    fn dns_create_and_update_carry_the_comment() {
        let record = NewDnsRecord {
            record_type: "CNAME".into(),
            name: "api.example.com".into(),
            content: "d-1.execute-api.eu-west-1.amazonaws.com".into(),
            proxied: true,
            ttl: 1,
            comment: Some("flarelink".into()),
        };
        let create = dns::CreateDnsRecordWithComment {
            zone_id: "z1",
            record: &record,
        };
        assert_eq!(create.method(), Method::POST);
        assert_eq!(create.path(), "zones/z1/dns_records");
        let body = body_json(&create);
        assert_eq!(body["comment"], "flarelink");
        assert_eq!(body["type"], "CNAME");
        assert_eq!(body["proxied"], true);
        assert_eq!(body["ttl"], 1);
        let update = dns::UpdateDnsRecordWithComment {
            zone_id: "z1",
            record_id: "r1",
            record: &record,
        };
        assert_eq!(update.method(), Method::PUT);
        assert_eq!(update.path(), "zones/z1/dns_records/r1");
        assert_eq!(body_json(&update)["comment"], "flarelink");
    }

    #[test]
    fn origin_ca_endpoints() {
        let list = origin_ca::list_endpoint("z1", 1);
        assert_eq!(list.path(), "certificates");
        assert_eq!(
            list.query().as_deref(),
            Some("zone_id=z1&page=1&per_page=50")
        );
        let request = NewOriginCertificate {
            csr: "-----BEGIN CERTIFICATE REQUEST-----".into(),
            hostnames: vec!["api.example.com".into()],
            request_type: OriginRequestType::OriginRsa,
            requested_validity_days: 5475,
        };
        let create = origin_ca::CreateOriginCertificate {
            params: origin_ca::CreateParams {
                csr: &request.csr,
                hostnames: &request.hostnames,
                request_type: request.request_type,
                requested_validity: request.requested_validity_days,
            },
        };
        assert_eq!(create.method(), Method::POST);
        let body = body_json(&create);
        assert_eq!(body["request_type"], "origin-rsa");
        assert_eq!(body["requested_validity"], 5475);
        assert_eq!(body["hostnames"][0], "api.example.com");
        let revoke = origin_ca::RevokeOriginCertificate { id: "42" };
        assert_eq!(revoke.method(), Method::DELETE);
        assert_eq!(revoke.path(), "certificates/42");
    }

    #[test]
    fn ssl_patch_body() {
        let patch = settings::PatchSslSetting {
            zone_id: "z1",
            params: settings::PatchSslParams {
                value: SslMode::Full,
            },
        };
        assert_eq!(patch.method(), Method::PATCH);
        assert_eq!(patch.path(), "zones/z1/settings/ssl");
        assert_eq!(body_json(&patch), serde_json::json!({"value": "full"}));
    }

    #[test]
    fn config_rules_entrypoint_get_and_put() {
        let get = rulesets::GetConfigEntrypoint { zone_id: "z1" };
        assert_eq!(get.method(), Method::GET);
        assert_eq!(
            get.path(),
            "zones/z1/rulesets/phases/http_config_settings/entrypoint"
        );
        assert!(get.body().is_none());
        let rules = [crate::ConfigRule::set_ssl(
            "(http.host eq \"api.example.com\")",
            SslMode::Strict,
            "flarelink",
        )];
        let put = rulesets::PutConfigEntrypoint {
            zone_id: "z1",
            params: rulesets::PutConfigParams::new(&rules),
        };
        assert_eq!(put.method(), Method::PUT);
        assert_eq!(put.path(), get.path());
        let body = body_json(&put);
        assert_eq!(body.as_object().unwrap().len(), 1, "only rules: {body}");
        assert_eq!(body["rules"][0]["action"], "set_config");
        assert_eq!(body["rules"][0]["action_parameters"]["ssl"], "strict");
    }

    #[test]
    fn origin_pull_endpoints() {
        let upload = origin_pulls::UploadHostnameCertificate {
            zone_id: "z1",
            params: origin_pulls::UploadParams {
                certificate: "CERT",
                private_key: "KEY-MATERIAL",
            },
        };
        assert_eq!(upload.method(), Method::POST);
        assert_eq!(
            upload.path(),
            "zones/z1/origin_tls_client_auth/hostnames/certificates"
        );
        assert_eq!(
            body_json(&upload),
            serde_json::json!({"certificate": "CERT", "private_key": "KEY-MATERIAL"})
        );
        let shown = format!("{upload:?}");
        assert!(!shown.contains("KEY-MATERIAL"), "{shown}");

        let delete = origin_pulls::HostnameCertificate {
            zone_id: "z1",
            id: "c1",
            method: Method::DELETE,
        };
        assert_eq!(
            delete.path(),
            "zones/z1/origin_tls_client_auth/hostnames/certificates/c1"
        );
        let put = origin_pulls::PutHostnameClientAuth {
            zone_id: "z1",
            params: origin_pulls::PutParams {
                config: vec![
                    origin_pulls::PutEntry {
                        hostname: "api.example.com",
                        cert_id: "c1",
                        enabled: Some(true),
                    },
                    origin_pulls::PutEntry {
                        hostname: "old.example.com",
                        cert_id: "c0",
                        enabled: None,
                    },
                ],
            },
        };
        assert_eq!(put.method(), Method::PUT);
        assert_eq!(put.path(), "zones/z1/origin_tls_client_auth/hostnames");
        assert_eq!(
            body_json(&put),
            serde_json::json!({"config": [
                {"hostname": "api.example.com", "cert_id": "c1", "enabled": true},
                {"hostname": "old.example.com", "cert_id": "c0", "enabled": null},
            ]}),
            "a void is sent as an explicit null"
        );
        let get = origin_pulls::GetHostnameClientAuth {
            zone_id: "z1",
            hostname: "api.example.com",
        };
        assert_eq!(
            get.path(),
            "zones/z1/origin_tls_client_auth/hostnames/api.example.com"
        );
        let patch = settings::PatchTlsClientAuthSetting {
            zone_id: "z1",
            params: settings::PatchOnOffParams { value: "on" },
        };
        assert_eq!(patch.method(), Method::PATCH);
        assert_eq!(patch.path(), "zones/z1/settings/tls_client_auth");
        assert_eq!(body_json(&patch), serde_json::json!({"value": "on"}));
        for bad in [
            "",
            "a/b.example.com",
            "api.example.com?x",
            "api..example.com",
            "%2e",
        ] {
            assert!(origin_pulls::path_hostname(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn path_ids_cannot_escape_their_segment() {
        assert!(path_id("zone id", "023e105f4ecef8ad9ca31a8372d0c353").is_ok());
        for bad in ["", "../zones", "a/b", "a?b=c", "a%2Fb", "a.b", "a b"] {
            assert!(path_id("zone id", bad).is_err(), "{bad:?}");
        }
    }
}
