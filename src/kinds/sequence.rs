//! Standalone sequences (not the ones serial and identity columns own): their type, bounds and
//! options, their owner column, their position (a sequence that handed out values is data).

use std::fmt;

use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use super::comment::{CommentChange, CommentOn};
use super::{KindChange, Sign, one};
use crate::diff::verdict::restart_note;
use crate::diff::{Diff, Facts, ObjectKind, Options, Question, Unmanaged, Verdict};
use crate::model::{BaseType, DataType, QualName, Schema, integer_range};
use crate::plan::Phase;

// ---- Model ----

/// A standalone sequence, every option spelled out (the loader fills in PostgreSQL's defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    pub name: QualName,
    pub data_type: DataType,
    #[serde(flatten)]
    pub options: SequenceOptions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `OWNED BY table.column`: the sequence is dropped with the column (without being its
    /// default; a column whose `nextval()` default is its own sequence is `serial`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<OwnedBy>,
}

/// The column a sequence belongs to (`ALTER SEQUENCE ... OWNED BY table.column`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OwnedBy {
    pub table: QualName,
    pub column: String,
}

impl OwnedBy {
    /// `schema.table.column`, quoted as SQL needs it.
    pub fn sql(&self) -> String {
        format!(
            "{}.{}",
            self.table.sql(),
            crate::model::names::quote_ident(&self.column)
        )
    }
}

impl fmt::Display for OwnedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql())
    }
}

/// The options of a sequence (an identity column's, or a standalone one's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceOptions {
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
}

impl SequenceOptions {
    /// PostgreSQL's defaults for a sequence of this integer type with this increment: ascending
    /// ones count from 1 to the type's maximum, descending ones from -1 down to its minimum.
    pub fn defaults(base: &BaseType, increment: i64) -> Self {
        let (type_min, type_max) = integer_range(base);
        let ascending = increment >= 0;
        let (min_value, max_value) = if ascending {
            (1, type_max)
        } else {
            (type_min, -1)
        };
        Self {
            start: if ascending { min_value } else { max_value },
            increment,
            min_value,
            max_value,
            cache: 1,
            cycle: false,
        }
    }

    /// What differs from `self` to `to`, for people: `increment 1 -> 10`, `cache 1 -> 5`.
    pub fn changes_to(&self, to: &SequenceOptions) -> Vec<String> {
        let pairs = [
            (
                "increment",
                self.increment.to_string(),
                to.increment.to_string(),
            ),
            (
                "min_value",
                self.min_value.to_string(),
                to.min_value.to_string(),
            ),
            (
                "max_value",
                self.max_value.to_string(),
                to.max_value.to_string(),
            ),
            ("start", self.start.to_string(), to.start.to_string()),
            ("cache", self.cache.to_string(), to.cache.to_string()),
            ("cycle", self.cycle.to_string(), to.cycle.to_string()),
        ];
        pairs
            .into_iter()
            .filter(|(_, a, b)| a != b)
            .map(|(what, a, b)| format!("{what} {a} -> {b}"))
            .collect()
    }

    /// The options that differ from `defaults`, as `CREATE SEQUENCE` options.
    pub fn sql_differences(&self, defaults: &SequenceOptions) -> Vec<String> {
        let mut out = Vec::new();
        if self.start != defaults.start {
            out.push(format!("START WITH {}", self.start));
        }
        if self.increment != defaults.increment {
            out.push(format!("INCREMENT BY {}", self.increment));
        }
        if self.min_value != defaults.min_value {
            out.push(format!("MINVALUE {}", self.min_value));
        }
        if self.max_value != defaults.max_value {
            out.push(format!("MAXVALUE {}", self.max_value));
        }
        if self.cache != defaults.cache {
            out.push(format!("CACHE {}", self.cache));
        }
        if self.cycle != defaults.cycle {
            out.push(if self.cycle {
                "CYCLE".into()
            } else {
                "NO CYCLE".into()
            });
        }
        out
    }
}

// ---- Catalog, diff, changes ----

/// Every sequence of the managed schemas but identities' (part of their column); columns 13
/// and 14 say whether its owner column takes its `nextval()` default from it, and that default.
pub const QUERY: &str = "
SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
       s.seqmin, s.seqmax, s.seqcache, s.seqcycle, dsc.description,
       own.nspname, own.relname, own.attname,
       COALESCE(own.is_default, false), own.default_text
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description dsc ON dsc.objoid = c.oid AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = 0
LEFT JOIN LATERAL (
    SELECT tn.nspname::text, t.relname::text, a.attname::text,
           COALESCE(x.def = format('nextval(%L::regclass)', c.oid::regclass::text), false) AS is_default,
           x.def AS default_text
    FROM pg_depend d
    JOIN pg_class t ON t.oid = d.refobjid
    JOIN pg_namespace tn ON tn.oid = t.relnamespace
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
    LEFT JOIN pg_attrdef ad ON ad.adrelid = t.oid AND ad.adnum = a.attnum
    -- Deparsed once, and without opening the table (as the column query reads defaults).
    LEFT JOIN LATERAL (SELECT pg_get_expr(ad.adbin, CASE WHEN a.attgenerated = '' THEN 0 ELSE ad.adrelid END) AS def
                       OFFSET 0) x ON true
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
      AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' AND d.refobjsubid > 0
    LIMIT 1) own ON true
WHERE n.nspname = ANY($1)
  -- An identity's sequence is part of its column. The sequence a column owns and takes its
  -- nextval() default from is read too (is_default): it is serial only if it is exactly what
  -- serial makes (see settle_serials).
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i')";

/// The rows of [`QUERY`] into `s`. Returns the sequences an owner column takes its default
/// from, with that default's text, for [`super::column::settle_serials`].
pub fn read(rows: &[Row], s: &mut Schema) -> Vec<(QualName, String)> {
    let mut defaults_of = Vec::new();
    for r in rows {
        let name = QualName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        if r.get::<_, bool>(13) {
            defaults_of.push((name.clone(), r.get::<_, String>(14)));
        }
        let data_type =
            DataType::parse(&r.get::<_, String>(2)).unwrap_or(DataType::new(BaseType::BigInt));
        s.sequences.insert(
            name.clone(),
            Sequence {
                name,
                data_type,
                options: SequenceOptions {
                    start: r.get(3),
                    increment: r.get(4),
                    min_value: r.get(5),
                    max_value: r.get(6),
                    cache: r.get(7),
                    cycle: r.get(8),
                },
                comment: r.get(9),
                owned_by: r.get::<_, Option<String>>(10).map(|schema| OwnedBy {
                    table: QualName::new(schema, r.get::<_, String>(11)),
                    column: r.get(12),
                }),
            },
        );
    }
    defaults_of
}

/// The current value of each sequence named by `$1` (schemas) and `$2` (sequence names), or,
/// where `$2` is NULL, of the identity `$3` (tables) `$4` (columns), by 1-based position in
/// those arrays ([`positions_params`]): its start when it never handed one out, NULL when the
/// session may not read it.
///
/// Read only for the sequences whose declared bounds differ from the live ones
/// ([`positions_wanted`]): `pg_sequence_last_value()` locks each sequence it reads until the end
/// of the transaction, which over every sequence of a large schema exhausts the lock table.
pub const POSITIONS_QUERY: &str = "
SELECT q.i::int, CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE')
                      THEN COALESCE(pg_sequence_last_value(c.oid), s.seqstart) END
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS q(nsp, seq, tab, col, i)
JOIN pg_class c ON c.oid = CASE WHEN q.seq IS NOT NULL
    THEN to_regclass(format('%I.%I', q.nsp, q.seq))
    ELSE to_regclass(pg_get_serial_sequence(format('%I.%I', q.nsp, q.tab), q.col)) END
JOIN pg_sequence s ON s.seqrelid = c.oid";

/// Whose current value the diff needs: a sequence or an identity column is restarted when its
/// new bounds exclude that value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    Sequence(QualName),
    Identity(QualName, String),
}

/// The live sequences and identities whose bounds the declaration may change: a declared
/// sequence with other options, and an identity column not declared with the same ones (a
/// table or column renamed is among them, as its declared name differs).
pub fn positions_wanted(desired: &Schema, live: &Schema) -> Vec<Position> {
    let mut out = Vec::new();
    for (name, have) in &live.sequences {
        if (desired.sequences.get(name)).is_some_and(|want| want.options != have.options) {
            out.push(Position::Sequence(name.clone()));
        }
    }
    for (name, t) in &live.tables {
        for c in t.columns.iter().filter(|c| c.identity.is_some()) {
            let same = (desired.tables.get(name))
                .and_then(|d| d.columns.iter().find(|d| d.name == c.name))
                .is_some_and(|d| {
                    d.identity.is_some()
                        && d.ty == c.ty
                        && d.identity_sequence == c.identity_sequence
                });
            if !same {
                out.push(Position::Identity(name.clone(), c.name.clone()));
            }
        }
    }
    out
}

/// The parameters of [`POSITIONS_QUERY`] for `wanted`.
pub fn positions_params(wanted: &[Position]) -> [Vec<Option<String>>; 4] {
    let mut p: [Vec<Option<String>>; 4] = Default::default();
    for w in wanted {
        let (nsp, seq, tab, col) = match w {
            Position::Sequence(n) => (&n.schema, Some(&n.name), None, None),
            Position::Identity(t, c) => (&t.schema, None, Some(&t.name), Some(c)),
        };
        p[0].push(Some(nsp.clone()));
        p[1].push(seq.cloned());
        p[2].push(tab.cloned());
        p[3].push(col.cloned());
    }
    p
}

/// The rows of [`POSITIONS_QUERY`] into `live`.
pub fn read_positions(rows: &[Row], wanted: &[Position], live: &mut Schema) {
    for r in rows {
        let i: i32 = r.get(0);
        let Some(v) = r.get::<_, Option<i64>>(1) else {
            continue;
        };
        match (i as usize).checked_sub(1).and_then(|k| wanted.get(k)) {
            Some(Position::Sequence(n)) => {
                live.sequence_values.insert(n.clone(), v);
            }
            Some(Position::Identity(t, c)) => {
                live.identity_values.insert((t.clone(), c.clone()), v);
            }
            None => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SequenceChange {
    /// `CREATE SEQUENCE s AS t INCREMENT BY ... CACHE ... [NO] CYCLE`
    CreateSequence { def: Sequence },
    /// `ALTER SEQUENCE s ...` with every option (its current value is left alone), and
    /// `OWNED BY` when the owner differs
    AlterSequence {
        from: Box<Sequence>,
        to: Box<Sequence>,
        /// The current value, when the new bounds exclude it: the sequence is restarted
        /// (`RESTART`, at its start), as PostgreSQL refuses bounds that exclude it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restart: Option<i64>,
    },
    /// `DROP SEQUENCE s` (only with `--prune`)
    DropSequence { name: QualName },
}

/// Declared sequences: created, or compared with the live one.
pub fn diff(desired: &Schema, live: &Schema, out: &mut Diff) {
    for (name, want) in &desired.sequences {
        let Some(have) = live.sequences.get(name) else {
            out.changes
                .push(SequenceChange::CreateSequence { def: want.clone() }.into());
            continue;
        };
        let before = out.changes.len();
        if (&have.data_type, &have.options, &have.owned_by)
            != (&want.data_type, &want.options, &want.owned_by)
        {
            let restart = (live.sequence_values.get(name).copied())
                .filter(|v| *v < want.options.min_value || *v > want.options.max_value);
            out.changes.push(
                SequenceChange::AlterSequence {
                    from: Box::new(have.clone()),
                    to: Box::new(want.clone()),
                    restart,
                }
                .into(),
            );
        }
        if have.comment != want.comment {
            out.changes.push(
                CommentChange::SetComment {
                    target: CommentOn::Sequence { name: name.clone() },
                    comment: want.comment.clone(),
                }
                .into(),
            );
        }
        if out.changes.len() == before {
            out.unchanged.push((ObjectKind::Sequence, name.clone()));
        }
    }
}

/// Live sequences the declaration does not mention: unmanaged, or dropped with `--prune`.
pub fn undeclared(desired: &Schema, live: &Schema, prune: bool, out: &mut Diff) {
    for name in (live.sequences.keys()).filter(|n| !desired.sequences.contains_key(*n)) {
        if prune {
            out.changes
                .push(SequenceChange::DropSequence { name: name.clone() }.into());
        } else {
            out.unmanaged.push(Unmanaged {
                kind: ObjectKind::Sequence,
                name: name.clone(),
                kept: None,
                owned_by: None,
            });
        }
    }
}

/// `ALTER SEQUENCE s OWNED BY t.c`, once the tables and their columns exist.
fn owned_by(name: &QualName, o: &OwnedBy) -> (Phase, String) {
    (
        Phase::Constraints,
        format!("ALTER SEQUENCE {} OWNED BY {}", name.sql(), o.sql()),
    )
}

/// The options of `CREATE SEQUENCE` / `ALTER SEQUENCE`, all spelled out.
fn options(s: &Sequence) -> String {
    let o = &s.options;
    format!(
        "AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {}",
        s.data_type,
        o.increment,
        o.min_value,
        o.max_value,
        o.start,
        o.cache,
        if o.cycle { "CYCLE" } else { "NO CYCLE" }
    )
}

impl KindChange for SequenceChange {
    fn object(&self) -> (ObjectKind, QualName) {
        match self {
            SequenceChange::CreateSequence { def } => (ObjectKind::Sequence, def.name.clone()),
            SequenceChange::AlterSequence { to, .. } => (ObjectKind::Sequence, to.name.clone()),
            SequenceChange::DropSequence { name } => (ObjectKind::Sequence, name.clone()),
        }
    }

    fn questions(&self) -> Vec<Question> {
        match self {
            SequenceChange::DropSequence { name } => vec![Question::SequenceUsed(name.clone())],
            _ => Vec::new(),
        }
    }

    fn judge(&self, facts: &Facts, opts: &Options) -> Verdict {
        match self {
            SequenceChange::CreateSequence { .. } => Verdict::Create,
            SequenceChange::AlterSequence { restart: None, .. } => Verdict::change(),
            SequenceChange::AlterSequence {
                to,
                restart: Some(v),
                ..
            } => restart_note(&to.options, *v),
            SequenceChange::DropSequence { name } => {
                match facts.get(&Question::SequenceUsed(name.clone())).copied() {
                    Some(0) => Verdict::note("the sequence never handed out a value"),
                    _ if opts.allow_destructive => {
                        Verdict::note("the sequence has handed out values: its position is lost")
                    }
                    _ => Verdict::refuse(format!(
                        "sequence {name} has handed out values: dropping it loses its position, and a sequence created again would repeat them; pass --allow-destructive to allow it"
                    )),
                }
            }
        }
    }

    fn statements(&self) -> Vec<(Phase, String)> {
        match self {
            SequenceChange::CreateSequence { def } => {
                let mut out = one(
                    Phase::Types,
                    format!("CREATE SEQUENCE {} {}", def.name.sql(), options(def)),
                );
                if let Some(o) = &def.owned_by {
                    out.push(owned_by(&def.name, o));
                }
                if def.comment.is_some() {
                    let on = CommentOn::Sequence {
                        name: def.name.clone(),
                    };
                    out.push(super::comment::set(&on, &def.comment));
                }
                out
            }
            SequenceChange::AlterSequence { from, to, restart } => {
                let mut out = Vec::new();
                if (&from.data_type, &from.options) != (&to.data_type, &to.options) {
                    out.push((
                        Phase::Types,
                        format!(
                            "ALTER SEQUENCE {} {}{}",
                            to.name.sql(),
                            options(to),
                            if restart.is_some() { " RESTART" } else { "" }
                        ),
                    ));
                }
                if from.owned_by != to.owned_by {
                    // Released before any column is dropped (which would drop the sequence
                    // with it), and given to its new owner once the column exists.
                    if from.owned_by.is_some() {
                        out.push((
                            Phase::Types,
                            format!("ALTER SEQUENCE {} OWNED BY NONE", to.name.sql()),
                        ));
                    }
                    if let Some(o) = &to.owned_by {
                        out.push(owned_by(&to.name, o));
                    }
                }
                out
            }
            SequenceChange::DropSequence { name } => {
                one(Phase::DropTypes, format!("DROP SEQUENCE {}", name.sql()))
            }
        }
    }

    fn summary(&self) -> String {
        match self {
            SequenceChange::CreateSequence { def } => format!(
                "create sequence ({}, start {}, increment {}{})",
                def.data_type,
                def.options.start,
                def.options.increment,
                def.owned_by
                    .as_ref()
                    .map(|o| format!(", owned by {o}"))
                    .unwrap_or_default()
            ),
            SequenceChange::AlterSequence { from, to, .. } => {
                let mut parts = Vec::new();
                if from.data_type != to.data_type {
                    parts.push(format!("type {} -> {}", from.data_type, to.data_type));
                }
                parts.extend(from.options.changes_to(&to.options));
                if from.owned_by != to.owned_by {
                    let owner = |o: &Option<OwnedBy>| {
                        o.as_ref().map_or("none".to_string(), ToString::to_string)
                    };
                    parts.push(format!(
                        "owned by {} -> {}",
                        owner(&from.owned_by),
                        owner(&to.owned_by)
                    ));
                }
                format!("alter sequence: {}", parts.join(", "))
            }
            SequenceChange::DropSequence { .. } => "drop sequence (not declared)".into(),
        }
    }

    fn drift(&self) -> Option<String> {
        matches!(self, SequenceChange::CreateSequence { .. })
            .then(|| "declared but missing from the database".to_string())
    }

    fn sign(&self) -> Sign {
        match self {
            SequenceChange::CreateSequence { .. } => Sign::Add,
            SequenceChange::DropSequence { .. } => Sign::Remove,
            SequenceChange::AlterSequence { .. } => Sign::Alter,
        }
    }

    fn contended(&self, _created: &std::collections::BTreeSet<&QualName>) -> bool {
        !matches!(self, SequenceChange::CreateSequence { .. })
    }
}
