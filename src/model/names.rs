//! PostgreSQL's rules for names: quoting identifiers and literals, and the default names it gives
//! unnamed constraints and indexes (`makeObjectName` in src/backend/commands/indexcmds.c).

/// Longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes).
pub const MAX_IDENT: usize = 63;

/// Quotes an identifier unless PostgreSQL would read it back unchanged without quotes, like
/// `quote_ident()`: lower-case letters, digits, `_` and `$`, not starting with a digit or `$`, and
/// not a keyword.
pub fn quote_ident(name: &str) -> String {
    let simple = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !is_keyword(name);
    if simple {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Quotes a string literal. Backslashes are only special in `E''` strings, and
/// `standard_conforming_strings` is on by default since PostgreSQL 9.1; we still use the `E''`
/// form when a backslash is present so the literal means the same under either setting.
pub fn quote_literal(value: &str) -> String {
    if value.contains('\\') {
        format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// Keywords that `quote_ident()` quotes (reserved, type/function-name and column-name keywords of
/// PostgreSQL 15). Quoting a word that did not need it is harmless; missing one is not, so the list
/// errs on the side of quoting.
fn is_keyword(word: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "authorization",
        "between",
        "bigint",
        "binary",
        "bit",
        "boolean",
        "both",
        "case",
        "cast",
        "char",
        "character",
        "check",
        "coalesce",
        "collate",
        "collation",
        "column",
        "concurrently",
        "constraint",
        "create",
        "cross",
        "current_catalog",
        "current_date",
        "current_role",
        "current_schema",
        "current_time",
        "current_timestamp",
        "current_user",
        "dec",
        "decimal",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "exists",
        "extract",
        "false",
        "fetch",
        "float",
        "for",
        "foreign",
        "freeze",
        "from",
        "full",
        "grant",
        "greatest",
        "group",
        "grouping",
        "having",
        "ilike",
        "in",
        "initially",
        "inner",
        "inout",
        "int",
        "integer",
        "intersect",
        "interval",
        "into",
        "is",
        "isnull",
        "join",
        "json_array",
        "lateral",
        "leading",
        "least",
        "left",
        "like",
        "limit",
        "localtime",
        "localtimestamp",
        "national",
        "natural",
        "nchar",
        "none",
        "normalize",
        "not",
        "notnull",
        "null",
        "nullif",
        "numeric",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "out",
        "outer",
        "overlaps",
        "overlay",
        "placing",
        "position",
        "precision",
        "primary",
        "real",
        "references",
        "returning",
        "right",
        "row",
        "select",
        "session_user",
        "setof",
        "similar",
        "smallint",
        "some",
        "substring",
        "symmetric",
        "system_user",
        "table",
        "tablesample",
        "then",
        "time",
        "timestamp",
        "to",
        "trailing",
        "treat",
        "trim",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "values",
        "varchar",
        "variadic",
        "verbose",
        "when",
        "where",
        "window",
        "with",
        "xmlattributes",
        "xmlconcat",
        "xmlelement",
        "xmlexists",
        "xmlforest",
        "xmlnamespaces",
        "xmlparse",
        "xmlpi",
        "xmlroot",
        "xmlserialize",
        "xmltable",
    ];
    KEYWORDS.binary_search(&word).is_ok()
}

/// `makeObjectName(name1, name2, label)`: joins the parts with `_`, truncating the longer of the two
/// names first so the result fits in 63 bytes (cut on a character boundary).
pub fn make_object_name(name1: &str, name2: Option<&str>, label: Option<&str>) -> String {
    let mut overhead = 0;
    if name2.is_some() {
        overhead += 1;
    }
    if let Some(l) = label {
        overhead += l.len() + 1;
    }
    let avail = MAX_IDENT.saturating_sub(overhead);
    let mut n1 = name1.len();
    let mut n2 = name2.map_or(0, str::len);
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let mut out = clip(name1, n1).to_string();
    if let Some(n) = name2 {
        out.push('_');
        out.push_str(clip(n, n2));
    }
    if let Some(l) = label {
        out.push('_');
        out.push_str(l);
    }
    out
}

/// Longest prefix of at most `len` bytes that ends on a character boundary (`pg_mbcliplen`).
fn clip(s: &str, len: usize) -> &str {
    let mut end = len.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Truncates an identifier to 63 bytes as PostgreSQL does when it reads one.
pub fn truncate_ident(name: &str) -> String {
    clip(name, MAX_IDENT).to_string()
}

/// The column part of a default constraint or index name: column names joined by `_`
/// (`ChooseIndexNameAddition`), stopping once it is already long enough to be truncated.
pub fn column_addition(columns: &[&str]) -> String {
    let mut out = String::new();
    for c in columns {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(c);
        if out.len() >= MAX_IDENT {
            break;
        }
    }
    out
}

/// `<table>_pkey`
pub fn primary_key_name(table: &str) -> String {
    make_object_name(table, None, Some("pkey"))
}

/// `<table>_<cols>_key`
pub fn unique_name(table: &str, columns: &[&str]) -> String {
    make_object_name(table, Some(&column_addition(columns)), Some("key"))
}

/// `<table>_<cols>_fkey`
pub fn foreign_key_name(table: &str, columns: &[&str]) -> String {
    make_object_name(table, Some(&column_addition(columns)), Some("fkey"))
}

/// `<table>_<col>_seq`, the sequence `serial` creates.
pub fn serial_sequence_name(table: &str, column: &str) -> String {
    make_object_name(table, Some(column), Some("seq"))
}

/// An identifier as PostgreSQL stores it: quoted ones as written, others folded to lower case;
/// both cut to 63 bytes.
pub fn fold_ident(id: &sqlparser::ast::Ident) -> String {
    if id.quote_style.is_some() {
        truncate_ident(&id.value)
    } else {
        truncate_ident(&id.value.to_ascii_lowercase())
    }
}

/// The word PostgreSQL uses for an index key expression in a default index name
/// (`FigureIndexColname` in parse_target.c): a function's or column's name, `case`, the type of
/// a cast of something nameless, ... and `expr` when there is none.
pub fn figure_index_colname(e: &sqlparser::ast::Expr) -> String {
    figure(e).map_or_else(|| "expr".to_string(), |(name, _)| name)
}

/// The name and its strength (2: a real name, 1: a fallback such as a cast's type), as
/// `FigureColnameInternal` ranks them.
fn figure(e: &sqlparser::ast::Expr) -> Option<(String, u8)> {
    use sqlparser::ast::{Expr, ObjectNamePart};
    match e {
        Expr::Identifier(id) => Some((fold_ident(id), 2)),
        Expr::CompoundIdentifier(ids) => ids.last().map(|id| (fold_ident(id), 2)),
        Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => figure(inner),
        Expr::Function(f) => f.name.0.last().map(|p| {
            let n = match p {
                ObjectNamePart::Identifier(id) => fold_ident(id),
                other => other.to_string(),
            };
            (n, 2)
        }),
        Expr::Cast {
            expr, data_type, ..
        } => match figure(expr) {
            Some((n, s)) if s > 1 => Some((n, s)),
            _ => Some((cast_type_word(data_type), 1)),
        },
        Expr::Case { .. } => Some(("case".into(), 1)),
        Expr::Array(_) => Some(("array".into(), 2)),
        Expr::Exists { .. } => Some(("exists".into(), 2)),
        Expr::Extract { .. } => Some(("extract".into(), 2)),
        Expr::Substring { .. } => Some(("substring".into(), 2)),
        Expr::Position { .. } => Some(("position".into(), 2)),
        Expr::Overlay { .. } => Some(("overlay".into(), 2)),
        Expr::Ceil { .. } => Some(("ceil".into(), 2)),
        Expr::Floor { .. } => Some(("floor".into(), 2)),
        Expr::AtTimeZone { .. } => Some(("timezone".into(), 2)),
        _ => None,
    }
}

/// The internal name of a cast's target type, which PostgreSQL falls back to (`int4`, `varchar`).
fn cast_type_word(t: &sqlparser::ast::DataType) -> String {
    use super::BaseType;
    use sqlparser::ast;
    let base = match t {
        ast::DataType::Array(ast::ArrayElemTypeDef::SquareBracket(inner, _)) => inner.as_ref(),
        other => other,
    };
    match super::DataType::from_sqlparser(base).map(|d| d.base) {
        Ok(BaseType::SmallInt) => "int2".into(),
        Ok(BaseType::Integer) => "int4".into(),
        Ok(BaseType::BigInt) => "int8".into(),
        Ok(BaseType::Real) => "float4".into(),
        Ok(BaseType::Double) => "float8".into(),
        Ok(BaseType::Varchar(_)) => "varchar".into(),
        Ok(BaseType::Char(_)) => "bpchar".into(),
        Ok(BaseType::Boolean) => "bool".into(),
        Ok(BaseType::Timestamp { tz: true, .. }) => "timestamptz".into(),
        Ok(BaseType::Time { tz: true, .. }) => "timetz".into(),
        Ok(BaseType::VarBit(_)) => "varbit".into(),
        Ok(BaseType::Numeric(_)) => "numeric".into(),
        _ => match base {
            ast::DataType::Custom(name, _) => name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map_or_else(|| "expr".into(), fold_ident),
            other => other
                .to_string()
                .to_ascii_lowercase()
                .split(['(', ' '])
                .next()
                .unwrap_or("expr")
                .to_string(),
        },
    }
}

/// Which namespace a name lives in, which decides what it may not clash with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// An index or a sequence: a relation.
    Relation,
    /// A primary key or unique constraint: a constraint and its index.
    KeyConstraint,
    /// A check or foreign key: a constraint only.
    Constraint,
}

/// The names taken in each schema, and PostgreSQL's way of choosing a default one that is free:
/// `ChooseRelationName` for indexes and sequences (relations only), the same plus constraints for
/// primary keys and unique constraints, `ChooseConstraintName` for checks and foreign keys
/// (constraints only). A clash is resolved by numbering the label: `_key1`, `_key2`.
#[derive(Debug, Default)]
pub struct Namer {
    relations: std::collections::HashMap<String, std::collections::HashSet<String>>,
    constraints: std::collections::HashMap<String, std::collections::HashSet<String>>,
}

impl Namer {
    pub fn relation(&mut self, ns: &str, name: &str) {
        self.relations
            .entry(ns.to_string())
            .or_default()
            .insert(name.to_string());
    }

    pub fn constraint(&mut self, ns: &str, name: &str) {
        self.constraints
            .entry(ns.to_string())
            .or_default()
            .insert(name.to_string());
    }

    pub fn has_relation(&self, ns: &str, name: &str) -> bool {
        self.relations.get(ns).is_some_and(|s| s.contains(name))
    }

    pub fn has_constraint(&self, ns: &str, name: &str) -> bool {
        self.constraints.get(ns).is_some_and(|s| s.contains(name))
    }

    /// The default name `makeObjectName(n1, n2, label)`, numbered until it is free, and taken.
    pub fn choose(
        &mut self,
        ns: &str,
        n1: &str,
        n2: Option<&str>,
        label: &str,
        kind: NameKind,
    ) -> String {
        for pass in 0usize.. {
            let l = if pass == 0 {
                label.to_string()
            } else {
                format!("{label}{pass}")
            };
            let name = make_object_name(n1, n2, Some(&l));
            let taken = match kind {
                NameKind::Relation => self.has_relation(ns, &name),
                NameKind::KeyConstraint => {
                    self.has_relation(ns, &name) || self.has_constraint(ns, &name)
                }
                NameKind::Constraint => self.has_constraint(ns, &name),
            };
            if !taken {
                self.given(ns, &name, kind);
                return name;
            }
        }
        unreachable!("some numbered name is always free")
    }

    /// Takes a name given explicitly.
    pub fn given(&mut self, ns: &str, name: &str, kind: NameKind) {
        if kind != NameKind::Constraint {
            self.relation(ns, name);
        }
        if kind != NameKind::Relation {
            self.constraint(ns, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted_for_binary_search() {
        assert!(is_keyword("timestamp"));
        assert!(is_keyword("user"));
        assert!(!is_keyword("users"));
        assert!(is_keyword("xmltable"));
        assert!(is_keyword("all"));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("users"), "users");
        assert_eq!(quote_ident("timestamp"), "\"timestamp\"");
        assert_eq!(quote_ident("Users"), "\"Users\"");
        assert_eq!(
            quote_ident("x\"; DROP TABLE users; --"),
            "\"x\"\"; DROP TABLE users; --\""
        );
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
    }

    #[test]
    fn default_names_match_postgres() {
        assert_eq!(primary_key_name("users"), "users_pkey");
        assert_eq!(
            unique_name("shop_variants", &["source", "source_id"]),
            "shop_variants_source_source_id_key"
        );
        assert_eq!(
            foreign_key_name("shop_main", &["merged_into_id"]),
            "shop_main_merged_into_id_fkey"
        );
        // Truncation keeps the label and shortens the longer part first (checked against
        // PostgreSQL 15: CREATE TABLE with these names).
        let long_table = "a".repeat(40);
        let long_col = "b".repeat(40);
        let name = foreign_key_name(&long_table, &[&long_col]);
        assert_eq!(name.len(), 63);
        assert_eq!(name, format!("{}_{}_fkey", "a".repeat(29), "b".repeat(28)));
    }
}
