//! SQL DDL -> the schema model, for `tableform import --from-sql`.
//!
//! Reads what `pg_dump --schema-only` (PostgreSQL 15) prints and what people write by hand, and
//! builds the same model the TOML loader builds: `serial` columns are
//! [`ColumnDefault::Serial`], primary-key columns are NOT NULL, and every unnamed constraint or
//! index gets the name PostgreSQL itself would give it, following the order in which PostgreSQL
//! creates objects (serial sequences, the table, its checks, its primary key and unique
//! constraints, then its foreign keys), so that clashing default names are numbered the same way.
//!
//! The file is split into statements here (psql's rules: quotes, dollar quotes, comments,
//! `BEGIN ... END` function bodies, `\` meta-command lines and `COPY ... FROM stdin` data are
//! understood), and each statement is parsed on its own with sqlparser's PostgreSQL dialect, so one
//! statement that cannot be read is reported in [`SqlImport::skipped`] instead of failing the
//! whole file. A few statements pg_dump prints that sqlparser cannot parse (`CREATE SEQUENCE` with
//! its options in pg_dump's order, `ALTER SEQUENCE ... OWNED BY`, identity sequence options, `ON
//! ONLY`) are read from their tokens directly.
//!
//! What happens to each statement:
//! - schema objects the model holds (schemas, tables, columns, constraints, indexes, enum types,
//!   sequences, table and column comments) are imported;
//! - noise that does not change the schema (`SET`, `set_config()`, `OWNER TO`, storage settings,
//!   transactions, data statements, psql meta-commands) is ignored silently;
//! - objects the model does not manage (views, functions, triggers, policies, grants,
//!   extensions...) are listed in `skipped` with their line and the reason, as are parts of a
//!   statement that were left out (a column's collation, an operator class...).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::ControlFlow;

use sqlparser::ast::{
    self, AlterColumnOperation, AlterTableOperation, ColumnOption, Expr, GeneratedAs, ObjectName,
    ObjectNamePart, ReferentialAction, Statement, TableConstraint,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Word};

use crate::model::names::{self, NameKind, Namer, column_addition};
use crate::model::types::{Serial, TypeError};
use crate::model::{
    BaseType, Check, Column, ColumnDefault, DataType, EnumType, FkAction, ForeignKey, Identity,
    Index, IndexKey, IndexPart, OwnedBy, PrimaryKey, QualName, Schema, Sequence, SqlExpr, Table,
    Unique,
};

/// What a SQL file declares, as the model, and what was left out.
#[derive(Debug, Clone)]
pub struct SqlImport {
    pub schema: Schema,
    /// Statements (or parts of statements) that were not imported, in file order.
    pub skipped: Vec<Skipped>,
}

/// A statement, or part of one, that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// 1-based line where the statement starts.
    pub line: usize,
    /// The start of the statement, on one line (at most about 60 characters).
    pub statement: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SqlImportError {
    /// Not one statement of the file could be read: the file is not SQL.
    #[error("not a SQL file: {message} (line {line}, column {column})")]
    NotSql {
        line: usize,
        column: usize,
        message: String,
    },
}

/// Reads a SQL DDL file into the schema model.
pub fn from_sql(sql: &str) -> Result<SqlImport, SqlImportError> {
    let lines = Lines::new(sql);
    let (cleaned, pieces) = split(sql);
    let mut imp = Importer::default();
    let mut understood = false;
    let mut first_failure: Option<Fail> = None;
    for piece in pieces {
        let text = &cleaned[piece.start..piece.end];
        let (line, col) = lines.pos(sql, piece.start);
        let result = Stmt::new(text, line, col).and_then(|st| {
            imp.current = (st.line, st.preview.clone());
            imp.statement(&st)
        });
        match result {
            Ok(()) => {
                understood = true;
                // Parsed, but not carried: say so rather than lose it.
                let upper = text.to_uppercase();
                for what in ["NOT VALID", "NO INHERIT"] {
                    if upper.contains(what) {
                        imp.note(format!("{what} is not carried by the SQL importer"));
                    }
                }
            }
            Err(fail) => {
                imp.skipped.push(Skipped {
                    line,
                    statement: preview(text),
                    reason: format!(
                        "cannot parse: {} (line {}, column {})",
                        fail.message, fail.line, fail.col
                    ),
                });
                first_failure.get_or_insert(fail);
            }
        }
    }
    if !understood && let Some(f) = first_failure {
        return Err(SqlImportError::NotSql {
            line: f.line,
            column: f.col,
            message: f.message,
        });
    }
    Ok(imp.finish())
}

// ---------------------------------------------------------------------------------------------
// Splitting the file into statements

/// A statement's byte range: from its first significant character to its `;` (excluded).
struct Piece {
    start: usize,
    end: usize,
}

/// Splits `src` into statements the way psql does. Returns a copy of `src` in which psql
/// meta-command lines and `COPY ... FROM stdin` data are blanked (same length, so offsets and
/// line numbers still hold) and the statements' ranges in it.
fn split(src: &str) -> (String, Vec<Piece>) {
    let b = src.as_bytes();
    let n = b.len();
    let mut out = b.to_vec();
    let mut pieces = Vec::new();
    let mut i = 0;
    if src.starts_with('\u{feff}') {
        out[..3].fill(b' ');
        i = 3;
    }
    let mut start: Option<usize> = None;
    let mut line_start = true;
    let mut paren = 0usize;
    // psql's heuristic for `CREATE FUNCTION ... BEGIN ATOMIC ... END`: semicolons inside the
    // body do not end the statement.
    let mut begin_depth = 0usize;
    let mut lead = [0u8; 4];
    let mut word_count = 0usize;
    while i < n {
        let c = b[i];
        if c == b'\n' {
            line_start = true;
            i += 1;
            continue;
        }
        if matches!(c, b' ' | b'\t' | b'\r' | 0x0c) {
            i += 1;
            continue;
        }
        if line_start && c == b'\\' {
            let e = line_end(b, i);
            out[i..e].fill(b' ');
            i = e;
            continue;
        }
        line_start = false;
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            i = line_end(b, i);
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = skip_block_comment(b, i);
            continue;
        }
        let s = *start.get_or_insert(i);
        match c {
            b'\'' => i = skip_quoted(b, i, b'\'', false),
            b'"' => i = skip_quoted(b, i, b'"', false),
            b'$' => i = skip_dollar(b, i),
            b'(' => {
                paren += 1;
                i += 1;
            }
            b')' => {
                paren = paren.saturating_sub(1);
                i += 1;
            }
            b';' if paren == 0 && begin_depth == 0 => {
                pieces.push(Piece { start: s, end: i });
                let copy = is_copy_from_stdin(&src[s..i]);
                start = None;
                lead = [0; 4];
                word_count = 0;
                i += 1;
                if copy {
                    i = skip_copy_data(b, &mut out, i);
                    line_start = true;
                }
            }
            b';' => i += 1,
            _ if is_ident_start(c) => {
                let e = ident_end(b, i);
                let word = &src[i..e];
                if (word == "E" || word == "e") && b.get(e) == Some(&b'\'') {
                    i = skip_quoted(b, e, b'\'', true);
                    continue;
                }
                let lower = word.to_ascii_lowercase();
                if word_count < lead.len()
                    && matches!(
                        lower.as_str(),
                        "create" | "function" | "procedure" | "or" | "replace"
                    )
                {
                    lead[word_count] = lower.as_bytes()[0];
                }
                word_count += 1;
                let in_function = lead[0] == b'c'
                    && (lead[1] == b'f'
                        || lead[1] == b'p'
                        || (lead[1] == b'o'
                            && lead[2] == b'r'
                            && (lead[3] == b'f' || lead[3] == b'p')));
                if in_function && paren == 0 {
                    match lower.as_str() {
                        "begin" => begin_depth += 1,
                        "case" if begin_depth >= 1 => begin_depth += 1,
                        "end" => begin_depth = begin_depth.saturating_sub(1),
                        _ => {}
                    }
                }
                i = e;
            }
            _ => i += 1,
        }
        if start.is_none() {
            begin_depth = 0;
            paren = 0;
        }
    }
    if let Some(s) = start {
        pieces.push(Piece { start: s, end: n });
    }
    // Only ASCII bytes were replaced, and only whole lines or a BOM: still UTF-8.
    let cleaned = String::from_utf8(out).unwrap_or_else(|_| src.to_string());
    (cleaned, pieces)
}

fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p)
}

fn skip_block_comment(b: &[u8], i: usize) -> usize {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
            depth += 1;
            j += 2;
        } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
            depth -= 1;
            j += 2;
            if depth == 0 {
                return j;
            }
        } else {
            j += 1;
        }
    }
    b.len()
}

/// Skips a quoted string or identifier starting at `i` (the opening quote); a doubled quote is
/// a quote; with `escapes`, a backslash escapes the next character (`E'...'`).
fn skip_quoted(b: &[u8], i: usize, q: u8, escapes: bool) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        if escapes && b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// Skips a dollar-quoted string (`$$...$$`, `$tag$...$tag$`) starting at `i`, or just the `$`.
fn skip_dollar(b: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    if j < b.len() && !b[j].is_ascii_digit() {
        while j < b.len() && is_ident_char(b[j]) && b[j] != b'$' {
            j += 1;
        }
    }
    if b.get(j) != Some(&b'$') {
        return i + 1;
    }
    let delim = &b[i..=j];
    let body = j + 1;
    match b[body..].windows(delim.len()).position(|w| w == delim) {
        Some(p) => body + p + delim.len(),
        None => b.len(),
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn ident_end(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < b.len() && is_ident_char(b[j]) {
        j += 1;
    }
    j
}

fn is_copy_from_stdin(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    words.first().is_some_and(|w| w == "COPY")
        && words.windows(2).any(|w| w[0] == "FROM" && w[1] == "STDIN")
}

/// Blanks the data lines after `COPY ... FROM stdin;` up to and including the `\.` line.
fn skip_copy_data(b: &[u8], out: &mut [u8], i: usize) -> usize {
    let mut j = line_end(b, i) + 1;
    while j < b.len() {
        let e = line_end(b, j);
        let line = &b[j..e];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out[j..e].fill(b' ');
        j = e + 1;
        if line == b"\\." {
            break;
        }
    }
    j.min(b.len())
}

/// Byte offset -> 1-based line and (character) column.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(src: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    fn pos(&self, src: &str, off: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= off);
        let start = self.starts[line - 1];
        let col = src.get(start..off).map_or(1, |s| s.chars().count() + 1);
        (line, col)
    }
}

/// The start of a statement on one line, for reports.
fn preview(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 60 {
        let cut: String = flat.chars().take(57).collect();
        format!("{}...", cut.trim_end())
    } else {
        flat
    }
}

// ---------------------------------------------------------------------------------------------
// One statement's tokens

/// A statement that could not be read, at a file position.
#[derive(Debug)]
struct Fail {
    line: usize,
    col: usize,
    message: String,
}

struct Stmt {
    /// File position of the statement's first character.
    line: usize,
    col: usize,
    preview: String,
    /// Significant tokens (no whitespace or comments), spans relative to the statement.
    toks: Vec<TokenWithSpan>,
}

impl Stmt {
    fn new(text: &str, line: usize, col: usize) -> Result<Stmt, Fail> {
        let dialect = PostgreSqlDialect {};
        let mk = |toks| Stmt {
            line,
            col,
            preview: preview(text),
            toks,
        };
        match Tokenizer::new(&dialect, text).tokenize_with_location() {
            Ok(all) => Ok(mk(all
                .into_iter()
                .filter(|t| !matches!(t.token, Token::Whitespace(_)))
                .collect())),
            Err(e) => {
                let st = mk(Vec::new());
                let (line, col) = st.file_pos(e.location);
                Err(Fail {
                    line,
                    col,
                    message: e.message,
                })
            }
        }
    }

    fn file_pos(&self, loc: Location) -> (usize, usize) {
        let (l, c) = (loc.line as usize, loc.column as usize);
        if l == 0 {
            match self.toks.last() {
                Some(t) if t.span.end.line > 0 => self.file_pos(t.span.end),
                _ => (self.line, self.col),
            }
        } else if l == 1 {
            (self.line, self.col + c.saturating_sub(1))
        } else {
            (self.line + l - 1, c)
        }
    }

    /// The unquoted word at `i`, upper-cased.
    fn kw(&self, i: usize) -> Option<String> {
        match self.toks.get(i).map(|t| &t.token) {
            Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn fail_at(&self, i: usize, message: impl Into<String>) -> Fail {
        let loc = self
            .toks
            .get(i)
            .map_or(Location { line: 0, column: 0 }, |t| t.span.start);
        let (line, col) = self.file_pos(loc);
        Fail {
            line,
            col,
            message: message.into(),
        }
    }

    fn parser_fail(&self, e: ParserError) -> Fail {
        let msg = e.to_string();
        let msg = msg.strip_prefix("sql parser error: ").unwrap_or(&msg);
        let (text, loc) = match msg.rfind(" at Line: ") {
            Some(i) => {
                let rest = &msg[i + " at Line: ".len()..];
                let mut it = rest.split(", Column: ");
                let l = it.next().and_then(|x| x.trim().parse::<u64>().ok());
                let c = it.next().and_then(|x| x.trim().parse::<u64>().ok());
                match (l, c) {
                    (Some(line), Some(column)) => (&msg[..i], Some(Location { line, column })),
                    _ => (msg, None),
                }
            }
            None => (msg, None),
        };
        let (line, col) = loc.map_or((self.line, self.col), |l| self.file_pos(l));
        Fail {
            line,
            col,
            message: text.to_string(),
        }
    }

    /// Parses `toks` (a subset of this statement's tokens) with sqlparser.
    fn parse(&self, toks: Vec<TokenWithSpan>) -> Result<Vec<Statement>, Fail> {
        let dialect = PostgreSqlDialect {};
        Parser::new(&dialect)
            .with_tokens_with_locations(toks)
            .parse_statements()
            .map_err(|e| self.parser_fail(e))
    }
}

/// Each token as a matchable string: unquoted words upper-cased, quoted words with a leading
/// `"`, everything else as printed.
fn shapes(toks: &[TokenWithSpan]) -> Vec<String> {
    toks.iter()
        .map(|t| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
            Token::Word(w) => format!("\"{}", w.value),
            other => other.to_string(),
        })
        .collect()
}

/// An identifier as PostgreSQL stores it: quoted ones as written, others folded to lower case,
/// both cut to 63 bytes.
fn fold(id: &ast::Ident) -> String {
    names::fold_ident(id)
}

fn fold_word(w: &Word) -> String {
    if w.quote_style.is_some() {
        names::truncate_ident(&w.value)
    } else {
        names::truncate_ident(&w.value.to_ascii_lowercase())
    }
}

fn name_parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(id) => fold(id),
            other => other.to_string(),
        })
        .collect()
}

/// Reads a name such as `public.t_id_seq` or `"My Seq"` from the text of a string (a regclass
/// literal).
fn parse_name_text(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            '.' if !quoted => {
                parts.push(if was_quoted {
                    std::mem::take(&mut cur)
                } else {
                    std::mem::take(&mut cur).trim().to_ascii_lowercase()
                });
                was_quoted = false;
            }
            c => cur.push(c),
        }
    }
    parts.push(if was_quoted {
        cur
    } else {
        cur.trim().to_ascii_lowercase()
    });
    parts
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL's default names

/// `ChooseIndexColumnNames`: one name per key (and INCLUDE) column, made unique by appending a
/// number.
fn index_column_names(words: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for orig in words {
        let mut cur = orig.clone();
        let mut i = 1usize;
        while out.contains(&cur) {
            let suffix = i.to_string();
            let keep = names::truncate_ident(&orig);
            let mut end = keep.len().min(names::MAX_IDENT - suffix.len());
            while !keep.is_char_boundary(end) {
                end -= 1;
            }
            cur = format!("{}{suffix}", &keep[..end]);
            i += 1;
        }
        out.push(cur);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Expressions

/// An expression as the model keeps it: its SQL text, without outer parentheses, with built-in
/// type names of casts in lower case (`'x'::character varying`, as PostgreSQL prints them).
fn sql_expr(e: &Expr) -> SqlExpr {
    render(strip_parens(e).clone())
}

fn render(mut e: Expr) -> SqlExpr {
    let _ = ast::visit_expressions_mut(&mut e, |x| {
        if let Expr::Cast { data_type, .. } = x {
            lower_type(data_type);
        }
        ControlFlow::<()>::Continue(())
    });
    SqlExpr::raw(e.to_string())
}

fn lower_type(t: &mut ast::DataType) {
    let custom = |t: &ast::DataType| matches!(t, ast::DataType::Custom(..));
    let keep = match &*t {
        ast::DataType::Array(ast::ArrayElemTypeDef::SquareBracket(inner, _)) => custom(inner),
        other => custom(other),
    };
    if keep {
        return;
    }
    let text = t.to_string().to_ascii_lowercase();
    *t = ast::DataType::Custom(ObjectName::from(vec![ast::Ident::new(text)]), vec![]);
}

fn strip_parens(mut e: &Expr) -> &Expr {
    while let Expr::Nested(inner) = e {
        e = inner;
    }
    e
}

/// The distinct columns of `table` an expression mentions, in order of appearance.
fn columns_mentioned(e: &Expr, table: &Table) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let _ = ast::visit_expressions(e, |x| {
        let name = match x {
            Expr::Identifier(id) => Some(fold(id)),
            Expr::CompoundIdentifier(ids) => ids.last().map(fold),
            _ => None,
        };
        if let Some(n) = name
            && table.column(&n).is_some()
            && !out.contains(&n)
        {
            out.push(n);
        }
        ControlFlow::<()>::Continue(())
    });
    out
}

/// The sequence a `nextval('name'[::regclass])` default draws from, as name parts.
fn nextval_target(e: &Expr) -> Option<Vec<String>> {
    let Expr::Function(f) = strip_parens(e) else {
        return None;
    };
    let parts = name_parts(&f.name);
    let is_nextval = match parts.as_slice() {
        [n] => n == "nextval",
        [s, n] => s == "pg_catalog" && n == "nextval",
        _ => false,
    };
    if !is_nextval {
        return None;
    }
    let ast::FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let [ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(arg))] = list.args.as_slice() else {
        return None;
    };
    let lit = match strip_parens(arg) {
        Expr::Cast { expr, .. } => strip_parens(expr),
        other => other,
    };
    match lit {
        Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => Some(parse_name_text(s)),
            _ => None,
        },
        _ => None,
    }
}

fn fk_action(a: &Option<ReferentialAction>) -> FkAction {
    match a {
        None | Some(ReferentialAction::NoAction) => FkAction::NoAction,
        Some(ReferentialAction::Restrict) => FkAction::Restrict,
        Some(ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ReferentialAction::SetDefault) => FkAction::SetDefault,
    }
}

/// Types PostgreSQL has built in that the model cannot represent.
const UNSUPPORTED_TYPES: &[&str] = &[
    "aclitem",
    "box",
    "char",
    "cid",
    "circle",
    "datemultirange",
    "daterange",
    "gtsvector",
    "int2vector",
    "int4multirange",
    "int4range",
    "int8multirange",
    "int8range",
    "jsonpath",
    "line",
    "lseg",
    "macaddr8",
    "name",
    "nummultirange",
    "numrange",
    "oid",
    "oidvector",
    "path",
    "pg_lsn",
    "pg_node_tree",
    "pg_snapshot",
    "point",
    "polygon",
    "refcursor",
    "regclass",
    "regcollation",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
    "regrole",
    "regtype",
    "tid",
    "tsmultirange",
    "tsquery",
    "tsrange",
    "tstzmultirange",
    "tstzrange",
    "txid_snapshot",
    "xid",
    "xid8",
];

// ---------------------------------------------------------------------------------------------
// Building the model

/// A constraint declared in a statement, named once the whole statement is read.
enum Con {
    Pk {
        name: Option<String>,
        cols: Vec<String>,
    },
    Unique {
        name: Option<String>,
        cols: Vec<String>,
    },
    Check {
        name: Option<String>,
        expr: Box<Expr>,
    },
    Fk(FkDecl),
}

struct FkDecl {
    name: Option<String>,
    cols: Vec<String>,
    target: QualName,
    ref_cols: Vec<String>,
    on_delete: FkAction,
    on_update: FkAction,
    deferrable: bool,
    initially_deferred: bool,
}

/// Sequence options as written (`None`: not mentioned; `Some(None)`: `NO MINVALUE` and such).
#[derive(Default)]
struct SeqOpts {
    data_type: Option<DataType>,
    increment: Option<i64>,
    min: Option<Option<i64>>,
    max: Option<Option<i64>>,
    start: Option<i64>,
    cache: Option<i64>,
    cycle: Option<bool>,
    /// `OWNED BY t.c` (name parts) or `OWNED BY NONE` (`Some(None)`).
    owned_by: Option<Option<Vec<String>>>,
    rename: Option<String>,
}

/// A sequence with every option filled in with PostgreSQL's defaults, as the loader does.
fn build_sequence(name: QualName, o: &SeqOpts, old: Option<&Sequence>) -> Sequence {
    use crate::model::SequenceOptions;
    let data_type = o
        .data_type
        .clone()
        .or_else(|| old.map(|s| s.data_type.clone()))
        .unwrap_or(DataType::new(BaseType::BigInt));
    let prev = old.map(|s| &s.options);
    let increment = o.increment.or(prev.map(|p| p.increment)).unwrap_or(1);
    let d = SequenceOptions::defaults(&data_type.base, increment);
    // An old bound that was the old type's default follows a type change.
    let old_defaults =
        old.map(|s| SequenceOptions::defaults(&s.data_type.base, s.options.increment));
    // The old sequence's bound, unless it was only that sequence's default.
    let inherited = |old_value: Option<i64>, old_default: Option<i64>| {
        old_value.filter(|v| Some(*v) != old_default)
    };
    let min_value = match o.min {
        Some(Some(v)) => v,
        Some(None) => d.min_value,
        None => inherited(prev.map(|p| p.min_value), old_defaults.map(|x| x.min_value))
            .unwrap_or(d.min_value),
    };
    let max_value = match o.max {
        Some(Some(v)) => v,
        Some(None) => d.max_value,
        None => inherited(prev.map(|p| p.max_value), old_defaults.map(|x| x.max_value))
            .unwrap_or(d.max_value),
    };
    let start = o
        .start
        .or(prev.map(|p| p.start))
        .unwrap_or(if increment >= 0 { min_value } else { max_value });
    Sequence {
        name,
        data_type,
        options: SequenceOptions {
            start,
            increment,
            min_value,
            max_value,
            cache: o.cache.or(prev.map(|p| p.cache)).unwrap_or(1),
            cycle: o.cycle.or(prev.map(|p| p.cycle)).unwrap_or(false),
        },
        comment: None,
        owned_by: None,
    }
}

/// What `CREATE`/`ALTER`/`COMMENT ON` of an object kind the model does not manage means.
const UNMANAGED: &[(&[&str], &str)] = &[
    (
        &["MATERIALIZED", "VIEW"],
        "materialized views are not managed",
    ),
    (&["RECURSIVE", "VIEW"], "views are not managed"),
    (&["VIEW"], "views are not managed"),
    (&["FUNCTION"], "functions are not managed"),
    (&["PROCEDURE"], "procedures are not managed"),
    (&["ROUTINE"], "functions are not managed"),
    (&["AGGREGATE"], "aggregates are not managed"),
    (&["EVENT", "TRIGGER"], "event triggers are not managed"),
    (&["CONSTRAINT", "TRIGGER"], "triggers are not managed"),
    (&["TRIGGER"], "triggers are not managed"),
    (&["POLICY"], "row-level security policies are not managed"),
    (&["EXTENSION"], "extensions are not managed"),
    (&["DOMAIN"], "domains are not managed"),
    (&["RULE"], "rules are not managed"),
    (&["PUBLICATION"], "publications are not managed"),
    (&["SUBSCRIPTION"], "subscriptions are not managed"),
    (&["OPERATOR"], "operators are not managed"),
    (&["CAST"], "casts are not managed"),
    (&["COLLATION"], "collations are not managed"),
    (&["CONVERSION"], "conversions are not managed"),
    (
        &["TEXT", "SEARCH"],
        "text search configurations are not managed",
    ),
    (&["SERVER"], "foreign servers are not managed"),
    (&["FOREIGN", "TABLE"], "foreign tables are not managed"),
    (
        &["FOREIGN", "DATA"],
        "foreign-data wrappers are not managed",
    ),
    (&["USER", "MAPPING"], "user mappings are not managed"),
    (&["ROLE"], "roles are not managed"),
    (&["USER"], "roles are not managed"),
    (&["GROUP"], "roles are not managed"),
    (&["DATABASE"], "databases are not managed"),
    (&["TABLESPACE"], "tablespaces are not managed"),
    (&["STATISTICS"], "extended statistics are not managed"),
    (&["LANGUAGE"], "procedural languages are not managed"),
    (&["ACCESS", "METHOD"], "access methods are not managed"),
    (&["TRANSFORM"], "transforms are not managed"),
    (&["LARGE", "OBJECT"], "large objects are not managed"),
    (&["SYSTEM"], "server settings are not managed"),
    (&["DEFAULT", "PRIVILEGES"], "privileges are not managed"),
];

fn unmanaged(words: &[String]) -> Option<&'static str> {
    UNMANAGED.iter().find_map(|(prefix, reason)| {
        (words.len() >= prefix.len() && prefix.iter().zip(words).all(|(p, w)| p == w))
            .then_some(*reason)
    })
}

struct Importer {
    schema: Schema,
    skipped: Vec<Skipped>,
    /// `SET search_path`, as written (`$user` included).
    search_path: Vec<String>,
    names: Namer,
    /// Schemas created with CREATE SCHEMA.
    created_schemas: BTreeSet<String>,
    /// Every sequence of CREATE SEQUENCE, standalone or owned by a column.
    sequences: std::collections::BTreeMap<QualName, Sequence>,
    /// `OWNED BY`: sequence -> (table, column).
    owned: HashMap<QualName, (QualName, String)>,
    /// Columns whose default is `nextval()` of a sequence: (table, column) -> sequence.
    nextvals: HashMap<(QualName, String), QualName>,
    /// The statement being read (line, preview), for notes.
    current: (usize, String),
    /// Identity sequence options found in the statement being read, in order of appearance;
    /// each identity column takes the next one.
    identity_opts: std::collections::VecDeque<SeqOpts>,
}

impl Default for Importer {
    fn default() -> Self {
        Self {
            schema: Schema::default(),
            skipped: Vec::new(),
            search_path: vec!["$user".into(), "public".into()],
            names: Namer::default(),
            created_schemas: BTreeSet::new(),
            sequences: Default::default(),
            owned: HashMap::new(),
            nextvals: HashMap::new(),
            current: (0, String::new()),
            identity_opts: std::collections::VecDeque::new(),
        }
    }
}

impl Importer {
    fn note(&mut self, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            line: self.current.0,
            statement: self.current.1.clone(),
            reason: reason.into(),
        });
    }

    // --- names and the search path

    fn path_schemas(&self) -> Vec<String> {
        let v: Vec<String> = self
            .search_path
            .iter()
            .filter(|s| !s.is_empty() && *s != "$user" && !s.starts_with("pg_"))
            .cloned()
            .collect();
        if v.is_empty() {
            vec!["public".into()]
        } else {
            v
        }
    }

    /// The schema unqualified new objects go to.
    fn creation_schema(&self) -> String {
        self.path_schemas().remove(0)
    }

    /// The name a new object gets.
    fn new_name(&self, parts: &[String]) -> QualName {
        match parts {
            [.., s, n] => QualName::new(s.clone(), n.clone()),
            [n] => QualName::new(self.creation_schema(), n.clone()),
            [] => QualName::new(self.creation_schema(), String::new()),
        }
    }

    /// The object an existing name refers to: qualified as written, or the first schema of the
    /// search path where `exists`, or the creation schema.
    fn lookup(&self, parts: &[String], exists: impl Fn(&QualName) -> bool) -> QualName {
        match parts {
            [n] => self
                .path_schemas()
                .into_iter()
                .map(|s| QualName::new(s, n.clone()))
                .find(|q| exists(q))
                .unwrap_or_else(|| self.new_name(parts)),
            _ => self.new_name(parts),
        }
    }

    fn lookup_table(&self, parts: &[String]) -> QualName {
        self.lookup(parts, |q| self.schema.tables.contains_key(q))
    }

    fn set_search_path(&mut self, items: Vec<String>) {
        self.search_path = items;
    }

    // --- statements

    fn statement(&mut self, st: &Stmt) -> Result<(), Fail> {
        let Some(first) = st.kw(0) else {
            // Not a keyword: let the parser say what is wrong.
            return self.parse_other(st);
        };
        match first.as_str() {
            "SET" => {
                self.set(st);
                Ok(())
            }
            "SELECT" => {
                self.select(st);
                Ok(())
            }
            "RESET" | "BEGIN" | "COMMIT" | "END" | "START" | "ROLLBACK" | "ABORT" | "SAVEPOINT"
            | "RELEASE" | "LOCK" | "ANALYZE" | "ANALYSE" | "VACUUM" | "CLUSTER" | "CHECKPOINT"
            | "DISCARD" | "LISTEN" | "NOTIFY" | "UNLISTEN" | "SHOW" | "INSERT" | "UPDATE"
            | "DELETE" | "COPY" | "TRUNCATE" | "MERGE" | "VALUES" | "WITH" | "EXPLAIN"
            | "PREPARE" | "EXECUTE" | "DEALLOCATE" | "FETCH" | "DECLARE" | "CLOSE" | "MOVE"
            | "REINDEX" | "LOAD" | "REFRESH" | "TABLE" => Ok(()),
            "GRANT" | "REVOKE" => {
                self.note("privileges are not managed");
                Ok(())
            }
            "DO" => {
                self.note("anonymous code blocks (DO) are not run");
                Ok(())
            }
            "CALL" => {
                self.note("procedure calls are not run");
                Ok(())
            }
            "SECURITY" => {
                self.note("security labels are not managed");
                Ok(())
            }
            "IMPORT" => {
                self.note("foreign tables are not managed");
                Ok(())
            }
            "CREATE" => self.create(st),
            "ALTER" => self.alter(st),
            "DROP" => self.drop(st),
            "COMMENT" => self.comment(st),
            _ => self.parse_other(st),
        }
    }

    fn parse_other(&mut self, st: &Stmt) -> Result<(), Fail> {
        let stmts = st.parse(st.toks.clone())?;
        if !stmts.is_empty() {
            self.note("this kind of statement is not imported");
        }
        Ok(())
    }

    fn set(&mut self, st: &Stmt) {
        // SET [SESSION | LOCAL] search_path {TO | =} a, b
        let mut i = 1;
        if matches!(st.kw(i).as_deref(), Some("SESSION" | "LOCAL")) {
            i += 1;
        }
        if st.kw(i).as_deref() != Some("SEARCH_PATH") {
            return;
        }
        i += 1;
        if !matches!(st.toks.get(i).map(|t| &t.token), Some(Token::Eq))
            && st.kw(i).as_deref() != Some("TO")
        {
            return;
        }
        i += 1;
        let mut items = Vec::new();
        for t in &st.toks[i.min(st.toks.len())..] {
            match &t.token {
                Token::Word(w)
                    if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("DEFAULT") =>
                {
                    items = vec!["$user".into(), "public".into()];
                }
                Token::Word(w) => items.push(fold_word(w)),
                Token::SingleQuotedString(s) => items.push(s.clone()),
                _ => {}
            }
        }
        self.set_search_path(items);
    }

    fn select(&mut self, st: &Stmt) {
        // SELECT pg_catalog.set_config('search_path', 'a, b', false)
        let strings: Vec<&str> = st
            .toks
            .iter()
            .filter_map(|t| match &t.token {
                Token::SingleQuotedString(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        let is_set_config = st.toks.iter().any(
            |t| matches!(&t.token, Token::Word(w) if w.value.eq_ignore_ascii_case("set_config")),
        );
        if is_set_config && strings.first() == Some(&"search_path") {
            let value = strings.get(1).copied().unwrap_or("");
            let items = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| parse_name_text(s).join("."))
                .collect();
            self.set_search_path(items);
        }
        // Other queries (setval() among them) do not change the schema.
    }

    /// The words after CREATE, past modifiers (`OR REPLACE`, `TEMP`, `UNIQUE`...).
    fn create_kind(st: &Stmt) -> (Vec<String>, bool) {
        let mut i = 1;
        let mut temporary = false;
        loop {
            match st.kw(i).as_deref() {
                Some("OR") if matches!(st.kw(i + 1).as_deref(), Some("REPLACE" | "ALTER")) => {
                    i += 2
                }
                Some("TEMP" | "TEMPORARY") => {
                    temporary = true;
                    i += 1;
                }
                Some("GLOBAL" | "LOCAL" | "UNLOGGED" | "UNIQUE" | "TRUSTED" | "PROCEDURAL") => {
                    i += 1
                }
                Some("DEFAULT") if st.kw(i + 1).as_deref() == Some("CONVERSION") => i += 1,
                _ => break,
            }
        }
        let words = (i..i + 3).map_while(|j| st.kw(j)).collect();
        (words, temporary)
    }

    fn create(&mut self, st: &Stmt) -> Result<(), Fail> {
        let (words, temporary) = Self::create_kind(st);
        match words.first().map(String::as_str) {
            Some("TABLE") if temporary => {
                self.note("temporary tables are not managed");
                Ok(())
            }
            Some("SEQUENCE") if temporary => {
                self.note("temporary sequences are not managed");
                Ok(())
            }
            Some("TABLE") => {
                let (toks, opts) = strip_identity_options(&st.toks, &mut Vec::new());
                self.identity_opts = opts.into();
                for s in st.parse(toks)? {
                    match s {
                        Statement::CreateTable(ct) => self.create_table(ct),
                        _ => self.note("this kind of statement is not imported"),
                    }
                }
                Ok(())
            }
            Some("INDEX") => {
                // `ON ONLY` (pg_dump, partitioned tables) is not in sqlparser's grammar.
                let mut toks = st.toks.clone();
                if let Some(p) = (0..toks.len().saturating_sub(1)).find(|&j| {
                    st.kw(j).as_deref() == Some("ON") && st.kw(j + 1).as_deref() == Some("ONLY")
                }) {
                    toks.remove(p + 1);
                }
                for s in st.parse(toks)? {
                    match s {
                        Statement::CreateIndex(ci) => self.create_index(ci),
                        _ => self.note("this kind of statement is not imported"),
                    }
                }
                Ok(())
            }
            Some("SEQUENCE") => self.create_sequence(st),
            Some("SCHEMA") => {
                for s in st.parse(st.toks.clone())? {
                    if let Statement::CreateSchema { schema_name, .. } = s {
                        let name = match &schema_name {
                            ast::SchemaName::Simple(n)
                            | ast::SchemaName::NamedAuthorization(n, _) => {
                                name_parts(n).last().cloned().unwrap_or_default()
                            }
                            ast::SchemaName::UnnamedAuthorization(role) => fold(role),
                        };
                        self.created_schemas.insert(name);
                    }
                }
                Ok(())
            }
            Some("TYPE") => {
                let stmts = match st.parse(st.toks.clone()) {
                    Ok(s) => s,
                    Err(e) => {
                        // Base and range types written in forms sqlparser does not know.
                        let rest = shapes(&st.toks);
                        if rest.iter().any(|w| w == "RANGE") {
                            self.note("range types are not managed");
                            return Ok(());
                        }
                        return Err(e);
                    }
                };
                for s in stmts {
                    if let Statement::CreateType {
                        name,
                        representation,
                    } = s
                    {
                        self.create_type(&name, representation);
                    }
                }
                Ok(())
            }
            _ => match unmanaged(&words) {
                Some(reason) => {
                    self.note(reason);
                    Ok(())
                }
                None => self.parse_other(st),
            },
        }
    }

    fn create_type(&mut self, name: &ObjectName, rep: Option<ast::UserDefinedTypeRepresentation>) {
        use ast::UserDefinedTypeRepresentation as R;
        match rep {
            Some(R::Enum { labels }) => {
                let q = self.new_name(&name_parts(name));
                if self.schema.enums.contains_key(&q) {
                    self.note(format!(
                        "type {q} is created twice; the first definition is kept"
                    ));
                    return;
                }
                let values = labels.iter().map(|l| l.value.clone()).collect();
                self.names.relation(&q.schema, &q.name);
                self.schema.enums.insert(
                    q.clone(),
                    EnumType {
                        name: q,
                        values,
                        comment: None,
                    },
                );
            }
            Some(R::Composite { .. }) => self.note("composite types are not managed"),
            Some(R::Range { .. }) => self.note("range types are not managed"),
            Some(R::SqlDefinition { .. }) | None => self.note("base types are not managed"),
        }
    }

    // --- CREATE TABLE

    fn create_table(&mut self, ct: ast::CreateTable) {
        if ct.partition_of.is_some() {
            self.note("partitions are not managed");
            return;
        }
        if ct.query.is_some() {
            self.note("CREATE TABLE ... AS is not supported");
            return;
        }
        if ct.like.is_some() || ct.clone.is_some() {
            self.note("CREATE TABLE ... LIKE is not supported");
            return;
        }
        let name = self.new_name(&name_parts(&ct.name));
        if self.schema.tables.contains_key(&name) {
            if !ct.if_not_exists {
                self.note(format!(
                    "table {name} is created twice; the first definition is kept"
                ));
            }
            return;
        }
        if ct.inherits.is_some() {
            self.note("table inheritance is not managed (the table's own columns were imported)");
        }
        if ct.partition_by.is_some() {
            self.note("partitioning is not managed (the table was imported as a plain table)");
        }
        let mut table = Table {
            name: name.clone(),
            columns: Vec::new(),
            primary_key: None,
            uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            indexes: Vec::new(),
            comment: None,
            prevent_destroy: false,
        };
        let mut cons = Vec::new();
        let mut defaults = Vec::new();
        let notes_before = self.skipped.len();
        for def in &ct.columns {
            if table.column(&fold(&def.name)).is_some() {
                self.note(format!(
                    "column `{}` is declared twice; the first is kept",
                    fold(&def.name)
                ));
                continue;
            }
            match self.column(&name, def, &mut cons) {
                Ok((c, nextval)) => {
                    defaults.push((c.name.clone(), nextval));
                    table.columns.push(c);
                }
                Err(reason) => {
                    // What was noted about the table's other columns no longer matters.
                    self.skipped.truncate(notes_before);
                    self.note(format!("{reason}; table {name} is not imported"));
                    return;
                }
            }
        }
        // The table's name is taken before anything is named after it; the serial sequences
        // before it are named by `column`, as PostgreSQL creates them first.
        self.names.relation(&name.schema, &name.name);
        for c in &ct.constraints {
            if let Some(con) = self.table_constraint(c) {
                cons.push(con);
            }
        }
        for (col, nextval) in defaults {
            self.set_nextval(&name, &col, nextval);
        }
        self.add_constraints(&mut table, cons);
        self.schema.tables.insert(name, table);
    }

    /// One column definition; its constraints go to `cons`. Returns the column and the sequence
    /// its default draws from, if it is `nextval()`.
    fn column(
        &mut self,
        table: &QualName,
        def: &ast::ColumnDef,
        cons: &mut Vec<Con>,
    ) -> Result<(Column, Option<QualName>), String> {
        let name = fold(&def.name);
        let (ty, serial) = self.column_type(&def.data_type, &name, true)?;
        let mut col = Column {
            name: name.clone(),
            ty,
            nullable: true,
            default: None,
            identity: None,
            identity_sequence: None,
            comment: None,
            collation: None,
        };
        let mut nextval = None;
        if serial {
            col.default = Some(ColumnDefault::Serial { sequence: None });
            col.nullable = false;
            self.names.choose(
                &table.schema,
                &table.name,
                Some(&name),
                "seq",
                NameKind::Relation,
            );
        }
        for opt in &def.options {
            let cname = opt.name.as_ref().map(fold);
            match &opt.option {
                ColumnOption::Null => {}
                ColumnOption::NotNull => col.nullable = false,
                ColumnOption::Default(e) => {
                    if serial {
                        self.note(format!(
                            "column `{name}` is serial and has a default; the default is ignored"
                        ));
                    } else {
                        col.default = Some(ColumnDefault::Expr(sql_expr(e)));
                        nextval = nextval_target(e).map(|p| self.lookup_sequence(&p));
                    }
                }
                ColumnOption::PrimaryKey(pk) => {
                    self.key_characteristics(&pk.characteristics);
                    cons.push(Con::Pk {
                        name: cname.or(pk.name.as_ref().map(fold)),
                        cols: vec![name.clone()],
                    });
                }
                ColumnOption::Unique(u) => {
                    self.key_characteristics(&u.characteristics);
                    if u.nulls_distinct == ast::NullsDistinctOption::NotDistinct {
                        self.note("UNIQUE NULLS NOT DISTINCT is not managed");
                    }
                    cons.push(Con::Unique {
                        name: cname.or(u.name.as_ref().map(fold)),
                        cols: vec![name.clone()],
                    });
                }
                ColumnOption::ForeignKey(fk) => {
                    let mut d = self.fk_decl(fk);
                    d.name = cname.or(d.name);
                    d.cols = vec![name.clone()];
                    cons.push(Con::Fk(d));
                }
                ColumnOption::Check(ck) => cons.push(Con::Check {
                    name: cname.or(ck.name.as_ref().map(fold)),
                    expr: ck.expr.clone(),
                }),
                ColumnOption::Generated {
                    generated_as: kind @ (GeneratedAs::Always | GeneratedAs::ByDefault),
                    generation_expr: None,
                    ..
                } => {
                    col.identity = Some(if *kind == GeneratedAs::Always {
                        Identity::Always
                    } else {
                        Identity::ByDefault
                    });
                    col.nullable = false;
                    let opts = self.identity_opts.pop_front().unwrap_or_default();
                    col.identity_sequence = identity_sequence(&opts, &col.ty);
                    self.names
                        .choose(&table.schema, &table.name, Some(&name), "seq", NameKind::Relation);
                }
                ColumnOption::Generated { .. } => self.note(format!(
                    "generated columns are not managed: column `{name}` was imported without its expression"
                )),
                ColumnOption::Collation(c) => self.note(format!(
                    "column collations are not managed: column `{name}` was imported without COLLATE {c}"
                )),
                ColumnOption::Comment(c) => col.comment = Some(c.clone()),
                other => self.note(format!(
                    "column option `{other}` of column `{name}` is not managed"
                )),
            }
        }
        Ok((col, nextval))
    }

    fn key_characteristics(&mut self, c: &Option<ast::ConstraintCharacteristics>) {
        if c.as_ref().is_some_and(|c| {
            c.deferrable == Some(true) || c.initially == Some(ast::DeferrableInitial::Deferred)
        }) {
            self.note("deferrable primary key and unique constraints are not managed");
        }
    }

    /// A column type: a built-in type, a serial keyword (when `allow_serial`), or an enum type
    /// declared earlier in the file.
    fn column_type(
        &mut self,
        dt: &ast::DataType,
        column: &str,
        allow_serial: bool,
    ) -> Result<(DataType, bool), String> {
        let text = dt.to_string();
        if allow_serial && let Some(s) = Serial::from_name(&text) {
            return Ok((DataType::new(s.base()), true));
        }
        match DataType::parse(&text) {
            Ok(t) => Ok((t, false)),
            Err(TypeError::Unknown(parts)) => {
                let array = matches!(dt, ast::DataType::Array(_));
                let q = self.lookup(&parts, |q| self.schema.enums.contains_key(q));
                let named = DataType {
                    base: BaseType::Named(q.clone()),
                    array,
                };
                if self.schema.enums.contains_key(&q) {
                    return Ok((named, false));
                }
                let builtin = parts.len() == 1 || parts[0] == "pg_catalog";
                if builtin
                    && parts
                        .last()
                        .is_some_and(|n| UNSUPPORTED_TYPES.contains(&n.as_str()))
                {
                    return Err(format!(
                        "column `{column}` has type `{text}`, which tableform does not support"
                    ));
                }
                self.note(format!(
                    "column `{column}` has type `{text}`, which is not an enum type created in this file (domains and extension types are not managed); it was kept as type {q}"
                ));
                Ok((named, false))
            }
            Err(TypeError::Syntax(m)) => Err(format!(
                "column `{column}` has type `{text}`, which tableform does not support ({m})"
            )),
        }
    }

    fn lookup_sequence(&self, parts: &[String]) -> QualName {
        self.lookup(parts, |q| self.sequences.contains_key(q))
    }

    fn set_nextval(&mut self, table: &QualName, column: &str, seq: Option<QualName>) {
        let key = (table.clone(), column.to_string());
        match seq {
            Some(s) => {
                self.nextvals.insert(key, s);
            }
            None => {
                self.nextvals.remove(&key);
            }
        }
    }

    fn fk_decl(&mut self, fk: &ast::ForeignKeyConstraint) -> FkDecl {
        if fk.match_kind.is_some() {
            self.note("the MATCH option of foreign keys is not managed");
        }
        let (deferrable, initially_deferred) = match &fk.characteristics {
            Some(c) => {
                let deferred = c.initially == Some(ast::DeferrableInitial::Deferred);
                (c.deferrable == Some(true) || deferred, deferred)
            }
            None => (false, false),
        };
        FkDecl {
            name: fk.name.as_ref().map(fold),
            cols: fk.columns.iter().map(fold).collect(),
            target: self.lookup_table(&name_parts(&fk.foreign_table)),
            ref_cols: fk.referred_columns.iter().map(fold).collect(),
            on_delete: fk_action(&fk.on_delete),
            on_update: fk_action(&fk.on_update),
            deferrable,
            initially_deferred,
        }
    }

    /// Key columns of a PRIMARY KEY or UNIQUE constraint (plain columns only).
    fn key_columns(&mut self, cols: &[ast::IndexColumn]) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for c in cols {
            match strip_parens(&c.column.expr) {
                Expr::Identifier(id) => out.push(fold(id)),
                other => {
                    self.note(format!(
                        "constraint key `{other}` is not a column; the constraint is not imported"
                    ));
                    return None;
                }
            }
        }
        Some(out)
    }

    fn table_constraint(&mut self, c: &TableConstraint) -> Option<Con> {
        match c {
            TableConstraint::PrimaryKey(pk) => {
                self.key_characteristics(&pk.characteristics);
                if !pk.include.is_empty() {
                    self.note("INCLUDE columns of constraints are not managed");
                }
                let cols = self.key_columns(&pk.columns)?;
                Some(Con::Pk {
                    name: pk.name.as_ref().map(fold),
                    cols,
                })
            }
            TableConstraint::Unique(u) => {
                self.key_characteristics(&u.characteristics);
                if !u.include.is_empty() {
                    self.note("INCLUDE columns of constraints are not managed");
                }
                if u.nulls_distinct == ast::NullsDistinctOption::NotDistinct {
                    self.note("UNIQUE NULLS NOT DISTINCT is not managed");
                }
                let cols = self.key_columns(&u.columns)?;
                Some(Con::Unique {
                    name: u.name.as_ref().map(fold),
                    cols,
                })
            }
            TableConstraint::ForeignKey(fk) => Some(Con::Fk(self.fk_decl(fk))),
            TableConstraint::Check(ck) => Some(Con::Check {
                name: ck.name.as_ref().map(fold),
                expr: ck.expr.clone(),
            }),
            TableConstraint::Exclude(_) => {
                self.note("exclusion constraints are not managed");
                None
            }
            other => {
                self.note(format!("constraint `{other}` is not managed"));
                None
            }
        }
    }

    /// Names and adds constraints in the order PostgreSQL creates them: checks, then primary
    /// key and unique constraints (indexes), then foreign keys.
    fn add_constraints(&mut self, table: &mut Table, cons: Vec<Con>) {
        let (ns, t) = (table.name.schema.clone(), table.name.name.clone());
        let mut keys = Vec::new();
        let mut fks = Vec::new();
        for con in cons {
            match con {
                Con::Check { name, expr } => {
                    let name = match name {
                        Some(n) => {
                            self.names.given(&ns, &n, NameKind::Constraint);
                            n
                        }
                        None => {
                            // PostgreSQL names a check after its column when it mentions
                            // exactly one (AddRelationNewConstraints).
                            let cols = columns_mentioned(&expr, table);
                            let col = (cols.len() == 1).then(|| cols[0].as_str());
                            self.names
                                .choose(&ns, &t, col, "check", NameKind::Constraint)
                        }
                    };
                    table.checks.push(Check {
                        name,
                        expr: sql_expr(&expr),
                        valid: true,
                        no_inherit: false,
                        comment: None,
                    });
                }
                Con::Pk { .. } | Con::Unique { .. } => keys.push(con),
                Con::Fk(fk) => fks.push(fk),
            }
        }
        for con in keys {
            let (is_pk, name, cols) = match con {
                Con::Pk { name, cols } => (true, name, cols),
                Con::Unique { name, cols } => (false, name, cols),
                _ => continue,
            };
            if let Some(bad) = cols.iter().find(|c| table.column(c).is_none()) {
                self.note(format!(
                    "a {} of {} names column `{bad}`, which the table does not have; it is not imported",
                    if is_pk { "primary key" } else { "unique constraint" },
                    table.name
                ));
                continue;
            }
            if is_pk && table.primary_key.is_some() {
                self.note(format!(
                    "{} has more than one primary key; the first is kept",
                    table.name
                ));
                continue;
            }
            let name = match name {
                Some(n) => {
                    self.names.given(&ns, &n, NameKind::KeyConstraint);
                    n
                }
                None if is_pk => self
                    .names
                    .choose(&ns, &t, None, "pkey", NameKind::KeyConstraint),
                None => {
                    let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
                    let add = column_addition(&refs);
                    self.names
                        .choose(&ns, &t, Some(&add), "key", NameKind::KeyConstraint)
                }
            };
            if is_pk {
                for c in &mut table.columns {
                    if cols.contains(&c.name) {
                        c.nullable = false;
                    }
                }
                table.primary_key = Some(PrimaryKey {
                    name,
                    columns: cols,
                    comment: None,
                });
            } else {
                table.uniques.push(Unique {
                    name,
                    columns: cols,
                    ..Unique::default()
                });
            }
        }
        for fk in fks {
            if fk.target != table.name && !self.schema.tables.contains_key(&fk.target) {
                self.note(format!(
                    "a foreign key of {} references {}, which is not created before it in this file",
                    table.name, fk.target
                ));
            }
            if let Some(bad) = fk.cols.iter().find(|c| table.column(c).is_none()) {
                self.note(format!(
                    "a foreign key of {} names column `{bad}`, which the table does not have; it is not imported",
                    table.name
                ));
                continue;
            }
            let name = match fk.name {
                Some(n) => {
                    self.names.given(&ns, &n, NameKind::Constraint);
                    n
                }
                None => {
                    let refs: Vec<&str> = fk.cols.iter().map(String::as_str).collect();
                    let add = column_addition(&refs);
                    self.names
                        .choose(&ns, &t, Some(&add), "fkey", NameKind::Constraint)
                }
            };
            table.foreign_keys.push(ForeignKey {
                name,
                columns: fk.cols,
                ref_table: fk.target,
                ref_columns: fk.ref_cols,
                on_delete: fk.on_delete,
                on_update: fk.on_update,
                deferrable: fk.deferrable,
                initially_deferred: fk.initially_deferred,
                match_type: crate::model::FkMatch::Simple,
                valid: true,
                comment: None,
            });
        }
    }

    // --- CREATE INDEX

    fn create_index(&mut self, ci: ast::CreateIndex) {
        let tq = self.lookup_table(&name_parts(&ci.table_name));
        let Some(table) = self.schema.tables.get(&tq) else {
            self.note(format!("table {tq} is not created in this file"));
            return;
        };
        let mut keys = Vec::new();
        let mut words = Vec::new();
        let mut problems = Vec::new();
        for ic in &ci.columns {
            let expr = strip_parens(&ic.column.expr);
            let descending = matches!(ic.column.options.sort, Some(ast::OrderBySort::Desc));
            let part = match expr {
                Expr::Identifier(id) => {
                    let n = fold(id);
                    if table.column(&n).is_none() {
                        problems.push(format!(
                            "the index names column `{n}`, which {tq} does not have; it is not imported"
                        ));
                    }
                    IndexPart::Column(n)
                }
                other => IndexPart::Expr(sql_expr(other)),
            };
            words.push(names::figure_index_colname(expr));
            if let Some(oc) = &ic.operator_class {
                problems.push(format!(
                    "operator classes are not managed: the index was imported without `{oc}`"
                ));
            }
            keys.push(IndexKey::new(
                part,
                descending,
                ic.column.options.nulls_first,
            ));
        }
        words.extend(ci.include.iter().map(fold));
        if !ci.include.is_empty() {
            problems.push("INCLUDE columns of indexes are not managed".into());
        }
        if ci.nulls_distinct == Some(false) {
            problems.push("NULLS NOT DISTINCT is not managed".into());
        }
        if !ci.with.is_empty() {
            problems.push("storage parameters (WITH) of indexes are not imported from SQL".into());
        }
        let fatal = problems.iter().any(|p| p.ends_with("it is not imported"));
        for p in problems {
            self.note(p);
        }
        if fatal {
            return;
        }
        let ns = tq.schema.clone();
        let name = match &ci.name {
            Some(n) => {
                let n = name_parts(n).last().cloned().unwrap_or_default();
                if self.names.has_relation(&ns, &n) && ci.if_not_exists {
                    return;
                }
                self.names.given(&ns, &n, NameKind::Relation);
                n
            }
            None => {
                let cols = index_column_names(words);
                let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
                let add = column_addition(&refs);
                self.names
                    .choose(&ns, &tq.name, Some(&add), "idx", NameKind::Relation)
            }
        };
        let method = ci.using.as_ref().map_or_else(
            || "btree".to_string(),
            |u| u.to_string().to_ascii_lowercase(),
        );
        let index = Index {
            name,
            unique: ci.unique,
            method,
            keys,
            predicate: ci.predicate.as_ref().map(sql_expr),
            include: Vec::new(),
            with: Default::default(),
            nulls_not_distinct: false,
            valid: true,
            comment: None,
        };
        if let Some(t) = self.schema.tables.get_mut(&tq) {
            t.indexes.push(index);
        }
    }

    // --- sequences

    fn create_sequence(&mut self, st: &Stmt) -> Result<(), Fail> {
        let mut c = Cursor::new(st);
        while !c.done() && !c.eat("SEQUENCE") {
            c.i += 1;
        }
        let if_not_exists = c.eat_all(&["IF", "NOT", "EXISTS"]);
        let parts = c.name().ok_or_else(|| c.fail("a sequence name"))?;
        let opts = seq_options(&mut c)?;
        let q = self.new_name(&parts);
        if self.sequences.contains_key(&q) || self.names.has_relation(&q.schema, &q.name) {
            if !if_not_exists {
                self.note(format!("relation {q} is created twice; the first is kept"));
            }
            return Ok(());
        }
        self.names.relation(&q.schema, &q.name);
        let seq = build_sequence(q.clone(), &opts, None);
        self.sequences.insert(q.clone(), seq);
        self.own(&q, &opts);
        Ok(())
    }

    fn own(&mut self, seq: &QualName, opts: &SeqOpts) {
        match &opts.owned_by {
            Some(Some(parts)) if parts.len() >= 2 => {
                let (tparts, col) = parts.split_at(parts.len() - 1);
                let table = self.lookup_table(tparts);
                self.owned.insert(seq.clone(), (table, col[0].clone()));
            }
            Some(_) => {
                self.owned.remove(seq);
            }
            None => {}
        }
    }

    fn alter_sequence(&mut self, st: &Stmt) -> Result<(), Fail> {
        let mut c = Cursor::new(st);
        c.i = 2;
        let if_exists = c.eat_all(&["IF", "EXISTS"]);
        let parts = c.name().ok_or_else(|| c.fail("a sequence name"))?;
        let rest = shapes(&st.toks[c.i..]);
        if rest.first().is_some_and(|w| w == "OWNER") {
            return Ok(());
        }
        if rest.first().is_some_and(|w| w == "SET") && rest.get(1).is_some_and(|w| w == "SCHEMA") {
            self.note("moving sequences between schemas is not supported");
            return Ok(());
        }
        let opts = seq_options(&mut c)?;
        let q = self.lookup_sequence(&parts);
        let Some(old) = self.sequences.get(&q) else {
            if !if_exists {
                self.note(format!("sequence {q} is not created in this file"));
            }
            return Ok(());
        };
        let seq = build_sequence(q.clone(), &opts, Some(old));
        self.sequences.insert(q.clone(), seq);
        self.own(&q, &opts);
        if let Some(new) = &opts.rename {
            let nq = QualName::new(q.schema.clone(), new.clone());
            if let Some(mut s) = self.sequences.remove(&q) {
                s.name = nq.clone();
                self.sequences.insert(nq.clone(), s);
            }
            if let Some(o) = self.owned.remove(&q) {
                self.owned.insert(nq.clone(), o);
            }
            for v in self.nextvals.values_mut() {
                if *v == q {
                    *v = nq.clone();
                }
            }
            self.names.forget(&q.schema, &q.name);
            self.names.relation(&nq.schema, &nq.name);
        }
        Ok(())
    }

    // --- ALTER

    fn alter(&mut self, st: &Stmt) -> Result<(), Fail> {
        let all = shapes(&st.toks);
        // `... OWNER TO role` of any object
        if all.len() >= 3 && all[all.len() - 3] == "OWNER" && all[all.len() - 2] == "TO" {
            return Ok(());
        }
        let words: Vec<String> = (1..4).map_while(|i| st.kw(i)).collect();
        match words.first().map(String::as_str) {
            Some("TABLE") => self.alter_table(st),
            Some("SEQUENCE") => self.alter_sequence(st),
            Some("INDEX") => self.alter_index(st),
            Some("TYPE") => {
                for s in st.parse(st.toks.clone())? {
                    if let Statement::AlterType(at) = s {
                        self.alter_type(at);
                    }
                }
                Ok(())
            }
            Some("SCHEMA") => {
                self.note("renaming schemas is not supported");
                Ok(())
            }
            _ => {
                match unmanaged(&words) {
                    Some(r) => self.note(r),
                    None => {
                        st.parse(st.toks.clone())?;
                        self.note("this kind of statement is not imported");
                    }
                }
                Ok(())
            }
        }
    }

    fn alter_type(&mut self, at: ast::AlterType) {
        let q = self.lookup(&name_parts(&at.name), |q| self.schema.enums.contains_key(q));
        if !self.schema.enums.contains_key(&q) {
            self.note(format!("type {q} is not an enum type created in this file"));
            return;
        }
        match at.operation {
            ast::AlterTypeOperation::AddValue(v) => {
                let e = self.schema.enums.get_mut(&q).expect("checked above");
                if e.values.contains(&v.value.value) {
                    return;
                }
                let at_pos = match &v.position {
                    Some(ast::AlterTypeAddValuePosition::Before(n)) => {
                        e.values.iter().position(|x| *x == n.value)
                    }
                    Some(ast::AlterTypeAddValuePosition::After(n)) => {
                        e.values.iter().position(|x| *x == n.value).map(|p| p + 1)
                    }
                    None => None,
                };
                let p = at_pos.unwrap_or(e.values.len());
                e.values.insert(p, v.value.value.clone());
            }
            ast::AlterTypeOperation::RenameValue(r) => {
                let e = self.schema.enums.get_mut(&q).expect("checked above");
                for x in &mut e.values {
                    if *x == r.from.value {
                        *x = r.to.value.clone();
                    }
                }
            }
            ast::AlterTypeOperation::Rename(r) => {
                let nq = QualName::new(q.schema.clone(), fold(&r.new_name));
                if let Some(mut e) = self.schema.enums.remove(&q) {
                    e.name = nq.clone();
                    self.schema.enums.insert(nq.clone(), e);
                }
                for t in self.schema.tables.values_mut() {
                    for c in &mut t.columns {
                        if c.ty.base == BaseType::Named(q.clone()) {
                            c.ty.base = BaseType::Named(nq.clone());
                        }
                    }
                }
            }
        }
    }

    fn alter_index(&mut self, st: &Stmt) -> Result<(), Fail> {
        let mut c = Cursor::new(st);
        c.i = 2;
        let if_exists = c.eat_all(&["IF", "EXISTS"]);
        let parts = c.name().ok_or_else(|| c.fail("an index name"))?;
        let rest = shapes(&st.toks[c.i..]);
        let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
        match rest.as_slice() {
            ["RENAME", "TO", _] => {
                let Some(Token::Word(w)) = st.toks.last().map(|t| &t.token) else {
                    return Err(c.fail("a new name"));
                };
                let new = fold_word(w);
                if !self.rename_index(&parts, &new) && !if_exists {
                    self.note("the index is not created in this file");
                }
            }
            ["ATTACH", "PARTITION", ..] => self.note("partitions are not managed"),
            ["SET", ..]
            | ["RESET", ..]
            | ["ALTER", ..]
            | ["OWNER", ..]
            | ["DEPENDS", ..]
            | ["NO", "DEPENDS", ..] => {}
            _ => self.note("this kind of ALTER INDEX is not supported"),
        }
        Ok(())
    }

    /// Renames an index, or the primary key or unique constraint whose index it is.
    fn rename_index(&mut self, parts: &[String], new: &str) -> bool {
        let name = parts.last().cloned().unwrap_or_default();
        let schemas = if parts.len() >= 2 {
            vec![parts[parts.len() - 2].clone()]
        } else {
            self.path_schemas()
        };
        for t in self.schema.tables.values_mut() {
            if !schemas.contains(&t.name.schema) {
                continue;
            }
            let ns = t.name.schema.clone();
            let mut found = false;
            if let Some(i) = t.indexes.iter_mut().find(|i| i.name == name) {
                i.name = new.to_string();
                found = true;
            } else if let Some(pk) = t.primary_key.as_mut().filter(|p| p.name == name) {
                pk.name = new.to_string();
                found = true;
            } else if let Some(u) = t.uniques.iter_mut().find(|u| u.name == name) {
                u.name = new.to_string();
                found = true;
            }
            if found {
                self.names.forget(&ns, &name);
                self.names.relation(&ns, new);
                return true;
            }
        }
        false
    }

    fn alter_table(&mut self, st: &Stmt) -> Result<(), Fail> {
        let mut c = Cursor::new(st);
        c.i = 2;
        if st.kw(2).as_deref() == Some("ALL") {
            return Ok(()); // ALTER TABLE ALL IN TABLESPACE
        }
        let if_exists = c.eat_all(&["IF", "EXISTS"]);
        c.eat("ONLY");
        let parts = c.name().ok_or_else(|| c.fail("a table name"))?;
        let head_end = c.i;
        if matches!(st.toks.get(c.i).map(|t| &t.token), Some(Token::Mul)) {
            c.i += 1;
        }
        // The actions, split on top-level commas.
        let mut actions: Vec<std::ops::Range<usize>> = Vec::new();
        let mut depth = 0usize;
        let mut from = c.i;
        for j in c.i..st.toks.len() {
            match st.toks[j].token {
                Token::LParen => depth += 1,
                Token::RParen => depth = depth.saturating_sub(1),
                Token::Comma if depth == 0 => {
                    actions.push(from..j);
                    from = j + 1;
                }
                _ => {}
            }
        }
        actions.push(from..st.toks.len());
        if actions.iter().all(|a| a.is_empty()) {
            return Err(c.fail("an action"));
        }
        let tq = self.lookup_table(&parts);
        // `ALTER TABLE IF EXISTS` of a table that is not there does nothing.
        let mut missing_noted = if_exists;
        for a in actions {
            let toks = &st.toks[a.clone()];
            let w = shapes(toks);
            let w: Vec<&str> = w.iter().map(String::as_str).collect();
            let has = |x: &str| w.contains(&x);
            // Noise: storage, ownership, validation.
            let silent = matches!(
                w.as_slice(),
                ["OWNER", "TO", ..]
                    | ["CLUSTER", "ON", ..]
                    | ["SET", "WITHOUT", ..]
                    | ["SET", "(", ..]
                    | ["RESET", "(", ..]
                    | ["SET", "TABLESPACE", ..]
                    | ["SET", "ACCESS", ..]
                    | ["SET", "LOGGED"]
                    | ["SET", "UNLOGGED"]
                    | ["VALIDATE", "CONSTRAINT", ..]
            );
            if silent {
                continue;
            }
            let unmanaged = match w.as_slice() {
                ["REPLICA", "IDENTITY", ..] => Some("replica identity is not managed"),
                ["ENABLE" | "DISABLE" | "FORCE" | "NO", ..] if has("SECURITY") => {
                    Some("row-level security is not managed")
                }
                ["ENABLE" | "DISABLE", ..] if has("TRIGGER") => Some("triggers are not managed"),
                ["ENABLE" | "DISABLE", ..] if has("RULE") => Some("rules are not managed"),
                ["ATTACH" | "DETACH", "PARTITION", ..] => Some("partitions are not managed"),
                ["INHERIT", ..] | ["NO", "INHERIT", ..] => Some("table inheritance is not managed"),
                ["OF", ..] | ["NOT", "OF", ..] => Some("typed tables are not managed"),
                ["SET", "SCHEMA", ..] => Some("moving tables between schemas is not supported"),
                _ => None,
            };
            if let Some(r) = unmanaged {
                self.note(r);
                continue;
            }
            if !self.schema.tables.contains_key(&tq) {
                if !missing_noted {
                    self.note(format!("table {tq} is not created in this file"));
                    missing_noted = true;
                }
                continue;
            }
            // ALTER [COLUMN] c <what>
            if w.first() == Some(&"ALTER") {
                let k = if w.get(1) == Some(&"COLUMN") { 2 } else { 1 };
                let col = match toks.get(k).map(|t| &t.token) {
                    Some(Token::Word(word)) => fold_word(word),
                    _ => String::new(),
                };
                let what = &w[(k + 1).min(w.len())..];
                match what {
                    ["SET", "STATISTICS" | "STORAGE" | "COMPRESSION" | "(", ..]
                    | ["RESET", ..]
                    | ["RESTART", ..]
                    | [
                        "SET",
                        "INCREMENT" | "START" | "MINVALUE" | "MAXVALUE" | "NO" | "CACHE" | "CYCLE",
                        ..,
                    ]
                    | ["DROP", "EXPRESSION", ..] => continue,
                    ["SET", "GENERATED", kind, ..] => {
                        let id = if *kind == "ALWAYS" {
                            Identity::Always
                        } else {
                            Identity::ByDefault
                        };
                        self.with_column(&tq, &col, |c| {
                            if c.identity.is_some() {
                                c.identity = Some(id);
                            }
                        });
                        continue;
                    }
                    ["DROP", "IDENTITY", ..] => {
                        self.with_column(&tq, &col, |c| c.identity = None);
                        continue;
                    }
                    _ => {}
                }
            }
            let mut seq_names = Vec::new();
            let (action, opts) = strip_identity_options(toks, &mut seq_names);
            self.identity_opts = opts.into();
            for n in seq_names {
                let q = self.new_name(&n);
                self.names.relation(&q.schema, &q.name);
            }
            let mut one: Vec<TokenWithSpan> = st.toks[..head_end].to_vec();
            one.extend(action);
            match st.parse(one) {
                Ok(stmts) => {
                    for s in stmts {
                        if let Statement::AlterTable(at) = s {
                            for op in at.operations {
                                self.alter_table_op(&tq, op);
                            }
                        }
                    }
                }
                Err(f) => self.note(format!(
                    "cannot parse this action: {} (line {}, column {})",
                    f.message, f.line, f.col
                )),
            }
        }
        Ok(())
    }

    fn with_column(&mut self, tq: &QualName, col: &str, f: impl FnOnce(&mut Column)) {
        let found = self
            .schema
            .tables
            .get_mut(tq)
            .and_then(|t| t.columns.iter_mut().find(|c| c.name == col))
            .map(f)
            .is_some();
        if !found {
            self.note(format!("{tq} has no column `{col}`"));
        }
    }

    fn alter_table_op(&mut self, tq: &QualName, op: AlterTableOperation) {
        match op {
            AlterTableOperation::AddConstraint { constraint, .. } => match &constraint {
                TableConstraint::PrimaryKeyUsingIndex(u) | TableConstraint::UniqueUsingIndex(u) => {
                    let pk = matches!(constraint, TableConstraint::PrimaryKeyUsingIndex(_));
                    self.constraint_using_index(tq, u, pk);
                }
                _ => {
                    if let Some(con) = self.table_constraint(&constraint) {
                        self.update_table(tq, |imp, t| imp.add_constraints(t, vec![con]));
                    }
                }
            },
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                ..
            } => {
                let name = fold(&column_def.name);
                let exists = self
                    .schema
                    .tables
                    .get(tq)
                    .is_some_and(|t| t.column(&name).is_some());
                if exists {
                    if !if_not_exists {
                        self.note(format!("{tq} already has a column `{name}`"));
                    }
                    return;
                }
                let mut cons = Vec::new();
                match self.column(tq, &column_def, &mut cons) {
                    Ok((col, nextval)) => {
                        self.set_nextval(tq, &name, nextval);
                        self.update_table(tq, |imp, t| {
                            t.columns.push(col);
                            imp.add_constraints(t, cons);
                        });
                    }
                    Err(reason) => self.note(format!("{reason}; the column is not imported")),
                }
            }
            AlterTableOperation::DropConstraint {
                if_exists, name, ..
            } => {
                let name = fold(&name);
                let ns = tq.schema.clone();
                let mut found = false;
                if let Some(t) = self.schema.tables.get_mut(tq) {
                    if t.primary_key.as_ref().is_some_and(|p| p.name == name) {
                        t.primary_key = None;
                        found = true;
                    }
                    let before = t.uniques.len() + t.foreign_keys.len() + t.checks.len();
                    t.uniques.retain(|u| u.name != name);
                    t.foreign_keys.retain(|f| f.name != name);
                    t.checks.retain(|c| c.name != name);
                    found |= before != t.uniques.len() + t.foreign_keys.len() + t.checks.len();
                }
                if found {
                    self.names.forget(&ns, &name);
                } else if !if_exists {
                    self.note(format!("{tq} has no constraint `{name}`"));
                }
            }
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                ..
            } => {
                for id in column_names {
                    let col = fold(&id);
                    self.drop_column(tq, &col, if_exists);
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                let (old, new) = (fold(&old_column_name), fold(&new_column_name));
                self.rename_column(tq, &old, &new);
            }
            AlterTableOperation::RenameTable { table_name } => {
                let n = match table_name {
                    ast::RenameTableNameKind::As(n) | ast::RenameTableNameKind::To(n) => n,
                };
                let new = name_parts(&n).last().cloned().unwrap_or_default();
                self.rename_table(tq, &new);
            }
            AlterTableOperation::RenameConstraint { old_name, new_name } => {
                let (old, new) = (fold(&old_name), fold(&new_name));
                let mut found = false;
                if let Some(t) = self.schema.tables.get_mut(tq) {
                    if let Some(p) = t.primary_key.as_mut().filter(|p| p.name == old) {
                        p.name = new.clone();
                        found = true;
                    }
                    for u in t.uniques.iter_mut().filter(|u| u.name == old) {
                        u.name = new.clone();
                        found = true;
                    }
                    for f in t.foreign_keys.iter_mut().filter(|f| f.name == old) {
                        f.name = new.clone();
                        found = true;
                    }
                    for c in t.checks.iter_mut().filter(|c| c.name == old) {
                        c.name = new.clone();
                        found = true;
                    }
                }
                if found {
                    self.names.forget(&tq.schema, &old);
                    self.names.given(&tq.schema, &new, NameKind::KeyConstraint);
                } else {
                    self.note(format!("{tq} has no constraint `{old}`"));
                }
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let col = fold(&column_name);
                self.alter_column(tq, &col, op);
            }
            other => self.note(format!("ALTER TABLE ... {other} is not supported")),
        }
    }

    fn alter_column(&mut self, tq: &QualName, col: &str, op: AlterColumnOperation) {
        match op {
            AlterColumnOperation::SetNotNull => self.with_column(tq, col, |c| c.nullable = false),
            AlterColumnOperation::DropNotNull => self.with_column(tq, col, |c| c.nullable = true),
            AlterColumnOperation::SetDefault { value } => {
                let nextval = nextval_target(&value).map(|p| self.lookup_sequence(&p));
                let e = sql_expr(&value);
                self.with_column(tq, col, |c| c.default = Some(ColumnDefault::Expr(e)));
                self.set_nextval(tq, col, nextval);
            }
            AlterColumnOperation::DropDefault => {
                self.with_column(tq, col, |c| c.default = None);
                self.set_nextval(tq, col, None);
            }
            AlterColumnOperation::SetDataType { data_type, .. } => {
                match self.column_type(&data_type, col, false) {
                    Ok((ty, _)) => self.with_column(tq, col, |c| c.ty = ty),
                    Err(reason) => self.note(format!("{reason}; the type change is not imported")),
                }
            }
            AlterColumnOperation::AddGenerated { generated_as, .. } => {
                let id = match generated_as {
                    Some(GeneratedAs::Always) => Identity::Always,
                    _ => Identity::ByDefault,
                };
                let opts = self.identity_opts.pop_front().unwrap_or_default();
                self.with_column(tq, col, |c| {
                    c.identity = Some(id);
                    c.nullable = false;
                    c.identity_sequence = identity_sequence(&opts, &c.ty);
                });
                self.names
                    .choose(&tq.schema, &tq.name, Some(col), "seq", NameKind::Relation);
            }
        }
    }

    /// Runs `f` on the table taken out of the schema (so that it can use `self` too).
    fn update_table(&mut self, tq: &QualName, f: impl FnOnce(&mut Self, &mut Table)) {
        if let Some(mut t) = self.schema.tables.remove(tq) {
            f(self, &mut t);
            self.schema.tables.insert(tq.clone(), t);
        }
    }

    fn constraint_using_index(&mut self, tq: &QualName, u: &ast::ConstraintUsingIndex, pk: bool) {
        let index = fold(&u.index_name);
        let Some(t) = self.schema.tables.get_mut(tq) else {
            return;
        };
        let Some(pos) = t.indexes.iter().position(|i| i.name == index) else {
            self.note(format!("{tq} has no index `{index}`"));
            return;
        };
        let cols: Option<Vec<String>> = t.indexes[pos]
            .keys
            .iter()
            .map(|k| match &k.part {
                IndexPart::Column(c) => Some(c.clone()),
                IndexPart::Expr(_) => None,
            })
            .collect();
        let Some(cols) = cols else {
            self.note("a constraint cannot use an expression index");
            return;
        };
        t.indexes.remove(pos);
        // PostgreSQL renames the index to the constraint's name.
        let name = u.name.as_ref().map_or(index.clone(), fold);
        let ns = tq.schema.clone();
        self.names.forget(&ns, &index);
        let con = if pk {
            Con::Pk {
                name: Some(name),
                cols,
            }
        } else {
            Con::Unique {
                name: Some(name),
                cols,
            }
        };
        self.update_table(tq, |imp, t| imp.add_constraints(t, vec![con]));
    }

    fn drop_column(&mut self, tq: &QualName, col: &str, if_exists: bool) {
        let Some(t) = self.schema.tables.get_mut(tq) else {
            return;
        };
        if t.column(col).is_none() {
            if !if_exists {
                self.note(format!("{tq} has no column `{col}`"));
            }
            return;
        }
        let mut gone: Vec<String> = Vec::new();
        let has = |cols: &[String]| cols.iter().any(|c| c == col);
        if t.primary_key.as_ref().is_some_and(|p| has(&p.columns)) {
            gone.push(t.primary_key.take().map(|p| p.name).unwrap_or_default());
        }
        gone.extend(
            t.uniques
                .iter()
                .filter(|u| has(&u.columns))
                .map(|u| u.name.clone()),
        );
        t.uniques.retain(|u| !has(&u.columns));
        gone.extend(
            t.foreign_keys
                .iter()
                .filter(|f| has(&f.columns))
                .map(|f| f.name.clone()),
        );
        t.foreign_keys.retain(|f| !has(&f.columns));
        let mentions = |sql: &str, t: &Table| {
            let dialect = PostgreSqlDialect {};
            Parser::new(&dialect)
                .try_with_sql(sql)
                .and_then(|mut p| p.parse_expr())
                .map(|e| columns_mentioned(&e, t).iter().any(|c| c == col))
                .unwrap_or(false)
        };
        let snapshot = t.clone();
        let checks_gone: Vec<String> = t
            .checks
            .iter()
            .filter(|c| mentions(&c.expr.sql, &snapshot))
            .map(|c| c.name.clone())
            .collect();
        t.checks.retain(|c| !checks_gone.contains(&c.name));
        gone.extend(checks_gone);
        let idx_gone: Vec<String> = t
            .indexes
            .iter()
            .filter(|i| {
                i.keys.iter().any(|k| match &k.part {
                    IndexPart::Column(c) => c == col,
                    IndexPart::Expr(e) => mentions(&e.sql, &snapshot),
                }) || i
                    .predicate
                    .as_ref()
                    .is_some_and(|p| mentions(&p.sql, &snapshot))
            })
            .map(|i| i.name.clone())
            .collect();
        t.indexes.retain(|i| !idx_gone.contains(&i.name));
        gone.extend(idx_gone);
        t.columns.retain(|c| c.name != col);
        for n in gone {
            self.names.forget(&tq.schema, &n);
        }
        self.nextvals.remove(&(tq.clone(), col.to_string()));
        let owned: Vec<QualName> = self
            .owned
            .iter()
            .filter(|(_, (t, c))| t == tq && c == col)
            .map(|(s, _)| s.clone())
            .collect();
        for s in owned {
            self.drop_sequence(&s);
        }
    }

    fn rename_column(&mut self, tq: &QualName, old: &str, new: &str) {
        let Some(t) = self.schema.tables.get_mut(tq) else {
            return;
        };
        if t.column(old).is_none() {
            self.note(format!("{tq} has no column `{old}`"));
            return;
        }
        let ren = |cols: &mut Vec<String>| {
            for c in cols.iter_mut().filter(|c| *c == old) {
                *c = new.to_string();
            }
        };
        for c in t.columns.iter_mut().filter(|c| c.name == old) {
            c.name = new.to_string();
        }
        if let Some(p) = &mut t.primary_key {
            ren(&mut p.columns);
        }
        for u in &mut t.uniques {
            ren(&mut u.columns);
        }
        for f in &mut t.foreign_keys {
            ren(&mut f.columns);
        }
        for c in &mut t.checks {
            c.expr = rename_in_expr(&c.expr, old, new);
        }
        for i in &mut t.indexes {
            for k in &mut i.keys {
                match &mut k.part {
                    IndexPart::Column(c) if c == old => *c = new.to_string(),
                    IndexPart::Expr(e) => *e = rename_in_expr(e, old, new),
                    _ => {}
                }
            }
            if let Some(p) = &mut i.predicate {
                *p = rename_in_expr(p, old, new);
            }
        }
        for other in self.schema.tables.values_mut() {
            for f in other.foreign_keys.iter_mut().filter(|f| &f.ref_table == tq) {
                ren(&mut f.ref_columns);
            }
        }
        if let Some(s) = self.nextvals.remove(&(tq.clone(), old.to_string())) {
            self.nextvals.insert((tq.clone(), new.to_string()), s);
        }
        for (t, c) in self.owned.values_mut() {
            if t == tq && c == old {
                *c = new.to_string();
            }
        }
    }

    fn rename_table(&mut self, tq: &QualName, new: &str) {
        let nq = QualName::new(tq.schema.clone(), new.to_string());
        let Some(mut t) = self.schema.tables.remove(tq) else {
            return;
        };
        t.name = nq.clone();
        self.schema.tables.insert(nq.clone(), t);
        for other in self.schema.tables.values_mut() {
            for f in other.foreign_keys.iter_mut().filter(|f| &f.ref_table == tq) {
                f.ref_table = nq.clone();
            }
        }
        let keys: Vec<_> = self
            .nextvals
            .keys()
            .filter(|(t, _)| t == tq)
            .cloned()
            .collect();
        for k in keys {
            if let Some(s) = self.nextvals.remove(&k) {
                self.nextvals.insert((nq.clone(), k.1), s);
            }
        }
        for (t, _) in self.owned.values_mut() {
            if t == tq {
                *t = nq.clone();
            }
        }
        self.names.forget(&tq.schema, &tq.name);
        self.names.relation(&nq.schema, &nq.name);
    }

    // --- DROP

    fn drop(&mut self, st: &Stmt) -> Result<(), Fail> {
        let kind = st.kw(1).unwrap_or_default();
        if !matches!(kind.as_str(), "TABLE" | "INDEX" | "SEQUENCE" | "TYPE") {
            // Dropping what is not managed (or a schema) changes nothing imported.
            return Ok(());
        }
        for s in st.parse(st.toks.clone())? {
            let Statement::Drop {
                object_type,
                if_exists,
                names,
                ..
            } = s
            else {
                continue;
            };
            for n in names {
                let parts = name_parts(&n);
                let found = match object_type {
                    ast::ObjectType::Table => {
                        let q = self.lookup_table(&parts);
                        self.drop_table(&q)
                    }
                    ast::ObjectType::Sequence => {
                        let q = self.lookup_sequence(&parts);
                        self.drop_sequence(&q)
                    }
                    ast::ObjectType::Type => {
                        let q = self.lookup(&parts, |q| self.schema.enums.contains_key(q));
                        self.schema.enums.remove(&q).is_some()
                    }
                    ast::ObjectType::Index => self.drop_index(&parts),
                    _ => true,
                };
                if !found && !if_exists {
                    self.note(format!("{} is not created in this file", parts.join(".")));
                }
            }
        }
        Ok(())
    }

    fn drop_table(&mut self, q: &QualName) -> bool {
        let Some(t) = self.schema.tables.remove(q) else {
            return false;
        };
        self.names.forget(&q.schema, &q.name);
        let names = t
            .primary_key
            .iter()
            .map(|p| &p.name)
            .chain(t.uniques.iter().map(|u| &u.name))
            .chain(t.foreign_keys.iter().map(|f| &f.name))
            .chain(t.checks.iter().map(|c| &c.name))
            .chain(t.indexes.iter().map(|i| &i.name));
        for n in names {
            self.names.forget(&q.schema, n);
        }
        self.nextvals.retain(|(t, _), _| t != q);
        let owned: Vec<QualName> = self
            .owned
            .iter()
            .filter(|(_, (t, _))| t == q)
            .map(|(s, _)| s.clone())
            .collect();
        for s in owned {
            self.drop_sequence(&s);
        }
        true
    }

    fn drop_sequence(&mut self, q: &QualName) -> bool {
        self.owned.remove(q);
        self.names.forget(&q.schema, &q.name);
        self.sequences.remove(q).is_some()
    }

    fn drop_index(&mut self, parts: &[String]) -> bool {
        let name = parts.last().cloned().unwrap_or_default();
        let schemas = if parts.len() >= 2 {
            vec![parts[parts.len() - 2].clone()]
        } else {
            self.path_schemas()
        };
        for t in self.schema.tables.values_mut() {
            if !schemas.contains(&t.name.schema) {
                continue;
            }
            if let Some(p) = t.indexes.iter().position(|i| i.name == name) {
                t.indexes.remove(p);
                let ns = t.name.schema.clone();
                self.names.forget(&ns, &name);
                return true;
            }
        }
        false
    }

    // --- COMMENT ON

    fn comment(&mut self, st: &Stmt) -> Result<(), Fail> {
        let words: Vec<String> = (2..5).map_while(|i| st.kw(i)).collect();
        match words.first().map(String::as_str) {
            Some("TABLE" | "COLUMN") => {}
            Some("SCHEMA") => {
                self.note("comments on schemas are not managed");
                return Ok(());
            }
            Some("INDEX") => {
                self.note("comments on indexes are not managed");
                return Ok(());
            }
            Some("SEQUENCE") => {
                self.note("comments on sequences are not managed");
                return Ok(());
            }
            Some("TYPE") => {
                self.note("comments on types are not managed");
                return Ok(());
            }
            Some("CONSTRAINT") => {
                self.note("comments on constraints are not managed");
                return Ok(());
            }
            // Comments on objects that are not managed go with them.
            _ => return Ok(()),
        }
        for s in st.parse(st.toks.clone())? {
            let Statement::Comment {
                object_type,
                object_name,
                comment,
                ..
            } = s
            else {
                continue;
            };
            let parts = name_parts(&object_name);
            match object_type {
                ast::CommentObject::Table => {
                    let q = self.lookup_table(&parts);
                    match self.schema.tables.get_mut(&q) {
                        Some(t) => t.comment = comment,
                        None => self.note(format!("table {q} is not created in this file")),
                    }
                }
                ast::CommentObject::Column => {
                    let Some((col, tparts)) = parts.split_last() else {
                        continue;
                    };
                    let q = self.lookup_table(tparts);
                    if self.schema.tables.contains_key(&q) {
                        self.with_column(&q, col, |c| c.comment = comment);
                    } else {
                        self.note(format!("table {q} is not created in this file"));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    // --- the end

    fn finish(mut self) -> SqlImport {
        // nextval() of a sequence owned by the same column is what serial creates.
        let mut serials: HashSet<QualName> = HashSet::new();
        for ((tq, col), seq) in &self.nextvals {
            if self.owned.get(seq) != Some(&(tq.clone(), col.clone())) {
                continue;
            }
            serials.insert(seq.clone());
            if let Some(c) = self
                .schema
                .tables
                .get_mut(tq)
                .and_then(|t| t.columns.iter_mut().find(|c| &c.name == col))
            {
                c.default = Some(ColumnDefault::Serial {
                    sequence: Some(seq.name.clone()),
                });
            }
        }
        // A serial's sequence belongs to its column (as in the catalog); the others are
        // standalone, owned by a column or not.
        for (q, mut s) in std::mem::take(&mut self.sequences) {
            if serials.contains(&q) {
                continue;
            }
            s.owned_by = self.owned.get(&q).map(|(table, column)| OwnedBy {
                table: table.clone(),
                column: column.clone(),
            });
            self.schema.sequences.insert(q, s);
        }
        // `REFERENCES t` without columns means t's primary key.
        let pks: HashMap<QualName, Vec<String>> = self
            .schema
            .tables
            .iter()
            .filter_map(|(q, t)| {
                t.primary_key
                    .as_ref()
                    .map(|p| (q.clone(), p.columns.clone()))
            })
            .collect();
        for t in self.schema.tables.values_mut() {
            for fk in &mut t.foreign_keys {
                if fk.ref_columns.is_empty()
                    && let Some(cols) = pks.get(&fk.ref_table)
                {
                    fk.ref_columns = cols.clone();
                }
            }
        }
        let mut schemas = std::mem::take(&mut self.created_schemas);
        schemas.extend(
            self.schema
                .tables
                .keys()
                .chain(self.schema.enums.keys())
                .chain(self.schema.sequences.keys())
                .map(|q| q.schema.clone()),
        );
        self.schema.schemas = schemas;
        SqlImport {
            schema: self.schema,
            skipped: self.skipped,
        }
    }
}

/// Renames a column in an expression's text (identifiers only).
fn rename_in_expr(e: &SqlExpr, old: &str, new: &str) -> SqlExpr {
    let dialect = PostgreSqlDialect {};
    let parsed = Parser::new(&dialect)
        .try_with_sql(&e.sql)
        .and_then(|mut p| p.parse_expr());
    let Ok(mut ast) = parsed else {
        return e.clone();
    };
    let mut changed = false;
    let _ = ast::visit_expressions_mut(&mut ast, |x| {
        if let Expr::Identifier(id) = x
            && fold(id) == old
        {
            *id = ast::Ident::with_quote('"', new);
            if names::quote_ident(new) == new {
                id.quote_style = None;
            }
            changed = true;
        }
        ControlFlow::<()>::Continue(())
    });
    if changed { render(ast) } else { e.clone() }
}

/// `IDENTITY ( sequence options )` is not in sqlparser's grammar in the order pg_dump writes
/// it, so the options are taken out of the statement and returned, one set per identity in
/// order of appearance (an identity without options gets the defaults). The `SEQUENCE NAME`s
/// found are returned in `seq_names`.
fn strip_identity_options(
    toks: &[TokenWithSpan],
    seq_names: &mut Vec<Vec<String>>,
) -> (Vec<TokenWithSpan>, Vec<SeqOpts>) {
    let mut opts = Vec::new();
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let is_identity = matches!(&toks[i].token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("IDENTITY"));
        out.push(toks[i].clone());
        i += 1;
        let with_options = matches!(toks.get(i).map(|t| &t.token), Some(Token::LParen));
        if is_identity && !with_options {
            opts.push(SeqOpts::default());
        }
        if is_identity && with_options {
            let mut depth = 0usize;
            let start = i;
            while i < toks.len() {
                match toks[i].token {
                    Token::LParen => depth += 1,
                    Token::RParen => {
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            let inner = &toks[start..i];
            opts.push(identity_seq_opts(inner));
            let sh = shapes(inner);
            if let Some(p) = sh
                .windows(2)
                .position(|w| w[0] == "SEQUENCE" && w[1] == "NAME")
            {
                let mut parts = Vec::new();
                let mut j = start + p + 2;
                while let Some(Token::Word(w)) = toks.get(j).map(|t| &t.token) {
                    parts.push(fold_word(w));
                    if matches!(toks.get(j + 1).map(|t| &t.token), Some(Token::Period)) {
                        j += 2;
                    } else {
                        break;
                    }
                }
                if !parts.is_empty() {
                    seq_names.push(parts);
                }
            }
        }
    }
    (out, opts)
}

/// The options inside an identity's parentheses: `START WITH n`, `INCREMENT BY n`, `[NO]
/// MINVALUE n`, `[NO] MAXVALUE n`, `CACHE n`, `[NO] CYCLE` (`SEQUENCE NAME x` and `AS type` are
/// read elsewhere or implied by the column).
fn identity_seq_opts(inner: &[TokenWithSpan]) -> SeqOpts {
    let words: Vec<String> = shapes(inner);
    let number = |from: usize| -> Option<(i64, usize)> {
        let mut k = from;
        let mut sign = 1i64;
        if words.get(k).map(String::as_str) == Some("-") {
            sign = -1;
            k += 1;
        }
        let n: i64 = words.get(k)?.parse().ok()?;
        Some((sign * n, k + 1))
    };
    let mut o = SeqOpts::default();
    let mut k = 0;
    while k < words.len() {
        let w = words[k].as_str();
        let next = words.get(k + 1).map(String::as_str);
        match (w, next) {
            ("START", _) | ("INCREMENT", _) => {
                let skip = if matches!(next, Some("WITH" | "BY")) {
                    2
                } else {
                    1
                };
                if let Some((n, end)) = number(k + skip) {
                    if w == "START" {
                        o.start = Some(n);
                    } else {
                        o.increment = Some(n);
                    }
                    k = end;
                    continue;
                }
            }
            ("MINVALUE", _) | ("MAXVALUE", _) | ("CACHE", _) => {
                if let Some((n, end)) = number(k + 1) {
                    match w {
                        "MINVALUE" => o.min = Some(Some(n)),
                        "MAXVALUE" => o.max = Some(Some(n)),
                        _ => o.cache = Some(n),
                    }
                    k = end;
                    continue;
                }
            }
            ("NO", Some("MINVALUE")) => o.min = Some(None),
            ("NO", Some("MAXVALUE")) => o.max = Some(None),
            ("NO", Some("CYCLE")) => o.cycle = Some(false),
            ("CYCLE", _) if k == 0 || words[k - 1] != "NO" => o.cycle = Some(true),
            _ => {}
        }
        k += 1;
    }
    o
}

/// The model's identity options for options as written: the column type's defaults with the
/// written ones over them; `None` when that is just the defaults.
fn identity_sequence(o: &SeqOpts, ty: &DataType) -> Option<crate::model::SequenceOptions> {
    use crate::model::SequenceOptions;
    let increment = o.increment.unwrap_or(1);
    let d = SequenceOptions::defaults(&ty.base, increment);
    let min_value = o.min.flatten().unwrap_or(d.min_value);
    let max_value = o.max.flatten().unwrap_or(d.max_value);
    let opts = SequenceOptions {
        start: o
            .start
            .unwrap_or(if increment >= 0 { min_value } else { max_value }),
        increment,
        min_value,
        max_value,
        cache: o.cache.unwrap_or(1),
        cycle: o.cycle.unwrap_or(false),
    };
    Some(opts).filter(|x| *x != SequenceOptions::defaults(&ty.base, 1))
}

// ---------------------------------------------------------------------------------------------
// Reading statements sqlparser cannot parse, from their tokens

struct Cursor<'a> {
    st: &'a Stmt,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn new(st: &'a Stmt) -> Self {
        Self { st, i: 0 }
    }

    fn done(&self) -> bool {
        self.i >= self.st.toks.len()
    }

    fn peek(&self) -> Option<String> {
        self.st.kw(self.i)
    }

    fn eat(&mut self, kw: &str) -> bool {
        if self.done() {
            return false;
        }
        if self.peek().as_deref() == Some(kw) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_all(&mut self, kws: &[&str]) -> bool {
        let save = self.i;
        if kws.iter().all(|k| self.eat(k)) {
            true
        } else {
            self.i = save;
            false
        }
    }

    fn token(&self) -> Option<&'a Token> {
        self.st.toks.get(self.i).map(|t| &t.token)
    }

    /// `word(.word)*`
    fn name(&mut self) -> Option<Vec<String>> {
        let mut parts = Vec::new();
        loop {
            match self.token() {
                Some(Token::Word(w)) => {
                    parts.push(fold_word(w));
                    self.i += 1;
                }
                _ => return None,
            }
            if matches!(self.token(), Some(Token::Period)) {
                self.i += 1;
            } else {
                return Some(parts);
            }
        }
    }

    fn number(&mut self) -> Result<i64, Fail> {
        let mut neg = false;
        match self.token() {
            Some(Token::Minus) => {
                neg = true;
                self.i += 1;
            }
            Some(Token::Plus) => self.i += 1,
            _ => {}
        }
        match self.token() {
            Some(Token::Number(n, _)) => {
                let text = if neg { format!("-{n}") } else { n.clone() };
                let v = text
                    .parse::<i64>()
                    .map_err(|_| self.fail("an integer that fits in bigint"))?;
                self.i += 1;
                Ok(v)
            }
            _ => Err(self.fail("a number")),
        }
    }

    fn fail(&self, expected: &str) -> Fail {
        let found = self
            .token()
            .map_or_else(|| "end of statement".to_string(), |t| t.to_string());
        self.st
            .fail_at(self.i, format!("Expected: {expected}, found: {found}"))
    }
}

/// Sequence options, in any order (pg_dump writes `START WITH` before `INCREMENT BY`).
fn seq_options(c: &mut Cursor) -> Result<SeqOpts, Fail> {
    let mut o = SeqOpts::default();
    while !c.done() {
        if c.eat("AS") {
            let at = c.i;
            let parts = c.name().ok_or_else(|| c.fail("a type"))?;
            let text = parts.join(".");
            match DataType::parse(&text) {
                Ok(t)
                    if !t.array
                        && matches!(
                            t.base,
                            BaseType::SmallInt | BaseType::Integer | BaseType::BigInt
                        ) =>
                {
                    o.data_type = Some(t)
                }
                _ => {
                    return Err(c.st.fail_at(
                        at,
                        format!("sequence type `{text}` is not smallint, integer or bigint"),
                    ));
                }
            }
        } else if c.eat("INCREMENT") {
            c.eat("BY");
            o.increment = Some(c.number()?);
        } else if c.eat("MINVALUE") {
            o.min = Some(Some(c.number()?));
        } else if c.eat("MAXVALUE") {
            o.max = Some(Some(c.number()?));
        } else if c.eat_all(&["NO", "MINVALUE"]) {
            o.min = Some(None);
        } else if c.eat_all(&["NO", "MAXVALUE"]) {
            o.max = Some(None);
        } else if c.eat_all(&["NO", "CYCLE"]) {
            o.cycle = Some(false);
        } else if c.eat("CYCLE") {
            o.cycle = Some(true);
        } else if c.eat("START") {
            c.eat("WITH");
            o.start = Some(c.number()?);
        } else if c.eat("RESTART") {
            // Where the sequence is now is data, not schema.
            if c.eat("WITH")
                || matches!(
                    c.token(),
                    Some(Token::Number(..) | Token::Minus | Token::Plus)
                )
            {
                c.number()?;
            }
        } else if c.eat("CACHE") {
            o.cache = Some(c.number()?);
        } else if c.eat_all(&["OWNED", "BY"]) {
            if c.eat("NONE") {
                o.owned_by = Some(None);
            } else {
                o.owned_by = Some(Some(c.name().ok_or_else(|| c.fail("table.column"))?));
            }
        } else if c.eat_all(&["SEQUENCE", "NAME"]) {
            c.name().ok_or_else(|| c.fail("a sequence name"))?;
        } else if c.eat_all(&["RENAME", "TO"]) {
            let n = c.name().ok_or_else(|| c.fail("a new name"))?;
            o.rename = n.last().cloned();
        } else if c.eat_all(&["SET", "LOGGED"])
            || c.eat_all(&["SET", "UNLOGGED"])
            || c.eat("LOGGED")
            || c.eat("UNLOGGED")
        {
        } else {
            return Err(c.fail("a sequence option"));
        }
    }
    Ok(o)
}
