//! Passwords come from standard input, an environment variable or a prompt — never from argv,
//! where other users of the machine and shell history would see them.

use std::io::{BufRead, IsTerminal};

use flarelink_aws::Secret;
use flarelink_core::config::ConfigError;

use crate::args::PasswordSource;

pub fn read(source: &PasswordSource, prompt: &str) -> Result<Secret, ConfigError> {
    if source.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            ConfigError::new(
                "--password-stdin",
                "",
                format!("cannot read standard input: {e}"),
                "pipe the password in: printf %s \"$PW\" | flarelink …",
            )
        })?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        if password.is_empty() {
            return Err(ConfigError::new(
                "--password-stdin",
                "(empty)",
                "standard input held no password",
                "pipe the password in: printf %s \"$PW\" | flarelink …",
            ));
        }
        return Ok(Secret::new(password));
    }
    if let Some(var) = &source.password_env {
        return match std::env::var(var) {
            Ok(p) if !p.is_empty() => Ok(Secret::new(p)),
            _ => Err(ConfigError::new(
                "--password-env",
                var.clone(),
                "names a variable that is not set (or empty)",
                format!("export {var}=… first, or use --password-stdin"),
            )),
        };
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt)
            .map(Secret::new)
            .map_err(|e| {
                ConfigError::new(
                    "password",
                    "",
                    format!("cannot read it from the terminal: {e}"),
                    "use --password-stdin or --password-env VAR",
                )
            });
    }
    Err(ConfigError::new(
        "password",
        "(none)",
        "no password given and no terminal to ask on",
        "use --password-stdin or --password-env VAR (never a command-line argument)",
    ))
}
