//! SDK errors → flarelink's [`Error`]: one place that decides the [`ErrorKind`].

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::{Error, ErrorKind};

/// Maps any SDK error of `operation` (an AWS operation name such as `"CreateDomainName"`).
pub(crate) fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().map(str::to_owned);
            let message = match service.err().message() {
                Some(m) if !m.is_empty() => m.to_owned(),
                _ => format!("HTTP {status} with no error message"),
            };
            let kind = code
                .as_deref()
                .and_then(kind_for_code)
                .unwrap_or_else(|| kind_for_status(status));
            Error {
                operation,
                kind,
                code,
                message,
            }
        }
        SdkError::ResponseError(response) => {
            // The service answered but the answer could not be read (e.g. an HTML error page).
            let status = response.raw().status().as_u16();
            let kind = match kind_for_status(status) {
                ErrorKind::Other if (200..300).contains(&status) => ErrorKind::Other,
                kind => kind,
            };
            Error {
                operation,
                kind,
                code: None,
                message: format!("unreadable answer (HTTP {status}): {}", chain_text(&err)),
            }
        }
        SdkError::TimeoutError(_) => Error {
            operation,
            kind: ErrorKind::Transport,
            code: None,
            message: format!("timed out: {}", chain_text(&err)),
        },
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => {
            if let Some(creds) = find_source::<CredentialsError>(&err) {
                return credentials(operation, creds);
            }
            let kind = if matches!(err, SdkError::DispatchFailure(_)) {
                ErrorKind::Transport
            } else {
                ErrorKind::Other
            };
            Error {
                operation,
                kind,
                code: None,
                message: chain_text(&err),
            }
        }
        _ => Error {
            operation,
            kind: ErrorKind::Other,
            code: None,
            message: chain_text(&err),
        },
    }
}

/// The credential chain's own explanation, as a `Credentials` error.
pub(crate) fn credentials(operation: &'static str, err: &CredentialsError) -> Error {
    Error {
        operation,
        kind: ErrorKind::Credentials,
        code: None,
        message: format!("no usable AWS credentials: {}", chain_text(err)),
    }
}

/// Kind by the service's error code, when the code decides it.
pub(crate) fn kind_for_code(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "NotFoundException" | "ResourceNotFoundException" => ErrorKind::NotFound,
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedException" => {
            ErrorKind::AccessDenied
        }
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "IncompleteSignatureException"
        | "MissingAuthenticationToken"
        | "MissingAuthenticationTokenException"
        | "InvalidAccessKeyId" => ErrorKind::Credentials,
        c if c.starts_with("ExpiredToken") => ErrorKind::Credentials,
        "ConflictException" | "ResourceInUseException" => ErrorKind::Conflict,
        "TooManyRequestsException" | "ThrottlingException" | "Throttling" => ErrorKind::Throttled,
        "LimitExceededException" => ErrorKind::LimitExceeded,
        "BadRequestException"
        | "ValidationException"
        | "InvalidTagException"
        | "TagPolicyException"
        | "TooManyTagsException" => ErrorKind::BadRequest,
        c if c.starts_with("InvalidParameter") || c.starts_with("InvalidArn") => {
            ErrorKind::BadRequest
        }
        c => return kind_for_cognito_code(c).or_else(|| kind_for_s3_code(c)),
    })
}

/// S3's own codes (a HEAD request's 404 has no body: the SDK names it `NotFound`).
fn kind_for_s3_code(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "NoSuchBucket" | "NoSuchKey" | "NoSuchVersion" | "NotFound" => ErrorKind::NotFound,
        "BucketAlreadyOwnedByYou" | "BucketAlreadyExists" | "OperationAborted" => {
            ErrorKind::Conflict
        }
        "BucketNotEmpty" => ErrorKind::Conflict,
        "InvalidBucketName"
        | "InvalidArgument"
        | "InvalidRequest"
        | "IllegalLocationConstraintException"
        | "InvalidLocationConstraint" => ErrorKind::BadRequest,
        "SlowDown" => ErrorKind::Throttled,
        _ => return None,
    })
}

/// Cognito user pools' own codes (`cognito-idp`). A refused sign-in is `NotAuthorized`, never
/// `Credentials`: a wrong user password says nothing about the AWS credentials.
fn kind_for_cognito_code(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "UserNotFoundException" => ErrorKind::NotFound,
        "UsernameExistsException" | "AliasExistsException" | "ConcurrentModificationException" => {
            ErrorKind::Conflict
        }
        "NotAuthorizedException"
        | "UserNotConfirmedException"
        | "PasswordResetRequiredException" => ErrorKind::NotAuthorized,
        "TooManyFailedAttemptsException" => ErrorKind::Throttled,
        "ForbiddenException" => ErrorKind::AccessDenied,
        "InternalErrorException" => ErrorKind::Transport,
        "InvalidPasswordException"
        | "CodeMismatchException"
        | "ExpiredCodeException"
        | "InvalidOAuthFlowException"
        | "ScopeDoesNotExistException"
        | "UnsupportedIdentityProviderException"
        | "UserPoolTaggingException"
        | "InvalidUserPoolConfigurationException"
        | "FeatureUnavailableInTierException"
        | "TierChangeNotAllowedException"
        | "InvalidEmailRoleAccessPolicyException"
        | "InvalidSmsRoleAccessPolicyException"
        | "InvalidSmsRoleTrustRelationshipException"
        | "UserLambdaValidationException"
        | "UnexpectedLambdaException"
        | "InvalidLambdaResponseException" => ErrorKind::BadRequest,
        _ => return None,
    })
}

/// Kind by HTTP status, for codes we do not know (or no code at all).
pub(crate) fn kind_for_status(status: u16) -> ErrorKind {
    match status {
        400 => ErrorKind::BadRequest,
        401 | 403 => ErrorKind::AccessDenied,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        429 => ErrorKind::Throttled,
        500..=599 => ErrorKind::Transport,
        _ => ErrorKind::Other,
    }
}

/// An error and its sources as one line of their `Display` texts, each source added only when
/// the text so far does not already contain it (SDK errors often repeat their source). Unlike
/// the SDK's `DisplayErrorContext`, no `Debug` dump of HTTP internals is appended.
pub(crate) fn chain_text(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut current = err.source();
    while let Some(e) = current {
        let part = e.to_string();
        if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        current = e.source();
    }
    text
}

/// The first error of type `T` in `err`'s source chain (including `err` itself).
fn find_source<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_apigateway::operation::get_domain_name::GetDomainNameError;
    use aws_sdk_apigateway::types::error::{NotFoundException, TooManyRequestsException};
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn response(status: u16) -> HttpResponse {
        HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty())
    }

    fn generic(status: u16, code: &str, message: &str) -> Error {
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        let err: SdkError<GetDomainNameError, HttpResponse> =
            SdkError::service_error(GetDomainNameError::generic(meta), response(status));
        from_sdk("GetDomainName", err)
    }

    #[test]
    fn s3_codes_decide_the_kind() {
        for (status, code, kind) in [
            (404, "NoSuchBucket", ErrorKind::NotFound),
            (404, "NoSuchKey", ErrorKind::NotFound),
            (404, "NoSuchVersion", ErrorKind::NotFound),
            (404, "NotFound", ErrorKind::NotFound),
            (409, "BucketAlreadyOwnedByYou", ErrorKind::Conflict),
            (409, "BucketAlreadyExists", ErrorKind::Conflict),
            (409, "BucketNotEmpty", ErrorKind::Conflict),
            (400, "InvalidBucketName", ErrorKind::BadRequest),
            (
                400,
                "IllegalLocationConstraintException",
                ErrorKind::BadRequest,
            ),
            (503, "SlowDown", ErrorKind::Throttled),
        ] {
            assert_eq!(
                generic(status, code, "s3 said so").kind,
                kind,
                "{status} {code}"
            );
        }
    }

    #[test]
    fn codes_decide_the_kind() {
        for (status, code, kind) in [
            (404, "NotFoundException", ErrorKind::NotFound),
            (400, "ResourceNotFoundException", ErrorKind::NotFound),
            (400, "AccessDeniedException", ErrorKind::AccessDenied),
            (403, "AccessDenied", ErrorKind::AccessDenied),
            (401, "UnauthorizedException", ErrorKind::AccessDenied),
            (403, "UnrecognizedClientException", ErrorKind::Credentials),
            (403, "InvalidClientTokenId", ErrorKind::Credentials),
            (403, "ExpiredTokenException", ErrorKind::Credentials),
            (400, "ExpiredToken", ErrorKind::Credentials),
            (403, "InvalidSignatureException", ErrorKind::Credentials),
            (409, "ConflictException", ErrorKind::Conflict),
            (429, "TooManyRequestsException", ErrorKind::Throttled),
            (400, "ThrottlingException", ErrorKind::Throttled),
            (400, "LimitExceededException", ErrorKind::LimitExceeded),
            (400, "BadRequestException", ErrorKind::BadRequest),
            (400, "ValidationException", ErrorKind::BadRequest),
            (400, "InvalidParameterException", ErrorKind::BadRequest),
            (400, "InvalidArnException", ErrorKind::BadRequest),
            (403, "SomethingNew", ErrorKind::AccessDenied),
            (503, "ServiceUnavailableException", ErrorKind::Transport),
            (500, "InternalFailure", ErrorKind::Transport),
            (418, "Teapot", ErrorKind::Other),
            (400, "UsernameExistsException", ErrorKind::Conflict),
            (400, "UserNotFoundException", ErrorKind::NotFound),
            (400, "NotAuthorizedException", ErrorKind::NotAuthorized),
            (400, "UserNotConfirmedException", ErrorKind::NotAuthorized),
            (400, "InvalidPasswordException", ErrorKind::BadRequest),
            (400, "TooManyRequestsException", ErrorKind::Throttled),
            (400, "CodeMismatchException", ErrorKind::BadRequest),
            (500, "InternalErrorException", ErrorKind::Transport),
        ] {
            let e = generic(status, code, "the service said so");
            assert_eq!(e.kind, kind, "{status} {code}");
            assert_eq!(e.code.as_deref(), Some(code));
            assert_eq!(e.message, "the service said so");
            assert_eq!(e.operation, "GetDomainName");
        }
    }

    #[test]
    fn modeled_errors_keep_code_and_message() {
        let err: SdkError<GetDomainNameError, HttpResponse> = SdkError::service_error(
            GetDomainNameError::NotFoundException(
                NotFoundException::builder()
                    .message("Invalid domain name identifier specified")
                    // As the generated deserializer does: the body's message is in the metadata too.
                    .meta(
                        ErrorMetadata::builder()
                            .code("NotFoundException")
                            .message("Invalid domain name identifier specified")
                            .build(),
                    )
                    .build(),
            ),
            response(404),
        );
        let e = from_sdk("GetDomainName", err);
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.message, "Invalid domain name identifier specified");

        let err: SdkError<GetDomainNameError, HttpResponse> = SdkError::service_error(
            GetDomainNameError::TooManyRequestsException(
                TooManyRequestsException::builder()
                    .message("slow down")
                    .retry_after_seconds("30")
                    .meta(
                        ErrorMetadata::builder()
                            .code("TooManyRequestsException")
                            .build(),
                    )
                    .build(),
            ),
            response(429),
        );
        assert_eq!(from_sdk("GetDomainName", err).kind, ErrorKind::Throttled);
    }

    #[test]
    fn no_message_says_the_status() {
        let meta = ErrorMetadata::builder().build();
        let err: SdkError<GetDomainNameError, HttpResponse> =
            SdkError::service_error(GetDomainNameError::generic(meta), response(502));
        let e = from_sdk("GetDomainName", err);
        assert_eq!(e.kind, ErrorKind::Transport);
        assert_eq!(e.code, None);
        assert_eq!(e.message, "HTTP 502 with no error message");
    }

    #[test]
    fn dispatch_and_timeout_are_transport() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err: SdkError<GetDomainNameError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(io)));
        let e = from_sdk("GetDomainName", err);
        assert_eq!(e.kind, ErrorKind::Transport);
        assert!(e.message.contains("refused"), "{}", e.message);

        let err: SdkError<GetDomainNameError, HttpResponse> =
            SdkError::timeout_error("attempt timeout");
        assert_eq!(from_sdk("GetDomainName", err).kind, ErrorKind::Transport);
    }

    #[test]
    fn credential_provider_failures_are_credentials() {
        let creds = CredentialsError::not_loaded("no providers in chain provided credentials");
        let err: SdkError<GetDomainNameError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::other(Box::new(creds), None));
        let e = from_sdk("GetDomainName", err);
        assert_eq!(e.kind, ErrorKind::Credentials);
        assert!(e.message.contains("no providers in chain"), "{}", e.message);
        assert!(
            !e.message.contains("CredentialsNotLoaded"),
            "no Debug dump: {}",
            e.message
        );
    }
}
