//! The scratch database `import --from-sql` runs the file in, so that the file is read by the
//! server itself and then by the same inspector as a live import.
//!
//! The database is created on the server of `--dev-url`, else on the server of the database
//! connection when its role may create databases, with a unique name
//! (`tableform_scratch_<pid>_<nanos>`) from `template0` (so nothing an administrator added to
//! `template1` is taken for part of the file), and dropped `WITH (FORCE)` afterwards. The
//! caller drops it on every path, also on an error and on an interrupt.
//!
//! The file's statements run one by one, as psql would run them, in a session that starts with
//! the settings tableform pins (`inspect::session`); the file's own `SET` and `set_config` lines
//! (pg_dump's) then apply as usual. Statements that act on the whole server rather than on one
//! database (`CREATE DATABASE`, `CREATE ROLE`, `ALTER SYSTEM`, ...) are refused before anything
//! runs. An owner or a privilege naming a role the scratch server lacks is skipped and noted
//! (neither import carries owners or privileges); any other failing statement stops the import
//! with its file position and the server's message.

use tokio_postgres::Client;

use super::script::{Pos, Script, Statement};
use crate::inspect::Target;
use crate::inspect::connect::Env;
use crate::model::names::quote_ident;

/// Where the scratch database goes, and the connection that creates and drops it.
pub struct Server {
    target: Target,
    admin: Client,
}

/// A scratch database that exists on the server.
pub struct Scratch {
    pub name: String,
    target: Target,
}

/// How to give tableform a server for the scratch database.
const NEEDS_SERVER: &str = "--from-sql loads the file into a scratch database, so it needs a server where tableform may create one: pass --dev-url URL (or set TABLEFORM_DEV_URL), or a --database-url (or DATABASE_URL, PG*) whose role may create databases (CREATEDB)";

impl Server {
    /// The server of `dev_url`, else of the database connection, if its role may create
    /// databases.
    pub async fn choose(
        dev_url: Option<&str>,
        database_url: Option<&str>,
        env: Env<'_>,
    ) -> Result<Server, String> {
        let (target, via) = match dev_url {
            Some(url) => (
                Target::resolve(Some(url), env).map_err(|e| format!("--dev-url: {e}"))?,
                "--dev-url",
            ),
            None => match Target::resolve(database_url, env) {
                Ok(t) => (t, "the database connection"),
                Err(crate::inspect::ConnectError::Missing) => return Err(NEEDS_SERVER.into()),
                Err(e) => return Err(e.to_string()),
            },
        };
        let admin = target
            .connect()
            .await
            .map_err(|e| format!("{NEEDS_SERVER}; {via}: {e}"))?;
        let row = admin
            .query_one(
                "SELECT current_user::text, rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .await
            .map_err(|e| crate::inspect::connect::reason(&e))?;
        let (role, may): (String, bool) = (row.get(0), row.get(1));
        if !may {
            return Err(format!(
                "{NEEDS_SERVER}; the role \"{role}\" of {via} ({}) may not create databases",
                target.describe()
            ));
        }
        Ok(Server { target, admin })
    }

    pub async fn create(&self) -> Result<Scratch, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("tableform_scratch_{}_{nanos:09}", std::process::id());
        self.admin
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE template0",
                quote_ident(&name)
            ))
            .await
            .map_err(|e| {
                format!(
                    "cannot create the scratch database on {}: {}",
                    self.target.describe(),
                    crate::inspect::connect::reason(&e)
                )
            })?;
        let mut target = self.target.clone();
        target.config.dbname(&name);
        Ok(Scratch { name, target })
    }

    /// Drops the scratch database, ending any session still in it.
    pub async fn drop(&self, db: &Scratch) -> Result<(), String> {
        self.admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&db.name)
            ))
            .await
            .map_err(|e| {
                format!(
                    "cannot drop the scratch database \"{}\" on {} ({}); drop it by hand",
                    db.name,
                    self.target.describe(),
                    crate::inspect::connect::reason(&e)
                )
            })
    }
}

impl Scratch {
    /// A new session in the scratch database, with tableform's settings pinned.
    pub async fn connect(&self) -> Result<Client, String> {
        self.target.connect().await.map_err(|e| e.to_string())
    }
}

/// A statement of the file that failed, and why.
#[derive(Debug)]
pub struct LoadError {
    pub pos: Pos,
    pub message: String,
}

/// Statements that act on the server rather than on one database, by their first words.
const SERVER_WIDE: &[&[&str]] = &[
    &["create", "database"],
    &["alter", "database"],
    &["drop", "database"],
    &["create", "role"],
    &["alter", "role"],
    &["drop", "role"],
    &["create", "user"],
    &["alter", "user"],
    &["drop", "user"],
    &["create", "group"],
    &["alter", "group"],
    &["drop", "group"],
    &["create", "tablespace"],
    &["alter", "tablespace"],
    &["drop", "tablespace"],
    &["alter", "system"],
];

/// The statement's first words, lowercased.
fn words(sql: &str, n: usize) -> Vec<String> {
    sql.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(n)
        .map(str::to_lowercase)
        .collect()
}

/// Runs every statement of the file; the notes say what was skipped.
pub async fn load(client: &Client, script: &Script) -> Result<Vec<String>, LoadError> {
    for s in &script.statements {
        if let Some(what) = server_wide(&s.sql) {
            return Err(LoadError {
                pos: script.pos(s.offset),
                message: format!(
                    "{what} acts on the whole server, not on one database's schema; tableform does not run it (dump the database alone, without --create)"
                ),
            });
        }
        if stdin_copy(&s.sql) {
            return Err(LoadError {
                pos: script.pos(s.offset),
                message: "COPY ... FROM stdin loads data, which import does not read; dump with --schema-only".into(),
            });
        }
    }
    // The scratch database is thrown away: a commit need not wait for the disk (one commit
    // per statement would otherwise dominate the time of a large file).
    client
        .batch_execute("SET synchronous_commit = off")
        .await
        .map_err(|e| LoadError {
            pos: Pos { line: 1, col: 1 },
            message: crate::inspect::connect::reason(&e),
        })?;
    let mut notes = Vec::new();
    // Statements go out back to back, a batch at a time (each still its own query, run in
    // order); the first failure in a batch stops the import.
    for batch in script.statements.chunks(PIPELINE) {
        let results =
            crate::inspect::session::in_order(batch.iter().map(|s| client.batch_execute(&s.sql)))
                .await;
        for (s, r) in batch.iter().zip(results) {
            let Err(e) = r else { continue };
            if ownership(s) && missing_role(&e) {
                notes.push(format!(
                    "{}: {} skipped ({}; owners and privileges are not imported)",
                    script.pos(s.offset).line,
                    words(&s.sql, 2).join(" ").to_uppercase(),
                    crate::inspect::connect::reason(&e)
                ));
                continue;
            }
            return Err(failure(script, s, &e));
        }
    }
    Ok(notes)
}

/// How many statements are sent before their answers are awaited.
const PIPELINE: usize = 64;

/// `CREATE DATABASE`, `ALTER SYSTEM`...: the statement's kind, when it acts on the server.
fn server_wide(sql: &str) -> Option<String> {
    let mut first = words(sql, 3);
    // `CREATE USER MAPPING` belongs to one database.
    let mapping = first.get(2).is_some_and(|w| w == "mapping");
    first.truncate(2);
    (!mapping && SERVER_WIDE.iter().any(|w| first == *w)).then(|| first.join(" ").to_uppercase())
}

/// `COPY ... FROM stdin`: data follows the statement in the file.
fn stdin_copy(sql: &str) -> bool {
    let w = words(sql, usize::MAX);
    w.first().is_some_and(|c| c == "copy") && w.windows(2).any(|p| p == ["from", "stdin"])
}

/// `ALTER ... OWNER TO`, `GRANT`, `REVOKE`, `ALTER DEFAULT PRIVILEGES`, `SET [SESSION] ROLE`,
/// `SET SESSION AUTHORIZATION`.
fn ownership(s: &Statement) -> bool {
    let w = words(&s.sql, usize::MAX);
    match w.first().map(String::as_str) {
        Some("grant" | "revoke") => true,
        Some("alter") => {
            w.windows(2).any(|p| p == ["owner", "to"]) || w.get(1).is_some_and(|x| x == "default")
        }
        Some("set") => w
            .iter()
            .take(3)
            .any(|x| x == "role" || x == "authorization"),
        _ => false,
    }
}

/// The server's "role ... does not exist", or "must be able to SET ROLE" on a change of owner.
fn missing_role(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    let Some(db) = e.as_db_error() else {
        return false;
    };
    (*db.code() == SqlState::UNDEFINED_OBJECT && db.message().starts_with("role "))
        || *db.code() == SqlState::INSUFFICIENT_PRIVILEGE
}

/// The failure at its place in the file: the server's error position when it gives one, else
/// the statement's start.
fn failure(script: &Script, s: &Statement, e: &tokio_postgres::Error) -> LoadError {
    use tokio_postgres::error::ErrorPosition;
    let Some(db) = e.as_db_error() else {
        return LoadError {
            pos: script.pos(s.offset),
            message: crate::inspect::connect::reason(e),
        };
    };
    let pos = match db.position() {
        Some(ErrorPosition::Original(n)) => script.pos_in(s, *n as usize),
        _ => script.pos(s.offset),
    };
    let mut message = db.message().to_string();
    if let Some(d) = db.detail() {
        message.push_str(&format!(" ({d})"));
    }
    if let Some(h) = db.hint() {
        message.push_str(&format!("; hint: {h}"));
    }
    LoadError { pos, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_on_the_whole_server_are_told_apart_from_database_ones() {
        assert_eq!(
            server_wide("CREATE DATABASE shop WITH TEMPLATE = template0").as_deref(),
            Some("CREATE DATABASE")
        );
        assert_eq!(
            server_wide("alter  system set work_mem = '1MB'").as_deref(),
            Some("ALTER SYSTEM")
        );
        assert_eq!(server_wide("CREATE USER MAPPING FOR app SERVER s"), None);
        assert_eq!(server_wide("CREATE TABLE database (id int)"), None);
        assert!(stdin_copy("COPY public.t (a, b) FROM stdin"));
        assert!(!stdin_copy("COPY t TO stdout"));
    }
}
