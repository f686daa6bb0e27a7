//! The command line, declared with clap's derive API.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "flarelink",
    version,
    about = "Put an AWS API Gateway REST API, guarded by Cognito, behind Cloudflare — in one converging command.",
    long_about = "Put an AWS API Gateway REST API behind Cloudflare.\n\n\
        link-domain runs six steps for every [[domain]] in config.toml: (1) an Origin CA certificate \
        for a CSR made locally, (2) its import into ACM, (3) a regional API Gateway custom domain, \
        (4) the API mapping, (5) a proxied CNAME, (6) the zone's SSL/TLS mode set to Full. \
        Every command converges: run it again and it changes nothing. Every command has --dry-run.\n\n\
        Secrets never go in config.toml: the Cloudflare token comes from CLOUDFLARE_API_TOKEN, \
        AWS credentials from the standard AWS chain (AWS_PROFILE, SSO, environment, …).",
    after_help = "Exit codes: 0 done, 1 a cloud refused or failed (or flarelink refused to touch what is not its own), 2 bad input."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        default_value = "config.toml",
        value_name = "PATH"
    )]
    pub config: PathBuf,
    /// Output format: human-readable lines, or one JSON document on stdout for scripts.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
    /// AWS region (overrides aws.region; AWS_REGION is used when neither is set).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// AWS named profile (overrides aws.profile).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// More diagnostics on stderr (-v: debug, -vv: trace). Secrets are never logged.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Print the plan (what exists, what would be created or changed) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Take over what flarelink did not create: a CNAME or other records on the hostname, a
    /// custom domain's certificate, an API mapping to another API or stage.
    #[arg(long)]
    pub force: bool,
    /// Only this hostname from the configuration (repeatable).
    #[arg(long = "hostname", value_name = "HOSTNAME")]
    pub hostnames: Vec<String>,
}

#[derive(Debug, Args, Clone)]
pub struct LinkArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Origin lock: also write the private key of a client CA made in this run to FILE (created
    /// with mode 0600; never overwritten), to sign client certificates for your own direct
    /// callers. Needs exactly one hostname with origin_lock = "mtls" (use --hostname). Without
    /// it the CA key never leaves memory.
    #[arg(long, value_name = "FILE")]
    pub keep_client_ca: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run all six steps for every configured hostname (or --hostname), then the origin lock's
    /// four for a hostname with origin_lock = "mtls" (or take flarelink's lock off with "off").
    LinkDomain(LinkArgs),
    /// Remove, in reverse order, what flarelink created for a hostname (its origin lock first);
    /// nothing else.
    UnlinkDomain(RunArgs),
    /// Steps 1–2: issue the Origin CA certificate and import it into ACM. One command, because
    /// the private key lives only in memory between the two.
    #[command(visible_aliases = ["origin-cert", "acm-import"])]
    Certificate(RunArgs),
    /// Step 3: the REGIONAL API Gateway custom domain using flarelink's ACM certificate.
    CustomDomain(RunArgs),
    /// Step 4: the API (base-path) mapping from the custom domain to the REST API stage.
    ApiMapping(RunArgs),
    /// Step 5: the proxied CNAME from the hostname to the custom domain's regional name.
    DnsRecord(RunArgs),
    /// Step 6: the zone's SSL/TLS encryption mode (Full, or Full (strict)). Zone-wide.
    SslMode(RunArgs),
    /// Rotate the origin certificate in place now: a new key (same type and size), a new
    /// Origin CA certificate re-imported into the ACM certificate ARN the custom domain serves,
    /// its tag updated, the old origin certificate revoked. The custom domain keeps its
    /// certificate (no UpdateDomainName). link-domain does the same by itself once the
    /// certificate is inside its renewal window ([domain.certificate] renew_before_days).
    RotateCert(RunArgs),
    /// The guide's API and Cognito setup from [cognito] and [api]: user pool, app client,
    /// hosted-UI domain, REGIONAL REST API with its routes and Cognito authorizer, deployed to
    /// the stage (a new deployment only when something changed).
    Provision(ProvisionArgs),
    /// Test users in the user pool (admin calls), so nobody keeps a password in a file.
    #[command(subcommand, arg_required_else_help = false)]
    Users(UsersCommand),
    /// Sign in (SRP by default) and print the ID token (--access: the access token;
    /// --output json: all three with their expiry).
    Token(TokenArgs),
    /// Print the hosted-UI sign-in URLs: authorization code with PKCE, and the guide's implicit flow.
    LoginUrl,
    /// Call https://<hostname>/<route> without a token (expects 401) and with one (expects 2xx),
    /// and explain what goes wrong: expired token, token from another pool, unknown hostname,
    /// CNAME not proxied, TLS failures, upstream errors. Then calls around Cloudflare — the
    /// custom domain's regional name without a client certificate, the REST API's default
    /// endpoint — which must be refused when the origin lock is on (information otherwise).
    Verify(VerifyArgs),
    /// Check the configuration: every check of config.toml, the flags and the environment that a
    /// real run makes, and no network call. Exit 0 when a run would start, 2 on bad input —
    /// what to run in CI before a deploy.
    #[command(subcommand, arg_required_else_help = false)]
    Config(ConfigCommand),
    /// Print a shell completion script: `flarelink completions bash > /etc/bash_completion.d/flarelink`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page flarelink(1) as roff (`flarelink man | man -l -`), or with --dir write
    /// one page per command (flarelink.1, flarelink-link-domain.1, …) into DIR.
    Man {
        /// Write every page into this directory instead of printing flarelink(1).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Every check of the file and the environment (token shape, region, profile, endpoints),
    /// no call to AWS or Cloudflare; exit 0 or 2.
    Check(CheckArgs),
}

#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// Also check that this hostname is configured (repeatable), as link-domain --hostname does.
    #[arg(long = "hostname", value_name = "HOSTNAME")]
    pub hostnames: Vec<String>,
}

/// Where a password comes from: never the command line.
#[derive(Debug, Args, Clone)]
pub struct PasswordSource {
    /// Read the password from the first line of standard input.
    #[arg(long, conflicts_with = "password_env")]
    pub password_stdin: bool,
    /// Read the password from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user (or reset an existing one) with a permanent password, e-mail verified.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Confirm a user who signed up (admin confirmation instead of the e-mailed code).
    Confirm {
        #[arg(long)]
        username: String,
    },
    /// Delete a user.
    Delete {
        #[arg(long)]
        username: String,
    },
}

#[derive(Debug, Args, Clone)]
pub struct TokenArgs {
    #[arg(long)]
    pub username: String,
    #[command(flatten)]
    pub password: PasswordSource,
    /// Print the access token instead of the ID token (the authorizer wants the ID token
    /// unless the method has OAuth scopes).
    #[arg(long)]
    pub access: bool,
    /// Use USER_PASSWORD_AUTH instead of SRP (the app client must allow it).
    #[arg(long)]
    pub password_auth: bool,
}

#[derive(Debug, Args, Clone)]
pub struct VerifyArgs {
    /// The hostname to call (default: the first [[domain]]).
    #[arg(long)]
    pub hostname: Option<String>,
    /// The route to call (default: the first [[api.route]], else /ditto).
    #[arg(long)]
    pub route: Option<String>,
    /// Sign in as this user for the authorized call (password as for `token`).
    #[arg(long)]
    pub username: Option<String>,
    #[command(flatten)]
    pub password: PasswordSource,
    /// Take the ID token from this environment variable instead of signing in.
    #[arg(long, value_name = "VAR", conflicts_with = "username")]
    pub token_env: Option<String>,
    /// Extra trusted root certificate (PEM file), e.g. for a staging setup.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Connect to ADDR:PORT instead of resolving HOST (like curl's --resolve, HOST:PORT:ADDR;
    /// repeatable). HOST `*` stands for every name not listed otherwise, e.g. the custom
    /// domain's regional name and the default endpoint on a local data plane.
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// Do not require the answer to come through Cloudflare.
    #[arg(long)]
    pub allow_direct: bool,
    /// Fail unless the custom domain's regional name and the REST API's default endpoint
    /// refuse direct calls, as when the hostname's [[domain]] says origin_lock = "mtls" (e.g.
    /// for a lock set up outside flarelink).
    #[arg(long)]
    pub require_origin_lock: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ProvisionArgs {
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Manage a user pool or REST API of the configured name that flarelink did not create.
    #[arg(long)]
    pub force: bool,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Provision(_) => "provision",
            Command::Users(_) => "users",
            Command::Token(_) => "token",
            Command::LoginUrl => "login-url",
            Command::Verify(_) => "verify",
            Command::LinkDomain(_) => "link-domain",
            Command::UnlinkDomain(_) => "unlink-domain",
            Command::Certificate(_) => "certificate",
            Command::CustomDomain(_) => "custom-domain",
            Command::ApiMapping(_) => "api-mapping",
            Command::DnsRecord(_) => "dns-record",
            Command::SslMode(_) => "ssl-mode",
            Command::RotateCert(_) => "rotate-cert",
            Command::Config(_) => "config check",
            Command::Completions { .. } => "completions",
            Command::Man { .. } => "man",
        }
    }

    /// The arguments of `link-domain`, `unlink-domain` and the step commands.
    pub fn run_args(&self) -> Option<&RunArgs> {
        match self {
            Command::LinkDomain(a) => Some(&a.run),
            Command::UnlinkDomain(a)
            | Command::Certificate(a)
            | Command::CustomDomain(a)
            | Command::ApiMapping(a)
            | Command::DnsRecord(a)
            | Command::SslMode(a)
            | Command::RotateCert(a) => Some(a),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
