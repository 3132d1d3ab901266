//! A SQL file as psql reads it: its statements, one by one, each with where it starts in the
//! file, and psql's meta-commands (the `\` lines pg_dump writes).
//!
//! The statements are found with sqlparser's tokenizer (PostgreSQL dialect), which knows string
//! literals, quoted identifiers, dollar quotes and comments: a `;` ends a statement only outside
//! them, outside parentheses, and outside the `BEGIN ... END` body of a SQL-standard function
//! (`CREATE FUNCTION ... BEGIN ATOMIC ...; END`), which psql tracks the same way.
//!
//! A line whose first character (after blanks) is `\`, outside any literal or comment, is a
//! meta-command: it is blanked (so every later line and column stays where it is in the file)
//! and listed. `\connect` (`\c`) and the include commands (`\i`, `\ir`, `\include`,
//! `\include_relative`) are errors: the first switches to another database, the others read
//! another file, and neither can be followed in one scratch database. Every other meta-command
//! (`\restrict`, `\unrestrict`, `\set`, `\echo`, ...) declares nothing and is skipped.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Location, Token, Tokenizer, Whitespace};

/// One statement of the file, as the server will receive it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The statement's text, from its first token to its `;` (excluded).
    pub sql: String,
    /// Byte offset of `sql` in the file.
    pub offset: usize,
}

/// A position in the file: 1-based line, and 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// What cannot be read from the file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    pub pos: Pos,
    pub message: String,
}

/// The file, split.
#[derive(Debug)]
pub struct Script {
    /// The file's text with the meta-command lines blanked.
    text: String,
    line_starts: Vec<usize>,
    pub statements: Vec<Statement>,
    /// The meta-commands skipped, with their lines: `(line, "\restrict")`.
    pub skipped_meta: Vec<(usize, String)>,
}

/// Meta-commands that cannot be followed (see the module's documentation).
const REFUSED_META: &[(&str, &str)] = &[
    (
        "c",
        "switches to another database; tableform imports one database's schema (dump it without --create)",
    ),
    (
        "connect",
        "switches to another database; tableform imports one database's schema (dump it without --create)",
    ),
    ("i", "reads another file; import that file instead"),
    ("include", "reads another file; import that file instead"),
    ("ir", "reads another file; import that file instead"),
    (
        "include_relative",
        "reads another file; import that file instead",
    ),
];

impl Script {
    pub fn parse(original: &str) -> Result<Script, ScriptError> {
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(original.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        // Every line that starts with `\`, blanked; a line found inside a literal or comment is
        // put back and the file read again.
        let mut meta: Vec<usize> = (0..line_starts.len())
            .filter(|&l| {
                line(original, &line_starts, l)
                    .trim_start()
                    .starts_with('\\')
            })
            .collect();
        let (text, tokens) = loop {
            let mut text = original.to_string();
            for &l in &meta {
                let (start, end) = line_range(original, &line_starts, l);
                text.replace_range(start..end, &" ".repeat(end - start));
            }
            let tokens = match Tokenizer::new(&PostgreSqlDialect {}, &text).tokenize_with_location()
            {
                Ok(t) => t,
                Err(e) => {
                    // A blanked line after the error may have held the literal's end.
                    let after = meta.iter().position(|&l| l as u64 + 1 > e.location.line);
                    match after {
                        Some(i) => {
                            meta.remove(i);
                            continue;
                        }
                        None => {
                            return Err(ScriptError {
                                pos: pos_of(e.location),
                                message: e.message.clone(),
                            });
                        }
                    }
                }
            };
            let inside = meta.iter().position(|&l| {
                let at = Location::new(l as u64 + 1, 1);
                tokens
                    .iter()
                    .any(|t| t.span.start < at && t.span.end > at && !is_space(&t.token))
            });
            match inside {
                Some(i) => {
                    meta.remove(i);
                }
                None => break (text, tokens),
            }
        };
        let mut skipped_meta = Vec::new();
        for &l in &meta {
            let command = line(original, &line_starts, l).trim();
            let name = command[1..]
                .split(|c: char| c.is_whitespace() || c == '\\')
                .next()
                .unwrap_or("");
            if let Some((_, why)) = REFUSED_META.iter().find(|(n, _)| *n == name) {
                return Err(ScriptError {
                    pos: Pos {
                        line: l + 1,
                        col: 1,
                    },
                    message: format!("psql's \\{name} {why}"),
                });
            }
            skipped_meta.push((l + 1, format!("\\{name}")));
        }
        let mut script = Script {
            text,
            line_starts,
            statements: Vec::new(),
            skipped_meta,
        };
        script.statements = script.split(&tokens);
        Ok(script)
    }

    /// Byte offset of a tokenizer location.
    fn offset(&self, at: Location) -> usize {
        let l = (at.line as usize)
            .saturating_sub(1)
            .min(self.line_starts.len() - 1);
        let start = self.line_starts[l];
        let rest = &self.text[start..];
        rest.char_indices()
            .nth((at.column as usize).saturating_sub(1))
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    fn split(&self, tokens: &[sqlparser::tokenizer::TokenWithSpan]) -> Vec<Statement> {
        let mut out = Vec::new();
        let mut start: Option<usize> = None;
        // psql's heuristic for `CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ... END`.
        let mut words: Vec<String> = Vec::new();
        let (mut parens, mut begins) = (0i64, 0i64);
        for t in tokens {
            if is_blank(&t.token) {
                continue;
            }
            let here = self.offset(t.span.start);
            match &t.token {
                Token::SemiColon if parens <= 0 && begins <= 0 => {
                    if let Some(s) = start.take() {
                        out.push(Statement {
                            sql: self.text[s..here].to_string(),
                            offset: s,
                        });
                    }
                    words.clear();
                    (parens, begins) = (0, 0);
                    continue;
                }
                Token::LParen => parens += 1,
                Token::RParen => parens -= 1,
                Token::Word(w) if w.quote_style.is_none() => {
                    let v = w.value.to_lowercase();
                    if words.len() < 4 {
                        words.push(v.clone());
                    }
                    let routine = words.first().is_some_and(|w| w == "create")
                        && match words.get(1).map(String::as_str) {
                            Some("function" | "procedure") => true,
                            Some("or") => matches!(
                                words.get(3).map(String::as_str),
                                Some("function" | "procedure")
                            ),
                            _ => false,
                        };
                    if routine && parens == 0 {
                        match v.as_str() {
                            "begin" => begins += 1,
                            "case" if begins > 0 => begins += 1,
                            "end" if begins > 0 => begins -= 1,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
            start.get_or_insert(here);
        }
        if let Some(s) = start {
            let sql = self.text[s..].trim_end().to_string();
            out.push(Statement { sql, offset: s });
        }
        out
    }

    /// The file position of a byte offset.
    pub fn pos(&self, offset: usize) -> Pos {
        let l = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[l];
        let col = self.text[start..offset.min(self.text.len())]
            .chars()
            .count()
            + 1;
        Pos { line: l + 1, col }
    }

    /// The file position of the `n`th character (1-based, as the server counts an error's
    /// `position`) of a statement.
    pub fn pos_in(&self, s: &Statement, n: usize) -> Pos {
        let within = s
            .sql
            .char_indices()
            .nth(n.saturating_sub(1))
            .map_or(s.sql.len(), |(i, _)| i);
        self.pos(s.offset + within)
    }
}

fn pos_of(at: Location) -> Pos {
    Pos {
        line: at.line.max(1) as usize,
        col: at.column.max(1) as usize,
    }
}

/// Spaces, tabs and line breaks (not comments, which may span lines).
fn is_space(t: &Token) -> bool {
    matches!(
        t,
        Token::Whitespace(Whitespace::Space | Whitespace::Tab | Whitespace::Newline)
    )
}

/// Whitespace and comments: what lies between statements.
fn is_blank(t: &Token) -> bool {
    matches!(t, Token::Whitespace(_))
}

/// The byte range of line `l` (0-based), without its line break.
fn line_range(text: &str, starts: &[usize], l: usize) -> (usize, usize) {
    let start = starts[l];
    let end = starts.get(l + 1).map_or(text.len(), |&n| n - 1);
    let end = if text[start..end].ends_with('\r') {
        end - 1
    } else {
        end
    };
    (start, end)
}

fn line<'a>(text: &'a str, starts: &[usize], l: usize) -> &'a str {
    let (s, e) = line_range(text, starts, l);
    &text[s..e]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqls(text: &str) -> Vec<String> {
        Script::parse(text)
            .unwrap()
            .statements
            .into_iter()
            .map(|s| s.sql)
            .collect()
    }

    #[test]
    fn statements_end_at_semicolons_outside_literals_comments_and_dollar_quotes() {
        let text = "SET a = 'x;y';\n-- c;\nCREATE FUNCTION f() RETURNS int AS $b$ SELECT 1; $b$ LANGUAGE sql;\n/* ; */ SELECT \"a;b\" FROM t";
        assert_eq!(
            sqls(text),
            [
                "SET a = 'x;y'",
                "CREATE FUNCTION f() RETURNS int AS $b$ SELECT 1; $b$ LANGUAGE sql",
                "SELECT \"a;b\" FROM t",
            ]
        );
    }

    #[test]
    fn a_sql_standard_function_body_is_one_statement() {
        let text = "CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;\n  SELECT 2;\nEND;\nSELECT 3;";
        let got = sqls(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].ends_with("END"), "{got:?}");
        assert_eq!(got[1], "SELECT 3");
    }

    #[test]
    fn meta_commands_are_blanked_and_lines_kept() {
        let text = "\\restrict abc\nSET x = 1;\n\n  CREATE TABLE t (a int);\n\\unrestrict abc\n";
        let s = Script::parse(text).unwrap();
        assert_eq!(s.statements.len(), 2);
        assert_eq!(s.pos(s.statements[1].offset), Pos { line: 4, col: 3 });
        assert_eq!(s.pos_in(&s.statements[1], 8), Pos { line: 4, col: 10 });
        assert_eq!(
            s.skipped_meta,
            [
                (1, "\\restrict".to_string()),
                (5, "\\unrestrict".to_string())
            ]
        );
    }

    #[test]
    fn a_backslash_line_inside_a_literal_is_not_a_meta_command() {
        let text = "COMMENT ON TABLE t IS 'one\n\\two';\nSELECT $$\n\\x\n$$;";
        let s = Script::parse(text).unwrap();
        assert!(s.skipped_meta.is_empty());
        assert_eq!(s.statements[0].sql, "COMMENT ON TABLE t IS 'one\n\\two'");
        assert_eq!(s.statements[1].sql, "SELECT $$\n\\x\n$$");
    }

    #[test]
    fn connect_and_include_are_refused_with_their_line() {
        let e = Script::parse("SELECT 1;\n\\connect other\n").unwrap_err();
        assert_eq!(e.pos.line, 2);
        assert!(e.message.contains("\\connect"), "{}", e.message);
        let e = Script::parse("\\i other.sql\n").unwrap_err();
        assert!(e.message.contains("another file"), "{}", e.message);
    }

    #[test]
    fn an_unterminated_literal_is_a_located_error() {
        let e = Script::parse("SELECT 1;\nSELECT 'oops;\n").unwrap_err();
        assert_eq!(e.pos.line, 2, "{e:?}");
    }
}
