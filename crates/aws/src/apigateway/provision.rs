//! API Gateway provisioning (REST API, resources, methods, integrations, authorizers, deployments): being written.
