//! Cloudflare's Rules language (the wirefilter syntax of rule `expression`s): a parser for the
//! grammar, and an evaluator for the part the edge needs.
//!
//! Why hand-written: the only wirefilter release on crates.io, `wirefilter-engine` 0.6.1
//! (March 2019), predates the Rules language's functions (`starts_with(…)`, `lower(…)`, `any(…)`),
//! so it refuses expressions Cloudflare's own docs use, and it is built on the long-deprecated
//! `failure` crate; Cloudflare's current engine is not published. A small recursive-descent
//! parser for the grammar is less code than adapting it.
//!
//! **Parsed** (accepted by `PUT`, stored, given back byte for byte): `and`/`&&`, `or`/`||`,
//! `xor`/`^^`, `not`/`!`, parentheses; comparisons `eq ne lt le gt ge == != < <= > >=
//! contains matches ~ wildcard strict wildcard in &`/`bitwise_and`; right-hand sides: strings
//! (`"…"` with `\"` `\\` escapes, raw `r"…"` / `r#"…"#`), integers, IP addresses and CIDRs,
//! sets `{…}` of those (with integer ranges `a..b`), named lists `$name`; bare boolean fields
//! and `true`/`false`; field indexes `[\"name\"]`, `[0]`, `[*]`; function calls (Cloudflare's
//! function names). Field and function names must be ones Cloudflare documents (the lists
//! below; names outside them are refused as `unknown identifier`, as Cloudflare refuses
//! unknown names — the lists hold the common fields, not every one Cloudflare has).
//! Expressions are at most 4,096 characters (Cloudflare's documented limit) and nest at most
//! 64 deep (the emulator's bound). Errors are worded as Cloudflare's engine words them: `Filter parsing error (1:COL):`, the
//! expression, a caret line and the reason (the form shown in Cloudflare's "Expression
//! validation" docs).
//!
//! **Evaluated** (by the edge): the fields `http.host`, `http.request.uri.path` (text) and
//! `ssl` (boolean); `eq`/`==`, `ne`/`!=`, `contains`, `in {…}` on text; `starts_with`,
//! `ends_with`, `lower`, `upper`; `true`/`false`; `and`, `or`, `xor`, `not`. Anything else
//! parses but [`Expr::eval`] answers [`Unsupported`] rather than guessing (see
//! `edge::route::effective_ssl_mode` for what the edge then does).

use std::fmt;

/// What a request offers to an expression.
#[derive(Debug, Clone, Copy)]
pub struct RequestFacts<'a> {
    /// `http.host`: the requested hostname (lower case, without port).
    pub host: &'a str,
    /// `http.request.uri.path`: the path, without the query.
    pub path: &'a str,
    /// `ssl`: the visitor used HTTPS.
    pub https: bool,
}

/// An expression that parses but that the emulator cannot evaluate, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the emulator cannot evaluate {}", self.0)
    }
}

/// A parse error, displayed as Cloudflare's engine does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub input: String,
    /// 0-based character offset of the problem.
    pub at: usize,
    pub len: usize,
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Cloudflare reports (line:column) and repeats the line with carets under the problem.
        let before: String = self.input.chars().take(self.at).collect();
        let line_no = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before[line_start..].chars().count();
        let line = self.input[line_start..].lines().next().unwrap_or("");
        write!(
            f,
            "Filter parsing error ({line_no}:{}):\n{line}\n{}{} {}\n",
            col + 1,
            " ".repeat(col),
            "^".repeat(self.len.max(1)),
            self.reason
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Int(i64),
    IntRange(i64, i64),
    Ip(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    Matches,
    Wildcard,
    StrictWildcard,
    In,
    BitAnd,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Index {
    Key(String),
    Pos(i64),
    All,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Field(String, Vec<Index>),
    Call(String, Vec<Expr>),
    Bool(bool),
    /// A literal (only as a function argument).
    Lit(Literal),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    Lit(Literal),
    Set(Vec<Literal>),
    List(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Vec<Expr>),
    Xor(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Compare(Operand, Op, Rhs),
    Value(Operand),
}

/// Fields of Cloudflare's Rules language (developers.cloudflare.com/ruleset-engine/
/// rules-language/fields/), the common ones; `raw.` variants of the `http.request.uri…`
/// fields are accepted too.
const FIELDS: &[&str] = &[
    "http.host",
    "http.cookie",
    "http.referer",
    "http.user_agent",
    "http.x_forwarded_for",
    "http.request.full_uri",
    "http.request.method",
    "http.request.version",
    "http.request.uri",
    "http.request.uri.path",
    "http.request.uri.path.extension",
    "http.request.uri.query",
    "http.request.uri.args",
    "http.request.uri.args.names",
    "http.request.uri.args.values",
    "http.request.headers",
    "http.request.headers.names",
    "http.request.headers.values",
    "http.request.headers.truncated",
    "http.request.accepted_languages",
    "http.request.cookies",
    "http.request.timestamp.sec",
    "http.request.timestamp.msec",
    "http.request.body.raw",
    "http.request.body.size",
    "http.request.body.truncated",
    "http.request.body.form",
    "http.request.body.mime",
    "ip.src",
    "ip.src.asnum",
    "ip.src.city",
    "ip.src.continent",
    "ip.src.country",
    "ip.src.is_in_european_union",
    "ip.src.lat",
    "ip.src.lon",
    "ip.src.metro_code",
    "ip.src.postal_code",
    "ip.src.region",
    "ip.src.region_code",
    "ip.src.subdivision_1_iso_code",
    "ip.src.subdivision_2_iso_code",
    "ip.src.timezone.name",
    "ip.geoip.asnum",
    "ip.geoip.continent",
    "ip.geoip.country",
    "ip.geoip.is_in_european_union",
    "ip.geoip.subdivision_1_iso_code",
    "ip.geoip.subdivision_2_iso_code",
    "ssl",
    "cf.bot_management.score",
    "cf.bot_management.verified_bot",
    "cf.bot_management.static_resource",
    "cf.bot_management.js_detection.passed",
    "cf.bot_management.ja3_hash",
    "cf.bot_management.ja4",
    "cf.client.bot",
    "cf.threat_score",
    "cf.edge.server_ip",
    "cf.edge.server_port",
    "cf.ray_id",
    "cf.tls_version",
    "cf.tls_cipher",
    "cf.tls_client_auth.cert_verified",
    "cf.tls_client_auth.cert_presented",
    "cf.verified_bot_category",
    "cf.waf.score",
    "cf.worker.upstream_zone",
    "cf.zone.name",
    "cf.zone.plan",
    "cf.hostname.metadata",
    "cf.random_seed",
];

/// Functions of the Rules language (…/rules-language/functions/).
const FUNCTIONS: &[&str] = &[
    "any",
    "all",
    "bit_slice",
    "cidr",
    "cidr6",
    "concat",
    "decode_base64",
    "ends_with",
    "has_key",
    "has_value",
    "is_timed_hmac_valid_v0",
    "join",
    "len",
    "lookup_json_integer",
    "lookup_json_string",
    "lower",
    "regex_replace",
    "remove_bytes",
    "remove_query_args",
    "sha256",
    "split",
    "starts_with",
    "substring",
    "to_string",
    "upper",
    "url_decode",
    "uuidv4",
    "wildcard_replace",
    "encode_base64",
];

fn known_field(name: &str) -> bool {
    FIELDS.contains(&name)
        || name
            .strip_prefix("raw.")
            .is_some_and(|rest| rest.starts_with("http.request.") && FIELDS.contains(&rest))
}

/// Cloudflare's limit on an expression's length (characters).
pub const MAX_LENGTH: usize = 4096;

/// How deeply parentheses, `not` and function calls may nest (the emulator's own bound, so
/// that a hostile expression cannot exhaust the stack).
const MAX_DEPTH: usize = 64;

/// Parse an expression.
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    if input.chars().count() > MAX_LENGTH {
        return Err(ParseError {
            input: input.chars().take(80).collect(),
            at: 0,
            len: 1,
            reason: format!("the expression is longer than {MAX_LENGTH} characters"),
        });
    }
    let mut p = Parser {
        input,
        pos: 0,
        depth: 0,
    };
    p.skip_ws();
    if p.pos == input.len() {
        return Err(p.error_here(1, "expected an expression"));
    }
    let expr = p.or()?;
    p.skip_ws();
    if p.pos < input.len() {
        return Err(p.error_here(input.len() - p.pos, "unrecognised input"));
    }
    check_boolean(&expr, input)?;
    Ok(expr)
}

/// Rules' expressions must be boolean: a bare text field (`http.host`) is not.
fn check_boolean(expr: &Expr, input: &str) -> Result<(), ParseError> {
    match expr {
        Expr::Or(items) | Expr::Xor(items) | Expr::And(items) => {
            items.iter().try_for_each(|e| check_boolean(e, input))
        }
        Expr::Not(inner) => check_boolean(inner, input),
        Expr::Compare(..) => Ok(()),
        Expr::Value(operand) => match operand_type(operand) {
            Some(Type::Text) | Some(Type::Other) => Err(ParseError {
                input: input.to_string(),
                at: 0,
                len: input.chars().count(),
                reason: "expected a boolean expression (a comparison, a boolean field or a \
                         function returning a boolean)"
                    .to_string(),
            }),
            _ => Ok(()),
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Bool,
    Text,
    /// A literal argument, or a value the emulator does not type.
    Other,
}

fn operand_type(operand: &Operand) -> Option<Type> {
    match operand {
        Operand::Bool(_) => Some(Type::Bool),
        Operand::Lit(_) => Some(Type::Other),
        Operand::Field(name, idx) if idx.is_empty() => match name.as_str() {
            "http.host" | "http.request.uri.path" => Some(Type::Text),
            "ssl" => Some(Type::Bool),
            _ => None,
        },
        Operand::Field(..) => None,
        Operand::Call(name, _) => match name.as_str() {
            "starts_with" | "ends_with" | "any" | "all" | "has_key" | "has_value" => {
                Some(Type::Bool)
            }
            "lower" | "upper" | "concat" => Some(Type::Text),
            _ => None,
        },
    }
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    depth: usize,
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn char_pos(&self, byte: usize) -> usize {
        self.input[..byte].chars().count()
    }

    fn error_at(&self, byte: usize, len: usize, reason: &str) -> ParseError {
        ParseError {
            input: self.input.to_string(),
            at: self.char_pos(byte),
            len,
            reason: reason.to_string(),
        }
    }

    fn error_here(&self, len: usize, reason: &str) -> ParseError {
        self.error_at(self.pos, len, reason)
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.input.len() - trimmed.len();
    }

    /// The identifier-like word at the cursor, without consuming it.
    fn peek_word(&self) -> &'a str {
        let rest = self.rest();
        let end = rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len());
        &rest[..end]
    }

    /// Consume `token` (a keyword needs a word boundary after it).
    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        let rest = self.rest();
        if !rest.starts_with(token) {
            return false;
        }
        let word = token.chars().all(is_ident_char);
        if word && rest[token.len()..].starts_with(is_ident_char) {
            return false;
        }
        self.pos += token.len();
        true
    }

    fn eat_any(&mut self, tokens: &[&str]) -> bool {
        tokens.iter().any(|t| self.eat(t))
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        self.chain(&["or", "||"], Self::xor, Expr::Or)
    }

    fn xor(&mut self) -> Result<Expr, ParseError> {
        self.chain(&["xor", "^^"], Self::and, Expr::Xor)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        self.chain(&["and", "&&"], Self::unary, Expr::And)
    }

    fn chain(
        &mut self,
        ops: &[&str],
        next: fn(&mut Self) -> Result<Expr, ParseError>,
        build: fn(Vec<Expr>) -> Expr,
    ) -> Result<Expr, ParseError> {
        let mut items = vec![next(self)?];
        while self.eat_any(ops) {
            items.push(next(self)?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            build(items)
        })
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.depth += 1;
        let result = if self.depth > MAX_DEPTH {
            Err(self.error_here(1, "the expression is nested too deeply"))
        } else {
            self.unary_inner()
        };
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        if self.eat("not") || (!self.rest().starts_with("!=") && self.eat("!")) {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("(") {
            let inner = self.or()?;
            if !self.eat(")") {
                return Err(self.error_here(1, "expected \")\""));
            }
            return Ok(inner);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        let start = self.pos;
        let lhs = self.operand()?;
        let Some(op) = self.operator() else {
            return Ok(Expr::Value(lhs));
        };
        if operand_type(&lhs) == Some(Type::Bool) {
            return Err(self.error_at(
                start,
                self.char_pos(self.pos) - self.char_pos(start),
                "a boolean value cannot be compared",
            ));
        }
        self.skip_ws();
        let rhs_start = self.pos;
        let rhs = self.rhs(op)?;
        if operand_type(&lhs) == Some(Type::Text) {
            let text_ok = match (&rhs, op) {
                (Rhs::Lit(Literal::Str(_)), op) => op != Op::In && op != Op::BitAnd,
                (Rhs::Set(items), Op::In) => items.iter().all(|i| matches!(i, Literal::Str(_))),
                (Rhs::List(_), Op::In) => true,
                _ => false,
            };
            if !text_ok {
                return Err(self.error_at(
                    rhs_start,
                    self.char_pos(self.pos) - self.char_pos(rhs_start),
                    "expected value of type Bytes",
                ));
            }
        }
        Ok(Expr::Compare(lhs, op, rhs))
    }

    fn operator(&mut self) -> Option<Op> {
        self.skip_ws();
        if self.rest().starts_with("&&") {
            return None;
        }
        let ops: [(&str, Op); 20] = [
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("~", Op::Matches),
            ("&", Op::BitAnd),
            ("eq", Op::Eq),
            ("ne", Op::Ne),
            ("lt", Op::Lt),
            ("le", Op::Le),
            ("gt", Op::Gt),
            ("ge", Op::Ge),
            ("contains", Op::Contains),
            ("matches", Op::Matches),
            ("wildcard", Op::Wildcard),
            ("in", Op::In),
            ("bitwise_and", Op::BitAnd),
            ("strict", Op::StrictWildcard),
        ];
        for (token, op) in ops.iter() {
            let save = self.pos;
            if self.eat(token) {
                if *op == Op::StrictWildcard && !self.eat("wildcard") {
                    self.pos = save;
                    return None;
                }
                return Some(*op);
            }
        }
        None
    }

    fn ident(&mut self) -> Result<(&'a str, usize), ParseError> {
        self.skip_ws();
        let start = self.pos;
        let word = self.peek_word();
        if word.is_empty() || !word.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(self.error_here(1, "expected a field, a function or a boolean"));
        }
        self.pos += word.len();
        Ok((word, start))
    }

    fn operand(&mut self) -> Result<Operand, ParseError> {
        let (word, start) = self.ident()?;
        if word == "true" || word == "false" {
            return Ok(Operand::Bool(word == "true"));
        }
        if self.eat("(") {
            if !FUNCTIONS.contains(&word) {
                return Err(self.error_at(start, word.len(), "unknown identifier"));
            }
            let mut args = Vec::new();
            if !self.eat(")") {
                loop {
                    args.push(self.argument()?);
                    if self.eat(")") {
                        break;
                    }
                    if !self.eat(",") {
                        return Err(self.error_here(1, "expected \",\" or \")\""));
                    }
                }
            }
            return Ok(Operand::Call(word.to_string(), args));
        }
        if !known_field(word) {
            return Err(self.error_at(start, word.len(), "unknown identifier"));
        }
        let mut indexes = Vec::new();
        while self.eat("[") {
            self.skip_ws();
            let index = if self.eat("*") {
                Index::All
            } else if self.rest().starts_with('"') {
                Index::Key(self.string()?)
            } else {
                match self.literal()? {
                    Literal::Int(i) => Index::Pos(i),
                    _ => return Err(self.error_here(1, "expected a string, an integer or *")),
                }
            };
            if !self.eat("]") {
                return Err(self.error_here(1, "expected \"]\""));
            }
            indexes.push(index);
        }
        Ok(Operand::Field(word.to_string(), indexes))
    }

    /// A function argument: a literal or an expression (fields, calls, comparisons).
    fn argument(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        let c = self.rest().chars().next().unwrap_or(' ');
        if c == '"' || c == '-' || c.is_ascii_digit() || self.rest().starts_with("r\"") {
            return Ok(Expr::Value(Operand::Lit(self.literal()?)));
        }
        if self.rest().starts_with("r#") {
            return Ok(Expr::Value(Operand::Lit(self.literal()?)));
        }
        self.or()
    }

    fn rhs(&mut self, op: Op) -> Result<Rhs, ParseError> {
        if op == Op::In {
            if self.eat("{") {
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.eat("}") {
                        break;
                    }
                    if self.pos == self.input.len() {
                        return Err(self.error_here(1, "expected \"}\""));
                    }
                    let item = self.literal()?;
                    self.skip_ws();
                    let item = match item {
                        Literal::Int(a) if self.eat("..") => match self.literal()? {
                            Literal::Int(b) => Literal::IntRange(a, b),
                            _ => return Err(self.error_here(1, "expected an integer")),
                        },
                        other => other,
                    };
                    items.push(item);
                }
                if items.is_empty() {
                    return Err(self.error_here(1, "expected a non-empty set"));
                }
                return Ok(Rhs::Set(items));
            }
            if self.eat("$") {
                let word = self.peek_word();
                if word.is_empty() {
                    return Err(self.error_here(1, "expected a list name"));
                }
                self.pos += word.len();
                return Ok(Rhs::List(word.to_string()));
            }
            return Err(self.error_here(1, "expected \"{\" or a list name ($name)"));
        }
        Ok(Rhs::Lit(self.literal()?))
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.skip_ws();
        let start = self.pos;
        let rest = self.rest();
        if let Some(raw) = rest.strip_prefix('r') {
            let hashes = raw.len() - raw.trim_start_matches('#').len();
            let body = &raw[hashes..];
            if !body.starts_with('"') {
                return Err(self.error_here(1, "expected a raw string"));
            }
            let close = format!("\"{}", "#".repeat(hashes));
            let Some(end) = body[1..].find(&close) else {
                return Err(self.error_at(start, 1, "unterminated raw string"));
            };
            let text = body[1..1 + end].to_string();
            self.pos += 1 + hashes + 1 + end + close.len();
            return Ok(text);
        }
        let mut out = String::new();
        let mut chars = rest.char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, '"')) => out.push('"'),
                    Some((_, '\\')) => out.push('\\'),
                    Some((j, _)) => {
                        return Err(self.error_at(start + j - 1, 2, "invalid character escape"))
                    }
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err(self.error_at(start, 1, "missing \" at the end of the string"))
    }

    fn literal(&mut self) -> Result<Literal, ParseError> {
        self.skip_ws();
        let rest = self.rest();
        if rest.starts_with('"') || rest.starts_with("r\"") || rest.starts_with("r#") {
            return Ok(Literal::Str(self.string()?));
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_hexdigit() || matches!(c, ':' | '.' | '/' | '-')))
            .unwrap_or(rest.len());
        // `1..5` inside a set: the integer ends before `..`.
        let token = match rest[..end].find("..") {
            Some(dots) if !rest[..dots].contains(['.', ':']) => &rest[..dots],
            _ => &rest[..end],
        };
        if token.is_empty() {
            return Err(self.error_here(1, "expected a literal (a string, a number or an address)"));
        }
        if let Ok(i) = token.parse::<i64>() {
            self.pos += token.len();
            return Ok(Literal::Int(i));
        }
        let addr = token.split('/').next().unwrap_or(token);
        let prefix_ok = token
            .split_once('/')
            .is_none_or(|(_, p)| p.parse::<u8>().is_ok_and(|p| p <= 128));
        if addr.parse::<std::net::IpAddr>().is_ok() && prefix_ok {
            self.pos += token.len();
            return Ok(Literal::Ip(token.to_string()));
        }
        Err(self.error_here(token.chars().count(), "expected a literal"))
    }
}

/// A value during evaluation.
enum Val<'a> {
    Text(std::borrow::Cow<'a, str>),
    Bool(bool),
}

impl Expr {
    /// Whether the request matches; [`Unsupported`] where the emulator cannot tell.
    pub fn eval(&self, facts: &RequestFacts) -> Result<bool, Unsupported> {
        match self {
            Expr::Or(items) => {
                let mut unsupported = None;
                for item in items {
                    match item.eval(facts) {
                        Ok(true) => return Ok(true),
                        Ok(false) => {}
                        Err(e) => unsupported = Some(e),
                    }
                }
                unsupported.map_or(Ok(false), Err)
            }
            Expr::And(items) => {
                let mut unsupported = None;
                for item in items {
                    match item.eval(facts) {
                        Ok(false) => return Ok(false),
                        Ok(true) => {}
                        Err(e) => unsupported = Some(e),
                    }
                }
                unsupported.map_or(Ok(true), Err)
            }
            Expr::Xor(items) => items
                .iter()
                .try_fold(false, |acc, item| Ok(acc ^ item.eval(facts)?)),
            Expr::Not(inner) => Ok(!inner.eval(facts)?),
            Expr::Value(operand) => match value(operand, facts)? {
                Val::Bool(b) => Ok(b),
                Val::Text(_) => Err(Unsupported("a text value used as a condition".into())),
            },
            Expr::Compare(lhs, op, rhs) => {
                let Val::Text(text) = value(lhs, facts)? else {
                    return Err(Unsupported("a comparison of a boolean".into()));
                };
                match (op, rhs) {
                    (Op::Eq, Rhs::Lit(Literal::Str(s))) => Ok(text == s.as_str()),
                    (Op::Ne, Rhs::Lit(Literal::Str(s))) => Ok(text != s.as_str()),
                    (Op::Contains, Rhs::Lit(Literal::Str(s))) => Ok(text.contains(s.as_str())),
                    (Op::In, Rhs::Set(items)) => Ok(items
                        .iter()
                        .any(|i| matches!(i, Literal::Str(s) if text == s.as_str()))),
                    (op, _) => Err(Unsupported(format!("the operator {op:?} here"))),
                }
            }
        }
    }
}

fn value<'a>(operand: &'a Operand, facts: &RequestFacts<'a>) -> Result<Val<'a>, Unsupported> {
    use std::borrow::Cow;
    match operand {
        Operand::Bool(b) => Ok(Val::Bool(*b)),
        Operand::Lit(Literal::Str(s)) => Ok(Val::Text(Cow::Borrowed(s))),
        Operand::Lit(other) => Err(Unsupported(format!("the literal {other:?}"))),
        Operand::Field(name, idx) if idx.is_empty() => match name.as_str() {
            "http.host" => Ok(Val::Text(Cow::Borrowed(facts.host))),
            "http.request.uri.path" => Ok(Val::Text(Cow::Borrowed(facts.path))),
            "ssl" => Ok(Val::Bool(facts.https)),
            other => Err(Unsupported(format!("the field {other}"))),
        },
        Operand::Field(name, _) => Err(Unsupported(format!("an index on {name}"))),
        Operand::Call(name, args) => {
            let text_arg = |i: usize| -> Result<Cow<'a, str>, Unsupported> {
                match args.get(i) {
                    Some(Expr::Value(op)) => match value(op, facts)? {
                        Val::Text(t) => Ok(t),
                        Val::Bool(_) => Err(Unsupported(format!("a boolean argument to {name}"))),
                    },
                    _ => Err(Unsupported(format!("the arguments of {name}"))),
                }
            };
            match (name.as_str(), args.len()) {
                ("starts_with", 2) => Ok(Val::Bool(text_arg(0)?.starts_with(&*text_arg(1)?))),
                ("ends_with", 2) => Ok(Val::Bool(text_arg(0)?.ends_with(&*text_arg(1)?))),
                ("lower", 1) => Ok(Val::Text(Cow::Owned(text_arg(0)?.to_lowercase()))),
                ("upper", 1) => Ok(Val::Text(Cow::Owned(text_arg(0)?.to_uppercase()))),
                _ => Err(Unsupported(format!("the function {name}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(host: &'a str, path: &'a str) -> RequestFacts<'a> {
        RequestFacts {
            host,
            path,
            https: true,
        }
    }

    fn eval(expr: &str, host: &str, path: &str) -> Result<bool, Unsupported> {
        parse(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .eval(&facts(host, path))
    }

    #[test]
    fn hostname_expressions_flarelink_writes() {
        let e = r#"(http.host eq "api.example.com")"#;
        assert_eq!(eval(e, "api.example.com", "/"), Ok(true));
        assert_eq!(eval(e, "www.example.com", "/"), Ok(false));
        let e = r#"(http.host in {"a.example.com" "b.example.com"})"#;
        assert_eq!(eval(e, "b.example.com", "/"), Ok(true));
        assert_eq!(eval(e, "c.example.com", "/"), Ok(false));
        let e = r#"http.host == "a.example.com" || http.host == "b.example.com""#;
        assert_eq!(eval(e, "b.example.com", "/"), Ok(true));
    }

    #[test]
    fn logic_and_functions() {
        let e = r#"http.host eq "a.example.com" and starts_with(http.request.uri.path, "/api/")"#;
        assert_eq!(eval(e, "a.example.com", "/api/x"), Ok(true));
        assert_eq!(eval(e, "a.example.com", "/web"), Ok(false));
        let e = r#"not (http.host eq "a.example.com") and http.request.uri.path ne "/""#;
        assert_eq!(eval(e, "b.example.com", "/x"), Ok(true));
        assert_eq!(eval(e, "a.example.com", "/x"), Ok(false));
        assert_eq!(
            eval(
                r#"lower(http.host) eq "a.example.com""#,
                "a.example.com",
                "/"
            ),
            Ok(true)
        );
        assert_eq!(eval("true", "x", "/"), Ok(true));
        assert_eq!(eval("ssl and not false", "x", "/"), Ok(true));
        assert_eq!(
            eval(
                r#"ends_with(http.host, ".example.com")"#,
                "a.example.com",
                "/"
            ),
            Ok(true)
        );
        assert_eq!(
            eval(r#"http.request.uri.path contains "dit""#, "a", "/ditto"),
            Ok(true)
        );
        // `and` binds tighter than `or`.
        let e = r#"http.host eq "x" or http.host eq "a" and http.request.uri.path eq "/no""#;
        assert_eq!(eval(e, "a", "/"), Ok(false));
        assert_eq!(eval(e, "x", "/"), Ok(true));
    }

    #[test]
    fn valid_but_unevaluable_expressions_say_so() {
        for e in [
            r#"(http.user_agent contains "Java/1.")"#,
            r#"ip.src in {192.0.2.0/24 2001:db8::/32}"#,
            r#"http.request.uri.path matches "^/api""#,
            r#"any(http.request.headers["x-a"][*] == "b")"#,
            r#"cf.threat_score gt 10 and http.request.method in {"GET" "HEAD"}"#,
            r#"http.host wildcard r"*.example.com""#,
            r#"tcp.dstport in {80..90}"#,
        ] {
            if e.starts_with("tcp.") {
                assert!(parse(e).is_err());
                continue;
            }
            let parsed = parse(e).unwrap_or_else(|err| panic!("{e}: {err}"));
            assert!(parsed.eval(&facts("a", "/")).is_err(), "{e}");
        }
        // A decided `or`/`and` does not need the part the emulator cannot evaluate.
        let e = r#"http.host eq "a" or http.user_agent contains "x""#;
        assert_eq!(eval(e, "a", "/"), Ok(true));
        assert!(eval(e, "b", "/").is_err());
        assert_eq!(
            eval(r#"http.host eq "b" and cf.threat_score gt 1"#, "a", "/"),
            Ok(false)
        );
    }

    #[test]
    fn errors_are_worded_as_cloudflares() {
        let err = parse(r#"http.hots eq "a""#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Filter parsing error (1:1):\nhttp.hots eq \"a\"\n^^^^^^^^^ unknown identifier\n"
        );
        let err = parse(r#"http.host eq "a" )"#).unwrap_err();
        assert!(
            err.to_string().starts_with("Filter parsing error (1:18):"),
            "{err}"
        );
        assert!(err.to_string().ends_with("unrecognised input\n"), "{err}");
        for bad in [
            "",
            "http.host",
            r#"http.host eq 5"#,
            r#"http.host eq "a"#,
            r#"(http.host eq "a""#,
            r#"http.host in {}"#,
            r#"http.host in "a""#,
            r#"http.host eq "a" and"#,
            r#"nope(http.host)"#,
            r#"ssl eq "x""#,
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn no_input_makes_the_parser_panic() {
        let samples = [
            r#"(http.host in {"a.example.com" "b.example.com"}) and not ssl"#,
            r#"starts_with(lower(http.request.uri.path), "/é/") or ip.src in {10.0.0.0/8 ::1}"#,
            r##"http.request.uri.path eq r#"/"q"# && http.host ne "\"x\"""##,
            r#"tcp.port in {80..90 443} xor any(http.request.headers["x"][*] == "é")"#,
        ];
        for sample in samples {
            let chars: Vec<char> = sample.chars().collect();
            for end in 0..=chars.len() {
                let prefix: String = chars[..end].iter().collect();
                let _ = parse(&prefix).map(|e| e.eval(&facts("a", "/")));
                let _ = parse(&format!("{prefix}é)")).map(|e| e.eval(&facts("a", "/")));
            }
        }
        let deep = format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep).is_err());
        let nested = format!("{}true", "not ".repeat(500));
        assert!(parse(&nested).is_err());
        assert!(
            parse(&"true or ".repeat(600)).is_err(),
            "over 4096 characters"
        );
        let err = parse(&format!("{}true{}", "(".repeat(100), ")".repeat(100))).unwrap_err();
        assert!(err.to_string().contains("nested too deeply"), "{err}");
    }

    #[test]
    fn strings_raw_strings_and_escapes() {
        assert_eq!(eval(r#"http.host eq r"a.b""#, "a.b", "/"), Ok(true));
        assert_eq!(
            eval(r##"http.request.uri.path eq r#"/"q""#"##, "h", "/\"q\""),
            Ok(true)
        );
        assert_eq!(
            eval(r#"http.request.uri.path eq "/\"q\\""#, "h", "/\"q\\"),
            Ok(true)
        );
    }
}
