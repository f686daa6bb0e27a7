//! Amazon Cognito user pools (cognito-idp): being written.

/// Cognito user-pool operations.
#[derive(Clone)]
pub struct Cognito {
    #[allow(dead_code)]
    pub(crate) client: aws_sdk_cognitoidentityprovider::Client,
}

impl Cognito {
    pub(crate) fn new(sdk: &aws_types::SdkConfig) -> Self {
        Cognito {
            client: aws_sdk_cognitoidentityprovider::Client::new(sdk),
        }
    }
}
