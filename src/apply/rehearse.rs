//! `--rehearse`: the plan's statements run on the real database, on its real rows, inside a
//! transaction that is always rolled back.
//!
//! The rehearsal takes every lock `apply` would (the advisory lock, the data tables, then each
//! step's own), under the same `lock_timeout` and `statement_timeout`, checks the plan is not
//! stale exactly as `apply` does, runs each step alone (timing it and reading from `pg_locks`
//! the strongest table lock it took), then reads the catalog again inside the transaction and
//! diffs it with the declaration: a rehearsal converges when nothing is left to do. Then
//! `ROLLBACK`, whatever happened. A backfill that violates a constraint, or a `USING` cast that
//! fails on one row, is found here, before the release.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use tokio_postgres::Client;

use super::server_message;
use super::{ApplyError, ApplyOptions, begin, early_commit_point, hold_and_recheck, prepare};
use crate::diff::{self, Options};
use crate::inspect::{self, session};
use crate::model::{Schema, Scope};
use crate::plan::Plan;
use crate::plan::rehearsal::{Rehearsal, RehearsalFailure, RehearsedStep};

/// PostgreSQL's table lock modes, weakest first.
const MODES: [&str; 8] = [
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

/// `AccessExclusiveLock` -> `ACCESS EXCLUSIVE`, as `LOCK TABLE` spells it.
fn mode_sql(mode: &str) -> String {
    let words = mode.trim_end_matches("Lock");
    let mut out = String::new();
    for ch in words.chars() {
        if ch.is_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

const LOCKS: &str = "
SELECT format('%I.%I', n.nspname, c.relname), l.mode
FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted
  AND c.relkind IN ('r', 'p') AND l.relation = ANY($1::oid[])";

/// Rehearses `plan` on `client` and rolls back. `desired` is the declaration as the plan saw it
/// (after the server's canonical spellings were read), to diff the rehearsed catalog with.
pub async fn rehearse(
    client: &Client,
    plan: &Plan,
    desired: &Schema,
    (scope, judging, prune): (&Scope, &Options, bool),
    opts: &ApplyOptions,
    stop: &AtomicBool,
) -> Result<Rehearsal, ApplyError> {
    if plan.has_refusals() {
        return Err(ApplyError::Refused);
    }
    let steps: Vec<&crate::plan::Step> = plan.steps.iter().collect();
    if early_commit_point(plan, &steps).is_some() {
        return Err(ApplyError::Database(
            "cannot rehearse this plan: later steps use enum values it adds, which PostgreSQL allows only after a COMMIT, and a rehearsal never commits".into(),
        ));
    }
    prepare(client, plan).await?;
    let outcome = in_transaction(client, plan, desired, (scope, judging, prune), opts, stop).await;
    // Always: whatever ran is undone. A lost connection has been rolled back by the server.
    let _ = client.batch_execute("ROLLBACK").await;
    outcome
}

async fn in_transaction(
    client: &Client,
    plan: &Plan,
    desired: &Schema,
    (scope, judging, prune): (&Scope, &Options, bool),
    opts: &ApplyOptions,
    stop: &AtomicBool,
) -> Result<Rehearsal, ApplyError> {
    begin(client, opts, stop, plan.tenant.as_deref()).await?;
    let at: String = client
        .query_one(
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
            &[],
        )
        .await?
        .get(0);
    // The relations that exist now: locks on what the plan creates are not worth reporting.
    let existing: Vec<u32> = client
        .query(
            "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = ANY($1)",
            &[&scope.schemas.iter().cloned().collect::<Vec<String>>()],
        )
        .await?
        .iter()
        .map(|r| r.get::<_, u32>(0))
        .collect();
    hold_and_recheck(client, plan, (scope, judging), opts).await?;
    let before = strongest(&locks(client, &existing).await?);
    let mut out = Rehearsal {
        at,
        before,
        steps: Vec::new(),
        failed: None,
        left: Vec::new(),
    };
    for (i, step) in plan.steps.iter().enumerate() {
        super::stopped(stop, false)?;
        let start = Instant::now();
        let result = session::run(client, &step.sql).await;
        let millis = start.elapsed().as_millis() as u64;
        if let Err(e) = result {
            if super::is_cancel(&e) {
                return Err(ApplyError::Cancelled {
                    message: server_message(&e),
                    committed_early: false,
                });
            }
            out.steps.push(RehearsedStep {
                sql: step.sql.clone(),
                millis,
                lock: None,
            });
            out.failed = Some(RehearsalFailure {
                step: i + 1,
                message: server_message(&e),
            });
            return Ok(out);
        }
        let lock = strongest(&locks(client, &existing).await?);
        out.steps.push(RehearsedStep {
            sql: step.sql.clone(),
            millis,
            lock,
        });
    }
    let mut after = inspect::inspect(client, &scope.schemas).await?;
    scope.hide(&mut after.schema);
    // The views the steps created hold the server's deparse of their declared text: the
    // same comparison as the plan's.
    let mut desired = desired.clone();
    inspect::reconcile_views_in(client, &mut desired, &after.schema).await?;
    let d = diff::diff(&desired, &after.schema, prune);
    out.left = (d.changes.iter())
        .map(|c| {
            let (_, name) = c.object();
            format!("{name}: {}", crate::plan::render::summarise(c))
        })
        .collect();
    Ok(out)
}

/// The table locks this session holds on relations that existed before, strongest mode each.
async fn locks(
    client: &Client,
    existing: &[u32],
) -> Result<Vec<(String, usize)>, tokio_postgres::Error> {
    let rows = client.query(LOCKS, &[&existing]).await?;
    let mut out: Vec<(String, usize)> = Vec::new();
    for r in rows {
        let (rel, mode): (String, String) = (r.get(0), r.get(1));
        let rank = MODES.iter().position(|m| *m == mode).unwrap_or(0);
        match out.iter_mut().find(|(n, _)| *n == rel) {
            Some(e) if e.1 < rank => e.1 = rank,
            Some(_) => {}
            None => out.push((rel, rank)),
        }
    }
    Ok(out)
}

/// The strongest lock held (the first table in name order among equals), as `LOCK TABLE`
/// spells its mode.
fn strongest(held: &[(String, usize)]) -> Option<String> {
    held.iter()
        .max_by_key(|(rel, rank)| (*rank, std::cmp::Reverse(rel.clone())))
        .map(|(rel, rank)| format!("{} on {rel}", mode_sql(MODES[*rank])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_modes_are_spelled_as_lock_table_spells_them() {
        assert_eq!(mode_sql("AccessExclusiveLock"), "ACCESS EXCLUSIVE");
        assert_eq!(mode_sql("ShareRowExclusiveLock"), "SHARE ROW EXCLUSIVE");
        assert_eq!(mode_sql("ShareLock"), "SHARE");
    }

    #[test]
    fn the_strongest_mode_wins_then_the_first_name() {
        let held = vec![
            ("public.b".to_string(), 7),
            ("public.a".to_string(), 4),
            ("public.c".to_string(), 7),
        ];
        assert_eq!(
            strongest(&held).as_deref(),
            Some("ACCESS EXCLUSIVE on public.b")
        );
        assert_eq!(strongest(&[]), None);
    }
}
