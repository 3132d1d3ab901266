//! First pass: one file's TOML -> raw, still spanned, declarations.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::{Diagnostic, Loc};
use super::read::{Fields, Problems, RawGrants, Sp, type_name};

/// Nesting of `[`/`{` past which a file is refused before the TOML parser sees it, so that
/// hostile input cannot exhaust the stack.
const MAX_NESTING: usize = 64;

#[derive(Debug, Default)]
pub struct Decls {
    pub tables: Vec<RawTable>,
    pub enums: Vec<RawEnum>,
    pub sequences: Vec<RawSequence>,
    pub settings: Vec<RawSettings>,
    pub schemas: Vec<RawSchema>,
    pub extensions: Vec<super::raw_kinds::RawExtension>,
    pub views: Vec<super::raw_kinds::RawView>,
    pub materialized_views: Vec<super::raw_kinds::RawMatView>,
    pub routines: Vec<super::raw_kinds::RawRoutine>,
    pub domains: Vec<super::raw_kinds::RawDomain>,
    pub composites: Vec<super::raw_kinds::RawComposite>,
    pub default_privileges: Vec<RawDefaultPrivileges>,
}

/// `grants` and `owner` of an object's declaration.
#[derive(Debug, Default)]
pub struct RawAcl {
    pub grants: Option<RawGrants>,
    pub owner: Option<Sp<String>>,
}

impl RawAcl {
    pub fn read(f: &Fields<'_, '_>, p: &mut Problems) -> Self {
        RawAcl {
            grants: f.grants(p, "grants"),
            owner: f.string(p, "owner"),
        }
    }
}

/// One item of `[[default_privileges]]`.
#[derive(Debug)]
pub struct RawDefaultPrivileges {
    pub loc: Loc,
    pub for_role: Option<Sp<String>>,
    pub schema: Option<Sp<String>>,
    pub on: Option<Sp<String>>,
    pub grants: Option<RawGrants>,
}

/// `[schema.NAME]`.
#[derive(Debug)]
pub struct RawSchema {
    pub name: Sp<String>,
    pub comment: Option<Sp<String>>,
    pub acl: RawAcl,
}

#[derive(Debug)]
pub struct RawSequence {
    pub name: Sp<String>,
    pub schema: Option<Sp<String>>,
    pub data_type: Option<Sp<String>>,
    pub options: RawSeqOptions,
    pub comment: Option<Sp<String>>,
    pub owned_by: Option<Sp<String>>,
    pub acl: RawAcl,
}

/// The options a sequence (standalone, or an identity's) may declare.
#[derive(Debug, Default)]
pub struct RawSeqOptions {
    pub start: Option<Sp<i64>>,
    pub increment: Option<Sp<i64>>,
    pub min_value: Option<Sp<i64>>,
    pub max_value: Option<Sp<i64>>,
    pub cache: Option<Sp<i64>>,
    pub cycle: Option<Sp<bool>>,
}

impl RawSeqOptions {
    fn read(f: &Fields<'_, '_>, p: &mut Problems) -> Self {
        Self {
            start: f.integer(p, "start"),
            increment: f.integer(p, "increment"),
            min_value: f.integer(p, "min_value"),
            max_value: f.integer(p, "max_value"),
            cache: f.integer(p, "cache"),
            cycle: f.boolean(p, "cycle"),
        }
    }
}

#[derive(Debug)]
pub struct RawSettings {
    pub loc: Loc,
    pub schemas: Option<Vec<Sp<String>>>,
    pub ignore: Option<Vec<Sp<String>>>,
    pub roles: Option<Vec<Sp<String>>>,
}

#[derive(Debug)]
pub struct RawTable {
    pub name: Sp<String>,
    pub schema: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
    pub columns: Vec<RawColumn>,
    pub primary_key: Option<RawColumns>,
    pub uniques: Vec<RawColumns>,
    pub foreign_keys: Vec<RawForeignKey>,
    pub checks: Vec<RawCheck>,
    pub indexes: Vec<RawIndex>,
    pub prevent_destroy: Option<Sp<bool>>,
    pub renamed_from: Option<Sp<String>>,
    pub triggers: Vec<super::raw_kinds::RawTrigger>,
    pub unlogged: Option<Sp<bool>>,
    pub with: Option<Vec<(Sp<String>, Sp<String>)>>,
    pub row_level_security: Option<Sp<bool>>,
    pub force_row_level_security: Option<Sp<bool>>,
    pub policies: Vec<RawPolicy>,
    pub partition_by: Option<Sp<String>>,
    pub partitions: Vec<RawPartition>,
    pub partition_rule: Option<RawPartitionRule>,
    pub exclusions: Vec<RawExclusion>,
    pub acl: RawAcl,
}

/// One item of `exclusions = [...]`.
#[derive(Debug)]
pub struct RawExclusion {
    pub name: Sp<String>,
    pub exclude: Sp<String>,
    pub deferrable: Option<Sp<bool>>,
    pub initially_deferred: Option<Sp<bool>>,
    pub comment: Option<Sp<String>>,
}

fn read_exclusion(
    f: &Fields<'_, '_>,
    p: &mut Problems,
    t: &DeTable<'_>,
    span: std::ops::Range<usize>,
) -> Option<RawExclusion> {
    let c = Fields::new(f.file, t, "exclusion constraint", spec::EXCLUSION);
    let at = c.loc(span);
    let name = c.string(p, "name");
    let exclude = c.string(p, "exclude");
    for (key, missing) in [("name", name.is_none()), ("exclude", exclude.is_none())] {
        if missing && t.get(key).is_none() {
            p.push(
                Diagnostic::new(at.clone(), format!("exclusion constraint has no `{key}`"))
                    .label(format!("missing `{key} = \"...\"`")),
            );
        }
    }
    let out = RawExclusion {
        deferrable: c.boolean(p, "deferrable"),
        initially_deferred: c.boolean(p, "initially_deferred"),
        comment: c.string(p, "comment"),
        name: name?,
        exclude: exclude?,
    };
    c.finish(p);
    Some(out)
}

/// `partition_rule = { every, from, to }`.
#[derive(Debug)]
pub struct RawPartitionRule {
    pub loc: Loc,
    pub every: Option<Sp<String>>,
    pub from: Option<Sp<String>>,
    pub to: Option<Sp<String>>,
}

fn read_partition_rule(f: &Fields<'_, '_>, p: &mut Problems) -> Option<RawPartitionRule> {
    let v = f.raw("partition_rule")?;
    let t = sub_table(f, p, v, "partition rule")?;
    let c = Fields::new(f.file, t, "partition rule", spec::PARTITION_RULE);
    let out = RawPartitionRule {
        loc: c.loc(v.span()),
        every: c.string(p, "every"),
        from: c.string(p, "from"),
        to: c.string(p, "to"),
    };
    c.finish(p);
    Some(out)
}

/// One item of `[[table.NAME.partitions]]`.
#[derive(Debug)]
pub struct RawPartition {
    pub loc: Loc,
    pub name: Sp<String>,
    pub values: Option<Sp<String>>,
    pub default: Option<Sp<bool>>,
}

fn read_partition(
    f: &Fields<'_, '_>,
    p: &mut Problems,
    t: &DeTable<'_>,
    span: std::ops::Range<usize>,
) -> Option<RawPartition> {
    let c = Fields::new(f.file, t, "partition", spec::PARTITION);
    let at = c.loc(span);
    let name = c.string(p, "name");
    if name.is_none() && t.get("name").is_none() {
        p.push(
            Diagnostic::new(at.clone(), "partition has no `name`")
                .label("missing `name = \"...\"`"),
        );
    }
    let out = RawPartition {
        loc: at,
        values: c.string(p, "values"),
        default: c.boolean(p, "default"),
        name: name?,
    };
    c.finish(p);
    Some(out)
}

/// One item of `[[table.NAME.policies]]`.
#[derive(Debug)]
pub struct RawPolicy {
    pub loc: Loc,
    pub name: Sp<String>,
    pub command: Option<Sp<String>>,
    pub as_: Option<Sp<String>>,
    pub roles: Option<Vec<Sp<String>>>,
    pub using: Option<Sp<String>>,
    pub with_check: Option<Sp<String>>,
    pub comment: Option<Sp<String>>,
}

fn read_policy(
    f: &Fields<'_, '_>,
    p: &mut Problems,
    t: &DeTable<'_>,
    span: std::ops::Range<usize>,
) -> Option<RawPolicy> {
    let c = Fields::new(f.file, t, "policy", spec::POLICY);
    let at = c.loc(span);
    let name = c.string(p, "name");
    if name.is_none() && t.get("name").is_none() {
        p.push(
            Diagnostic::new(at.clone(), "policy has no `name`").label("missing `name = \"...\"`"),
        );
    }
    let out = RawPolicy {
        loc: at,
        command: c.string(p, "command"),
        as_: c.string(p, "as"),
        roles: c.strings(p, "roles"),
        using: c.string(p, "using"),
        with_check: c.string(p, "with_check"),
        comment: c.string(p, "comment"),
        name: name?,
    };
    c.finish(p);
    Some(out)
}

#[derive(Debug)]
pub struct RawColumn {
    pub name: Sp<String>,
    pub ty: Sp<String>,
    pub nullable: Option<Sp<bool>>,
    pub default: Option<Sp<String>>,
    pub primary_key: Option<Sp<bool>>,
    pub references: Option<Sp<String>>,
    /// The keys few columns have, boxed and only when one is given: every raw column is held
    /// until the whole declaration is resolved, and with these inline a column took 800 bytes
    /// (at 10,000 tables, a third of `validate`'s peak memory).
    more: Option<Box<RawColumnMore>>,
}

impl RawColumn {
    pub fn more(&self) -> &RawColumnMore {
        static NONE: RawColumnMore = RawColumnMore {
            unique: None,
            on_delete: None,
            on_update: None,
            check: None,
            identity: None,
            comment: None,
            collation: None,
            backfill: None,
            using: None,
            renamed_from: None,
            generated: None,
            grants: None,
        };
        self.more.as_deref().unwrap_or(&NONE)
    }
}

impl RawColumnMore {
    /// Whether any of these keys was given.
    fn any(&self) -> bool {
        self.unique.is_some()
            || self.on_delete.is_some()
            || self.on_update.is_some()
            || self.check.is_some()
            || self.identity.is_some()
            || self.comment.is_some()
            || self.collation.is_some()
            || self.backfill.is_some()
            || self.using.is_some()
            || self.renamed_from.is_some()
            || self.generated.is_some()
            || self.grants.is_some()
    }
}

/// The keys of a column that few columns have.
#[derive(Debug)]
pub struct RawColumnMore {
    pub unique: Option<Sp<bool>>,
    pub on_delete: Option<Sp<String>>,
    pub on_update: Option<Sp<String>>,
    pub check: Option<Sp<String>>,
    /// Boxed: its sequence options are most of a column's size, and few columns have one.
    pub identity: Option<Box<RawIdentity>>,
    pub comment: Option<Sp<String>>,
    pub collation: Option<Sp<String>>,
    pub backfill: Option<Sp<String>>,
    pub using: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
    pub generated: Option<Sp<String>>,
    pub grants: Option<RawGrants>,
}

/// `identity = "always"`, or `identity = { generated = "always", start = 100, ... }`.
#[derive(Debug)]
pub struct RawIdentity {
    pub generated: Sp<String>,
    pub options: RawSeqOptions,
}

fn read_identity(c: &Fields<'_, '_>, p: &mut Problems) -> Option<RawIdentity> {
    let v = c.raw("identity")?;
    match v.get_ref() {
        DeValue::String(s) => Some(RawIdentity {
            generated: Sp {
                value: s.to_string(),
                loc: c.loc(v.span()),
            },
            options: RawSeqOptions::default(),
        }),
        DeValue::Table(t) => {
            let f = Fields::new(c.file, t, "identity", spec::IDENTITY);
            let generated = f.string(p, "generated");
            if generated.is_none() && t.get("generated").is_none() {
                p.push(
                    Diagnostic::new(c.loc(v.span()), "identity has no `generated`")
                        .label("missing `generated = \"always\"` or \"by default\""),
                );
            }
            let out = RawIdentity {
                options: RawSeqOptions::read(&f, p),
                generated: generated?,
            };
            f.finish(p);
            Some(out)
        }
        other => {
            p.push(
                Diagnostic::new(
                    c.loc(v.span()),
                    format!(
                        "`identity` of column must be a string or a table, not {}",
                        type_name(other)
                    ),
                )
                .label("expected \"always\", \"by default\" or { generated = ..., start = ... }"),
            );
            None
        }
    }
}

/// A named list of columns: a primary key or a unique constraint.
#[derive(Debug)]
pub struct RawColumns {
    pub name: Option<Sp<String>>,
    pub columns: Vec<Sp<String>>,
    pub loc: Loc,
    /// Unique constraints only.
    pub options: RawKeyOptions,
    pub comment: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
}

/// What a unique constraint (and, but for deferral, an index) may add to its columns.
#[derive(Debug, Default)]
pub struct RawKeyOptions {
    pub nulls_not_distinct: Option<Sp<bool>>,
    pub deferrable: Option<Sp<bool>>,
    pub initially_deferred: Option<Sp<bool>>,
    pub include: Option<Vec<Sp<String>>>,
    pub with: Option<Vec<(Sp<String>, Sp<String>)>>,
}

#[derive(Debug)]
pub struct RawForeignKey {
    pub name: Option<Sp<String>>,
    pub columns: Vec<Sp<String>>,
    pub references: Sp<String>,
    pub on_delete: Option<Sp<String>>,
    pub on_update: Option<Sp<String>>,
    pub deferrable: Option<Sp<bool>>,
    pub initially_deferred: Option<Sp<bool>>,
    pub loc: Loc,
    pub match_type: Option<Sp<String>>,
    pub valid: Option<Sp<bool>>,
    pub comment: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawCheck {
    pub name: Option<Sp<String>>,
    pub expression: Sp<String>,
    pub valid: Option<Sp<bool>>,
    pub no_inherit: Option<Sp<bool>>,
    pub comment: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawIndex {
    pub name: Option<Sp<String>>,
    pub columns: Vec<Sp<String>>,
    pub unique: Option<Sp<bool>>,
    pub predicate: Option<Sp<String>>,
    pub method: Option<Sp<String>>,
    pub include: Option<Vec<Sp<String>>>,
    pub with: Option<Vec<(Sp<String>, Sp<String>)>>,
    pub nulls_not_distinct: Option<Sp<bool>>,
    pub loc: Loc,
    pub comment: Option<Sp<String>>,
    pub renamed_from: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct RawEnum {
    pub name: Sp<String>,
    pub schema: Option<Sp<String>>,
    pub values: Vec<Sp<String>>,
    pub comment: Option<Sp<String>>,
    /// `renamed_values = { new = "old" }`.
    pub renamed_values: Vec<(Sp<String>, Sp<String>)>,
    pub acl: RawAcl,
}

use super::spec;

/// Reads one file; `dir` is the directory that `query_file` and `body_file` paths are relative
/// to (none: such keys cannot be read).
pub fn read_file(
    file: usize,
    text: &str,
    dir: Option<&std::path::Path>,
    decls: &mut Decls,
    p: &mut Problems,
) {
    if let Some(at) = too_deep(text) {
        p.push(
            Diagnostic::new(
                Loc {
                    file,
                    span: at..at + 1,
                },
                format!("brackets nest deeper than {MAX_NESTING} levels"),
            )
            .label("too deep"),
        );
        return;
    }
    let root = match DeTable::parse(text) {
        Ok(t) => t,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            p.push(
                Diagnostic::new(Loc { file, span }, "invalid TOML")
                    .label(e.message().trim().to_string()),
            );
            return;
        }
    };
    let top = Fields::new(file, root.get_ref(), "a schema file", spec::TOP);
    if let Some(v) = top.raw("table") {
        for (name, body) in sections(&top, p, "table", v) {
            if let Some(t) = read_table(&top, p, name, body) {
                decls.tables.push(t);
            }
        }
    }
    if let Some(v) = top.raw("enum") {
        for (name, body) in sections(&top, p, "enum", v) {
            let f = Fields::new(file, body, format!("enum `{}`", name.value), spec::ENUM);
            let values = f.strings(p, "values");
            if values.is_none() && body.get("values").is_none() {
                p.push(
                    Diagnostic::new(
                        name.loc.clone(),
                        format!("enum `{}` has no `values`", name.value),
                    )
                    .label("missing `values = [...]`"),
                );
            }
            let schema = f.string(p, "schema");
            let comment = f.string(p, "comment");
            let renamed_values = f.params(p, "renamed_values").unwrap_or_default();
            let acl = RawAcl::read(&f, p);
            f.finish(p);
            if let Some(values) = values {
                decls.enums.push(RawEnum {
                    schema,
                    values,
                    name,
                    comment,
                    renamed_values,
                    acl,
                });
            }
        }
    }
    if let Some(v) = top.raw("sequence") {
        for (name, body) in sections(&top, p, "sequence", v) {
            let f = Fields::new(
                file,
                body,
                format!("sequence `{}`", name.value),
                spec::SEQUENCE,
            );
            decls.sequences.push(RawSequence {
                schema: f.string(p, "schema"),
                data_type: f.string(p, "type"),
                options: RawSeqOptions::read(&f, p),
                comment: f.string(p, "comment"),
                owned_by: f.string(p, "owned_by"),
                acl: RawAcl::read(&f, p),
                name,
            });
            f.finish(p);
        }
    }
    if let Some(v) = top.raw("schema") {
        for (name, body) in sections(&top, p, "schema", v) {
            let f = Fields::new(file, body, format!("schema `{}`", name.value), spec::SCHEMA);
            decls.schemas.push(RawSchema {
                comment: f.string(p, "comment"),
                acl: RawAcl::read(&f, p),
                name,
            });
            f.finish(p);
        }
    }
    super::raw_kinds::read_kinds(&top, dir, decls, p);
    if let Some(items) = top.array(p, "default_privileges") {
        for item in items {
            let Some(t) = sub_table(&top, p, item, "default_privileges") else {
                continue;
            };
            let f = Fields::new(file, t, "default privileges", spec::DEFAULT_PRIVILEGES);
            let loc = f.loc(item.span());
            decls.default_privileges.push(RawDefaultPrivileges {
                for_role: f.string(p, "for_role"),
                schema: f.string(p, "schema"),
                on: f.string(p, "on"),
                grants: f.grants(p, "grants"),
                loc,
            });
            f.finish(p);
        }
    }
    if let Some(v) = top.raw("settings") {
        match v.get_ref() {
            DeValue::Table(t) => {
                let f = Fields::new(file, t, "settings", spec::SETTINGS);
                decls.settings.push(RawSettings {
                    loc: top.loc(v.span()),
                    schemas: f.strings(p, "schemas"),
                    ignore: f.strings(p, "ignore"),
                    roles: f.strings(p, "roles"),
                });
                f.finish(p);
            }
            other => p.push(
                Diagnostic::new(
                    top.loc(v.span()),
                    format!("`settings` must be a table, not {}", type_name(other)),
                )
                .label("expected `[settings]`"),
            ),
        }
    }
    top.finish(p);
}

/// Where the first `[`/`{` beyond [`MAX_NESTING`] is, skipping comments and strings.
fn too_deep(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let (mut i, mut depth) = (0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'"' | b'\'') => {
                let triple = [q, q, q];
                if b[i..].starts_with(&triple) {
                    i += 3;
                    while i < b.len() && !b[i..].starts_with(&triple) {
                        i += if q == b'"' && b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 2;
                } else {
                    i += 1;
                    while i < b.len() && b[i] != q && b[i] != b'\n' {
                        i += if q == b'"' && b[i] == b'\\' { 2 } else { 1 };
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The `[table.NAME]` (or `[enum.NAME]`) sections of a file.
pub(super) fn sections<'a, 'i>(
    top: &Fields<'a, 'i>,
    p: &mut Problems,
    key: &str,
    v: &'a Spanned<DeValue<'i>>,
) -> Vec<(Sp<String>, &'a DeTable<'i>)> {
    let DeValue::Table(t) = v.get_ref() else {
        p.push(
            Diagnostic::new(
                top.loc(v.span()),
                format!(
                    "`{key}` must be a table of {key}s, not {}",
                    type_name(v.get_ref())
                ),
            )
            .label(format!("expected `[{key}.NAME]` sections"))
            .hint(format!("declare each one as `[{key}.NAME]`")),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, body) in t.iter() {
        let name = Sp {
            value: name.get_ref().to_string(),
            loc: top.loc(name.span()),
        };
        match body.get_ref() {
            DeValue::Table(b) => out.push((name, b)),
            other => p.push(
                Diagnostic::new(
                    top.loc(body.span()),
                    format!(
                        "{key} `{}` must be a table, not {}",
                        name.value,
                        type_name(other)
                    ),
                )
                .label(format!(
                    "expected `[{key}.{}]` with keys below it",
                    name.value
                )),
            ),
        }
    }
    out
}

fn read_table(
    top: &Fields<'_, '_>,
    p: &mut Problems,
    name: Sp<String>,
    body: &DeTable<'_>,
) -> Option<RawTable> {
    let what = format!("table `{}`", name.value);
    let f = Fields::new(top.file, body, what.clone(), spec::TABLE);
    let mut columns = Vec::new();
    match f.array(p, "columns") {
        Some(items) => {
            for item in items {
                if let Some(t) = sub_table(&f, p, item, "column")
                    && let Some(c) = read_column(&f, p, t, item.span())
                {
                    columns.push(c);
                }
            }
            // `columns = []` is a table without columns, which PostgreSQL allows.
        }
        None if body.get("columns").is_none() => p.push(
            Diagnostic::new(name.loc.clone(), format!("{what} has no `columns`"))
                .label("missing `columns = [...]`"),
        ),
        None => {}
    }
    let primary_key = match f.raw("primary_key") {
        Some(v) => {
            match v.get_ref() {
                DeValue::Table(t) => read_columns(&f, p, t, v.span(), "primary key"),
                other => {
                    p.push(
                    Diagnostic::new(
                        f.loc(v.span()),
                        format!("`primary_key` of {what} must be a table, not {}", type_name(other)),
                    )
                    .label("expected `{ columns = [...] }`")
                    .hint("for a one-column key, write `primary_key = true` on the column instead"),
                );
                    None
                }
            }
        }
        None => None,
    };
    let uniques = list(&f, p, "unique", "unique constraint", |f, p, t, span| {
        read_columns(f, p, t, span, "unique constraint")
    });
    let foreign_keys = list(&f, p, "foreign_keys", "foreign key", read_fk);
    let checks = list(&f, p, "checks", "check", |f, p, t, _| {
        let c = Fields::new(f.file, t, "check", spec::CHECK);
        let expression = required(&c, p, "expression", "check");
        let name = c.string(p, "name");
        let (valid, no_inherit) = (c.boolean(p, "valid"), c.boolean(p, "no_inherit"));
        let comment = c.string(p, "comment");
        let renamed_from = c.string(p, "renamed_from");
        c.finish(p);
        Some(RawCheck {
            name,
            expression: expression?,
            valid,
            no_inherit,
            comment,
            renamed_from,
        })
    });
    let indexes = list(&f, p, "indexes", "index", read_index);
    let triggers = list(&f, p, "triggers", "trigger", super::raw_kinds::read_trigger);
    let policies = list(&f, p, "policies", "policy", read_policy);
    let partitions = list(&f, p, "partitions", "partition", read_partition);
    let exclusions = list(&f, p, "exclusions", "exclusion constraint", read_exclusion);
    let table = RawTable {
        acl: RawAcl::read(&f, p),
        schema: f.string(p, "schema"),
        comment: f.string(p, "comment"),
        name,
        columns,
        primary_key,
        uniques,
        foreign_keys,
        checks,
        indexes,
        prevent_destroy: f.boolean(p, "prevent_destroy"),
        renamed_from: f.string(p, "renamed_from"),
        triggers,
        unlogged: f.boolean(p, "unlogged"),
        with: f.params(p, "with"),
        policies,
        partitions,
        exclusions,
        partition_by: f.string(p, "partition_by"),
        partition_rule: read_partition_rule(&f, p),
        row_level_security: f.boolean(p, "row_level_security"),
        force_row_level_security: f.boolean(p, "force_row_level_security"),
    };
    f.finish(p);
    Some(table)
}

/// One item of `indexes = [...]`, on a table or a materialized view.
pub(super) fn read_index(
    f: &Fields<'_, '_>,
    p: &mut Problems,
    t: &DeTable<'_>,
    span: std::ops::Range<usize>,
) -> Option<RawIndex> {
    let i = Fields::new(f.file, t, "index", spec::INDEX);
    let columns = i.strings(p, "columns");
    // Unknown keys are reported even when the index is unusable.
    i.finish_ref(p);
    if columns.is_none() && t.get("columns").is_none() {
        p.push(
            Diagnostic::new(i.loc(span.clone()), "index has no `columns`")
                .label("missing `columns = [...]`"),
        );
    }
    Some(RawIndex {
        name: i.string(p, "name"),
        columns: columns?,
        unique: i.boolean(p, "unique"),
        predicate: i.string(p, "where"),
        method: i.string(p, "method"),
        include: i.strings(p, "include"),
        with: i.params(p, "with"),
        nulls_not_distinct: i.boolean(p, "nulls_not_distinct"),
        loc: i.loc(span),
        comment: i.string(p, "comment"),
        renamed_from: i.string(p, "renamed_from"),
    })
}

/// An array-valued key whose items are inline tables, each read by `read`.
pub(super) fn list<'a, 'i, T>(
    f: &Fields<'a, 'i>,
    p: &mut Problems,
    key: &str,
    what: &str,
    read: impl Fn(&Fields<'a, 'i>, &mut Problems, &'a DeTable<'i>, std::ops::Range<usize>) -> Option<T>,
) -> Vec<T> {
    let Some(items) = f.array(p, key) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let t = sub_table(f, p, item, what)?;
            read(f, p, t, item.span())
        })
        .collect()
}

pub(super) fn sub_table<'a, 'i>(
    f: &Fields<'a, 'i>,
    p: &mut Problems,
    item: &'a Spanned<DeValue<'i>>,
    what: &str,
) -> Option<&'a DeTable<'i>> {
    match item.get_ref() {
        DeValue::Table(t) => Some(t),
        other => {
            p.push(
                Diagnostic::new(
                    f.loc(item.span()),
                    format!("a {what} must be an inline table, not {}", type_name(other)),
                )
                .label("expected `{ ... }`"),
            );
            None
        }
    }
}

pub(super) fn required(
    f: &Fields<'_, '_>,
    p: &mut Problems,
    key: &str,
    what: &str,
) -> Option<Sp<String>> {
    let v = f.string(p, key);
    if v.is_none() && f.raw(key).is_none() {
        p.push(
            Diagnostic::new(f.loc(whole(f)), format!("{what} has no `{key}`"))
                .label(format!("missing `{key} = \"...\"`")),
        );
    }
    v
}

/// Span of the table a `Fields` reads: its keys' extent (inline tables have no span of their own
/// in the parsed tree, so the first to the last value stands for it).
pub(super) fn whole(f: &Fields<'_, '_>) -> std::ops::Range<usize> {
    f.extent().unwrap_or(0..0)
}

fn read_column(
    f: &Fields<'_, '_>,
    p: &mut Problems,
    t: &DeTable<'_>,
    span: std::ops::Range<usize>,
) -> Option<RawColumn> {
    let c = Fields::new(f.file, t, "column", spec::COLUMN);
    let name = c.string(p, "name");
    let ty = c.string(p, "type");
    if name.is_none() && t.get("name").is_none() {
        p.push(
            Diagnostic::new(c.loc(span.clone()), "column has no `name`")
                .label("missing `name = \"...\"`"),
        );
    }
    if ty.is_none() && t.get("type").is_none() {
        let label = match &name {
            Some(n) => format!("column `{}` has no `type`", n.value),
            None => "column has no `type`".to_string(),
        };
        p.push(Diagnostic::new(c.loc(span), label).label("missing `type = \"...\"`"));
    }
    let more = RawColumnMore {
        unique: c.boolean(p, "unique"),
        on_delete: c.string(p, "on_delete"),
        on_update: c.string(p, "on_update"),
        check: c.string(p, "check"),
        identity: read_identity(&c, p).map(Box::new),
        comment: c.string(p, "comment"),
        collation: c.string(p, "collation"),
        backfill: c.string(p, "backfill"),
        using: c.string(p, "using"),
        renamed_from: c.string(p, "renamed_from"),
        generated: c.string(p, "generated"),
        grants: c.grants(p, "grants"),
    };
    let col = RawColumn {
        name: name?,
        ty: ty?,
        nullable: c.boolean(p, "nullable"),
        default: c.string(p, "default"),
        primary_key: c.boolean(p, "primary_key"),
        references: c.string(p, "references"),
        more: more.any().then(|| Box::new(more)),
    };
    c.finish(p);
    Some(col)
}

fn read_columns(
    f: &Fields<'_, '_>,
    p: &mut Problems,
    t: &DeTable<'_>,
    span: std::ops::Range<usize>,
    what: &str,
) -> Option<RawColumns> {
    let unique = what == "unique constraint";
    let allowed = if unique {
        spec::UNIQUE
    } else {
        spec::NAMED_COLUMNS
    };
    let c = Fields::new(f.file, t, what, allowed);
    let columns = c.strings(p, "columns");
    if columns.is_none() && t.get("columns").is_none() {
        p.push(
            Diagnostic::new(c.loc(span.clone()), format!("{what} has no `columns`"))
                .label("missing `columns = [...]`"),
        );
    }
    let options = if unique {
        RawKeyOptions {
            nulls_not_distinct: c.boolean(p, "nulls_not_distinct"),
            deferrable: c.boolean(p, "deferrable"),
            initially_deferred: c.boolean(p, "initially_deferred"),
            include: c.strings(p, "include"),
            with: c.params(p, "with"),
        }
    } else {
        RawKeyOptions::default()
    };
    let out = RawColumns {
        name: c.string(p, "name"),
        columns: columns?,
        loc: c.loc(span),
        options,
        comment: c.string(p, "comment"),
        renamed_from: c.string(p, "renamed_from"),
    };
    c.finish(p);
    Some(out)
}

fn read_fk(
    f: &Fields<'_, '_>,
    p: &mut Problems,
    t: &DeTable<'_>,
    span: std::ops::Range<usize>,
) -> Option<RawForeignKey> {
    let c = Fields::new(f.file, t, "foreign key", spec::FOREIGN_KEY);
    let columns = c.strings(p, "columns");
    if columns.is_none() && t.get("columns").is_none() {
        p.push(
            Diagnostic::new(c.loc(span.clone()), "foreign key has no `columns`")
                .label("missing `columns = [...]`"),
        );
    }
    let references = c.string(p, "references");
    if references.is_none() && t.get("references").is_none() {
        p.push(
            Diagnostic::new(c.loc(span.clone()), "foreign key has no `references`")
                .label("missing `references = \"table(column)\"`"),
        );
    }
    let fk = RawForeignKey {
        name: c.string(p, "name"),
        on_delete: c.string(p, "on_delete"),
        on_update: c.string(p, "on_update"),
        deferrable: c.boolean(p, "deferrable"),
        initially_deferred: c.boolean(p, "initially_deferred"),
        match_type: c.string(p, "match"),
        valid: c.boolean(p, "valid"),
        comment: c.string(p, "comment"),
        renamed_from: c.string(p, "renamed_from"),
        columns: columns?,
        references: references?,
        loc: c.loc(span),
    };
    c.finish(p);
    Some(fk)
}
