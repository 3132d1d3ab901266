//! `tableform apply`: plan, confirm, apply; or apply a reviewed plan file exactly.

use std::io::BufRead;
use std::time::Duration;

use tokio_postgres::Client;

use super::plan::{self, fail, make_plan, plan_options};
use super::{ApplyArgs, ConnArgs, LockArgs, Status, output};
use crate::apply::{self, ApplyError, ApplyOptions};
use crate::diff::Options;
use crate::inspect::{self, ConnectError, Target};
use crate::model::Scope;
use crate::plan::file::{DatabaseId, PlanFile, Sealed};
use crate::plan::render;

const QUESTION: &str = "Do you want to perform these actions? Only 'yes' will be accepted: ";

fn seconds(s: f64) -> Duration {
    Duration::from_secs_f64(if s.is_finite() {
        s.clamp(0.0, 86_400.0)
    } else {
        0.0
    })
}

pub async fn run(args: &ApplyArgs) -> Status {
    if let Some(path) = &args.opts.fleet.targets {
        return super::fleet::apply(args, path).await;
    }
    match &args.file {
        Some(path) => run_saved(args, path).await,
        None => run_fresh(args).await,
    }
}

/// Plans now, shows the plan, asks, applies.
async fn run_fresh(args: &ApplyArgs) -> Status {
    let o = &args.opts;
    let mut planned = match make_plan(&o.schema, &o.conn, plan_options(o)).await {
        Ok(p) => p,
        Err(s) => return s,
    };
    let file = &planned.file;
    if let Err(s) = plan::strict_gate(o.strict, &file.plan, "nothing was changed") {
        return s;
    }
    output::print(&render::text(file, output::stdout_color(o.schema.no_color)));
    if file.plan.has_refusals() {
        output::error("the plan holds refusals; nothing was applied");
        return Status::Refused;
    }
    if file.plan.steps.is_empty() {
        output::print("Nothing to apply.\n");
        return Status::Ok;
    }
    if args.rehearse {
        match plan::rehearse(&mut planned, &args.lock).await {
            Ok(Some(r)) => {
                output::print(&crate::plan::rehearsal::text(&r));
                if !r.converged() {
                    output::error("the rehearsal did not succeed (see above); nothing was applied");
                    return Status::Error;
                }
            }
            Ok(None) => {}
            Err(s) => return s,
        }
    }
    let file = &planned.file;
    if !args.auto_approve && !confirm() {
        output::error("apply cancelled; nothing was changed");
        return Status::Error;
    }
    execute(
        args,
        (&planned.target, &planned.client),
        file,
        &planned.scope,
    )
    .await
}

/// Applies a saved plan: no prompt (it was reviewed), but only if the database is still the one
/// the plan was made against.
async fn run_saved(args: &ApplyArgs, path: &std::path::Path) -> Status {
    if args.opts.schema.schema.is_some() || args.opts.prune || args.opts.allow_destructive {
        return fail(
            "a saved plan carries its own schema and options: pass PLAN_FILE alone, without --schema, --prune or --allow-destructive",
        );
    }
    if args.rehearse {
        return fail(
            "--rehearse with a saved plan: rehearse when you make it (`tableform plan --rehearse --out FILE` records the rehearsal in the file); nothing was changed",
        );
    }
    let mut file = match PlanFile::read(path) {
        Ok(f) => f,
        Err(e @ crate::plan::file::PlanFileError::Malformed(_))
            if crate::fleet::document::FleetPlan::read(path).is_ok() =>
        {
            return fail(format!(
                "{}: {e}: it is a fleet plan; apply it with --targets FILE (docs/fleets.md)",
                path.display()
            ));
        }
        Err(e) => return fail(format!("{}: {e}", path.display())),
    };
    if let Some(r) = file.rehearsal.as_ref().filter(|r| !r.converged()) {
        output::print(&crate::plan::rehearsal::text(r));
        return fail(format!(
            "{}: the plan's rehearsal (at {}) did not succeed; make a new plan; nothing was changed",
            path.display(),
            r.at
        ));
    }
    if let Some(key) = plan::plan_key()
        && let Err(e) = file.verify_signature(&key)
    {
        return fail(format!("{}: {e}", path.display()));
    }
    if let Err(s) = plan::strict_gate(args.opts.strict, &file.plan, "nothing was changed") {
        return s;
    }
    if file.plan.has_refusals() {
        output::print(&plan::render(
            &file,
            super::Format::Text,
            args.opts.schema.no_color,
        ));
        output::error("the saved plan holds refusals; nothing was applied");
        return Status::Refused;
    }
    let (target, client) = match connect_for_plan(&args.opts.conn, &file).await {
        Ok(c) => c,
        Err(s) => return s,
    };
    // The same schema in another database (staging, another tenant) passes the staleness check;
    // the plan was reviewed for one database only.
    let connected = match inspect::identity(&client).await {
        Ok(identity) => DatabaseId::at(target.host_port(), identity),
        Err(e) => return fail(e),
    };
    if let Err(e) = file.check_database(&connected) {
        return fail(e);
    }
    if file.plan.steps.is_empty() {
        output::print("The saved plan has nothing to apply.\n");
        return Status::Ok;
    }
    // What it runs, as `apply` without a file shows it before asking.
    output::print(&plan::render(
        &file,
        super::Format::Text,
        args.opts.schema.no_color,
    ));
    let n = file.plan.steps.len();
    output::print(&format!(
        "\nApplying {} ({n} statement{}).\n",
        path.display(),
        if n == 1 { "" } else { "s" }
    ));
    let scope = file.scope();
    execute(args, (&target, &client), &file, &scope).await
}

/// The connection given (`--database-url`, `DATABASE_URL`, the PG* variables); with none at all,
/// the host, port and database the plan was made for, with the user and password from the
/// environment as usual.
async fn connect_for_plan(conn: &ConnArgs, file: &PlanFile) -> Result<(Target, Client), Status> {
    let env = |k: &str| std::env::var(k).ok();
    let target = match Target::resolve(conn.database_url.as_deref(), &env) {
        Err(ConnectError::Missing) => {
            let db = &file.database;
            output::print(&format!(
                "No connection given: connecting to the plan's database, {}.\n",
                db.describe()
            ));
            Target::planned(&db.host, db.port, &db.name, &env)
        }
        other => other,
    }
    .map_err(fail)?;
    (target.warnings.iter()).for_each(|w| output::eprint(&format!("{w}\n")));
    let client = target.connect().await.map_err(fail)?;
    Ok((target, client))
}

async fn execute(
    args: &ApplyArgs,
    (target, client): (&Target, &Client),
    file: &PlanFile,
    scope: &Scope,
) -> Status {
    let opts = ApplyOptions {
        concurrent_indexes: args.concurrent_indexes,
        ..apply_options(&args.lock)
    };
    let cancel = client.cancel_token();
    let judging = Options {
        allow_destructive: file.options.allow_destructive,
    };
    let progress = Progress::new(file.plan.steps.len());
    let stop = std::sync::atomic::AtomicBool::new(false);
    let work = apply::apply(
        client,
        &file.plan,
        scope,
        &judging,
        &opts,
        &stop,
        |i, sql| progress.step(i, sql),
    );
    tokio::pin!(work);
    let result = tokio::select! {
        r = &mut work => r,
        _ = interrupted() => {
            // Stop the running statement and start no other, then find out what that did
            // before saying so.
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            target.cancel(&cancel).await;
            progress.done();
            output::error(&after_interrupt(&mut work).await);
            return Status::Interrupted;
        }
    };
    progress.done();
    match result {
        Ok(()) => {
            let n = file.plan.steps.len();
            output::print(&format!(
                "\nApply complete: {n} statement{} committed ({}).\n",
                if n == 1 { "" } else { "s" },
                render::done_line(&file.plan)
            ));
            Status::Ok
        }
        Err(ApplyError::Refused) => Status::Refused,
        Err(
            e @ (ApplyError::Stale { .. }
            | ApplyError::DataChanged { .. }
            | ApplyError::DataNoLongerHolds(_)),
        ) if args.file.is_none() => replan_after_stale(args, e).await,
        Err(e) => fail(e),
    }
}

/// How long an interrupted apply waits for the server to answer the cancel.
const SETTLE: Duration = Duration::from_secs(15);

/// What an interrupt left behind, told truthfully: the cancel may come too late (the transaction
/// committed, or `COMMIT` was waiting for a synchronous standby after the local commit), or hit a
/// concurrent index build after the main transaction committed. When the server does not answer
/// in time, or a second signal arrives, the outcome is unknown and the message says so.
async fn after_interrupt(
    work: &mut std::pin::Pin<&mut impl std::future::Future<Output = Result<(), ApplyError>>>,
) -> String {
    let settled = tokio::select! {
        r = tokio::time::timeout(SETTLE, work.as_mut()) => r.ok(),
        _ = interrupted() => None,
    };
    match settled {
        Some(Ok(())) => "interrupted too late: the transaction had already been committed on the server (a synchronous standby may not have confirmed it yet), so the plan is applied".into(),
        Some(Err(ApplyError::Concurrent { dropped, .. })) => format!(
            "interrupted during a concurrent index build, after the transaction had been committed: the plan's other changes are applied; {}",
            if dropped {
                "the invalid index the build left was dropped, and the next plan creates it again"
            } else {
                "the next plan drops the unfinished index and builds it again"
            }
        ),
        Some(Err(e @ ApplyError::CommitUnknown { .. })) => format!("interrupted: {e}"),
        Some(Err(e)) if e.kept_early_commit() => "interrupted: the transaction was rolled back; the enum values committed before it stay, nothing else was changed".into(),
        Some(Err(_)) => "interrupted: the transaction was rolled back; nothing was changed".into(),
        None => "interrupted: the server did not confirm the cancel, so whether the transaction committed is unknown (a COMMIT may have been in flight); run `tableform plan` to see where the database stands".into(),
    }
}

/// Another apply (or a person) changed the database between our plan and our turn at the lock.
/// If it made exactly the declared changes, there is nothing left to do; otherwise the user
/// approved a plan that no longer holds, so stop.
async fn replan_after_stale(args: &ApplyArgs, stale: ApplyError) -> Status {
    let o = &args.opts;
    match make_plan(&o.schema, &o.conn, plan_options(o)).await {
        Ok(again) if !again.file.plan.has_changes() && !again.file.plan.has_refusals() => {
            output::print(
                "\nNothing to apply: the database changed meanwhile and already matches the declaration.\n",
            );
            Status::Ok
        }
        Ok(_) => fail(stale),
        Err(s) => s,
    }
}

/// Reads the answer from stdin (a terminal or a pipe); only `yes` confirms.
pub(super) fn confirm() -> bool {
    output::print(&format!("\n{QUESTION}"));
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) => {
            output::print("\n");
            false
        }
        Ok(_) => line.trim() == "yes",
        Err(_) => false,
    }
}

/// Resolves on SIGINT or SIGTERM.
pub(super) async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Progress while steps run, as [`output::Activity`] shows it: on a terminal a spinner with the
/// running step and the time elapsed, ticking through a long statement; elsewhere (CI logs) a
/// plain line every ten seconds naming the step still running.
struct Progress {
    total: usize,
    activity: std::sync::Mutex<Option<output::Activity>>,
}

impl Progress {
    fn new(total: usize) -> Self {
        let activity = output::Activity::start("applying");
        activity.stage("locking and checking the plan still holds");
        Self {
            total,
            activity: std::sync::Mutex::new(Some(activity)),
        }
    }

    fn step(&self, i: usize, sql: &str) {
        fault_point(i);
        let first: String = sql.lines().next().unwrap_or("").chars().take(70).collect();
        let n = (i + 1).min(self.total);
        if let Ok(a) = self.activity.lock()
            && let Some(a) = a.as_ref()
        {
            a.stage(&format!("step {n} of {}: {first}", self.total));
        }
    }

    fn done(&self) {
        if let Ok(mut a) = self.activity.lock() {
            a.take();
        }
    }
}

/// Fault injection for the crash tests (tests/faults.rs): with `TABLEFORM_FAULT_ABORT_AT=N`, the
/// process aborts, like `kill -9`, at the statement boundary before step N (1-based; one past
/// the last step is the boundary before `COMMIT`). Nothing is rolled back by the client: the
/// server must do it.
fn fault_point(i: usize) {
    if let Some(n) = std::env::var_os("TABLEFORM_FAULT_ABORT_AT")
        && n.to_str().and_then(|n| n.parse::<usize>().ok()) == Some(i + 1)
    {
        std::process::abort();
    }
}

/// The lock and statement limits of apply and rehearsals.
pub fn apply_options(lock: &LockArgs) -> ApplyOptions {
    ApplyOptions {
        lock_wait: seconds(lock.lock_wait),
        lock_timeout: seconds(lock.lock_timeout),
        statement_timeout: seconds(lock.statement_timeout),
        lock_retries: lock.lock_retries.min(20),
        concurrent_indexes: false,
    }
}
