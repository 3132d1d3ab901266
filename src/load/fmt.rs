//! `tableform fmt`: the canonical layout of a schema file, with its comments kept.
//!
//! Keys follow the order of the format's reference (src/load/spec.rs): a table's `schema` and
//! `comment` first, then `columns`, then constraints and indexes; inside a column `name`, `type`,
//! `nullable`, `default`, ... . Arrays of inline tables hold one item per line (a single
//! constraint or index stays on one line, `[{ ... }]`). Comments, wherever they stand, are
//! carried along with the item they precede. Formatting is idempotent, and the layout is one
//! that taplo (the TOML formatter editors use) keeps as it is with the repository's
//! `.taplo.toml`: no padding for alignment, arrays and inline tables spaced as taplo spaces them.

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use super::spec::{self, Field, Kind};

/// The file in canonical layout, or the TOML parser's message.
pub fn format(text: &str) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.to_string())?;
    let root = doc.as_table_mut();
    for field in spec::TOP {
        match (&field.kind, root.get_mut(field.name)) {
            (Kind::Sections(fields) | Kind::Overloads(fields), Some(Item::Table(sections))) => {
                for (_, item) in sections.iter_mut() {
                    match item {
                        Item::Table(t) => format_table(t, fields),
                        // `[[function.NAME]]`, one table per overload.
                        Item::ArrayOfTables(a) => {
                            for t in a.iter_mut() {
                                format_table(t, fields);
                            }
                        }
                        _ => {}
                    }
                }
            }
            (Kind::Table(fields), Some(Item::Table(t))) => format_table(t, fields),
            _ => {}
        }
    }
    Ok(doc.to_string())
}

fn rank(fields: &[Field], key: &str) -> usize {
    fields
        .iter()
        .position(|f| f.name == key)
        .unwrap_or(fields.len())
}

fn format_table(t: &mut Table, fields: &'static [Field]) {
    t.sort_values_by(|k1, _, k2, _| rank(fields, k1.get()).cmp(&rank(fields, k2.get())));
    for (mut key, item) in t.iter_mut() {
        // `key = value`, one space each side; comments above the key stay.
        if let Item::Value(v) = &mut *item {
            key.leaf_decor_mut().set_suffix(" ");
            v.decor_mut().set_prefix(" ");
        }
        let Some(field) = fields.iter().find(|f| f.name == key.get()) else {
            continue;
        };
        match (&field.kind, item) {
            (Kind::Tables(sub), Item::Value(Value::Array(a))) => format_array(
                a,
                sub,
                matches!(field.name, "columns" | "arguments" | "returns_table"),
            ),
            (Kind::Table(sub), Item::Value(Value::InlineTable(it))) => format_inline(it, sub),
            // `[[table.NAME.triggers]]`: each one a table of its own.
            (Kind::Tables(sub), Item::ArrayOfTables(a)) => {
                for t in a.iter_mut() {
                    format_table(t, sub);
                }
            }
            (_, Item::Value(v)) => tidy(v),
            _ => {}
        }
    }
}

/// Comment lines of a decor string, without their indentation.
fn comments(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// A decor string split into the comment on its first line (which, in an array, ends the line
/// of the item before: `{ ... }, # note`) and the comment lines after it.
fn split_comments(raw: Option<&str>) -> (Option<String>, Vec<String>) {
    let raw = raw.unwrap_or("");
    match raw.split_once('\n') {
        Some((first, rest)) => {
            let same_line = Some(first.trim())
                .filter(|c| c.starts_with('#'))
                .map(str::to_string);
            (same_line, comments(Some(rest)))
        }
        None => (
            Some(raw.trim())
                .filter(|c| c.starts_with('#'))
                .map(str::to_string),
            Vec::new(),
        ),
    }
}

/// A newline-led block: the same-line comment, then the comment lines, then the indentation.
fn block(same_line: Option<String>, lines: &[String], indent: &str) -> String {
    let mut p = match same_line {
        Some(c) => format!(" {c}\n"),
        None => "\n".to_string(),
    };
    for c in lines {
        p.push_str(&format!("  {c}\n"));
    }
    p.push_str(indent);
    p
}

fn has_comment(it: &InlineTable) -> bool {
    it.iter().any(|(k, v)| {
        let text = format!("{}{}", k, v);
        text.contains('#') && !matches!(v, Value::String(_))
    })
}

fn format_inline(it: &mut InlineTable, fields: &'static [Field]) {
    it.sort_values_by(|k1, _, k2, _| rank(fields, k1.get()).cmp(&rank(fields, k2.get())));
    if !has_comment(it) {
        it.fmt();
        for (_, v) in it.iter_mut() {
            tidy(v);
        }
    }
}

/// Spaces the inside of a value as taplo does: `["a", "b"]`, `{ k = v, ... }`, all the way
/// down; a value holding a comment is left as written.
fn tidy(v: &mut Value) {
    match v {
        Value::Array(a) => {
            let commented = a.trailing().as_str().is_some_and(|t| t.contains('#'))
                || (a.iter()).any(|x| {
                    [x.decor().prefix(), x.decor().suffix()]
                        .iter()
                        .any(|d| d.and_then(|r| r.as_str()).is_some_and(|s| s.contains('#')))
                });
            if commented {
                return;
            }
            for (i, x) in a.iter_mut().enumerate() {
                x.decor_mut().set_prefix(if i == 0 { "" } else { " " });
                x.decor_mut().set_suffix("");
                tidy(x);
            }
            a.set_trailing("");
            a.set_trailing_comma(false);
        }
        Value::InlineTable(it) if !has_comment(it) => {
            it.fmt();
            for (_, x) in it.iter_mut() {
                tidy(x);
            }
        }
        _ => {}
    }
}

fn format_array(a: &mut Array, fields: &'static [Field], always_multiline: bool) {
    for v in a.iter_mut() {
        if let Value::InlineTable(it) = v {
            format_inline(it, fields);
        }
    }
    let any_comment = a
        .iter()
        .any(|v| !comments(v.decor().prefix().and_then(|r| r.as_str())).is_empty())
        || !comments(a.trailing().as_str()).is_empty();
    // `columns = []` (a table without columns) stays on its line.
    let empty_columns = always_multiline && a.is_empty() && !any_comment;
    let multiline = (always_multiline && !empty_columns) || a.len() > 1 || any_comment;
    for (i, v) in a.iter_mut().enumerate() {
        let (same_line, above) = split_comments(v.decor().prefix().and_then(|r| r.as_str()));
        // The first item's same-line comment follows the `[`; later ones end the line before.
        let (same_line, above) = match (i, same_line) {
            (0, Some(c)) => (None, std::iter::once(c).chain(above).collect()),
            (_, s) => (s, above),
        };
        let prefix = match (multiline, i) {
            (true, _) => block(same_line, &above, "  "),
            (false, 0) => String::new(),
            (false, _) => " ".to_string(),
        };
        v.decor_mut().set_prefix(prefix);
        v.decor_mut().set_suffix("");
    }
    if multiline {
        a.set_trailing_comma(true);
        let (same_line, below) = split_comments(a.trailing().as_str());
        a.set_trailing(block(same_line, &below, ""));
    } else {
        a.set_trailing_comma(false);
        a.set_trailing("");
    }
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn canonical_layout_keeps_comments_and_is_idempotent() {
        let messy = r#"# the users
[table.users]
indexes = [{columns=["email"],name="ix_email"}]
columns = [
    # the key
    {type="serial",name="id",primary_key=true},
  { name = "email",type = "text", nullable=false },   # trailing note
]
comment="people"
"#;
        let tidy = format(messy).unwrap();
        assert_eq!(
            tidy,
            r#"# the users
[table.users]
comment = "people"
columns = [
  # the key
  { name = "id", type = "serial", primary_key = true },
  { name = "email", type = "text", nullable = false }, # trailing note
]
indexes = [{ name = "ix_email", columns = ["email"] }]
"#
        );
        assert_eq!(format(&tidy).unwrap(), tidy, "formatting is idempotent");
    }

    #[test]
    fn invalid_toml_is_an_error() {
        assert!(format("[table.x\n").is_err());
    }
}
