//! `tableform import`: write the TOML declaration of a live database or of a SQL DDL file.

use std::collections::BTreeSet;
use std::path::Path;

use super::plan::{connect, fail};
use super::{ImportArgs, Status, output};
use crate::import::{self, sql};
use crate::inspect;
use crate::model::Schema;

pub async fn run(args: &ImportArgs) -> Status {
    let (schema, notes) = match &args.from_sql {
        Some(path) => match from_sql(args, path) {
            Ok(s) => s,
            Err(status) => return status,
        },
        None => match from_database(args).await {
            Ok(s) => s,
            Err(status) => return status,
        },
    };
    let files = import::render_files(&schema);
    if let Err(e) = write_files(&args.out, &files, args.force) {
        return fail(e);
    }
    output::print(&format!(
        "Imported {} table{}, {} enum type{} and {} sequence{} into {} ({} file{}).\n",
        schema.tables.len(),
        plural(schema.tables.len()),
        schema.enums.len(),
        plural(schema.enums.len()),
        schema.sequences.len(),
        plural(schema.sequences.len()),
        args.out.display(),
        files.len(),
        plural(files.len()),
    ));
    output::print(&notes);
    Status::Ok
}

/// "policies" -> "policy", "views" -> "view".
fn singular(what: &str) -> String {
    match what.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => what.strip_suffix('s').unwrap_or(what).to_string(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn from_sql(args: &ImportArgs, path: &Path) -> Result<(Schema, String), Status> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
    let imported = sql::from_sql(&text).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    let mut notes = String::new();
    if !imported.skipped.is_empty() {
        notes.push_str(&format!(
            "Not managed ({} note{}: statements skipped or parts left out):\n",
            imported.skipped.len(),
            plural(imported.skipped.len())
        ));
        for s in &imported.skipped {
            notes.push_str(&format!(
                "  {}:{}: {} ({})\n",
                path.display(),
                s.line,
                s.statement,
                s.reason
            ));
        }
        if args.strict {
            output::eprint(&notes);
            return Err(fail(
                "--strict: the SQL file holds statements tableform does not manage; nothing was written",
            ));
        }
    }
    Ok((imported.schema, notes))
}

async fn from_database(args: &ImportArgs) -> Result<(Schema, String), Status> {
    let (_, client) = connect(&args.conn).await?;
    let schemas: BTreeSet<String> = if args.schemas.is_empty() {
        inspect::catalog::user_schemas(&client)
            .await
            .map_err(fail)?
    } else {
        args.schemas.iter().cloned().collect()
    };
    let live = inspect::inspect(&client, &schemas).await.map_err(fail)?;
    let counts = inspect::catalog::unmanaged_counts(&client, &schemas)
        .await
        .map_err(fail)?;
    let mut notes = String::new();
    let found: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| {
            format!(
                "{n} {}",
                if *n == 1 {
                    singular(what)
                } else {
                    what.clone()
                }
            )
        })
        .collect();
    if !found.is_empty() {
        notes.push_str(&format!(
            "Not managed (left out of the declaration): {}.\n",
            found.join(", ")
        ));
    }
    Ok((live.schema, notes))
}

/// Writes every file, refusing to overwrite one unless `force`; nothing is written on refusal.
fn write_files(
    dir: &Path,
    files: &std::collections::BTreeMap<String, String>,
    force: bool,
) -> Result<(), String> {
    if !force {
        let existing: Vec<&String> = files.keys().filter(|f| dir.join(f).exists()).collect();
        if let Some(first) = existing.first() {
            return Err(format!(
                "{} already exists ({} file{} would be overwritten); pass --force to overwrite",
                dir.join(first).display(),
                existing.len(),
                plural(existing.len())
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, text) in files {
        std::fs::write(dir.join(name), text)
            .map_err(|e| format!("cannot write {}: {e}", dir.join(name).display()))?;
    }
    Ok(())
}
