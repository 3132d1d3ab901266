//! Running a plan: all of it in one transaction, or none of it.
//!
//! Order of events: `BEGIN`; take the tableform advisory lock (waiting at most `lock_wait`); set
//! `lock_timeout` and `statement_timeout` for the transaction; read the catalog again and stop if
//! it no longer matches the fingerprint the plan was computed against (someone changed the
//! database since); run every step; `COMMIT`. Any failure rolls everything back and names the
//! step, its SQL and the server's message.

use std::time::{Duration, Instant};

use tokio_postgres::Client;

use crate::inspect::{self, connect::reason};
use crate::model::{self, Schema, Scope};
use crate::plan::Plan;

/// The advisory lock every tableform apply takes (the bytes of "tblform" as a number), so that
/// two applies on one database never interleave.
pub const LOCK_KEY: i64 = 0x0074_626c_666f_726d;

#[derive(Debug, Clone, Copy)]
pub struct ApplyOptions {
    /// How long to wait for another tableform apply to finish.
    pub lock_wait: Duration,
    /// `lock_timeout` for each statement: how long to wait for a table lock held by the application.
    pub lock_timeout: Duration,
    /// `statement_timeout`; zero means none.
    pub statement_timeout: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            lock_wait: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(5),
            statement_timeout: Duration::ZERO,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("the plan holds refusals; nothing was applied")]
    Refused,
    #[error("another tableform apply holds the lock on this database; gave up after {0:?}")]
    Locked(Duration),
    #[error(
        "plan is stale: the database changed since the plan was made (expected {expected}, found {found}); nothing was applied, plan again"
    )]
    Stale { expected: String, found: String },
    #[error("step {index} of {total} failed, everything was rolled back:\n  {sql}\n{message}")]
    Step {
        index: usize,
        total: usize,
        sql: String,
        message: String,
    },
    #[error("{0}")]
    Database(String),
}

impl From<tokio_postgres::Error> for ApplyError {
    fn from(e: tokio_postgres::Error) -> Self {
        ApplyError::Database(reason(&e))
    }
}

impl From<inspect::InspectError> for ApplyError {
    fn from(e: inspect::InspectError) -> Self {
        ApplyError::Database(e.to_string())
    }
}

/// Runs `plan` on `client`. `schemas` are the managed schemas, re-read under the lock to check
/// the plan is not stale. `on_step` is told before each step starts (for progress output).
pub async fn apply(
    client: &Client,
    plan: &Plan,
    scope: &Scope,
    opts: &ApplyOptions,
    mut on_step: impl FnMut(usize, &str),
) -> Result<(), ApplyError> {
    if plan.has_refusals() {
        return Err(ApplyError::Refused);
    }
    client.batch_execute("BEGIN").await?;
    let result = run(client, plan, scope, opts, &mut on_step).await;
    match result {
        Ok(()) => {
            client.batch_execute("COMMIT").await?;
            Ok(())
        }
        Err(e) => {
            // If the connection is gone, the server has rolled back already.
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

async fn run(
    client: &Client,
    plan: &Plan,
    scope: &Scope,
    opts: &ApplyOptions,
    on_step: &mut impl FnMut(usize, &str),
) -> Result<(), ApplyError> {
    take_lock(client, opts.lock_wait).await?;
    client
        .batch_execute(&format!(
            "SET LOCAL lock_timeout = {}; SET LOCAL statement_timeout = {}",
            opts.lock_timeout.as_millis(),
            opts.statement_timeout.as_millis()
        ))
        .await?;
    let mut live = inspect::inspect(client, &scope.schemas).await?;
    scope.hide(&mut live.schema);
    let found = model::fingerprint(&live.schema);
    if found != plan.live_fingerprint {
        return Err(ApplyError::Stale {
            expected: short(&plan.live_fingerprint),
            found: short(&found),
        });
    }
    let total = plan.steps.len();
    for (i, step) in plan.steps.iter().enumerate() {
        on_step(i, &step.sql);
        if let Err(e) = client.batch_execute(&step.sql).await {
            return Err(ApplyError::Step {
                index: i + 1,
                total,
                sql: step.sql.clone(),
                message: server_message(&e),
            });
        }
    }
    Ok(())
}

fn short(fp: &str) -> String {
    fp.chars().take(19).collect()
}

/// The server's message with its detail and hint, as psql shows them.
fn server_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut m = format!("ERROR:  {}", db.message());
            if let Some(d) = db.detail() {
                m.push_str(&format!("\nDETAIL:  {d}"));
            }
            if let Some(h) = db.hint() {
                m.push_str(&format!("\nHINT:  {h}"));
            }
            m
        }
        None => reason(e),
    }
}

async fn take_lock(client: &Client, wait: Duration) -> Result<(), ApplyError> {
    let start = Instant::now();
    loop {
        let row = client
            .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&LOCK_KEY])
            .await?;
        if row.get::<_, bool>(0) {
            return Ok(());
        }
        if start.elapsed() >= wait {
            return Err(ApplyError::Locked(wait));
        }
        tokio::time::sleep(Duration::from_millis(200).min(wait.saturating_sub(start.elapsed())))
            .await;
    }
}

/// The live schema's fingerprint as `apply` will compute it.
pub fn live_fingerprint(live: &Schema) -> String {
    model::fingerprint(live)
}
