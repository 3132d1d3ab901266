//! `tableform validate`: the schema files alone, no database.

use super::{SchemaArgs, Status, output};
use crate::load::{self, LoadError, Loaded};

/// Loads the schema, printing every problem; `None` when it is invalid.
pub fn load_or_report(args: &SchemaArgs) -> Option<Loaded> {
    let Some(dir) = &args.schema else {
        output::error("--schema DIR is required: the directory of .toml schema files");
        return None;
    };
    match load::load_dir(dir) {
        Ok(l) => Some(l),
        Err(LoadError::Invalid {
            diagnostics,
            sources,
        }) => {
            let color = output::stderr_color(args.no_color);
            output::eprint(&load::diag::render(&diagnostics, &sources, color));
            let n = diagnostics.len();
            output::error(&format!(
                "the schema in {} has {n} problem{}",
                dir.display(),
                if n == 1 { "" } else { "s" }
            ));
            None
        }
        Err(e) => {
            output::error(&e.to_string());
            None
        }
    }
}

pub fn run(args: &SchemaArgs) -> Status {
    match load_or_report(args) {
        Some(l) => {
            let s = &l.schema;
            let n = |count: usize, one: &str, many: &str| {
                format!("{count} {}", if count == 1 { one } else { many })
            };
            let mut counts = vec![
                n(s.tables.len(), "table", "tables"),
                n(s.enums.len(), "enum type", "enum types"),
            ];
            // The newer kinds are counted only when declared, so the line stays as it was for
            // schemas of tables alone.
            let triggers: usize = (s.tables.values().map(|t| t.triggers.len()))
                .chain(s.views.values().map(|v| v.triggers.len()))
                .sum();
            let routines = |k| s.functions.values().filter(|r| r.kind == k).count();
            use crate::kinds::function::RoutineKind;
            for (count, one, many) in [
                (s.domains.len(), "domain", "domains"),
                (s.composites.len(), "composite type", "composite types"),
                (s.views.len(), "view", "views"),
                (
                    s.materialized_views.len(),
                    "materialized view",
                    "materialized views",
                ),
                (routines(RoutineKind::Function), "function", "functions"),
                (routines(RoutineKind::Procedure), "procedure", "procedures"),
                (triggers, "trigger", "triggers"),
                (s.extensions.len(), "extension", "extensions"),
            ] {
                if count > 0 {
                    counts.push(n(count, one, many));
                }
            }
            output::print(&format!(
                "The schema in {} is valid: {}.\n",
                args.schema
                    .as_deref()
                    .unwrap_or(std::path::Path::new("."))
                    .display(),
                counts.join(", "),
            ));
            Status::Ok
        }
        None => Status::Error,
    }
}
