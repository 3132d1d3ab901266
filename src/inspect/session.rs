//! The session tableform talks to: settings pinned at every connect, and one statement per
//! protocol message.
//!
//! How PostgreSQL reads SQL text depends on session settings that a database, a role or a URL's
//! `options` can change. With `standard_conforming_strings = off`, `'\'` is an unterminated
//! string to the server but a complete one to sqlparser, so the two would disagree about where a
//! declared expression ends. Other settings change how the server spells values back
//! (`DateStyle`, `quote_all_identifiers`), how it resolves names (`search_path`), or whether the
//! checks tableform relies on run at all (`session_replication_role = replica` disables foreign
//! keys). Every connection pins them to known values and reads them back; a value that cannot be
//! pinned is an error, never a warning.
//!
//! Statements go out through the extended query protocol ([`run`], [`pipeline`]): a Parse message
//! holds exactly one statement, so no text, however crafted, can smuggle a second one in. Only
//! constant SQL written in this crate uses the simple protocol.

use tokio_postgres::Client;

/// `(setting, value)`: what tableform's SQL and comparisons assume. The docs' threat model
/// (docs/security.md) lists why each one matters.
pub const PINNED: &[(&str, &str)] = &[
    // How string literals are read: backslashes are ordinary characters in '...'.
    ("standard_conforming_strings", "on"),
    ("backslash_quote", "safe_encoding"),
    ("client_encoding", "UTF8"),
    // How unqualified names in declared expressions resolve, and how the server deparses them.
    ("search_path", "public"),
    // How expressions parse: `x = NULL` stays a comparison; `'{NULL}'` is an array holding NULL.
    ("transform_null_equals", "off"),
    ("array_nulls", "on"),
    // How the server spells expressions and constants back.
    ("quote_all_identifiers", "off"),
    ("DateStyle", "ISO, MDY"),
    ("IntervalStyle", "postgres"),
    ("TimeZone", "UTC"),
    ("extra_float_digits", "1"),
    ("bytea_output", "hex"),
    ("xmloption", "content"),
    // Constraints and triggers fire as usual (`replica` would skip foreign-key checks).
    ("session_replication_role", "origin"),
    // Every statement sees rows committed before it started: the data re-check after a table
    // lock must see every row a writer committed while apply waited.
    ("default_transaction_isolation", "read committed"),
    ("default_transaction_deferrable", "off"),
    // New objects go where PostgreSQL puts them by default, as the plan shows.
    ("default_tablespace", ""),
    ("default_table_access_method", "heap"),
    ("check_function_bodies", "on"),
    // A long lock wait inside apply's transaction must not end the session behind its back.
    ("idle_in_transaction_session_timeout", "0"),
];

/// Sets every [`PINNED`] setting that differs, then reads them all back.
pub async fn pin(client: &Client) -> Result<(), String> {
    let names: Vec<&str> = PINNED.iter().map(|(n, _)| *n).collect();
    let values: Vec<&str> = PINNED.iter().map(|(_, v)| *v).collect();
    // Only the settings that differ are set, so a role that may not set a superuser-only setting
    // (session_replication_role) still connects when the value is already right.
    let set = client
        .query(
            "SELECT v.name, set_config(v.name, v.value, false)
             FROM unnest($1::text[], $2::text[]) AS v(name, value)
             WHERE current_setting(v.name) IS DISTINCT FROM v.value",
            &[&names, &values],
        )
        .await;
    if let Err(e) = set {
        return Err(format!(
            "cannot pin the session settings tableform relies on ({}); {}",
            super::connect::reason(&e),
            "see docs/security.md"
        ));
    }
    let rows = client
        .query(
            "SELECT v.name, current_setting(v.name), v.value
             FROM unnest($1::text[], $2::text[]) AS v(name, value)
             WHERE current_setting(v.name) IS DISTINCT FROM v.value",
            &[&names, &values],
        )
        .await
        .map_err(|e| super::connect::reason(&e))?;
    match rows.first() {
        None => Ok(()),
        Some(r) => Err(format!(
            "cannot pin session setting {} to '{}': the server keeps '{}'",
            r.get::<_, String>(0),
            r.get::<_, String>(2),
            r.get::<_, String>(1)
        )),
    }
}

/// Runs one statement through the extended protocol (one Parse message: one statement).
pub async fn run(client: &Client, sql: &str) -> Result<(), tokio_postgres::Error> {
    client.query_typed(sql, &[]).await.map(drop)
}

/// A tenant's copy of a declaration (a schema-per-tenant fleet) has its declared text read with
/// its own schema first: `SET LOCAL search_path = "tenant", public`, inside a probe's
/// transaction, until [`catalog_path`]. Nothing for a declaration of its own (`home` is `None`).
pub async fn declared_path(
    client: &Client,
    home: Option<&str>,
) -> Result<(), tokio_postgres::Error> {
    match home {
        Some(home) => run(client, &search_path_for(home)).await,
        None => Ok(()),
    }
}

/// Back to the pinned `search_path` after [`declared_path`], before the server spells anything
/// back: the catalog is always read (and deparsed) with `public` alone.
pub async fn catalog_path(
    client: &Client,
    home: Option<&str>,
) -> Result<(), tokio_postgres::Error> {
    match home {
        Some(_) => run(client, "SET LOCAL search_path = public").await,
        None => Ok(()),
    }
}

/// The statement that reads a tenant's declared text in its schema, then `public` (where
/// extensions are installed), for the transaction: the probe's and apply's.
pub fn search_path_for(home: &str) -> String {
    format!("SET LOCAL {}", tenant_path(home))
}

/// The same for the session (apply's index builds after the commit, outside a transaction).
pub fn session_search_path_for(home: &str) -> String {
    format!("SET {}", tenant_path(home))
}

fn tenant_path(home: &str) -> String {
    format!(
        "search_path = {}, public",
        crate::model::names::quote_ident(home)
    )
}

/// Runs each probe statement inside its own savepoint, released when the server accepts it and
/// rolled back when it does not (that probe goes unanswered; the rest of the transaction goes
/// on). Returns the round trips it took (three per statement).
pub async fn each_in_savepoint(
    client: &Client,
    sqls: &[String],
) -> Result<usize, tokio_postgres::Error> {
    for sql in sqls {
        run(client, "SAVEPOINT tableform_probe").await?;
        let end = match run(client, sql).await {
            Ok(()) => "RELEASE SAVEPOINT tableform_probe",
            Err(_) => "ROLLBACK TO SAVEPOINT tableform_probe",
        };
        run(client, end).await?;
    }
    Ok(3 * sqls.len())
}

/// Runs statements in order, each in its own Parse message, sent back to back in one round
/// trip. The server processes them one after another; after a failure inside a transaction the
/// rest fail too ("current transaction is aborted"). Returns the first error.
pub async fn pipeline(client: &Client, sqls: &[&str]) -> Result<(), tokio_postgres::Error> {
    let results = in_order(sqls.iter().map(|s| run(client, s))).await;
    results
        .into_iter()
        .collect::<Result<Vec<()>, _>>()
        .map(drop)
}

/// Awaits requests that go out in the order given: a tokio-postgres request is sent when its
/// future is first polled, so each is polled once, in order, before any answer is awaited.
pub async fn in_order<F: std::future::Future>(requests: impl Iterator<Item = F>) -> Vec<F::Output> {
    use futures_util::future::maybe_done;
    let mut pending: Vec<_> = requests.map(|f| Box::pin(maybe_done(f))).collect();
    for f in &mut pending {
        let _ = futures_util::poll!(f.as_mut());
    }
    let mut out = Vec::with_capacity(pending.len());
    for f in &mut pending {
        f.as_mut().await;
        out.extend(f.as_mut().take_output());
    }
    out
}

/// The server's reason when this connection may not create temporary tables (a hot standby, a
/// read-only transaction, a role without TEMP); `None` for any other error. The expression probe
/// and the self-check both need them.
pub fn temp_refused(e: &tokio_postgres::Error) -> Option<String> {
    use tokio_postgres::error::SqlState;
    let code = e.code()?;
    (*code == SqlState::READ_ONLY_SQL_TRANSACTION || *code == SqlState::INSUFFICIENT_PRIVILEGE)
        .then(|| super::connect::reason(e))
}
