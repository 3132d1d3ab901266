//! SQL expressions (defaults, checks, index predicates) and their canonical comparison.
//!
//! An expression keeps the text it was written or deparsed with; equality is decided on the
//! sqlparser AST after the normalisations in [`normalise`], all of which PostgreSQL itself applies
//! when it stores an expression:
//! - a string literal cast to the column's own type is the literal (`'viewer'::character varying`
//!   is what PostgreSQL stores for `DEFAULT 'viewer'` on a varchar column);
//! - a negative number is deparsed as a quoted cast (`'-1'::integer`);
//! - `nextval('seq')` is stored as `nextval('seq'::regclass)`;
//! - parentheses are structure, not meaning; unquoted identifiers fold to lower case.
//!
//! Anything beyond these is *not* guessed: expressions that still differ are given to the server
//! to deparse (see `crate::inspect::probe`), so a difference is only reported when PostgreSQL's own
//! spelling of both sides differs.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use sqlparser::ast::{self, CastKind, Expr, Value, ValueWithSpan, VisitMut, VisitorMut};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use super::types::{DataType, TypeError, clean_parser_error};

/// The deepest expression nesting accepted from a schema file (sqlparser recurses per level).
const MAX_DEPTH: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SqlExpr {
    pub sql: String,
}

impl SqlExpr {
    /// An expression taken as it is (from the catalog, which only holds valid expressions).
    pub fn raw(sql: impl Into<String>) -> Self {
        Self { sql: sql.into() }
    }

    /// Checks that `text` is exactly one SQL expression (nothing before or after it), so that it
    /// can be placed into DDL without changing the statement around it.
    pub fn parse(text: &str) -> Result<Self, String> {
        // The same defaults and checks recur across thousands of tables: each text is read once.
        thread_local! {
            static SEEN: super::Memo<Result<SqlExpr, String>> = Default::default();
        }
        super::memoized(&SEEN, text, Self::parse_uncached)
    }

    fn parse_uncached(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("the expression is empty".into());
        }
        if let Some(bad) = lexical_problem(trimmed) {
            return Err(bad.message);
        }
        match parse_ast(trimmed) {
            Ok(_) => Ok(Self::raw(trimmed)),
            Err(e) if incomplete(trimmed, &e) => Err(e),
            // PostgreSQL is the final authority: syntax sqlparser does not know (`VARIADIC
            // ARRAY[...]`) is kept as written, and the server reads it, as exactly one
            // expression, before plan uses it (`crate::inspect::guard`).
            Err(_) => Ok(Self::raw(trimmed)),
        }
    }

    /// The name, when the whole expression is one bare (unquoted) word that SQL reads as a
    /// column: `viewer` meant as the text `'viewer'` (a default cannot read a column). The SQL
    /// words that are values (`true`, `null`, `current_user`, ...) are not names.
    pub fn bare_name(&self) -> Option<String> {
        const VALUE_WORDS: &[&str] = &[
            "true",
            "false",
            "null",
            "default",
            "current_user",
            "current_role",
            "session_user",
            "user",
            "current_catalog",
            "current_schema",
            "current_date",
            "current_time",
            "current_timestamp",
            "localtime",
            "localtimestamp",
        ];
        match parse_ast(self.sql.trim()) {
            Ok(Expr::Identifier(id))
                if id.quote_style.is_none()
                    && !VALUE_WORDS.contains(&id.value.to_lowercase().as_str()) =>
            {
                Some(id.value)
            }
            _ => None,
        }
    }

    /// The expression with every word naming `from` (unquoted in any case, or quoted exactly)
    /// spelled `to`, as PostgreSQL shows a check or an index expression after the column it
    /// reads was renamed. Words after a `.` other than a column's own are renamed too; the result
    /// is only compared, never run.
    pub fn with_renamed_ident(&self, from: &str, to: &str) -> SqlExpr {
        use sqlparser::tokenizer::{Tokenizer, Word};
        let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, &self.sql).tokenize() else {
            return self.clone();
        };
        let mut changed = false;
        let out: String = (tokens.into_iter())
            .map(|t| match &t {
                Token::Word(Word {
                    value, quote_style, ..
                }) if (quote_style.is_none() && value.to_lowercase() == from)
                    || (*quote_style == Some('"') && value == from) =>
                {
                    changed = true;
                    super::names::quote_ident(to).to_string()
                }
                _ => t.to_string(),
            })
            .collect();
        if changed {
            SqlExpr::raw(out)
        } else {
            self.clone()
        }
    }

    /// Whether two expressions mean the same to PostgreSQL, as far as can be told without asking
    /// it. `column` is the type of the column the expression belongs to, if any.
    pub fn equivalent(&self, other: &SqlExpr, column: Option<&DataType>) -> bool {
        if self.sql == other.sql {
            return true;
        }
        match (canonical(&self.sql, column), canonical(&other.sql, column)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

/// Something in SQL text that would change the statement it is pasted into: a comment (which
/// would swallow the rest of the generated line, e.g. a `NOT NULL` after `DEFAULT 0 --`), a `;`
/// outside parentheses. `at` is a byte range of the text. A literal that never ends is left to the
/// parser to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexicalProblem {
    pub at: std::ops::Range<usize>,
    pub message: String,
    /// A comment or a `;` (rather than a character that cannot be sent at all).
    pub structural: bool,
}

/// Scans `text` as PostgreSQL's lexer does (with `standard_conforming_strings` on): `'...'` with
/// `''` (a backslash is an ordinary character), `E'...'` with backslash escapes, `U&'...'`,
/// `B'...'`, `X'...'`, `N'...'`, `"quoted identifiers"`, dollar quoting (`$$...$$`,
/// `$tag$...$tag$`), `--` line comments and nested `/* */` block comments. PostgreSQL reads `--`
/// and `/*` as the start of a comment wherever they appear outside quotes, even inside what
/// looks like an operator.
pub fn lexical_problem(text: &str) -> Option<LexicalProblem> {
    let b = text.as_bytes();
    let problem = |at: std::ops::Range<usize>, message: &str| {
        Some(LexicalProblem {
            at,
            message: message.to_string(),
            structural: true,
        })
    };
    if let Some(at) = text.find('\0') {
        return Some(LexicalProblem {
            at: at..at + 1,
            message: "a NUL character cannot be part of a statement sent to PostgreSQL".into(),
            structural: false,
        });
    }
    let ident_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let prev_ident = i > 0 && ident_char(b[i - 1]);
        match c {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                return problem(
                    i..i + 2,
                    "`--` starts an SQL comment, which would hide the rest of the generated statement",
                );
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                return problem(
                    i..i + 2,
                    "`/*` starts an SQL comment, which would hide part of the generated statement",
                );
            }
            b';' if depth == 0 => {
                return problem(
                    i..i + 1,
                    "`;` ends the SQL statement: a declared expression is one expression",
                );
            }
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'\'' => {
                // E'...' (not when the E ends an identifier such as `type'...'`)
                let escapes = i > 0
                    && (b[i - 1] == b'e' || b[i - 1] == b'E')
                    && !(i > 1 && ident_char(b[i - 2]));
                match end_of_quoted(b, i, b'\'', escapes) {
                    Some(end) => {
                        i = end;
                        continue;
                    }
                    None => return None, // the parser says what is unterminated
                }
            }
            b'"' => match end_of_quoted(b, i, b'"', false) {
                Some(end) => {
                    i = end;
                    continue;
                }
                None => return None,
            },
            b'$' if !prev_ident => {
                // $tag$ where tag is an identifier not starting with a digit, or empty; `$1` is
                // a parameter.
                let mut j = i + 1;
                while j < b.len() && (ident_char(b[j]) && b[j] != b'$') {
                    j += 1;
                }
                let tag_ok =
                    j < b.len() && b[j] == b'$' && b.get(i + 1).is_none_or(|c| !c.is_ascii_digit());
                if tag_ok {
                    let delim = &text[i..=j];
                    match text[j + 1..].find(delim) {
                        Some(k) => {
                            i = j + 1 + k + delim.len();
                            continue;
                        }
                        None => return None,
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index after the closing quote of the quoted text opening at `start`; a doubled quote is
/// one quote character, and with `backslash` a backslash escapes the next character.
fn end_of_quoted(b: &[u8], start: usize, quote: u8, backslash: bool) -> Option<usize> {
    let mut i = start + 1;
    while i < b.len() {
        if backslash && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// Whether a text sqlparser could not read is broken rather than unknown to it: a literal that
/// never ends, brackets that do not balance, or an expression that stops half way (`age >`).
/// Those are errors at validate time; anything else goes to the server.
fn incomplete(text: &str, error: &str) -> bool {
    use sqlparser::tokenizer::Tokenizer;
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, text).tokenize() else {
        return true;
    };
    let mut depth = 0i64;
    for t in &tokens {
        match t {
            Token::LParen | Token::LBracket | Token::LBrace => depth += 1,
            Token::RParen | Token::RBracket | Token::RBrace => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    depth != 0 || error.contains("EOF") || nesting_depth(text) > MAX_DEPTH
}

fn parse_ast(text: &str) -> Result<Expr, String> {
    if nesting_depth(text) > MAX_DEPTH {
        return Err(format!(
            "the expression nests deeper than {MAX_DEPTH} levels"
        ));
    }
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(text)
        .map_err(|e| clean_parser_error(&e.to_string()))?;
    let expr = parser
        .parse_expr()
        .map_err(|e| clean_parser_error(&e.to_string()))?;
    match parser.peek_token().token {
        Token::EOF => Ok(expr),
        t => Err(format!("unexpected `{t}` after the end of the expression")),
    }
}

fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' | '[' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The normalised AST, or `None` when sqlparser cannot read the text.
fn canonical(text: &str, column: Option<&DataType>) -> Option<Expr> {
    let mut expr = parse_ast(text).ok()?;
    let _ = expr.visit(&mut Normaliser { column });
    Some(expr)
}

struct Normaliser<'a> {
    column: Option<&'a DataType>,
}

impl VisitorMut for Normaliser<'_> {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        normalise(expr, self.column);
        ControlFlow::Continue(())
    }
}

fn number(s: String) -> Expr {
    Expr::Value(ValueWithSpan::from(Value::Number(s, false)))
}

fn string(s: String) -> Expr {
    Expr::Value(ValueWithSpan::from(Value::SingleQuotedString(s)))
}

fn normalise(expr: &mut Expr, column: Option<&DataType>) {
    let replacement = match expr {
        Expr::Nested(inner) => Some((**inner).clone()),
        Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr: inner,
        } => match &**inner {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => Some(number(format!("-{n}"))),
                _ => None,
            },
            _ => None,
        },
        Expr::Value(v) => match &v.value {
            Value::Number(n, true) => Some(number(n.clone())),
            _ => None,
        },
        Expr::Identifier(id) if id.quote_style.is_none() => {
            id.value = id.value.to_lowercase();
            None
        }
        Expr::CompoundIdentifier(ids) => {
            for id in ids.iter_mut().filter(|i| i.quote_style.is_none()) {
                id.value = id.value.to_lowercase();
            }
            None
        }
        Expr::Function(f) => {
            for part in f.name.0.iter_mut() {
                if let ast::ObjectNamePart::Identifier(id) = part
                    && id.quote_style.is_none()
                {
                    id.value = id.value.to_lowercase();
                }
            }
            // pg_catalog.now() is now()
            if f.name.0.len() == 2 && f.name.0[0].to_string() == "pg_catalog" {
                f.name.0.remove(0);
            }
            None
        }
        Expr::Cast {
            kind: CastKind::DoubleColon | CastKind::Cast,
            expr: inner,
            data_type,
            format: None,
        } => simplify_cast(inner, data_type, column),
        _ => None,
    };
    if let Some(r) = replacement {
        *expr = r;
    }
}

/// `'x'::T` where the cast only restates how PostgreSQL reads the literal anyway.
fn simplify_cast(inner: &Expr, target: &ast::DataType, column: Option<&DataType>) -> Option<Expr> {
    let Expr::Value(v) = inner else { return None };
    let target_name = target.to_string().to_lowercase();
    if target_name == "regclass" {
        return match &v.value {
            Value::SingleQuotedString(s) => Some(string(s.clone())),
            _ => None,
        };
    }
    let parsed = DataType::from_sqlparser(target);
    let is_numeric = parsed.as_ref().is_ok_and(DataType::is_numeric);
    let literal = match &v.value {
        Value::SingleQuotedString(s) if is_numeric && s.trim().parse::<f64>().is_ok() => {
            number(s.trim().to_string())
        }
        Value::SingleQuotedString(s) => string(s.clone()),
        Value::Number(n, _) => number(n.clone()),
        Value::Boolean(_) | Value::Null => inner.clone(),
        _ => return None,
    };
    let same_as_column = match (column, parsed) {
        (Some(col), Ok(t)) => same_base(col, &t),
        (Some(col), Err(TypeError::Unknown(parts))) => match &col.base {
            super::BaseType::Named(q) => parts.last() == Some(&q.name),
            _ => false,
        },
        _ => false,
    };
    if same_as_column {
        Some(literal)
    } else if matches!(literal, Expr::Value(ref l) if matches!(l.value, Value::Number(..))) {
        // '-1'::integer is how PostgreSQL deparses the number -1; the cast is still kept when it
        // changes the type of the number.
        Some(Expr::Cast {
            kind: CastKind::DoubleColon,
            expr: Box::new(literal),
            data_type: target.clone(),
            format: None,
        })
    } else {
        None
    }
}

/// Same type ignoring modifiers: `'x'::character varying` on a `varchar(36)` column.
fn same_base(a: &DataType, b: &DataType) -> bool {
    use super::BaseType::*;
    if a.array != b.array {
        return false;
    }
    match (&a.base, &b.base) {
        (Varchar(_), Varchar(_)) | (Numeric(_), Numeric(_)) | (Char(_), Char(_)) => true,
        (Bit(_), Bit(_)) | (VarBit(_), VarBit(_)) => true,
        (Timestamp { tz: x, .. }, Timestamp { tz: y, .. }) => x == y,
        (Time { tz: x, .. }, Time { tz: y, .. }) => x == y,
        (x, y) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renamed_column_is_renamed_in_expressions_as_postgresql_shows_them() {
        let r = |e: &str, from: &str, to: &str| SqlExpr::raw(e).with_renamed_ident(from, to).sql;
        assert_eq!(r("(qty > 0)", "qty", "quantity"), "(quantity > 0)");
        assert_eq!(
            r("(QTY > 0) AND (qty_max > QTY)", "qty", "n"),
            "(n > 0) AND (qty_max > n)"
        );
        assert_eq!(r("(\"Qty\" > 0)", "Qty", "n"), "(n > 0)");
        assert_eq!(r("(\"Qty\" > 0)", "qty", "n"), "(\"Qty\" > 0)");
        assert_eq!(r("('qty' = label)", "qty", "n"), "('qty' = label)");
        assert_eq!(r("(a > 0)", "a", "Big Name"), "(\"Big Name\" > 0)");
    }

    fn eq(a: &str, b: &str, ty: Option<&str>) -> bool {
        let t = ty.map(|t| DataType::parse(t).unwrap());
        SqlExpr::raw(a).equivalent(&SqlExpr::raw(b), t.as_ref())
    }

    #[test]
    fn what_postgres_stores_matches_what_was_written() {
        assert!(eq(
            "'viewer'",
            "'viewer'::character varying",
            Some("varchar")
        ));
        assert!(eq("'x'", "'x'::character varying", Some("varchar(36)")));
        assert!(eq("-1", "'-1'::integer", Some("integer")));
        assert!(eq("FALSE", "false", Some("boolean")));
        assert!(eq("NOW()", "now()", Some("timestamp")));
        assert!(eq(
            "nextval('s')",
            "nextval('s'::regclass)",
            Some("integer")
        ));
        assert!(eq("(a > 0)", "a > 0", None));
        assert!(eq("'{}'::jsonb", "'{}'::jsonb", Some("jsonb")));
        assert!(eq("'{}'", "'{}'::jsonb", Some("jsonb")));
    }

    #[test]
    fn real_differences_stay_different() {
        assert!(!eq(
            "'viewer'",
            "'admin'::character varying",
            Some("varchar")
        ));
        assert!(!eq("now()", "CURRENT_TIMESTAMP", Some("timestamp")));
        assert!(!eq("0", "1", Some("integer")));
        assert!(!eq("(a + b) * c", "a + (b * c)", None));
        assert!(!eq("'1'", "1", Some("text")));
    }

    #[test]
    fn parse_rejects_more_than_one_expression() {
        assert!(SqlExpr::parse("1; DROP TABLE users").is_err());
        assert!(SqlExpr::parse("").is_err());
        assert!(SqlExpr::parse("now(").is_err());
        assert!(SqlExpr::parse(&"(".repeat(500)).is_err());
        assert!(SqlExpr::parse("'a' || 'b'").is_ok());
        // Syntax sqlparser does not know is the server's to judge; broken text is not.
        let variadic = "concat_ws(',', VARIADIC ARRAY['a', 'b'])";
        assert!(
            parse_ast(variadic).is_err(),
            "sqlparser learnt VARIADIC: pick another case"
        );
        assert!(SqlExpr::parse(variadic).is_ok());
        assert!(SqlExpr::parse("age >").is_err());
        assert!(SqlExpr::parse("1 + (2").is_err());
    }

    fn lexical(s: &str) -> Option<(usize, String)> {
        lexical_problem(s).map(|p| (p.at.start, s[p.at].to_string()))
    }

    #[test]
    fn comments_and_semicolons_are_found_only_outside_quotes() {
        assert_eq!(lexical("0 --"), Some((2, "--".into())));
        assert_eq!(lexical("a /* x */ + 1"), Some((2, "/*".into())));
        assert_eq!(lexical("1 +-- x"), Some((3, "--".into())));
        assert_eq!(lexical("1; drop table t"), Some((1, ";".into())));
        assert_eq!(lexical("'a -- b'"), None);
        assert_eq!(lexical("'it''s -- fine'"), None);
        // standard_conforming_strings: a backslash does not escape the quote...
        assert_eq!(lexical(r"'a\' --'"), Some((5, "--".into())));
        // ...but in E'' it does
        assert_eq!(lexical(r"E'a\' --'"), None);
        assert_eq!(lexical(r"e'a\\' -- x"), Some((7, "--".into())));
        assert_eq!(lexical("$$ -- ; $$"), None);
        assert_eq!(lexical("$f$ $$ -- $f$ || 'x'"), None);
        assert_eq!(lexical("$f$ -- $g$"), None); // unterminated: the parser reports it
        assert_eq!(lexical("\"a--b\" > 0"), None);
        assert_eq!(lexical("a$b -- c"), Some((4, "--".into())));
        assert_eq!(lexical("f($1) -- c"), Some((6, "--".into())));
        assert_eq!(lexical("'unterminated -- x"), None);
        assert!(SqlExpr::parse("'unterminated -- x").is_err());
        assert_eq!(lexical("(select 1; select 2)"), None); // not top level: the parser rejects it
        assert_eq!(lexical("a - -b"), None);
        assert_eq!(lexical("a / *b"), None);
        assert_eq!(lexical("'a\0b'"), Some((2, "\0".into())));
        assert!(SqlExpr::parse("0 --").is_err());
        assert!(SqlExpr::parse("0 /* nested /* */ */").is_err());
    }
}
