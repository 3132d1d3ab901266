//! The self-check that makes silent loss visible: every live index and every primary key and
//! unique constraint is rebuilt from the model on a temporary copy of its table, and
//! PostgreSQL's deparse of the rebuilt object is compared with its deparse of the live one.
//!
//! Both sides are spelled by the server (`pg_get_indexdef`, `pg_get_constraintdef`), so nothing
//! is normalised by hand: an object whose two spellings differ holds something the model does not
//! carry, and is reported with both spellings (`plan`, `drift`, and import's notes) instead of
//! being planned as if it matched. Like the expression probe this runs in a transaction that is
//! always rolled back, on `TEMP` tables (`CREATE TEMP TABLE ... (LIKE t)` copies the columns'
//! names, types, collations and NOT NULL), in a constant number of round trips. Foreign keys are
//! left out: rebuilding one would lock the table it references.
//!
//! How the server spells a rebuilt index or key depends only on its definition and on the
//! columns it mentions (their names, types, collations and NOT NULL), not on the table it is on
//! or on the table's other columns. So objects of the same shape (the same unique key on a
//! thousand tables) are rebuilt once, on a copy of the first table that has it, and that one
//! answer is compared with the live spelling of every object of the shape: every live object
//! still gets a verdict, and the work follows the number of distinct shapes, not of tables.

use std::collections::BTreeMap;

use tokio_postgres::Client;

use super::catalog::{InspectError, LiveSpellings};
use super::session;
use crate::diff::Constraint;
use crate::model::names::quote_ident;
use crate::model::{IndexPart, NotCarried, QualName, Schema, Table};
use crate::plan::sql::{constraint_def, create_index};

/// What the self-check could do.
#[derive(Debug, Default)]
pub struct SelfCheck {
    pub not_carried: Vec<NotCarried>,
    /// Queries sent (per batch: BEGIN, the batch, the rebuilds' read-back, ROLLBACK, and a
    /// read-back of any live spellings the catalog read did not carry; more when one item
    /// failed).
    pub queries: usize,
    /// Set when the connection may not create temporary tables: the check did not run.
    pub skipped: Option<String>,
}

/// One live object to judge.
struct Item {
    object: String,
    table: QualName,
    name: String,
    /// The live object's name (index) or (table, constraint name).
    live_key: (QualName, String),
    /// The shape it is judged by.
    shape: usize,
}

impl Item {
    fn is_index(&self) -> bool {
        self.live_key.1.is_empty()
    }
}

/// What is rebuilt once for every live object of the same shape.
enum Rebuilt {
    Index(crate::model::Index),
    Constraint(Constraint),
}

struct Shape {
    /// The table (index into the tables checked) whose copy the object is rebuilt on.
    table: usize,
    rebuilt: Rebuilt,
}

/// What a shape depends on: the statement that rebuilds it (written with placeholder names, only
/// ever used as a key), the mentioned columns as (name, type, collation, NOT NULL), and the
/// table's own name when an expression mentions it (a whole-row reference: never shared).
type ShapeKey = (String, Vec<MentionedColumn>, Option<QualName>);

/// A column's name, type, collation and whether it is nullable.
type MentionedColumn = (String, String, Option<String>, bool);

/// Rebuilt objects' tables copied per transaction. Every temporary copy, and each index and key
/// rebuilt on it, takes a lock until its transaction ends, and the server's lock table is shared
/// by every session (`max_locks_per_transaction × max_connections`, 6,400 entries by default):
/// one transaction over thousands of tables would fill it, and the application's own sessions
/// would fail with "out of shared memory" while the plan runs. Fifty tables hold a couple of
/// hundred locks at a time.
const BATCH: usize = 50;

/// Runs the check over every table of `live`: each distinct shape rebuilt once, on copies of at
/// most [`BATCH`] tables per transaction. The live objects' spellings are taken from `spelled`
/// (read with the catalog, in its snapshot); any it lacks are read from the server.
pub async fn run(
    client: &mut Client,
    live: &Schema,
    spelled: &LiveSpellings,
) -> Result<SelfCheck, InspectError> {
    let tables: Vec<&Table> = live.tables.values().collect();
    let (items, shapes) = items(&tables);
    // The tables whose copies are needed, in order, each with the shapes rebuilt on it.
    let mut copies: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (s, shape) in shapes.iter().enumerate() {
        copies.entry(shape.table).or_default().push(s);
    }
    let copies: Vec<(usize, Vec<usize>)> = copies.into_iter().collect();
    // Which items each shape judges.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); shapes.len()];
    for (n, item) in items.iter().enumerate() {
        members[item.shape].push(n);
    }
    let mut verdicts: Vec<Option<Verdict>> = (0..items.len()).map(|_| None).collect();
    let mut out = SelfCheck::default();
    for batch in copies.chunks(BATCH) {
        let mut one = Batch::new(batch, &tables, &shapes);
        let judged: Vec<usize> = (batch.iter())
            .flat_map(|(_, s)| s.iter().flat_map(|&s| members[s].iter().copied()))
            .collect();
        match one.run(client, &items, &judged, spelled).await? {
            Ran::Skipped(reason) => {
                return Ok(SelfCheck {
                    skipped: Some(reason),
                    ..SelfCheck::default()
                });
            }
            Ran::Done { queries, found } => {
                out.queries += queries;
                for (n, v) in found {
                    verdicts[n] = Some(v);
                }
            }
        }
    }
    // Reported in the order of the tables and their objects.
    for (item, verdict) in items.iter().zip(verdicts) {
        if let Some(v) = verdict
            && let Some(nc) = judge(item, v)
        {
            out.not_carried.push(nc);
        }
    }
    Ok(out)
}

/// Every index and primary key or unique constraint of `tables`, each pointing at its shape;
/// a shape's first object names the table it is rebuilt on.
fn items(tables: &[&Table]) -> (Vec<Item>, Vec<Shape>) {
    let placeholder = QualName::new("pg_temp", "tableform_self");
    let mut keys: BTreeMap<ShapeKey, usize> = BTreeMap::new();
    let mut shapes = Vec::new();
    let mut items = Vec::new();
    let mut shape_of = |key: ShapeKey, ti: usize, rebuilt: Rebuilt| -> usize {
        let next = shapes.len();
        let s = *keys.entry(key).or_insert(next);
        if s == next {
            shapes.push(Shape { table: ti, rebuilt });
        }
        s
    };
    for (ti, t) in tables.iter().enumerate() {
        for i in &t.indexes {
            let mut named = i.clone();
            named.name = "tableform_self_i".into();
            let mut sqls: Vec<&str> = (i.keys.iter())
                .filter_map(|k| match &k.part {
                    IndexPart::Expr(e) => Some(e.sql.as_str()),
                    IndexPart::Column(_) => None,
                })
                .collect();
            if let Some(p) = &i.predicate {
                sqls.push(&p.sql);
            }
            let named_columns: Vec<&str> = (i.keys.iter())
                .filter_map(|k| match &k.part {
                    IndexPart::Column(c) => Some(c.as_str()),
                    IndexPart::Expr(_) => None,
                })
                .chain(i.include.iter().map(String::as_str))
                .collect();
            let (columns, own) = mentioned(t, &named_columns, &sqls);
            let key = (create_index(&placeholder, &named), columns, own);
            let shape = shape_of(key, ti, Rebuilt::Index(i.clone()));
            items.push(Item {
                object: format!(
                    "index {}",
                    QualName::new(t.name.schema.clone(), i.name.clone())
                ),
                table: t.name.clone(),
                name: i.name.clone(),
                live_key: (
                    QualName::new(t.name.schema.clone(), i.name.clone()),
                    String::new(),
                ),
                shape,
            });
        }
        // Checks are left out: a check is its expression plus NOT VALID and NO INHERIT, all
        // carried, and PostgreSQL's deparse of an expression does not always read back to the
        // same tree (`x IN ('a')` on a varchar column), which would be reported as a loss.
        let constraints = (t
            .primary_key
            .clone()
            .map(Constraint::PrimaryKey)
            .into_iter())
        .chain(t.uniques.iter().cloned().map(Constraint::Unique));
        for c in constraints {
            let named_columns: Vec<&str> = match &c {
                Constraint::PrimaryKey(k) => k.columns.iter().map(String::as_str).collect(),
                Constraint::Unique(u) => (u.columns.iter())
                    .chain(u.include.iter())
                    .map(String::as_str)
                    .collect(),
                _ => Vec::new(),
            };
            let (columns, own) = mentioned(t, &named_columns, &[]);
            let key = (
                format!(
                    "ADD {}",
                    constraint_def(&rename(c.clone(), "tableform_self_c"))
                ),
                columns,
                own,
            );
            let (object, name) = (
                format!("constraint {} on {}", quote_ident(c.name()), t.name),
                c.name().to_string(),
            );
            let shape = shape_of(key, ti, Rebuilt::Constraint(c));
            items.push(Item {
                object,
                table: t.name.clone(),
                live_key: (t.name.clone(), name.clone()),
                name,
                shape,
            });
        }
    }
    (items, shapes)
}

/// The columns of `t` an object mentions, by name or in its expressions (any word of an
/// expression that names a column counts: a shape may be split needlessly, never merged
/// wrongly), with what the server's spelling of the object depends on; and the table's name
/// when an expression mentions it or cannot be read.
fn mentioned(t: &Table, named: &[&str], sqls: &[&str]) -> (Vec<MentionedColumn>, Option<QualName>) {
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let mut names: std::collections::BTreeSet<String> =
        named.iter().map(|s| s.to_string()).collect();
    let mut own = None;
    for sql in sqls {
        let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
            own = Some(t.name.clone());
            names.extend(t.columns.iter().map(|c| c.name.clone()));
            continue;
        };
        for token in tokens {
            if let Token::Word(w) = token {
                let name = if w.quote_style.is_some() {
                    w.value
                } else {
                    w.value.to_lowercase()
                };
                if name == t.name.name {
                    own = Some(t.name.clone());
                }
                if t.column(&name).is_some() {
                    names.insert(name);
                }
            }
        }
    }
    let columns = names
        .into_iter()
        .map(|n| match t.column(&n) {
            Some(c) => (n, c.ty.to_string(), c.collation.clone(), c.nullable),
            // Not a column of the table: the rebuild fails the same way on every table.
            None => (n, String::new(), None, true),
        })
        .collect();
    (columns, own)
}

/// What rebuilding a shape gave: the server's spelling, or why it could not be created.
#[derive(Clone)]
enum Rebuild {
    Spelled(String),
    Failed(String),
}

/// An item's two spellings.
struct Verdict {
    live: String,
    modelled: Rebuild,
}

enum Ran {
    Skipped(String),
    Done {
        queries: usize,
        found: Vec<(usize, Verdict)>,
    },
}

/// Up to [`BATCH`] table copies with the shapes rebuilt on them.
struct Batch {
    tables: Vec<String>,
    /// (shape, name of its rebuilt object, statement).
    rebuilds: Vec<(usize, String, String)>,
}

impl Batch {
    fn new(copies: &[(usize, Vec<usize>)], tables: &[&Table], shapes: &[Shape]) -> Self {
        let mut out = Batch {
            tables: Vec::new(),
            rebuilds: Vec::new(),
        };
        for (k, (ti, on_it)) in copies.iter().enumerate() {
            let copy = format!("tableform_self_{k}");
            let on = QualName::new("pg_temp", copy.clone());
            out.tables.push(format!(
                "CREATE TEMP TABLE {copy} (LIKE {}) ON COMMIT DROP",
                tables[*ti].name.sql()
            ));
            for (j, &s) in on_it.iter().enumerate() {
                let (name, sql) = match &shapes[s].rebuilt {
                    Rebuilt::Index(i) => {
                        let name = format!("{copy}_i{j}");
                        let mut rebuilt = i.clone();
                        rebuilt.name = name.clone();
                        let sql = create_index(&on, &rebuilt);
                        (name, sql)
                    }
                    Rebuilt::Constraint(c) => {
                        let name = format!("{copy}_c{j}");
                        let sql = format!(
                            "ALTER TABLE pg_temp.{copy} ADD {}",
                            constraint_def(&rename(c.clone(), &name))
                        );
                        (name, sql)
                    }
                };
                out.rebuilds.push((s, name, sql));
            }
        }
        out
    }

    /// Rebuilds the batch's shapes and reads both spellings of the `judged` items.
    async fn run(
        &mut self,
        client: &mut Client,
        items: &[Item],
        judged: &[usize],
        spelled: &LiveSpellings,
    ) -> Result<Ran, InspectError> {
        let tx = client.transaction().await?;
        let mut sql: Vec<&str> = self.tables.iter().map(String::as_str).collect();
        sql.extend(self.rebuilds.iter().map(|r| r.2.as_str()));
        let mut failed: BTreeMap<usize, String> = BTreeMap::new();
        // BEGIN, the batch, the rebuilds' read-back, ROLLBACK; plus the live read-backs asked.
        let mut queries = 4;
        if let Err(e) = session::pipeline(tx.client(), &sql).await {
            if let Some(reason) = session::temp_refused(&e) {
                return Ok(Ran::Skipped(reason));
            }
            // Something did not rebuild: start again, one object at a time under a savepoint,
            // so that the failure is reported against the objects of its shape.
            tx.rollback().await?;
            let tx = client.transaction().await?;
            let tables: Vec<&str> = self.tables.iter().map(String::as_str).collect();
            session::pipeline(tx.client(), &tables).await?;
            for (s, _, sql) in &self.rebuilds {
                session::run(tx.client(), "SAVEPOINT tableform_self").await?;
                let end = match session::run(tx.client(), sql).await {
                    Ok(()) => "RELEASE SAVEPOINT tableform_self",
                    Err(e) => {
                        failed.insert(*s, super::connect::reason(&e));
                        "ROLLBACK TO SAVEPOINT tableform_self"
                    }
                };
                session::run(tx.client(), end).await?;
            }
            let (found, asked) = self
                .compare(&tx, items, judged, spelled, &mut failed)
                .await?;
            tx.rollback().await?;
            queries = 10 + asked + 3 * self.rebuilds.len();
            return Ok(Ran::Done { queries, found });
        }
        let (found, asked) = self
            .compare(&tx, items, judged, spelled, &mut failed)
            .await?;
        tx.rollback().await?;
        Ok(Ran::Done {
            queries: queries + asked,
            found,
        })
    }

    /// The live spelling of every judged item (from `spelled`, else read) and the spelling of
    /// every rebuilt shape; and how many queries reading live spellings were sent.
    async fn compare(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        items: &[Item],
        judged: &[usize],
        spelled: &LiveSpellings,
        failed: &mut BTreeMap<usize, String>,
    ) -> Result<(Vec<(usize, Verdict)>, usize), InspectError> {
        let unread = |n: &&usize| {
            let i = &items[**n];
            if i.is_index() {
                !spelled.indexes.contains_key(&i.live_key.0)
            } else {
                !spelled.constraints.contains_key(&i.live_key)
            }
        };
        let live_indexes: Vec<String> = (judged.iter().filter(unread).map(|&n| &items[n]))
            .filter(|i| i.is_index())
            .map(|i| i.live_key.0.sql())
            .collect();
        let (tables, names): (Vec<String>, Vec<String>) =
            (judged.iter().filter(unread).map(|&n| &items[n]))
                .filter(|i| !i.is_index())
                .map(|i| (i.live_key.0.sql(), i.live_key.1.clone()))
                .unzip();
        let index_params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&live_indexes];
        let constraint_params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&tables, &names];
        let asked = usize::from(!live_indexes.is_empty()) + usize::from(!tables.is_empty());
        let none = || async { Ok::<_, tokio_postgres::Error>(Vec::new()) };
        let (live_index_defs, live_constraint_defs, probes) = tokio::try_join!(
            async {
                if live_indexes.is_empty() {
                    return none().await;
                }
                tx.query(
                    "SELECT q, pg_get_indexdef(to_regclass(q), 0, true) FROM unnest($1::text[]) AS q",
                    &index_params,
                )
                .await
            },
            async {
                if tables.is_empty() {
                    return none().await;
                }
                tx.query(
                    "SELECT v.t, v.n, pg_get_constraintdef(con.oid, true)
                     FROM unnest($1::text[], $2::text[]) AS v(t, n)
                     JOIN pg_constraint con ON con.conrelid = to_regclass(v.t) AND con.conname = v.n",
                    &constraint_params,
                )
                .await
            },
            tx.query(
                "SELECT c.relname::text, pg_get_indexdef(c.oid, 0, true) FROM pg_class c
                 WHERE c.relnamespace = pg_my_temp_schema() AND c.relkind = 'i'
                   AND c.relname LIKE 'tableform\\_self\\_%\\_i%'
                 UNION ALL
                 SELECT con.conname::text, pg_get_constraintdef(con.oid, true) FROM pg_constraint con
                 WHERE con.connamespace = pg_my_temp_schema() AND con.conname LIKE 'tableform\\_self\\_%'",
                &[],
            ),
        )?;
        let mut live_index: BTreeMap<String, Option<String>> = (live_index_defs.iter())
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let mut live_constraint: BTreeMap<(String, String), String> = (live_constraint_defs.iter())
            .map(|r| ((r.get(0), r.get(1)), r.get(2)))
            .collect();
        let probe: BTreeMap<String, String> = probes.iter().map(|r| (r.get(0), r.get(1))).collect();
        let mut rebuilt: BTreeMap<usize, Rebuild> = BTreeMap::new();
        for (s, name, _) in &self.rebuilds {
            let r = match failed.remove(s) {
                Some(reason) => Rebuild::Failed(reason),
                None => match probe.get(name) {
                    Some(p) => Rebuild::Spelled(p.clone()),
                    None => continue,
                },
            };
            rebuilt.insert(*s, r);
        }
        let mut out = Vec::new();
        for &n in judged {
            let item = &items[n];
            let live = if item.is_index() {
                (spelled.indexes.get(&item.live_key.0).cloned())
                    .or_else(|| live_index.remove(&item.live_key.0.sql()).flatten())
            } else {
                (spelled.constraints.get(&item.live_key).cloned()).or_else(|| {
                    live_constraint.remove(&(item.live_key.0.sql(), item.live_key.1.clone()))
                })
            };
            if let (Some(live), Some(modelled)) = (live, rebuilt.get(&item.shape)) {
                out.push((
                    n,
                    Verdict {
                        live,
                        modelled: modelled.clone(),
                    },
                ));
            }
        }
        Ok((out, asked))
    }
}

/// The finding for `item` when its two spellings differ.
fn judge(item: &Item, v: Verdict) -> Option<NotCarried> {
    let is_index = item.is_index();
    let live = v.live;
    let modelled = match v.modelled {
        Rebuild::Failed(reason) => format!("(cannot be created from the model: {reason})"),
        Rebuild::Spelled(s) => s,
    };
    let same = if is_index {
        after_using(&live) == after_using(&modelled)
    } else {
        live == modelled
    };
    if same {
        return None;
    }
    let shown = if modelled.starts_with('(') {
        modelled
    } else if is_index {
        // Shown under the live index's own name and table.
        let head = live.split_once(" USING ").map_or("", |(h, _)| h);
        format!("{head} USING {}", after_using(&modelled))
    } else {
        format!("CONSTRAINT {} {modelled}", quote_ident(&item.live_key.1))
    };
    Some(NotCarried {
        object: item.object.clone(),
        table: item.table.clone(),
        name: item.name.clone(),
        live: if is_index {
            live
        } else {
            format!("CONSTRAINT {} {live}", quote_ident(&item.live_key.1))
        },
        modelled: shown,
    })
}

/// `CREATE INDEX name ON table USING btree (...)` -> `btree (...)`: the part that is the same
/// for an index and its rebuilt copy (names and table differ by construction).
fn after_using(def: &str) -> &str {
    def.split_once(" USING ").map_or(def, |(_, rest)| rest)
}
fn rename(c: Constraint, name: &str) -> Constraint {
    match c {
        Constraint::PrimaryKey(mut k) => {
            k.name = name.into();
            Constraint::PrimaryKey(k)
        }
        Constraint::Unique(mut u) => {
            u.name = name.into();
            Constraint::Unique(u)
        }
        Constraint::Check(mut ch) => {
            ch.name = name.into();
            Constraint::Check(ch)
        }
        Constraint::ForeignKey(mut f) => {
            f.name = name.into();
            Constraint::ForeignKey(f)
        }
        Constraint::Exclusion(mut x) => {
            x.name = name.into();
            Constraint::Exclusion(x)
        }
    }
}
