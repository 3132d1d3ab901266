//! Indexes that are not constraints: created (concurrently after the commit, with
//! `--concurrent-indexes`), dropped (with how often they were used), redefined (dropped and
//! created again), renamed (same definition under another name, or `renamed_from`).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::comment::{CommentChange, CommentOn};
use super::{Change, KindChange, Sign, ident_list, one, rename_phase};
use crate::diff::{Facts, ObjectKind, Options, Verdict};
use crate::inspect::catalog::LiveSpellings;
use crate::model::names::quote_ident;
use crate::model::{QualName, Schema, SqlExpr, StorageParams};
use crate::plan::Phase;

// ---- Model ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub method: String,
    /// Key parts: a column name, or an expression (kept in parentheses), with its options.
    pub keys: Vec<IndexKey>,
    pub predicate: Option<SqlExpr>,
    /// `INCLUDE (...)`: columns stored in the index, not part of its key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Storage parameters (`WITH (fillfactor = 70)`).
    #[serde(default, skip_serializing_if = "StorageParams::is_empty")]
    pub with: StorageParams,
    /// `NULLS NOT DISTINCT` (PostgreSQL 15, unique indexes): rows whose key holds NULL clash.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub nulls_not_distinct: bool,
    /// False for an index a failed `CREATE INDEX CONCURRENTLY` left behind; such an index is
    /// dropped and built again.
    #[serde(
        default = "crate::model::yes",
        skip_serializing_if = "crate::model::is_true"
    )]
    pub valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexKey {
    pub part: IndexPart,
    pub descending: bool,
    /// Whether NULLs sort first. Normalised: PostgreSQL's default (first for DESC, last for ASC)
    /// is stored as `None`, so `DESC NULLS FIRST` and `DESC` compare equal.
    pub nulls_first: Option<bool>,
    /// `COLLATE`, when it is not the key's own collation; the name as SQL (`"C"`,
    /// `"en-x-icu"`, `myschema."Mine"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// The operator class, when it is not the default one for the key's type and the index
    /// method; the name as SQL (`text_pattern_ops`, `myschema.my_ops`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
    /// Live side only: the collation and operator class the key has when the two above are
    /// `None` (the defaults), so that a declaration spelling a default out matches.
    #[serde(skip)]
    pub implied: ImpliedKey,
}

/// What a live index key uses by default (see [`IndexKey::implied`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpliedKey {
    pub collation: Option<String>,
    pub opclass: Option<String>,
}

impl IndexKey {
    pub fn new(part: IndexPart, descending: bool, nulls_first: Option<bool>) -> Self {
        let nulls_first = nulls_first.filter(|&nf| nf != descending);
        Self {
            part,
            descending,
            nulls_first,
            collation: None,
            opclass: None,
            implied: ImpliedKey::default(),
        }
    }

    /// Whether the two keys use the same collation and operator class: equal as written, or one
    /// leaves out what the other's live key uses by default.
    pub fn same_options(&self, other: &IndexKey) -> bool {
        fn same(
            a: &Option<String>,
            b: &Option<String>,
            a_implied: &Option<String>,
            b_implied: &Option<String>,
        ) -> bool {
            match (a, b) {
                (Some(x), None) => b_implied.as_ref() == Some(x),
                (None, Some(y)) => a_implied.as_ref() == Some(y),
                _ => a == b,
            }
        }
        same(
            &self.collation,
            &other.collation,
            &self.implied.collation,
            &other.implied.collation,
        ) && same(
            &self.opclass,
            &other.opclass,
            &self.implied.opclass,
            &other.implied.opclass,
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexPart {
    Column(String),
    Expr(SqlExpr),
}

impl Index {
    /// Its expressions (key expressions, then the predicate), each with where it is.
    pub fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        let mut out: Vec<(String, &SqlExpr)> = (self.keys.iter().enumerate())
            .filter_map(|(i, k)| match &k.part {
                IndexPart::Expr(e) => Some((format!("index {} key {}", self.name, i + 1), e)),
                IndexPart::Column(_) => None,
            })
            .collect();
        if let Some(p) = &self.predicate {
            out.push((format!("index {} WHERE", self.name), p));
        }
        out
    }
}

// ---- Catalog, diff, changes ----

/// Every index of the managed schemas' tables and materialized views that is not a constraint's.
///
/// The per-key arrays are built in one pass over each index's keys (one lateral join, not a
/// correlated subquery per array: that made this query the catalog read's slowest). A plain
/// column key's spelling is `quote_ident(attname)`, which is what `pg_get_indexdef(oid, k, true)`
/// returns for it; only expression keys ask the server to deparse.
const QUERY: &str = "
SELECT n.nspname, c.relname, i.relname, x.indisunique, am.amname,
       k.cols, k.defs, k.opts,
       pg_get_expr(x.indpred, x.indrelid), x.indisvalid,
       k.colls, k.opcs,
       -- The whole definition says which collations and operator classes are spelled out;
       -- asked only when a key has one that may be (a fifth of the query's time otherwise),
       -- or of every index when the self-check will compare it ({spelled}).
       CASE WHEN {spelled} OR k.maybe_spelled OR EXISTS (SELECT 1 FROM pg_attribute ia
                 WHERE ia.attrelid = x.indexrelid AND ia.attoptions IS NOT NULL)
            THEN pg_get_indexdef(x.indexrelid, 0, true) END,
       ARRAY(SELECT a.attname::text FROM generate_series(x.indnkeyatts + 1, x.indnatts) k
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[k - 1] ORDER BY k),
       COALESCE(i.reloptions, '{}'),
       {indnullsnotdistinct},
       dsc.description,
       k.opcdefaults
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
LEFT JOIN pg_description dsc ON dsc.objoid = i.oid AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = 0
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_am am ON am.oid = i.relam
CROSS JOIN LATERAL (
  SELECT array_agg(a.attname::text ORDER BY s.k) AS cols,
         array_agg(CASE WHEN a.attname IS NULL THEN pg_get_indexdef(x.indexrelid, s.k, true)
                        ELSE quote_ident(a.attname) END ORDER BY s.k) AS defs,
         array_agg(x.indoption[s.k - 1]::int4 ORDER BY s.k) AS opts,
         array_agg(CASE WHEN co.oid IS NULL THEN NULL WHEN pg_collation_is_visible(co.oid)
                THEN quote_ident(co.collname) ELSE quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END
                ORDER BY s.k) AS colls,
         array_agg(CASE WHEN oc.oid IS NULL THEN NULL WHEN pg_opclass_is_visible(oc.oid)
                THEN quote_ident(oc.opcname) ELSE quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) END
                ORDER BY s.k) AS opcs,
         array_agg(COALESCE(oc.opcdefault, false) ORDER BY s.k) AS opcdefaults,
         -- (collation 100 is the database's default, never spelled out)
         COALESCE(bool_or((co.oid IS NOT NULL AND co.oid <> 100) OR NOT COALESCE(oc.opcdefault, false)), false)
           AS maybe_spelled
  FROM generate_series(1, x.indnkeyatts) s(k)
  LEFT JOIN pg_attribute a ON x.indkey[s.k - 1] <> 0 AND a.attrelid = x.indrelid AND a.attnum = x.indkey[s.k - 1]
  LEFT JOIN pg_collation co ON co.oid = x.indcollation[s.k - 1]
  LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
  LEFT JOIN pg_opclass oc ON oc.oid = x.indclass[s.k - 1]
  LEFT JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace) k
WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'm')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid
                  AND con.conrelid = x.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY n.nspname, c.relname, i.relname";

/// [`QUERY`] for a server of `version` (`server_version_num`); with `spelled`, every row carries
/// the index's whole `pg_get_indexdef()` for the self-check ([`IndexRow::spelled`]).
pub fn query(version: i32, spelled: bool) -> String {
    QUERY
        .replace("{indnullsnotdistinct}", &nulls_not_distinct(version, "x"))
        .replace("{spelled}", if spelled { "true" } else { "false" })
}

/// `NULLS NOT DISTINCT` of the `pg_index` row `alias`: PostgreSQL 15's, false before.
pub fn nulls_not_distinct(version: i32, alias: &str) -> String {
    if version >= 150000 {
        format!("COALESCE({alias}.indnullsnotdistinct, false)")
    } else {
        "false".into()
    }
}

/// How often each index was used since the statistics were last reset.
pub const SCANS: &str =
    "SELECT schemaname::text, indexrelname::text, idx_scan FROM pg_stat_user_indexes
             WHERE schemaname = ANY($1)";

/// The rows of [`QUERY`] into the tables of `s`, and of [`SCANS`] into its usage counts.
/// One row of [`query`], read as it arrives (the rows are never all held at once).
pub struct IndexRow {
    table: QualName,
    index: Index,
    /// The server's whole definition, when it was asked for.
    spelled: Option<String>,
}

pub fn parse_row(r: &Row) -> IndexRow {
    IndexRow {
        table: QualName::new(r.get::<_, String>(0), r.get::<_, String>(1)),
        index: from_row(r),
        spelled: r.get(12),
    }
}

/// The rows of [`query`] into the tables and materialized views already read, and the tables'
/// indexes' whole definitions into `spellings`.
pub fn read(rows: Vec<IndexRow>, scans: &[Row], s: &mut Schema, spellings: &mut LiveSpellings) {
    for r in scans {
        let name = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        s.index_scans.insert(name, r.get(2));
    }
    for IndexRow {
        table,
        index,
        spelled,
    } in rows
    {
        if let Some(t) = s.tables.get_mut(&table) {
            if let Some(def) = spelled {
                (spellings.indexes)
                    .insert(QualName::new(table.schema.clone(), index.name.clone()), def);
            }
            t.indexes.push(index);
        } else if let Some(m) = s.materialized_views.get_mut(&table) {
            m.indexes.push(index);
        }
    }
}

fn from_row(r: &Row) -> Index {
    let cols: Vec<Option<String>> = r.get(5);
    let defs: Vec<String> = r.get(6);
    let options: Vec<i32> = r.get(7);
    let collations: Vec<Option<String>> = r.get(10);
    let opclasses: Vec<Option<String>> = r.get(11);
    let default_opclass: Vec<bool> = r.get(17);
    // None when no key can have a collation or class spelled out: then none is.
    let full: Option<String> = r.get(12);
    let method: String = r.get(4);
    let segments = key_segments(full.as_deref().unwrap_or(""), &method);
    let keys = cols
        .into_iter()
        .zip(defs)
        .zip(options)
        .enumerate()
        .map(|(k, ((col, def), opt))| {
            let suffix = segments
                .get(k)
                .and_then(|s| s.strip_prefix(def.as_str()))
                .unwrap_or("");
            let part = match col {
                Some(c) => IndexPart::Column(c),
                None => IndexPart::Expr(SqlExpr::raw(def)),
            };
            // indoption bits: 1 = DESC, 2 = NULLS FIRST (see pg_index.h)
            let desc = opt & 1 != 0;
            let mut key = IndexKey::new(part, desc, Some(opt & 2 != 0));
            let collation = collations.get(k).cloned().flatten();
            let opclass = opclasses.get(k).cloned().flatten();
            // Spelled out in the definition only when not the key's default, exactly as
            // pg_get_indexdef() decides it.
            let mut rest = suffix;
            if let Some(c) = &collation
                && let Some(after) = rest.strip_prefix(&format!(" COLLATE {c}"))
            {
                key.collation = Some(c.clone());
                rest = after;
            }
            // A default operator class is spelled out too when it has parameters (`tsvector_ops
            // (siglen='100')`): the model carries the class, not its parameters (the self-check
            // reports those), so such a key keeps the default class implied.
            if let Some(o) = &opclass
                && let Some(after) = rest.strip_prefix(&format!(" {o}"))
                && (after.is_empty() || after.starts_with([' ', '(']))
                && !(after.starts_with(" (") && default_opclass.get(k).copied().unwrap_or(false))
            {
                key.opclass = Some(o.clone());
            }
            key.implied = ImpliedKey {
                collation: collation.filter(|_| key.collation.is_none()),
                opclass: opclass.filter(|_| key.opclass.is_none()),
            };
            key
        })
        .collect();
    Index {
        name: r.get(2),
        unique: r.get(3),
        method,
        keys,
        predicate: r.get::<_, Option<String>>(8).map(SqlExpr::raw),
        include: r.get(13),
        with: StorageParams::from_reloptions(&r.get::<_, Vec<String>>(14)),
        nulls_not_distinct: r.get(15),
        valid: r.get(9),
        comment: r.get(16),
    }
}

/// The key list of a `pg_get_indexdef()` text, one entry per key as the server spells it
/// (`email COLLATE "C" text_pattern_ops DESC`); empty when the text is not as expected.
fn key_segments(def: &str, method: &str) -> Vec<String> {
    let marker = format!(" USING {method} (");
    let Some(start) = def.find(&marker).map(|i| i + marker.len()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut current = String::new();
    let (mut depth, mut quote) = (0usize, None::<char>);
    for c in def[start..].chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => {
                out.push(current.trim_start().to_string());
                return out;
            }
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(std::mem::take(&mut current).trim_start().to_string());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    Vec::new()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IndexChange {
    /// `CREATE INDEX n ON t ...`
    CreateIndex { table: QualName, index: Index },
    /// `DROP INDEX n`: not declared, or `because` it is created again (redefined, or out of the
    /// way of a type being recreated).
    DropIndex {
        table: QualName,
        index: Index,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        because: Option<String>,
    },
    /// `ALTER INDEX a RENAME TO b` (same definition, other name; or `declared`: its
    /// `renamed_from`, run before everything else)
    RenameIndex {
        table: QualName,
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        declared: bool,
    },
}

/// Same index whatever its name.
pub fn same_index(a: &Index, b: &Index) -> bool {
    let preds = match (&a.predicate, &b.predicate) {
        (None, None) => true,
        (Some(x), Some(y)) => x.equivalent(y, None),
        _ => false,
    };
    let keys = a.keys.len() == b.keys.len()
        && a.keys.iter().zip(&b.keys).all(|(x, y)| {
            x.descending == y.descending
                && x.nulls_first == y.nulls_first
                && x.same_options(y)
                && match (&x.part, &y.part) {
                    (IndexPart::Column(p), IndexPart::Column(q)) => p == q,
                    (IndexPart::Expr(p), IndexPart::Expr(q)) => p.equivalent(q, None),
                    _ => false,
                }
        });
    a.valid == b.valid
        && a.unique == b.unique
        && a.method == b.method
        && a.include == b.include
        && a.with.same_as(&b.with)
        && a.nulls_not_distinct == b.nulls_not_distinct
        && preds
        && keys
}

/// The indexes of a declared table that exists. Matches by name; a same-definition pair under
/// different names is a rename; a redefined index is dropped and created again.
pub fn diff(out: &mut Vec<Change>, table: &QualName, want: &[Index], have: &[Index]) {
    let want_names: BTreeSet<&str> = want.iter().map(|i| i.name.as_str()).collect();
    let mut spare: Vec<&Index> = have
        .iter()
        .filter(|h| !want_names.contains(h.name.as_str()))
        .collect();
    let comment = |out: &mut Vec<Change>, w: &Index, h: &Index| {
        if w.comment != h.comment {
            out.push(
                CommentChange::SetComment {
                    target: CommentOn::Index {
                        table: table.clone(),
                        index: w.name.clone(),
                    },
                    comment: w.comment.clone(),
                }
                .into(),
            );
        }
    };
    let create = |out: &mut Vec<Change>, w: &Index| {
        out.push(
            IndexChange::CreateIndex {
                table: table.clone(),
                index: w.clone(),
            }
            .into(),
        )
    };
    for w in want {
        match have.iter().find(|h| h.name == w.name) {
            Some(h) if same_index(w, h) => comment(out, w, h),
            Some(h) => {
                out.push(
                    IndexChange::DropIndex {
                        table: table.clone(),
                        index: h.clone(),
                        because: Some("redefined: created again as declared".into()),
                    }
                    .into(),
                );
                create(out, w);
            }
            None => match spare.iter().position(|h| same_index(w, h)) {
                Some(i) => {
                    let h = spare.remove(i);
                    out.push(
                        IndexChange::RenameIndex {
                            table: table.clone(),
                            from: h.name.clone(),
                            to: w.name.clone(),
                            declared: false,
                        }
                        .into(),
                    );
                    comment(out, w, h);
                }
                None => create(out, w),
            },
        }
    }
    for h in spare {
        out.push(
            IndexChange::DropIndex {
                table: table.clone(),
                index: h.clone(),
                because: None,
            }
            .into(),
        );
    }
}

/// One index key as SQL: `email`, `"Order" DESC`, `(lower(email)) NULLS FIRST`.
pub fn index_key(k: &IndexKey) -> String {
    let mut s = match &k.part {
        IndexPart::Column(c) => quote_ident(c),
        IndexPart::Expr(e) => format!("({})", e.sql),
    };
    if let Some(c) = &k.collation {
        s.push_str(&format!(" COLLATE {c}"));
    }
    if let Some(o) = &k.opclass {
        s.push_str(&format!(" {o}"));
    }
    if k.descending {
        s.push_str(" DESC");
    }
    match k.nulls_first {
        Some(true) => s.push_str(" NULLS FIRST"),
        Some(false) => s.push_str(" NULLS LAST"),
        None => {}
    }
    s
}

pub fn create_index(table: &QualName, i: &Index) -> String {
    let keys: Vec<String> = i.keys.iter().map(index_key).collect();
    let mut s = format!(
        "CREATE {}INDEX {} ON {}",
        if i.unique { "UNIQUE " } else { "" },
        quote_ident(&i.name),
        table.sql()
    );
    if i.method != "btree" {
        s.push_str(&format!(" USING {}", i.method));
    }
    s.push_str(&format!(" ({})", keys.join(", ")));
    if !i.include.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", ident_list(&i.include)));
    }
    if i.nulls_not_distinct {
        s.push_str(" NULLS NOT DISTINCT");
    }
    s.push_str(&i.with.sql());
    if let Some(p) = &i.predicate {
        s.push_str(&format!(" WHERE {}", p.sql));
    }
    s
}

/// The `COMMENT ON INDEX` a new index needs, if it has a comment, in `phase`.
pub(crate) fn index_comment(table: &QualName, i: &Index, phase: Phase) -> Option<(Phase, String)> {
    i.comment.as_ref()?;
    let on = CommentOn::Index {
        table: table.clone(),
        index: i.name.clone(),
    };
    let (_, sql) = super::comment::set(&on, &i.comment);
    Some((phase, sql))
}

/// Dropping an index: how often it was used, so a reviewer sees what dropping a production
/// index means (it is not a verdict input: the number changes with every query).
pub fn with_usage(verdict: Verdict, change: &Change, live: &Schema) -> Verdict {
    let (
        Change::Index(IndexChange::DropIndex {
            table,
            index,
            because: None,
        }),
        Verdict::Change { note: None },
    ) = (change, &verdict)
    else {
        return verdict;
    };
    match live
        .index_scans
        .get(&QualName::new(table.schema.clone(), index.name.clone()))
    {
        Some(n) => Verdict::Change {
            note: Some(format!(
                "the index was used {n} time{} since the statistics were last reset",
                if *n == 1 { "" } else { "s" }
            )),
        },
        None => verdict,
    }
}

impl IndexChange {
    /// The index a `CREATE INDEX` builds (apply may build it concurrently).
    pub fn built(&self) -> Option<QualName> {
        match self {
            IndexChange::CreateIndex { table, index } => {
                Some(QualName::new(table.schema.clone(), index.name.clone()))
            }
            _ => None,
        }
    }
}

impl KindChange for IndexChange {
    fn object(&self) -> (ObjectKind, QualName) {
        let (IndexChange::CreateIndex { table, .. }
        | IndexChange::DropIndex { table, .. }
        | IndexChange::RenameIndex { table, .. }) = self;
        (ObjectKind::Table, table.clone())
    }

    fn judge(&self, _facts: &Facts, _opts: &Options) -> Verdict {
        Verdict::change()
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        match self {
            // The comment goes with the build (after it, when it is built concurrently).
            IndexChange::CreateIndex { table, index } => {
                let mut out = one(Phase::Indexes, create_index(table, index));
                out.extend(index_comment(table, index, Phase::Indexes));
                out
            }
            IndexChange::DropIndex { table, index, .. } => one(
                Phase::DropConstraints,
                format!(
                    "DROP INDEX {}",
                    QualName::new(table.schema.clone(), index.name.clone()).sql()
                ),
            ),
            IndexChange::RenameIndex {
                table,
                from,
                to,
                declared,
            } => one(
                rename_phase(*declared),
                format!(
                    "ALTER INDEX {} RENAME TO {}",
                    QualName::new(table.schema.clone(), from.clone()).sql(),
                    quote_ident(to)
                ),
            ),
        }
    }

    fn summary(&self) -> String {
        match self {
            IndexChange::CreateIndex { table, index } => create_index(table, index),
            IndexChange::DropIndex { index, because, .. } => format!(
                "drop index {} ({})",
                quote_ident(&index.name),
                because.as_deref().unwrap_or("not declared")
            ),
            IndexChange::RenameIndex {
                from, to, declared, ..
            } => format!(
                "rename index {} to {}{}",
                quote_ident(from),
                quote_ident(to),
                if *declared { " (renamed_from)" } else { "" }
            ),
        }
    }

    fn drift(&self) -> Option<String> {
        match self {
            IndexChange::DropIndex {
                index,
                because: None,
                ..
            } => Some(format!(
                "index {} is not declared",
                quote_ident(&index.name)
            )),
            IndexChange::DropIndex {
                index,
                because: Some(why),
                ..
            } => Some(format!("index {}: {why}", quote_ident(&index.name))),
            IndexChange::CreateIndex { index, .. } => Some(format!(
                "index {} is declared but missing",
                quote_ident(&index.name)
            )),
            IndexChange::RenameIndex { .. } => None,
        }
    }

    fn sign(&self) -> Sign {
        match self {
            IndexChange::CreateIndex { .. } => Sign::Add,
            IndexChange::DropIndex { .. } => Sign::Remove,
            IndexChange::RenameIndex { .. } => Sign::Alter,
        }
    }

    fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        match self {
            IndexChange::CreateIndex { index, .. } => index.expressions(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::key_segments;

    #[test]
    fn the_key_list_of_an_index_definition_is_split_at_its_top_level_commas() {
        let def = r#"CREATE INDEX "a, b" ON public.t USING btree (name COLLATE "C" DESC, lower((x)::text, 'a,)b') text_pattern_ops, "Odd "", col") INCLUDE (z) WITH (fillfactor='70')"#;
        assert_eq!(
            key_segments(def, "btree"),
            [
                r#"name COLLATE "C" DESC"#,
                "lower((x)::text, 'a,)b') text_pattern_ops",
                r#""Odd "", col""#,
            ]
        );
        assert!(key_segments(def, "gin").is_empty());
    }
}
