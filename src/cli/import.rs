//! `tableform import`: write the TOML declaration of a live database or of a SQL DDL file (run
//! in a scratch database, then read like a live one).

use std::collections::BTreeSet;
use std::path::Path;

use super::plan::{connect, fail};
use super::{ImportArgs, Status, output};
use tokio_postgres::Client;

use crate::import::{self, scratch, script};
use crate::inspect;
use crate::model::Schema;

pub async fn run(args: &ImportArgs) -> Status {
    let source = match (&args.from_sql, &args.from_sqlalchemy) {
        (Some(path), _) => std::fs::read_to_string(path)
            .map(|text| Some((text, path.display().to_string())))
            .map_err(|e| fail(format!("cannot read {}: {e}", path.display()))),
        (None, Some(spec)) => import::sqlalchemy::render(&args.python, spec)
            .map(|ddl| Some((ddl, format!("SQLAlchemy's DDL for {spec}"))))
            .map_err(fail),
        (None, None) => Ok(None),
    };
    let result = match source {
        Err(status) => return status,
        Ok(Some((text, label))) => from_sql(args, &text, &label).await,
        Ok(None) => from_database(args).await,
    };
    let (schema, notes) = match result {
        Ok(s) => s,
        Err(status) => return status,
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
    let (views, matviews) = (schema.views.len(), schema.materialized_views.len());
    if views + matviews > 0 {
        output::print(&format!(
            "It declares {views} view{} and {matviews} materialized view{}.\n",
            plural(views),
            plural(matviews)
        ));
    }
    let (domains, composites) = (schema.domains.len(), schema.composites.len());
    if domains + composites > 0 {
        output::print(&format!(
            "It declares {domains} domain{} and {composites} composite type{}.\n",
            plural(domains),
            plural(composites)
        ));
    }
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

/// Runs the file in a scratch database and reads it back with the live import's inspector; the
/// scratch database is dropped on every path (an error, an interrupt).
async fn from_sql(args: &ImportArgs, text: &str, label: &str) -> Result<(Schema, String), Status> {
    let at = |pos: script::Pos| format!("{label}:{pos}");
    let script =
        script::Script::parse(text).map_err(|e| fail(format!("{}: {}", at(e.pos), e.message)))?;
    let env = |k: &str| std::env::var(k).ok();
    let server = scratch::Server::choose(
        args.conn.dev_url.as_deref(),
        args.conn.database_url.as_deref(),
        &env,
    )
    .await
    .map_err(fail)?;
    let db = server.create().await.map_err(fail)?;
    let work = async {
        let client = db.connect().await?;
        let skipped = scratch::load(&client, &script)
            .await
            .map_err(|e| format!("{}: {}", at(e.pos), e.message))?;
        drop(client);
        // A new session: the file's `SET`s (pg_dump's `search_path = ''`) must not change how
        // the inspector reads the catalog.
        let mut client = db.connect().await?;
        let (schema, mut notes) = read_catalog(args, &mut client).await?;
        if !skipped.is_empty() {
            notes.push_str("Skipped (the scratch server lacks the role they name):\n");
        }
        for s in &skipped {
            notes.push_str(&format!("  {label}:{s}\n"));
        }
        Ok::<_, String>((schema, notes))
    };
    let result = tokio::select! {
        r = work => Some(r),
        _ = super::apply::interrupted() => None,
    };
    let dropped = server.drop(&db).await;
    if let Err(e) = &dropped {
        output::error(e);
    }
    match result {
        None => {
            output::error(&format!(
                "interrupted: nothing was written{}",
                if dropped.is_ok() {
                    format!("; the scratch database \"{}\" was dropped", db.name)
                } else {
                    String::new()
                }
            ));
            Err(Status::Interrupted)
        }
        Some(Err(e)) => Err(fail(e)),
        Some(Ok(r)) => Ok(r),
    }
}

async fn from_database(args: &ImportArgs) -> Result<(Schema, String), Status> {
    let (_, mut client) = connect(&args.conn).await?;
    read_catalog(args, &mut client).await.map_err(fail)
}

/// The schemas to import (`--schema-name`, else every user schema) read from the catalog, and
/// the "Not managed" line; with `--strict`, anything not managed is an error.
async fn read_catalog(args: &ImportArgs, client: &mut Client) -> Result<(Schema, String), String> {
    let schemas: BTreeSet<String> = if args.schemas.is_empty() {
        inspect::catalog::user_schemas(client)
            .await
            .map_err(|e| e.to_string())?
    } else {
        args.schemas.iter().cloned().collect()
    };
    let mut live = inspect::inspect_spelled(client, &schemas)
        .await
        .map_err(|e| e.to_string())?;
    // Privileges as a declaration says them: owners other than the importing role, which
    // will own what it creates from the declaration.
    let user: String = (client.query_one("SELECT current_user::text", &[]).await)
        .map_err(|e| e.to_string())?
        .get(0);
    crate::kinds::privilege::for_import(&mut live.schema, &user);
    let counts = inspect::catalog::unmanaged_counts(client, &schemas)
        .await
        .map_err(|e| e.to_string())?;
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
    // What the model cannot say about the objects it does import: the inspector's notes on
    // tables and columns, and the self-check's on indexes and keys (never fatal).
    let mut not_carried = live.not_carried.clone();
    match inspect::selfcheck::run(client, &live.schema, &live.spellings).await {
        Ok(check) => not_carried.extend(check.not_carried),
        Err(e) => notes.push_str(&format!(
            "The self-check (properties the model may not carry) did not run: {e}.\n"
        )),
    }
    if !not_carried.is_empty() {
        notes.push_str(
            "Not carried (the declaration cannot say these; plan and drift will list them too):\n",
        );
        for n in &not_carried {
            notes.push_str(&format!("  {}: {}\n", n.object, n.live));
        }
    }
    if !found.is_empty() {
        notes.push_str(&format!(
            "Not managed (left out of the declaration): {}.\n",
            found.join(", ")
        ));
    }
    if args.strict && (!found.is_empty() || !not_carried.is_empty()) {
        output::eprint(&notes);
        return Err(
            "--strict: the source holds what tableform does not manage or carry; nothing was written"
                .into(),
        );
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
