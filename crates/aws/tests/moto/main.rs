//! flarelink-aws against moto (and, for UpdateDomainName, which moto 5.2.5 lacks, a scripted
//! HTTP stub).
//!
//! A custom test main (libtest-mimic; same flags and summary as `cargo test`): the process
//! environment is fixed once here, before any thread exists — dummy credentials, no region, no
//! `~/.aws` files, no instance metadata — rather than mutated while tests run. Tests that need
//! a different environment (region or endpoint from the environment, no credentials at all)
//! re-run this binary as a child process with that environment; see `common::child`.

mod acm;
mod apis;
mod cognito;
mod common;
mod config;
mod domains;
mod mappings;
mod origin_lock;
mod provision;
mod quota;
mod stub;

use libtest_mimic::{Arguments, Trial};

fn main() -> std::process::ExitCode {
    if let Some(code) = common::run_child_scenario_if_asked() {
        return code;
    }
    common::fix_process_env();

    let args = Arguments::from_args();
    let tests = vec![
        common::trial(
            "acm::import_describe_tags_list_delete",
            acm::import_describe_tags_list_delete,
        ),
        common::trial("acm::unknown_certificate", acm::unknown_certificate),
        common::trial(
            "acm::request_describe_validation_and_issue",
            acm::request_describe_validation_and_issue,
        ),
        common::trial("domains::create_get_delete", domains::create_get_delete),
        common::trial(
            "domains::set_certificate_patches_and_waits_out_the_quota",
            domains::set_certificate_patches_and_waits_out_the_quota,
        ),
        common::trial(
            "domains::set_certificate_gives_up_after_the_budget",
            domains::set_certificate_gives_up_after_the_budget,
        ),
        common::trial(
            "mappings::create_list_update_delete",
            mappings::create_list_update_delete,
        ),
        common::trial(
            "mappings::unknown_domain_lists_empty",
            mappings::unknown_domain_lists_empty,
        ),
        common::trial("apis::list_get_stage", apis::list_get_stage),
        common::trial(
            "origin_lock::s3_truststore_bucket_lifecycle",
            origin_lock::s3_truststore_bucket_lifecycle,
        ),
        common::trial(
            "origin_lock::s3_bucket_outside_us_east_1_gets_a_location_constraint",
            origin_lock::s3_bucket_outside_us_east_1_gets_a_location_constraint,
        ),
        common::trial(
            "origin_lock::domain_mutual_tls_enable_rotate_disable",
            origin_lock::domain_mutual_tls_enable_rotate_disable,
        ),
        common::trial(
            "origin_lock::rest_api_default_endpoint_switch",
            origin_lock::rest_api_default_endpoint_switch,
        ),
        common::trial(
            "cognito::pool_create_read_back_and_find",
            cognito::pool_create_read_back_and_find,
        ),
        common::trial(
            "cognito::pool_listing_pages_and_refuses_ambiguous_names",
            cognito::pool_listing_pages_and_refuses_ambiguous_names,
        ),
        common::trial(
            "cognito::pool_update_keeps_unmanaged_settings",
            cognito::pool_update_keeps_unmanaged_settings,
        ),
        common::trial(
            "cognito::client_create_update_read_back",
            cognito::client_create_update_read_back,
        ),
        common::trial(
            "cognito::domain_create_describe_owner_delete",
            cognito::domain_create_describe_owner_delete,
        ),
        common::trial(
            "cognito::users_admin_lifecycle_and_sign_up",
            cognito::users_admin_lifecycle_and_sign_up,
        ),
        common::trial(
            "cognito::password_auth_tokens_and_claims",
            cognito::password_auth_tokens_and_claims,
        ),
        common::trial(
            "cognito::srp_initiate_and_password_verifier",
            cognito::srp_initiate_and_password_verifier,
        ),
        common::trial(
            "quota::second_create_waits_then_succeeds",
            quota::second_create_waits_then_succeeds,
        ),
        common::trial(
            "quota::no_budget_is_throttled_without_sdk_retries",
            quota::no_budget_is_throttled_without_sdk_retries,
        ),
        common::trial(
            "config::missing_region_is_a_config_error",
            config::missing_region_is_a_config_error,
        ),
        common::trial(
            "config::closed_port_is_transport_after_retries",
            config::closed_port_is_transport_after_retries,
        ),
        common::trial(
            "config::region_and_endpoints_from_the_environment",
            config::region_and_endpoints_from_the_environment,
        ),
        common::trial(
            "config::endpoint_setting_beats_the_environment",
            config::endpoint_setting_beats_the_environment,
        ),
        common::trial(
            "config::credentials_checked_without_a_service_call",
            config::credentials_checked_without_a_service_call,
        ),
        common::trial(
            "config::no_credentials_is_a_credentials_error_quickly",
            config::no_credentials_is_a_credentials_error_quickly,
        ),
        common::trial(
            "provision::guide_api_step_by_step",
            provision::guide_api_step_by_step,
        ),
        common::trial(
            "provision::resources_with_several_methods",
            provision::resources_with_several_methods,
        ),
        common::trial(
            "provision::switch_method_auth_in_place",
            provision::switch_method_auth_in_place,
        ),
        common::trial(
            "provision::update_authorizer_in_place",
            provision::update_authorizer_in_place,
        ),
        common::trial(
            "provision::get_resources_follows_pages_and_reads_bare_methods",
            provision::get_resources_follows_pages_and_reads_bare_methods,
        ),
        common::trial("provision::delete_rest_api", provision::delete_rest_api),
        common::trial(
            "provision::quota_limited_calls_wait_out_throttles",
            provision::quota_limited_calls_wait_out_throttles,
        ),
        common::trial(
            "provision::quota_budget_spent_is_throttled_with_a_hint",
            provision::quota_budget_spent_is_throttled_with_a_hint,
        ),
    ];
    let tests: Vec<Trial> = tests;
    libtest_mimic::run(&args, tests).exit_code()
}
