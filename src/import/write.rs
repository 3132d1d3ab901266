//! Model -> TOML text.

use std::collections::{BTreeMap, BTreeSet};

use sha2::Digest;
use std::fmt::Write;

use crate::model::names;
use crate::model::types::Serial;
use crate::model::{
    ColumnDefault, EnumType, FkAction, FkMatch, ForeignKey, Identity, Index, IndexPart, QualName,
    Schema, Sequence, SqlExpr, Table,
};

/// Every file of the declaration, by file name: one per table, one for the enum types and one
/// for the sequences of each PostgreSQL schema.
///
/// No two files share a name, even on a case-insensitive file system: the enum and sequence
/// files keep their names, and tables whose names map to one file name (`"a b"` and `a_b`,
/// `Users` and `users`, a table named `_enums`) get a suffix derived from their exact name,
/// except the one whose name the file name spells exactly.
/// The file holding the imported `[settings]`.
pub const SETTINGS_FILE: &str = "_settings.toml";

pub fn render_files(schema: &Schema) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut enums: BTreeMap<&str, Vec<&EnumType>> = BTreeMap::new();
    for e in schema.enums.values() {
        enums.entry(&e.name.schema).or_default().push(e);
    }
    for (ns, list) in enums {
        let name = if ns == "public" {
            "_enums.toml".to_string()
        } else {
            format!("{}._enums.toml", file_part(ns))
        };
        files.insert(
            name,
            list.iter()
                .map(|e| enum_type(e))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    let mut seqs: BTreeMap<&str, Vec<&Sequence>> = BTreeMap::new();
    for s in schema.sequences.values() {
        seqs.entry(&s.name.schema).or_default().push(s);
    }
    for (ns, list) in seqs {
        let name = if ns == "public" {
            "_sequences.toml".to_string()
        } else {
            format!("{}._sequences.toml", file_part(ns))
        };
        files.insert(
            name,
            list.iter()
                .map(|s| sequence(s))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    // The schemas it was imported from, even those holding nothing tableform declares: the
    // declaration manages exactly them, and a database without tables still gets a folder that
    // loads and plans (an empty database round-trips like any other).
    let schemas: Vec<String> = schema.schemas.iter().cloned().collect();
    files.insert(
        SETTINGS_FILE.to_string(),
        format!("[settings]\nschemas = {}\n", strings(&schemas)),
    );
    let schemas = schema_sections(schema);
    if !schemas.is_empty() {
        files.insert("_schemas.toml".to_string(), schemas);
    }
    let reserved: BTreeSet<String> = files.keys().map(|f| f.to_lowercase()).collect();
    for (name, t) in table_file_names(schema.tables.values(), &reserved) {
        files.insert(name, table(t, schema));
    }
    files
}

/// `[schema.NAME]` with its comment, for each schema that has one (other than `public`'s stock
/// comment), and for each schema other than `public` that holds nothing else the declaration
/// carries: without it, that schema would not be created from the declaration.
fn schema_sections(schema: &Schema) -> String {
    let used: BTreeSet<&str> = (schema.tables.keys())
        .chain(schema.enums.keys())
        .chain(schema.sequences.keys())
        .map(|q| q.schema.as_str())
        .collect();
    let names: BTreeSet<&String> = (schema.schemas.iter())
        .chain(schema.schema_comments.keys())
        .collect();
    let sections: Vec<String> = names
        .into_iter()
        .filter_map(|s| {
            let comment = (schema.schema_comments.get(s).cloned().flatten())
                .filter(|c| !(s == "public" && c == crate::model::STOCK_PUBLIC_COMMENT));
            match comment {
                Some(c) => Some(format!("[schema.{}]\ncomment = {}\n", key(s), string(&c))),
                None if s != "public" && !used.contains(s.as_str()) => {
                    Some(format!("[schema.{}]\n", key(s)))
                }
                None => None,
            }
        })
        .collect();
    sections.join("\n")
}

/// One distinct file name per table (compared case-insensitively), none of them in `reserved`.
fn table_file_names<'a>(
    tables: impl Iterator<Item = &'a Table>,
    reserved: &BTreeSet<String>,
) -> Vec<(String, &'a Table)> {
    let mut groups: BTreeMap<String, Vec<&Table>> = BTreeMap::new();
    for t in tables {
        groups
            .entry(file_name(&t.name).to_lowercase())
            .or_default()
            .push(t);
    }
    let mut taken = reserved.clone();
    // Plain names first, so that a suffixed name can never take one.
    let mut plain: BTreeSet<QualName> = BTreeSet::new();
    for (key, list) in &groups {
        if reserved.contains(key) {
            continue;
        }
        let owner = match list.as_slice() {
            [only] => Some(*only),
            _ => list
                .iter()
                .copied()
                .find(|t| file_name(&t.name) == *key && lossless(&t.name)),
        };
        if let Some(t) = owner {
            plain.insert(t.name.clone());
            taken.insert(key.clone());
        }
    }
    let mut out = Vec::new();
    for list in groups.values() {
        for t in list {
            if plain.contains(&t.name) {
                out.push((file_name(&t.name), *t));
                continue;
            }
            let full = file_name(&t.name);
            let stem = full.strip_suffix(".toml").unwrap_or(&full);
            let digest = hex::encode(sha2::Sha256::digest(
                format!("{}\0{}", t.name.schema, t.name.name).as_bytes(),
            ));
            let name = (8..=digest.len())
                .step_by(8)
                .map(|n| format!("{stem}-{}.toml", &digest[..n]))
                .find(|n| !taken.contains(&n.to_lowercase()))
                .expect("a full SHA-256 of a distinct name is a distinct file name");
            taken.insert(name.to_lowercase());
            out.push((name, *t));
        }
    }
    out
}

/// Whether the file name spells the table's name exactly (no character was replaced).
fn lossless(t: &QualName) -> bool {
    file_part(&t.name) == t.name && (t.schema == "public" || file_part(&t.schema) == t.schema)
}

/// `users.toml`, `billing.invoices.toml`; characters unsafe in file names become `_`.
pub fn file_name(t: &QualName) -> String {
    if t.schema == "public" {
        format!("{}.toml", file_part(&t.name))
    } else {
        format!("{}.{}.toml", file_part(&t.schema), file_part(&t.name))
    }
}

fn file_part(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "_".into()
    } else {
        cleaned
    }
}

/// A TOML basic string.
fn string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when it can be, quoted otherwise.
fn key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_string()
    } else {
        string(s)
    }
}

fn strings(list: &[String]) -> String {
    format!(
        "[{}]",
        list.iter()
            .map(|s| string(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A default in the spelling a person would write: `'active'` rather than
/// `'active'::character varying` when the cast only restates the column's type.
fn natural(e: &SqlExpr, ty: &crate::model::DataType) -> String {
    literal_forms(&e.sql, ty)
        .into_iter()
        .next()
        .unwrap_or_else(|| e.sql.clone())
}

/// Shorter spellings of a typed literal that PostgreSQL stores exactly as it is now, so that a
/// declaration written by import gives the same catalog (and `pg_dump`) when applied:
/// `'x'::t` -> `'x'` only when `t` is the column's type without its modifiers (an untyped
/// literal takes the column's type, and `x` is already that type's output form), and
/// `'-1'::integer` -> `-1` only when `integer` is what the bare number is read as
/// (`'0'::double precision` stays: a bare `0` would be stored as the integer `0`).
fn literal_forms(sql: &str, column: &crate::model::DataType) -> Vec<String> {
    use crate::model::DataType;
    let Some((lit, cast)) = sql.rsplit_once("::") else {
        return Vec::new();
    };
    let (lit, Ok(cast)) = (lit.trim(), DataType::parse(cast.trim())) else {
        return Vec::new();
    };
    let Some(inner) = lit.strip_prefix('\'').and_then(|l| l.strip_suffix('\'')) else {
        return Vec::new();
    };
    if inner.replace("''", "").contains('\'') {
        return Vec::new(); // more than one literal (`'a' || 'b'::text`)
    }
    // The bare number first: it is what people write.
    let mut out = Vec::new();
    if numeric_literal_type(inner).and_then(|t| DataType::parse(t).ok()) == Some(cast.clone()) {
        out.push(inner.to_string());
    }
    if unmodified(&cast.to_string()) == unmodified(&column.to_string()) {
        out.push(lit.to_string());
    }
    out
}

/// A type's spelling without its modifiers: `varchar(10)` -> `varchar`.
fn unmodified(ty: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in ty.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The type PostgreSQL gives a bare numeric literal: `integer` when it fits, then `bigint`, then
/// `numeric` (decimals and exponents too); `None` for anything that is not a number.
fn numeric_literal_type(text: &str) -> Option<&'static str> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(if text.parse::<i32>().is_ok() {
            "integer"
        } else if text.parse::<i64>().is_ok() {
            "bigint"
        } else {
            "numeric"
        });
    }
    let number = digits.bytes().all(|b| {
        b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || b == b'-' || b == b'+'
    });
    (number
        && digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && text.parse::<f64>().is_ok())
    .then_some("numeric")
}

/// The spelling people write for a type (`varchar(36)`, `timestamp`, `timestamptz`); it parses
/// back to the same type as PostgreSQL's own spelling. A type of the database that is neither an
/// enum the import writes nor a well-known extension type is written qualified
/// (`public.vector`), as the loader only takes such names qualified.
fn familiar(ty: &crate::model::DataType, schema: &Schema) -> String {
    if let crate::model::BaseType::Named(q) = &ty.base
        && q.schema == "public"
        && !schema.enums.contains_key(q)
        && !crate::load::EXTENSION_TYPES.contains(&q.name.as_str())
    {
        return format!("{}{}", q.sql(), if ty.array { "[]" } else { "" });
    }
    let s = ty.to_string();
    let replacements = [
        ("character varying", "varchar"),
        ("timestamp without time zone", "timestamp"),
        ("timestamp with time zone", "timestamptz"),
        ("time without time zone", "time"),
        ("time with time zone", "timetz"),
    ];
    for (long, short) in replacements {
        if let Some(rest) = s.strip_prefix(long) {
            return format!("{short}{rest}");
        }
    }
    s
}

/// `start = 1000`, `increment = 5`...: the options that differ from the type's defaults (the
/// loader fills those in again).
fn option_keys(o: &crate::model::SequenceOptions, ty: &crate::model::DataType) -> Vec<String> {
    let d = crate::model::SequenceOptions::defaults(&ty.base, o.increment);
    let mut out = Vec::new();
    if o.start != d.start {
        out.push(format!("start = {}", o.start));
    }
    if o.increment != 1 {
        out.push(format!("increment = {}", o.increment));
    }
    if o.min_value != d.min_value {
        out.push(format!("min_value = {}", o.min_value));
    }
    if o.max_value != d.max_value {
        out.push(format!("max_value = {}", o.max_value));
    }
    if o.cache != d.cache {
        out.push(format!("cache = {}", o.cache));
    }
    if o.cycle != d.cycle {
        out.push(format!("cycle = {}", o.cycle));
    }
    out
}

fn action(a: FkAction) -> &'static str {
    match a {
        FkAction::NoAction => "no action",
        FkAction::Restrict => "restrict",
        FkAction::Cascade => "cascade",
        FkAction::SetNull => "set null",
        FkAction::SetDefault => "set default",
    }
}

/// `users(id)` or `billing.customers(id)`, relative to `from`'s schema.
fn reference(from: &QualName, fk: &ForeignKey) -> String {
    let target = if fk.ref_table.schema == from.schema {
        fk.ref_table.name.clone()
    } else {
        format!("{}.{}", fk.ref_table.schema, fk.ref_table.name)
    };
    format!("{target}({})", fk.ref_columns.join(", "))
}

/// Whether the reference can be written in the `table(col, ...)` form and read back the same.
fn simple_reference(fk: &ForeignKey) -> bool {
    let plain = |s: &str| !s.is_empty() && !s.contains(['.', '(', ')', ',']) && s.trim() == s;
    plain(&fk.ref_table.schema)
        && plain(&fk.ref_table.name)
        && fk.ref_columns.iter().all(|c| plain(c))
}

fn table(t: &Table, schema: &Schema) -> String {
    let tname = t.name.name.as_str();
    let mut out = String::new();
    let _ = writeln!(out, "[table.{}]", key(tname));
    if t.name.schema != "public" {
        let _ = writeln!(out, "schema = {}", string(&t.name.schema));
    }
    if let Some(c) = &t.comment {
        let _ = writeln!(out, "comment = {}", string(c));
    }
    // Single-column constraints with PostgreSQL's default names are written on their column.
    // (Those with a comment, or other properties a column cannot declare, are written in full.)
    let column_pk = t.primary_key.as_ref().filter(|pk| {
        pk.columns.len() == 1 && pk.name == names::primary_key_name(tname) && pk.comment.is_none()
    });
    let column_unique = |c: &str| {
        t.uniques.iter().any(|u| {
            u.columns == [c.to_string()]
                && u.name == names::unique_name(tname, &[c])
                && u.same_definition(&crate::model::Unique {
                    columns: u.columns.clone(),
                    ..Default::default()
                })
                && u.comment.is_none()
        })
    };
    let column_fk = |c: &str| {
        t.foreign_keys.iter().find(|f| {
            f.columns == [c.to_string()]
                && f.name == names::foreign_key_name(tname, &[c])
                && !f.deferrable
                && f.valid
                && f.match_type == FkMatch::Simple
                && f.comment.is_none()
                && simple_reference(f)
        })
    };
    let rows: Vec<Vec<String>> = t
        .columns
        .iter()
        .map(|c| {
            let mut fields = vec![format!("name = {},", string(&c.name))];
            let serial = match (&c.default, Serial::keyword(&c.ty.base)) {
                (Some(ColumnDefault::Serial { .. }), Some(kw)) if !c.ty.array => Some(kw),
                _ => None,
            };
            fields.push(format!(
                "type = {},",
                string(serial.unwrap_or(&familiar(&c.ty, schema)))
            ));
            let is_pk = column_pk.is_some_and(|pk| pk.columns[0] == c.name);
            let mut extra = Vec::new();
            if is_pk {
                extra.push("primary_key = true".to_string());
            } else if !c.nullable && serial.is_none() && c.identity.is_none() {
                extra.push("nullable = false".to_string());
            }
            if let (Some(ColumnDefault::Expr(e)), None) = (&c.default, serial) {
                extra.push(format!("default = {}", string(&natural(e, &c.ty))));
            }
            if let Some(kind) = c.identity {
                let generated = match kind {
                    Identity::Always => "\"always\"",
                    Identity::ByDefault => "\"by default\"",
                };
                match c.identity_sequence {
                    None => extra.push(format!("identity = {generated}")),
                    Some(o) => {
                        let keys: Vec<String> = std::iter::once(format!("generated = {generated}"))
                            .chain(option_keys(&o, &c.ty))
                            .collect();
                        extra.push(format!("identity = {{ {} }}", keys.join(", ")));
                    }
                }
            }
            if column_unique(&c.name) {
                extra.push("unique = true".into());
            }
            if let Some(fk) = column_fk(&c.name) {
                extra.push(format!("references = {}", string(&reference(&t.name, fk))));
                if fk.on_delete != FkAction::NoAction {
                    extra.push(format!("on_delete = {}", string(action(fk.on_delete))));
                }
                if fk.on_update != FkAction::NoAction {
                    extra.push(format!("on_update = {}", string(action(fk.on_update))));
                }
            }
            if let Some(k) = &c.collation {
                extra.push(format!("collation = {}", string(k)));
            }
            if let Some(cm) = &c.comment {
                extra.push(format!("comment = {}", string(cm)));
            }
            fields.push(extra.join(", "));
            fields
        })
        .collect();
    // Align `name` and `type` so a column reads as a row.
    let w0 = rows.iter().map(|r| r[0].len()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r[1].len()).max().unwrap_or(0);
    let _ = writeln!(out, "columns = [{}", if rows.is_empty() { "]" } else { "" });
    for r in &rows {
        let line = if r[2].is_empty() {
            format!("{:w0$} {}", r[0], r[1].trim_end_matches(','))
        } else {
            format!("{:w0$} {:w1$} {}", r[0], r[1], r[2])
        };
        let _ = writeln!(out, "  {{ {} }},", line.trim_end());
    }
    if !rows.is_empty() {
        let _ = writeln!(out, "]");
    }
    if let (Some(pk), None) = (&t.primary_key, column_pk) {
        let _ = writeln!(
            out,
            "primary_key = {{ name = {}, columns = {}{} }}",
            string(&pk.name),
            strings(&pk.columns),
            comment_key(&pk.comment)
        );
    }
    let uniques: Vec<String> = t
        .uniques
        .iter()
        .filter(|u| !(u.columns.len() == 1 && column_unique(&u.columns[0])))
        .map(|u| {
            let mut parts = vec![
                format!("name = {}", string(&u.name)),
                format!("columns = {}", strings(&u.columns)),
            ];
            if u.nulls_not_distinct {
                parts.push("nulls_not_distinct = true".into());
            }
            if u.initially_deferred {
                parts.push("initially_deferred = true".into());
            } else if u.deferrable {
                parts.push("deferrable = true".into());
            }
            if !u.include.is_empty() {
                parts.push(format!("include = {}", strings(&u.include)));
            }
            if !u.with.is_empty() {
                parts.push(format!("with = {}", params(&u.with)));
            }
            if let Some(c) = &u.comment {
                parts.push(format!("comment = {}", string(c)));
            }
            format!("{{ {} }}", parts.join(", "))
        })
        .collect();
    list(&mut out, "unique", &uniques);
    let fks: Vec<String> = t
        .foreign_keys
        .iter()
        .filter(|f| {
            !(f.columns.len() == 1 && column_fk(&f.columns[0]).is_some_and(|c| c.name == f.name))
        })
        .map(|f| foreign_key(&t.name, f))
        .collect();
    list(&mut out, "foreign_keys", &fks);
    let checks: Vec<String> = t
        .checks
        .iter()
        .map(|c| {
            let mut extra = String::new();
            if !c.valid {
                extra.push_str(", valid = false");
            }
            if c.no_inherit {
                extra.push_str(", no_inherit = true");
            }
            format!(
                "{{ name = {}, expression = {}{extra}{} }}",
                string(&c.name),
                string(&strip_outer_parens(&c.expr.sql)),
                comment_key(&c.comment)
            )
        })
        .collect();
    list(&mut out, "checks", &checks);
    let indexes: Vec<String> = t.indexes.iter().map(index).collect();
    list(&mut out, "indexes", &indexes);
    out
}

/// `, comment = "..."`, or nothing.
fn comment_key(c: &Option<String>) -> String {
    c.as_ref()
        .map(|c| format!(", comment = {}", string(c)))
        .unwrap_or_default()
}

/// `(a > 0)` -> `a > 0`, only when the outer parentheses enclose the whole expression.
fn strip_outer_parens(sql: &str) -> String {
    let s = sql.trim();
    if !(s.starts_with('(') && s.ends_with(')')) {
        return s.to_string();
    }
    let inner = &s[1..s.len() - 1];
    let mut depth = 0i32;
    let mut quote = false;
    for c in inner.chars() {
        match c {
            '\'' => quote = !quote,
            '(' if !quote => depth += 1,
            ')' if !quote => {
                depth -= 1;
                if depth < 0 {
                    return s.to_string();
                }
            }
            _ => {}
        }
    }
    inner.to_string()
}

fn list(out: &mut String, name: &str, items: &[String]) {
    match items.len() {
        0 => {}
        1 => {
            let _ = writeln!(out, "{name} = [ {} ]", items[0]);
        }
        _ => {
            let _ = writeln!(out, "{name} = [");
            for i in items {
                let _ = writeln!(out, "  {i},");
            }
            let _ = writeln!(out, "]");
        }
    }
}

fn foreign_key(from: &QualName, f: &ForeignKey) -> String {
    let mut parts = vec![
        format!("name = {}", string(&f.name)),
        format!("columns = {}", strings(&f.columns)),
        format!("references = {}", string(&reference(from, f))),
    ];
    if f.on_delete != FkAction::NoAction {
        parts.push(format!("on_delete = {}", string(action(f.on_delete))));
    }
    if f.on_update != FkAction::NoAction {
        parts.push(format!("on_update = {}", string(action(f.on_update))));
    }
    if f.initially_deferred {
        parts.push("initially_deferred = true".into());
    } else if f.deferrable {
        parts.push("deferrable = true".into());
    }
    if f.match_type == FkMatch::Full {
        parts.push("match = \"full\"".into());
    }
    if !f.valid {
        parts.push("valid = false".into());
    }
    if let Some(c) = &f.comment {
        parts.push(format!("comment = {}", string(c)));
    }
    format!("{{ {} }}", parts.join(", "))
}

fn index(i: &Index) -> String {
    let keys: Vec<String> = i
        .keys
        .iter()
        .map(|k| match &k.part {
            // A bare column name is read back literally, whatever characters it holds.
            IndexPart::Column(c)
                if !k.descending
                    && k.nulls_first.is_none()
                    && k.collation.is_none()
                    && k.opclass.is_none() =>
            {
                c.clone()
            }
            _ => crate::plan::sql::index_key(k),
        })
        .collect();
    let mut parts = vec![
        format!("name = {}", string(&i.name)),
        format!("columns = {}", strings(&keys)),
    ];
    if i.unique {
        parts.push("unique = true".into());
    }
    if let Some(p) = &i.predicate {
        parts.push(format!("where = {}", string(&strip_outer_parens(&p.sql))));
    }
    if i.method != "btree" {
        parts.push(format!("method = {}", string(&i.method)));
    }
    if !i.include.is_empty() {
        parts.push(format!("include = {}", strings(&i.include)));
    }
    if !i.with.is_empty() {
        parts.push(format!("with = {}", params(&i.with)));
    }
    if i.nulls_not_distinct {
        parts.push("nulls_not_distinct = true".into());
    }
    if let Some(c) = &i.comment {
        parts.push(format!("comment = {}", string(c)));
    }
    format!("{{ {} }}", parts.join(", "))
}

/// Storage parameters as an inline table: numbers and booleans bare, anything else a string.
fn params(w: &crate::model::StorageParams) -> String {
    let items: Vec<String> = (w.0.iter())
        .map(|(k, v)| {
            let value = if crate::model::StorageParams::bare(v) {
                v.clone()
            } else {
                string(v)
            };
            format!("{} = {value}", key(k))
        })
        .collect();
    format!("{{ {} }}", items.join(", "))
}

fn enum_type(e: &EnumType) -> String {
    let mut out = format!("[enum.{}]\n", key(&e.name.name));
    if e.name.schema != "public" {
        let _ = writeln!(out, "schema = {}", string(&e.name.schema));
    }
    let _ = writeln!(out, "values = {}", strings(&e.values));
    if let Some(c) = &e.comment {
        let _ = writeln!(out, "comment = {}", string(c));
    }
    out
}

fn sequence(s: &Sequence) -> String {
    let mut out = format!("[sequence.{}]\n", key(&s.name.name));
    if s.name.schema != "public" {
        let _ = writeln!(out, "schema = {}", string(&s.name.schema));
    }
    let _ = writeln!(out, "type = {}", string(&s.data_type.to_string()));
    for key in option_keys(&s.options, &s.data_type) {
        let _ = writeln!(out, "{key}");
    }
    if let Some(o) = &s.owned_by {
        let _ = writeln!(
            out,
            "owned_by = {}",
            string(&format!("{}.{}", o.table.name, o.column))
        );
    }
    if let Some(c) = &s.comment {
        let _ = writeln!(out, "comment = {}", string(c));
    }
    out
}
