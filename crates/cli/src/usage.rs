//! Command-line errors, reported like every other bad input: exit 2, the field, the problem and
//! the fix, and with `--output json` one JSON document on stdout.
//!
//! clap's own messages are not printed: they repeat what was typed (`unexpected argument
//! 'hunter2' found`), and a stray word on the command line is often a password. This module
//! builds the message from the error's parts and shows only flag names, never a value or a
//! positional word.

use std::ffi::OsString;
use std::io::Write;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::CommandFactory;
use flarelink_core::config::ConfigError;

use crate::args::Cli;
use crate::output;

/// `--output json` (or `--output=json`) anywhere before a `--`, looked for in the raw arguments
/// because parsing them is what failed.
pub fn wants_json(args: &[OsString]) -> bool {
    let mut it = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned());
    while let Some(a) = it.next() {
        match a.as_str() {
            "--" => break,
            "--output=json" => return true,
            "--output" if it.next().as_deref() == Some("json") => return true,
            _ => {}
        }
    }
    false
}

/// Reports a parse failure; `--help` and `--version` are not failures (exit 0).
pub fn report(e: &clap::Error, json: bool) -> u8 {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return 0;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand if !json => {
            // The problem, then the help text (which lists the commands).
            let p = describe(e);
            eprintln!("error: {}\n  fix: {}\n", p.problem, p.fix);
            let _ = e.print();
            return 2;
        }
        _ => {}
    }
    let problem = describe(e);
    if json {
        let problems = serde_json::to_value(vec![&problem]).expect("problems serialize");
        // A closed stdout must not turn into a panic message.
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            output::json_error(
                "usage",
                &format!(
                    "invalid command line: {}: {}",
                    problem.field, problem.problem
                ),
                Some(&problem.fix),
                Some(problems),
            )
        );
    } else {
        eprintln!(
            "error: {}: {}\n  fix: {}",
            problem.field, problem.problem, problem.fix
        );
        if let Some(ContextValue::StyledStr(usage)) = e.get(ContextKind::Usage) {
            eprintln!("\n{usage}");
        }
        eprintln!("\nFor more information, try '--help'.");
    }
    2
}

fn string(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    }
}

/// An argument's name as clap describes it (`--output <OUTPUT>`), or a typed flag reduced to
/// its name (`--pasword=x` → `--pasword`) when it is shaped like flarelink's flags: lower-case
/// letters and hyphens. Anything else (digits, capitals, symbols: password material) is not
/// shown.
fn flag_name(arg: &str) -> Option<String> {
    let name = arg.split(['=', ' ']).next().unwrap_or("");
    let dashes = name.starts_with("--") || (name.starts_with('-') && name.len() == 2);
    let shaped = name.trim_start_matches('-').chars().all(|c| {
        c.is_ascii_lowercase() || c == '-' || (name.len() == 2 && c.is_ascii_alphabetic())
    }) && name.len() <= 32
        && name.len() > 1;
    (dashes && shaped).then(|| name.to_string())
}

const HELP: &str = "see `flarelink --help` and `flarelink <command> --help`";

fn describe(e: &clap::Error) -> ConfigError {
    let arg = string(e, ContextKind::InvalidArg).unwrap_or_default();
    let arg_name = flag_name(&arg);
    match e.kind() {
        ErrorKind::UnknownArgument => match arg_name {
            Some(name) => {
                let mut fix = match string(e, ContextKind::SuggestedArg) {
                    Some(s) => format!("did you mean {}? ({HELP})", flag_name(&s).unwrap_or(s)),
                    None => HELP.to_string(),
                };
                if ["password", "passwd", "token", "secret"]
                    .iter()
                    .any(|w| name.contains(w))
                {
                    fix = format!("secrets never go on the command line: passwords come from --password-stdin, --password-env VAR or the terminal prompt, tokens from environment variables (verify --token-env VAR); {fix}");
                }
                ConfigError::new(
                    name,
                    "",
                    "is not a flag of this command (a value given with it is not shown)",
                    fix,
                )
            }
            None if arg.starts_with('-') => ConfigError::new(
                "(flag)",
                "",
                "an unknown flag was given; it is not shown, because it does not look like one of flarelink's flags and may be a secret",
                HELP,
            ),
            None => ConfigError::new(
                "(argument)",
                "",
                "an unexpected argument was given; it is not shown, because a stray word on the command line is often a password",
                format!("remove it: passwords come from --password-stdin, --password-env VAR or the terminal prompt, never from the command line, and values belong to flags such as --username NAME ({HELP})"),
            ),
        },
        ErrorKind::InvalidSubcommand => {
            let fix = match string(e, ContextKind::SuggestedSubcommand) {
                Some(s) => format!("did you mean `{}`? ({HELP})", s.replace(", ", "` or `")),
                None => format!("use one of: {} ({HELP})", subcommands(e)),
            };
            ConfigError::new(
                "(command)",
                "",
                "is not a flarelink command (the word is not shown, in case it was a secret)",
                fix,
            )
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let field = arg_name.unwrap_or_else(|| "(argument)".into());
            let empty = string(e, ContextKind::InvalidValue).is_some_and(|v| v.is_empty());
            let valid = string(e, ContextKind::ValidValue);
            let fix = match &valid {
                Some(v) => format!("use one of: {v}"),
                None => HELP.to_string(),
            };
            let problem = if empty {
                "needs a value".to_string()
            } else {
                "was given a value it does not accept (the value is not shown)".to_string()
            };
            ConfigError::new(field, "", problem, fix)
        }
        ErrorKind::MissingRequiredArgument => {
            let missing = string(e, ContextKind::InvalidArg).unwrap_or_default();
            ConfigError::new(
                missing.clone(),
                "",
                "is required",
                format!("add {missing} ({HELP})"),
            )
        }
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let parent = string(e, ContextKind::InvalidSubcommand)
                .filter(|p| p.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c == ' '))
                .unwrap_or_else(|| "flarelink".into());
            let valid = string(e, ContextKind::ValidSubcommand).unwrap_or_else(|| subcommands(e));
            ConfigError::new(
                "(command)",
                "",
                format!("{parent} needs a command"),
                format!("use one of: {valid}"),
            )
        }
        ErrorKind::ArgumentConflict => {
            let prior = string(e, ContextKind::PriorArg)
                .and_then(|p| flag_name(&p))
                .unwrap_or_else(|| "another flag".into());
            ConfigError::new(
                arg_name.unwrap_or_else(|| "(argument)".into()),
                "",
                format!("cannot be used with {prior}"),
                format!("give only one of them ({HELP})"),
            )
        }
        ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues | ErrorKind::NoEquals => {
            ConfigError::new(
                arg_name.unwrap_or_else(|| "(argument)".into()),
                "",
                "was given the wrong number of values (they are not shown)",
                HELP,
            )
        }
        ErrorKind::InvalidUtf8 => ConfigError::new(
            "(argument)",
            "",
            "an argument is not valid UTF-8",
            "pass plain UTF-8 text",
        ),
        _ => ConfigError::new(
            arg_name.unwrap_or_else(|| "(command line)".into()),
            "",
            "is not valid (details are not shown, in case they held a secret)",
            HELP,
        ),
    }
}

/// The commands that can follow the one the error is about, found from its usage line
/// (`Usage: flarelink config [OPTIONS] <COMMAND>` → `config`'s): only flarelink's own names.
fn subcommands(e: &clap::Error) -> String {
    let usage = string(e, ContextKind::Usage).unwrap_or_default();
    let path: Vec<String> = usage
        .split_whitespace()
        .skip_while(|w| *w != "flarelink")
        .skip(1)
        .take_while(|w| !w.starts_with(['[', '<', '-']))
        .map(str::to_string)
        .collect();
    let mut command = Cli::command();
    for name in &path {
        match command.find_subcommand(name) {
            Some(sub) => command = sub.clone(),
            None => break,
        }
    }
    command
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .map(|c| c.get_name().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> clap::Error {
        let mut all = vec!["flarelink"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all).unwrap_err()
    }

    #[test]
    fn no_value_or_stray_word_is_ever_repeated() {
        for args in [
            vec!["token", "--username", "bob", "hunter2-Secret"],
            vec![
                "users",
                "create",
                "--username",
                "u",
                "--email",
                "e@x",
                "hunter2-Secret",
            ],
            vec!["verify", "hunter2-Secret"],
            vec!["hunter2-Secret"],
            vec!["link-domain", "--pasword=hunter2-Secret"],
            vec!["--output", "hunter2-Secret", "link-domain"],
            vec!["link-domain", "--hunter2-Secret"],
        ] {
            let e = parse(&args);
            let p = describe(&e);
            let shown = format!("{} {} {} {}", p.field, p.value, p.problem, p.fix);
            assert!(!shown.contains("hunter2"), "{args:?}: {shown}");
            assert!(!p.problem.is_empty());
        }
    }

    #[test]
    fn names_and_suggestions_are_shown() {
        let p = describe(&parse(&["link-domain", "--dryrun"]));
        assert_eq!(p.field, "--dryrun");
        assert!(p.fix.contains("--dry-run"), "{p:?}");
        let p = describe(&parse(&["lnk-domain"]));
        assert!(p.fix.contains("link-domain"), "{p:?}");
        let p = describe(&parse(&["token"]));
        assert!(p.field.contains("--username"), "{p:?}");
        let p = describe(&parse(&["--output", "yaml", "link-domain"]));
        assert!(p.fix.contains("json"), "{p:?}");
    }

    #[test]
    fn json_is_found_before_parsing() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(wants_json(&args(&["flarelink", "--output", "json", "x"])));
        assert!(wants_json(&args(&["flarelink", "x", "--output=json"])));
        assert!(!wants_json(&args(&["flarelink", "--", "--output=json"])));
        assert!(!wants_json(&args(&["flarelink", "--output", "human"])));
    }
}
