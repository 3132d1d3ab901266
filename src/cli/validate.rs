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
            output::print(&format!(
                "The schema in {} is valid: {} table{}, {} enum type{}.\n",
                args.schema
                    .as_deref()
                    .unwrap_or(std::path::Path::new("."))
                    .display(),
                s.tables.len(),
                if s.tables.len() == 1 { "" } else { "s" },
                s.enums.len(),
                if s.enums.len() == 1 { "" } else { "s" },
            ));
            Status::Ok
        }
        None => Status::Error,
    }
}
