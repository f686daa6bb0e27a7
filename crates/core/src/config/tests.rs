use super::*;

const GOOD: &str = r#"
[cloudflare]
zone = "example.com"

[aws]
region = "us-east-1"

[[domain]]
hostname = "API.example.com."
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
    let text = GOOD.replace("API.example.com.", "example.com");
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
        "domain[0].hostname",
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
    assert!(e.0[0].problem.contains("hostnme"), "{}", e);
}

#[test]
fn secrets_have_no_place_in_the_file() {
    let text = GOOD.replace(
        "zone = \"example.com\"",
        "zone = \"example.com\"\napi_token = \"abc\"",
    );
    let e = load(&text).unwrap_err();
    assert!(e.0[0].problem.contains("api_token"), "{}", e);
}

#[test]
fn overrides_win_and_are_validated() {
    let o = Overrides {
        region: Some("eu-west-2".into()),
        cloudflare_api_base: Some("http://127.0.0.1:9/client/v4".into()),
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
    let text = GOOD.replace("\"example.com\"", "\"0123456789abcdef0123456789ABCDEF\"");
    let c = load(&text).unwrap();
    assert_eq!(
        c.zone,
        ZoneRef::Id("0123456789abcdef0123456789abcdef".into())
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
