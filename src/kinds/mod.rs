//! One home per object kind: each module here owns everything tableform knows about one kind of
//! object: its catalog query and how a row becomes the model, how declared and live objects are
//! compared, the typed changes that come out, their verdicts, their SQL and their one-line
//! summaries. The stages ([`crate::inspect`], [`crate::diff`], [`crate::plan`]) only walk the
//! kinds and call them.
//!
//! A change of any kind is a [`Change`]: one variant per kind, each holding that kind's own
//! enum of changes. Every kind's change implements [`KindChange`], which is what the later stages
//! call, so none of them holds a `match` over every change there is.
//!
//! Adding a kind: write its module (model type, `QUERY` and reader, `diff`, its change enum and
//! `impl KindChange`), add it to [`kinds!`](crate::kinds) below, give the catalog reader a call in
//! [`crate::inspect::catalog::inspect`] and the diff a call in [`crate::diff::diff`], and give
//! [`ObjectKind`] a variant if it is listed as an object of its own in plans.

pub mod column;
pub mod comment;
pub mod composite;
pub mod constraint;
pub mod domain;
pub mod enum_type;
pub mod extension;
pub mod function;
pub mod index;
pub mod policy;
pub mod privilege;
pub mod rename;
pub mod schema;
pub mod sequence;
pub mod table;
pub mod trigger;
pub mod view;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::diff::{Facts, ObjectKind, Options, Question, Verdict};
use crate::model::names::quote_ident;
use crate::model::{QualName, SqlExpr};
use crate::plan::Phase;

/// What a change does to its object, for the sign a plan shows before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// `+`: creates or adds.
    Add,
    /// `-`: drops.
    Remove,
    /// `~`: changes in place.
    Alter,
}

/// What every kind's change tells the stages after the diff.
pub trait KindChange {
    /// The object the plan lists the change under.
    fn object(&self) -> (ObjectKind, QualName);

    /// The facts about the data its verdict needs, by the names the plan gives.
    fn questions(&self) -> Vec<Question> {
        Vec::new()
    }

    /// Whether it may run, and what it costs. `facts` answers [`KindChange::questions`]; a
    /// missing answer counts as the unsafe one ("has rows").
    fn judge(&self, facts: &Facts, opts: &Options) -> Verdict;

    /// Its statements, each with the phase it runs in.
    fn statements(&self) -> Vec<(Phase, String)>;

    /// One line for people.
    fn summary(&self) -> String;

    /// How `drift` describes it; `None`: "differs: <summary>".
    fn drift(&self) -> Option<String> {
        None
    }

    fn sign(&self) -> Sign {
        Sign::Alter
    }

    /// Where its statements in `phase` run among the other changes' statements of that phase
    /// (lower first; equal ranks keep object order). Views use it for dependency order.
    fn rank(&self, _phase: Phase) -> i64 {
        0
    }

    /// The SQL expressions it writes into a statement, each with where it is.
    fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        Vec::new()
    }

    /// Whether it may have to wait for a lock someone else holds (anything but creating new
    /// objects). `created`: the tables this plan creates.
    fn contended(&self, _created: &BTreeSet<&QualName>) -> bool {
        true
    }
}

/// Declares [`Change`]: one variant per kind, serialised as the kind's own change (so a saved
/// plan reads `{"kind": "add_column", ...}` whatever kind it is), with the dispatch to
/// [`KindChange`].
macro_rules! kinds {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// One difference between the declaration and the database, of one kind.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum Change {
            $($variant($ty)),*
        }

        $(impl From<$ty> for Change {
            fn from(c: $ty) -> Self {
                Change::$variant(c)
            }
        })*

        impl Change {
            /// The kind's own change, for the stages that only need what every kind tells.
            pub fn as_kind(&self) -> &dyn KindChange {
                match self {
                    $(Change::$variant(c) => c),*
                }
            }
        }

        impl<'de> Deserialize<'de> for Change {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                use serde::de::Error;
                let value = serde_json::Value::deserialize(d)?;
                let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or_default().to_string();
                $(match <$ty>::deserialize(&value) {
                    Ok(c) => return Ok(Change::$variant(c)),
                    // Another kind's tag: try the next kind.
                    Err(e) if e.to_string().starts_with("unknown variant") => {}
                    Err(e) => return Err(D::Error::custom(e)),
                })*
                Err(D::Error::custom(format!("unknown change kind `{kind}`")))
            }
        }
    };
}

kinds! {
    Schema(schema::SchemaChange),
    Extension(extension::ExtensionChange),
    Routine(function::RoutineChange),
    Enum(enum_type::EnumChange),
    Domain(domain::DomainChange),
    Composite(composite::CompositeChange),
    Sequence(sequence::SequenceChange),
    Table(table::TableChange),
    Column(column::ColumnChange),
    Constraint(constraint::ConstraintChange),
    Index(index::IndexChange),
    Policy(policy::PolicyChange),
    Trigger(trigger::TriggerChange),
    Comment(comment::CommentChange),
    Rename(rename::RenameChange),
    View(view::ViewChange),
    Privilege(privilege::PrivilegeChange),
}

impl Change {
    pub fn object(&self) -> (ObjectKind, QualName) {
        self.as_kind().object()
    }

    pub fn expressions(&self) -> Vec<(String, &SqlExpr)> {
        self.as_kind().expressions()
    }
}

/// `ALTER TABLE t`.
pub(crate) fn alter(table: &QualName) -> String {
    format!("ALTER TABLE {}", table.sql())
}

/// `a, "B", c`.
pub(crate) fn ident_list(cols: &[String]) -> String {
    cols.iter()
        .map(|c| quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One statement in one phase.
pub(crate) fn one(p: Phase, s: String) -> Vec<(Phase, String)> {
    vec![(p, s)]
}

/// A declared rename (`renamed_from`) runs before everything else; one the diff found (same
/// definition, other name) runs with the constraints.
pub(crate) fn rename_phase(declared: bool) -> Phase {
    if declared {
        Phase::Renames
    } else {
        Phase::Constraints
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::QualName;

    fn one_of_each() -> Vec<Change> {
        let t = QualName::new("public", "t");
        vec![
            schema::SchemaChange::CreateSchema { schema: "s".into() }.into(),
            enum_type::EnumChange::DropEnum { name: t.clone() }.into(),
            domain::DomainChange::SetDomainNotNull {
                name: t.clone(),
                not_null: true,
            }
            .into(),
            composite::CompositeChange::DropComposite {
                name: t.clone(),
                users: vec!["column public.t.c".into()],
                depth: 2,
            }
            .into(),
            sequence::SequenceChange::DropSequence { name: t.clone() }.into(),
            table::TableChange::DropTable { table: t.clone() }.into(),
            column::ColumnChange::DropColumn {
                table: t.clone(),
                column: "c".into(),
                protected: false,
            }
            .into(),
            constraint::ConstraintChange::ValidateConstraint {
                table: t.clone(),
                name: "k".into(),
            }
            .into(),
            index::IndexChange::RenameIndex {
                table: t.clone(),
                from: "a".into(),
                to: "b".into(),
                declared: false,
            }
            .into(),
            comment::CommentChange::SetComment {
                target: comment::CommentOn::Schema { schema: "s".into() },
                comment: None,
            }
            .into(),
            rename::RenameChange::AmbiguousRename {
                kind: ObjectKind::Table,
                object: t,
                what: "table".into(),
                from: "a".into(),
                to: "b".into(),
            }
            .into(),
        ]
    }

    #[test]
    fn a_change_of_every_kind_is_saved_under_its_own_kind_tag_and_read_back() {
        let tags: Vec<String> = one_of_each()
            .iter()
            .map(|c| {
                let json = serde_json::to_value(c).unwrap();
                let back: Change = serde_json::from_value(json.clone()).unwrap();
                assert_eq!(&back, c);
                json["kind"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(
            tags,
            [
                "create_schema",
                "drop_enum",
                "set_domain_not_null",
                "drop_composite",
                "drop_sequence",
                "drop_table",
                "drop_column",
                "validate_constraint",
                "rename_index",
                "set_comment",
                "ambiguous_rename"
            ]
        );
    }

    #[test]
    fn an_unknown_or_malformed_change_is_an_error_that_says_which() {
        let unknown = serde_json::from_str::<Change>(r#"{"kind": "drop_database", "name": "x"}"#);
        assert_eq!(
            unknown.unwrap_err().to_string(),
            "unknown change kind `drop_database`"
        );
        // The kind is known: its own error, naming the field, not "no kind matched".
        let malformed = serde_json::from_str::<Change>(r#"{"kind": "drop_table"}"#);
        assert!(
            malformed.unwrap_err().to_string().contains("`table`"),
            "the missing field is named"
        );
    }
}
