use std::fmt;

use super::secrets;

/// One thing wrong with the input, said so that the user can fix it without reading code:
/// which field (a key path such as `domain[0].certificate.validity_days`, a flag or an
/// environment variable), what value, what is wrong, and what to do — and, for a key in the
/// file, where it is (file, line, column).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfigError {
    pub field: String,
    pub value: String,
    pub problem: String,
    pub fix: String,
    /// Where in the file (none for flags and environment variables). Boxed: errors travel in
    /// `Result`s and should stay small.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Box<Location>>,
    /// `value` is TOML source text (`"x"`, `[1, 2]`), shown as it stands rather than quoted.
    #[serde(skip)]
    pub verbatim: bool,
}

impl ConfigError {
    /// A value that looks like a secret (a token, an AWS key, a private key, a JWT) is never
    /// kept: the error says "(redacted)" instead, wherever it was built.
    pub fn new(
        field: impl Into<String>,
        value: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        let value = value.into();
        let value = if secrets::value_kind(&value).is_some() {
            secrets::REDACTED.to_string()
        } else {
            value
        };
        ConfigError {
            field: field.into(),
            value,
            problem: problem.into(),
            fix: fix.into(),
            location: None,
            verbatim: false,
        }
    }

    /// Marks `value` as TOML source text.
    pub fn verbatim(mut self) -> Self {
        self.verbatim = true;
        self
    }

    /// Where in which file the problem is.
    pub fn at(mut self, file: &str, position: Option<(usize, usize)>) -> Self {
        self.location = Some(Box::new(Location {
            file: file.to_string(),
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
        }));
        self
    }

    pub fn file(&self) -> Option<&str> {
        self.location.as_ref().map(|l| l.file.as_str())
    }

    pub fn line(&self) -> Option<usize> {
        self.location.as_ref().and_then(|l| l.line)
    }

    pub fn column(&self) -> Option<usize> {
        self.location.as_ref().and_then(|l| l.column)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file(), self.line(), self.column()) {
            (Some(file), Some(line), Some(column)) => write!(f, "{file}:{line}:{column}: ")?,
            (Some(file), _, _) if file != self.field => write!(f, "{file}: ")?,
            _ => {}
        }
        if self.value.is_empty() {
            write!(f, "{}: {}", self.field, self.problem)?;
        } else if self.verbatim || (self.value.starts_with('(') && self.value.ends_with(')')) {
            // TOML source text, or a marker such as "(not set)" or "(redacted: …)".
            write!(f, "{} = {}: {}", self.field, self.value, self.problem)?;
        } else {
            write!(f, "{} = {:?}: {}", self.field, self.value, self.problem)?;
        }
        write!(f, "\n    fix: {}", self.fix)
    }
}

/// A place in a file: `file:line:column`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

/// Every problem found in one pass, so the user fixes them all at once.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "{} problem{} in the input (nothing was sent to AWS or Cloudflare):",
            n,
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}
