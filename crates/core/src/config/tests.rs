use super::*;

const GOOD: &str = r#"
[cloudflare]
zone = "example.com"

[aws]
region = "us-east-1"

[[domain]]
hostname = "api.example.com"
rest_api = "ditto-api"
stage = "prod"
"#;

fn load(text: &str) -> Result<Config, ConfigErrors> {
    Config::from_toml(text, Path::new("."), &Overrides::default())
}

fn fields(text: &str) -> Vec<String> {
    load(text)
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn defaults_and_normalisation() {
    let c = load(GOOD).unwrap();
    assert_eq!(c.zone, ZoneRef::Name("example.com".into()));
    assert_eq!(c.ssl_mode, SslMode::Full);
    assert_eq!(c.ssl_scope, super::SslScope::Hostname);
    assert_eq!(
        c.cloudflare_api_base,
        flarelink_cloudflare::DEFAULT_API_BASE
    );
    let d = &c.domains[0];
    assert_eq!(d.hostname, "api.example.com");
    assert_eq!(d.base_path, None);
    assert_eq!(d.base_path_display(), "(none)");
    assert_eq!(d.certificate.key_type, KeyType::Rsa2048);
    assert_eq!(d.certificate.validity_days, 5475);
    assert_eq!(c.retry.max_attempts, 5);
}

#[test]
fn apex_hostname_is_the_guides_mistake() {
    let text = GOOD.replace("api.example.com", "example.com");
    let errors = load(&text).unwrap_err();
    assert_eq!(errors.0.len(), 1);
    let e = &errors.0[0];
    assert_eq!(e.field, "domain[0].hostname");
    assert_eq!(e.value, "example.com");
    assert!(e.problem.contains("apex"), "{e}");
    assert!(e.fix.contains("api.example.com"), "{e}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = r#"
[cloudflare]
zone = "example.com"
ssl_mode = "flexible"
[aws]
region = "N. Virginia"
[[domain]]
hostname = "api.other.org"
rest_api = ""
stage = "pr od"
base_path = "/v1"
[domain.certificate]
key_type = "dsa"
validity_days = 100
[[domain]]
hostname = "api.other.org"
rest_api = "x"
stage = "prod"
"#;
    let f = fields(text);
    for want in [
        "cloudflare.ssl_mode",
        "aws.region",
        "cloudflare.zone",
        "domain[0].rest_api",
        "domain[0].stage",
        "domain[0].base_path",
        "domain[0].certificate.key_type",
        "domain[0].certificate.validity_days",
        "domain[1].hostname",
    ] {
        assert!(f.iter().any(|x| x == want), "missing {want} in {f:?}");
    }
}

#[test]
fn unknown_keys_are_errors_not_silent_defaults() {
    let text = GOOD.replace("stage = \"prod\"", "stage = \"prod\"\nhostnme = \"x\"");
    let e = load(&text).unwrap_err();
    assert_eq!(e.0[0].field, "domain[0].hostnme", "{e}");
    assert!(e.0[0].fix.contains("hostname"), "did you mean: {e}");
    assert_eq!(e.0[0].line(), Some(12), "{e}");
}

#[test]
fn secrets_have_no_place_in_the_file() {
    let text = GOOD.replace(
        "zone = \"example.com\"",
        "zone = \"example.com\"\napi_token = \"abc-sekrit\"",
    );
    let e = load(&text).unwrap_err();
    assert_eq!(e.0[0].field, "cloudflare.api_token", "{e}");
    assert!(e.0[0].fix.contains("CLOUDFLARE_API_TOKEN"), "{e}");
    assert!(!e.to_string().contains("sekrit"), "{e}");
}

#[test]
fn overrides_win_and_are_validated() {
    let o = Overrides {
        region: Some("eu-west-2".into()),
        environment: Environment::from_pairs(&[(API_BASE_ENV, "http://127.0.0.1:9/client/v4")]),
        ..Default::default()
    };
    let c = Config::from_toml(GOOD, Path::new("."), &o).unwrap();
    assert_eq!(c.region.as_deref(), Some("eu-west-2"));
    assert_eq!(c.cloudflare_api_base, "http://127.0.0.1:9/client/v4/");
    let bad = Overrides {
        region: Some("moon-1".into()),
        ..Default::default()
    };
    let e = Config::from_toml(GOOD, Path::new("."), &bad).unwrap_err();
    assert_eq!(e.0[0].field, "--region");
    let bad = Overrides {
        hostnames: vec!["www.example.com".into()],
        ..Default::default()
    };
    let e = Config::from_toml(GOOD, Path::new("."), &bad).unwrap_err();
    assert_eq!(e.0[0].field, "--hostname");
    assert!(e.0[0].fix.contains("api.example.com"));
}

#[test]
fn zone_id_is_recognised() {
    let text = GOOD.replace("\"example.com\"", "\"0123456789abcdef0123456789abcdef\"");
    let c = load(&text).unwrap();
    assert_eq!(
        c.zone,
        ZoneRef::Id("0123456789abcdef0123456789abcdef".into())
    );
    // An id in capitals is refused with the form to write, never rewritten.
    let text = GOOD.replace("\"example.com\"", "\"0123456789ABCDEF0123456789ABCDEF\"");
    let e = load(&text).unwrap_err();
    assert_eq!(e.0[0].field, "cloudflare.zone");
    assert!(
        e.0[0].fix.contains("0123456789abcdef0123456789abcdef"),
        "{e}"
    );
}

#[test]
fn origin_ca_roots_must_be_readable_pem() {
    let dir = std::env::temp_dir();
    let text = GOOD.replace(
        "zone = \"example.com\"",
        "zone = \"example.com\"\norigin_ca_roots = [\"does-not-exist.pem\"]",
    );
    let e = Config::from_toml(&text, &dir, &Overrides::default()).unwrap_err();
    assert_eq!(e.0[0].field, "cloudflare.origin_ca_roots[0]");
}

const PROVISION: &str = r#"
[cloudflare]
zone = "example.com"

[aws]
region = "us-east-1"

[cognito]
user_pool = "APIgatewayUserPool"
app_client = "APIgatewayUserPoolClient"
domain_prefix = "apigatewayauthonetwothree"
callback_urls = ["https://example.com"]

[api]
name = "ditto-api"
stage = "prod"

[[domain]]
hostname = "api.example.com"
"#;

#[test]
fn provisioning_sections_default_to_the_guide() {
    let c = load(PROVISION).unwrap();
    let cognito = c.cognito.as_ref().unwrap();
    assert!(
        cognito.implicit_flow,
        "the guide's implicit flow is kept by default"
    );
    assert!(cognito.deletion_protection);
    assert!(!cognito.allow_user_password_auth);
    assert_eq!(cognito.password_policy.min_length, 8);
    let api = c.api.as_ref().unwrap();
    assert_eq!(api.routes, provision::default_routes());
    assert_eq!(api.routes[0].path, "/ditto");
    assert_eq!(api.routes[0].auth, RouteAuth::Cognito);
    // A domain without rest_api/stage takes them from [api].
    assert_eq!(c.domains[0].rest_api, "ditto-api");
    assert_eq!(c.domains[0].stage, "prod");
}

#[test]
fn provisioning_bad_input_names_each_field() {
    let text = PROVISION
        .replace("apigatewayauthonetwothree", "My_AWS_Prefix")
        .replace("https://example.com", "http://example.com")
        .replace(
            "stage = \"prod\"\n",
            "stage = \"prod\"\n[[api.route]]\npath = \"/ditto\"\nmethod = \"FETCH\"\nupstream = \"https://x.example\"\nauth = \"iam\"\n[[api.route]]\npath = \"/ditto\"\nmethod = \"fetch\"\nupstream = \"https://x.example\"\n",
        );
    let f = fields(&text);
    for want in [
        "cognito.domain_prefix",
        "cognito.callback_urls[0]",
        "api.route[0].method",
        "api.route[0].auth",
        "api.route[1].path",
    ] {
        assert!(f.iter().any(|x| x == want), "missing {want} in {f:?}");
    }
}

#[test]
fn cognito_routes_need_a_cognito_section() {
    let text = PROVISION.replace(
        "[cognito]\nuser_pool = \"APIgatewayUserPool\"\napp_client = \"APIgatewayUserPoolClient\"\ndomain_prefix = \"apigatewayauthonetwothree\"\ncallback_urls = [\"https://example.com\"]\n",
        "",
    );
    let e = load(&text).unwrap_err();
    assert_eq!(e.0[0].field, "api.route");
    assert!(load(&text.replace("stage = \"prod\"\n", "stage = \"prod\"\n[[api.route]]\npath = \"/open\"\nmethod = \"GET\"\nupstream = \"https://x.example\"\nauth = \"none\"\n")).is_ok());
}

#[test]
fn domains_are_required_only_where_used() {
    let text = PROVISION.replace("[[domain]]\nhostname = \"api.example.com\"\n", "");
    let c = load(&text).unwrap();
    assert!(c.require_domains().is_err());
    assert!(c.require_api().is_ok());
}

#[test]
fn wrong_types_name_key_path_line_value_and_fix() {
    let text = GOOD.replace(
        "stage = \"prod\"\n",
        "stage = \"prod\"\n[domain.certificate]\nvalidity_days = \"x\"\n",
    );
    let e = load(&text).unwrap_err();
    assert_eq!(e.0.len(), 1, "{e}");
    let p = &e.0[0];
    assert_eq!(p.field, "domain[0].certificate.validity_days");
    assert_eq!(p.value, "\"x\"");
    assert_eq!((p.line(), p.column()), (Some(13), Some(17)), "{e}");
    assert!(p.problem.contains("expected a whole number"), "{e}");
    assert!(
        e.to_string().contains(
            "config.toml:13:17: domain[0].certificate.validity_days = \"x\": is a string"
        ),
        "{e}"
    );
}

#[test]
fn all_problems_of_reading_and_checking_come_together() {
    let text = r#"
[cloudflare]
zone = "example.com"
zonee = "x"
ssl_mode = 3
[aws]
region = "mars"
[retry]
max_attempts = "5"
[[domain]]
hostname = "API.example.com"
rest_api = "ditto-api"
stage = "prod"
base_path = "v1/../admin"
colour = "blue"
"#;
    let f = fields(text);
    for want in [
        "cloudflare.zonee",
        "cloudflare.ssl_mode",
        "aws.region",
        "retry.max_attempts",
        "domain[0].hostname",
        "domain[0].base_path",
        "domain[0].colour",
    ] {
        assert!(f.iter().any(|x| x == want), "missing {want} in {f:?}");
    }
    let e = load(text).unwrap_err();
    assert!(e.0.iter().all(|p| p.line().is_some()), "{e}");
    let host =
        e.0.iter()
            .find(|p| p.field == "domain[0].hostname")
            .unwrap();
    assert_eq!(host.fix, "write it exactly as \"api.example.com\"");
}

#[test]
fn other_formats_are_not_toml() {
    for (text, kind) in [
        (
            "cloudflare:\n  zone: example.com\ndomain:\n  - hostname: api.example.com\n",
            "YAML",
        ),
        ("{\"cloudflare\": {\"zone\": \"example.com\"}}", "JSON"),
        (
            "2026-01-01 10:00:00 INFO starting\n2026-01-01 10:00:01 ERROR failed\n",
            "a log file",
        ),
    ] {
        let e = load(text).unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
        assert!(
            e.0[0]
                .problem
                .contains(&format!("is not TOML (it looks like {kind})")),
            "{e}"
        );
    }
}

#[test]
fn syntax_errors_have_line_column_and_key() {
    let text = GOOD.replace("stage = \"prod\"", "stage = prod");
    let e = load(&text).unwrap_err();
    let p = &e.0[0];
    assert_eq!(p.field, "domain[0].stage", "{e}");
    assert_eq!(p.line(), Some(11), "{e}");
    assert!(p.column().is_some());
    assert!(p.fix.contains("quotes"), "{e}");
}

#[test]
fn a_wrong_zone_is_a_zone_problem() {
    let e = load(&GOOD.replace("zone = \"example.com\"", "zone = \"example.org\"")).unwrap_err();
    assert_eq!(e.0.len(), 1, "{e}");
    assert_eq!(e.0[0].field, "cloudflare.zone");
    assert!(e.0[0].fix.contains("example.com"), "{e}");
    let e = load(&GOOD.replace("zone = \"example.com\"", "zone = \"\"")).unwrap_err();
    assert_eq!(e.0.len(), 1, "{e}");
    assert_eq!(e.0[0].field, "cloudflare.zone");
    assert!(!e.0[0].fix.contains("ending in"), "{e}");
    let e = load(&GOOD.replace(
        "zone = \"example.com\"",
        "zone = \"023e105f4ecef8ad9ca31a8372d0c35\"",
    ))
    .unwrap_err();
    assert!(e.0[0].problem.contains("zone id"), "{e}");
}

#[test]
fn the_environment_is_checked_with_the_file() {
    let o = Overrides {
        environment: Environment::from_pairs(&[
            ("AWS_REGION", "us-east-1 "),
            ("AWS_ENDPOINT_URL", "not a url"),
        ]),
        ..Default::default()
    };
    let text = GOOD.replace("[aws]\nregion = \"us-east-1\"\n", "");
    let e = Config::from_toml(&text, Path::new("."), &o).unwrap_err();
    let f: Vec<&str> = e.0.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(f, ["AWS_REGION", "AWS_ENDPOINT_URL"], "{e}");
    let o = Overrides {
        environment: Environment::from_pairs(&[("AWS_DEFAULT_REGION", "eu-west-1")]),
        ..Default::default()
    };
    let c = Config::from_toml(&text, Path::new("."), &o).unwrap();
    assert_eq!(c.region.as_deref(), Some("eu-west-1"));
    assert_eq!(c.sources.region, Some("AWS_DEFAULT_REGION"));
}

#[test]
fn a_single_domain_table_is_told_to_use_two_brackets() {
    let text = GOOD.replace("[[domain]]", "[domain]");
    let e = load(&text).unwrap_err();
    assert_eq!(e.0[0].field, "domain", "{e}");
    assert!(e.0[0].fix.contains("[[domain]]"), "{e}");
}

#[test]
fn a_key_in_the_wrong_section_is_told_where_it_belongs() {
    let text = GOOD.replace("[aws]\nregion", "[aws]\nzone = \"example.com\"\nregion");
    let e = load(&text).unwrap_err();
    assert_eq!(e.0[0].field, "aws.zone", "{e}");
    assert!(e.0[0].fix.contains("[cloudflare]"), "{e}");
}

#[test]
fn an_upstream_placeholder_without_a_path_variable_is_refused() {
    let route = |path: &str, upstream: &str| {
        PROVISION.replace(
            "stage = \"prod\"\n",
            &format!("stage = \"prod\"\n[[api.route]]\npath = \"{path}\"\nmethod = \"GET\"\nupstream = \"{upstream}\"\n"),
        )
    };
    let e = load(&route(
        "/pokemon",
        "https://pokeapi.co/api/v2/pokemon/{name}",
    ))
    .unwrap_err();
    let bad = e.0.iter().find(|x| x.field == "api.route[0].upstream");
    assert!(bad.is_some(), "{:?}", e.0);
    assert!(load(&route(
        "/pokemon/{name}",
        "https://pokeapi.co/api/v2/pokemon/{name}"
    ))
    .is_ok());
    assert!(load(&route("/a/{proxy+}", "https://up.example/{proxy}")).is_ok());
}

#[test]
fn certificate_source_defaults_to_origin_ca_and_acm_takes_a_bounded_wait() {
    let c = load(GOOD).unwrap();
    assert_eq!(c.domains[0].certificate.source, CertificateSource::OriginCa);
    let acm = format!("{GOOD}[domain.certificate]\nsource = \"acm\"\n");
    let c = load(&acm).unwrap();
    assert_eq!(c.domains[0].certificate.source, CertificateSource::Acm);
    assert_eq!(
        c.domains[0].certificate.validation_timeout_seconds,
        DEFAULT_VALIDATION_TIMEOUT_SECONDS
    );
    let c = load(&format!("{acm}validation_timeout_seconds = 30\n")).unwrap();
    assert_eq!(c.domains[0].certificate.validation_timeout_seconds, 30);
}

#[test]
fn certificate_source_mixes_and_bad_values_are_refused_all_at_once() {
    let text = format!(
        "{GOOD}[domain.certificate]\nsource = \"acm\"\nkey_type = \"ecdsa-p256\"\nvalidity_days = 90\nvalidation_timeout_seconds = 0\n"
    );
    let f = fields(&text);
    for want in [
        "domain[0].certificate.key_type",
        "domain[0].certificate.validity_days",
        "domain[0].certificate.validation_timeout_seconds",
    ] {
        assert!(f.iter().any(|x| x == want), "missing {want} in {f:?}");
    }
    let e = load(&format!("{GOOD}[domain.certificate]\nsource = \"ACM\"\n")).unwrap_err();
    assert_eq!(e.0[0].field, "domain[0].certificate.source");
    assert!(e.0[0].fix.contains("\"acm\""), "{e}");
    let f = fields(&format!(
        "{GOOD}[domain.certificate]\nvalidation_timeout_seconds = 60\n"
    ));
    assert_eq!(f, vec!["domain[0].certificate.validation_timeout_seconds"]);
}

#[test]
fn ssl_scope_is_hostname_or_zone_and_a_bad_one_names_the_key_value_and_fix() {
    let with = |v: &str| {
        GOOD.replacen(
            "zone = \"example.com\"",
            &format!("zone = \"example.com\"\nssl_scope = {v}"),
            1,
        )
    };
    assert_eq!(
        load(&with("\"zone\"")).unwrap().ssl_scope,
        super::SslScope::Zone
    );
    assert_eq!(
        load(&with("\"hostname\"")).unwrap().ssl_scope,
        super::SslScope::Hostname
    );
    let errors = load(&with("\"Zone\"")).unwrap_err().0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "cloudflare.ssl_scope");
    assert!(errors[0].to_string().contains("Zone"), "{}", errors[0]);
    assert!(
        errors[0]
            .to_string()
            .contains("write it exactly as \"zone\""),
        "{}",
        errors[0]
    );
    assert_eq!(fields(&with("true")), vec!["cloudflare.ssl_scope"]);
}

#[test]
fn the_origin_lock_is_off_by_default_and_mtls_takes_an_optional_bucket() {
    use crate::config::OriginLock;
    let c = load(GOOD).unwrap();
    assert_eq!(c.domains[0].origin_lock, OriginLock::Off);
    assert_eq!(c.truststore_bucket, None);
    let locked = GOOD
        .replace(
            "stage = \"prod\"\n",
            "stage = \"prod\"\norigin_lock = \"mtls\"\n",
        )
        .replace(
            "region = \"us-east-1\"\n",
            "region = \"us-east-1\"\ntruststore_bucket = \"my.trust-store\"\n",
        );
    let c = load(&locked).unwrap();
    assert_eq!(c.domains[0].origin_lock, OriginLock::Mtls);
    assert_eq!(c.truststore_bucket.as_deref(), Some("my.trust-store"));
    // Both problems at once.
    let bad = locked
        .replace("\"mtls\"", "\"on\"")
        .replace("my.trust-store", "-bad-");
    let f = fields(&bad);
    assert!(f.contains(&"domain[0].origin_lock".to_string()), "{f:?}");
    assert!(f.contains(&"aws.truststore_bucket".to_string()), "{f:?}");
}
