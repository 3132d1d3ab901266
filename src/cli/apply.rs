//! `tableform apply`: plan, confirm, apply; or apply a reviewed plan file exactly.

use std::io::BufRead;
use std::time::Duration;

use tokio_postgres::Client;

use super::plan::{self, fail, make_plan, plan_options};
use super::{ApplyArgs, ConnArgs, Status, output};
use crate::apply::{self, ApplyError, ApplyOptions};
use crate::diff::Options;
use crate::inspect::{self, ConnectError, Target};
use crate::model::Scope;
use crate::plan::file::{DatabaseId, PlanFile};
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
    match &args.file {
        Some(path) => run_saved(args, path).await,
        None => run_fresh(args).await,
    }
}

/// Plans now, shows the plan, asks, applies.
async fn run_fresh(args: &ApplyArgs) -> Status {
    let o = &args.opts;
    let planned = match make_plan(&o.schema, &o.conn, plan_options(o)).await {
        Ok(p) => p,
        Err(s) => return s,
    };
    let file = &planned.file;
    output::print(&render::text(file, output::stdout_color(o.schema.no_color)));
    if file.plan.has_refusals() {
        output::error("the plan holds refusals; nothing was applied");
        return Status::Refused;
    }
    if file.plan.steps.is_empty() {
        output::print("Nothing to apply.\n");
        return Status::Ok;
    }
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
    let mut file = match PlanFile::read(path) {
        Ok(f) => f,
        Err(e) => return fail(format!("{}: {e}", path.display())),
    };
    if let Some(key) = plan::plan_key()
        && let Err(e) = file.verify_signature(&key)
    {
        return fail(format!("{}: {e}", path.display()));
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
        Ok((system_identifier, name)) => {
            let (host, port) = target.host_port();
            DatabaseId {
                host,
                port,
                name,
                system_identifier,
            }
        }
        Err(e) => return fail(e),
    };
    if let Err(e) = file.check_database(&connected) {
        return fail(e);
    }
    if file.plan.steps.is_empty() {
        output::print("The saved plan has nothing to apply.\n");
        return Status::Ok;
    }
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
        lock_wait: seconds(args.lock_wait),
        lock_timeout: seconds(args.lock_timeout),
        statement_timeout: seconds(args.statement_timeout),
        lock_retries: args.lock_retries.min(20),
        concurrent_indexes: args.concurrent_indexes,
    };
    let cancel = client.cancel_token();
    let judging = Options {
        allow_destructive: file.options.allow_destructive,
    };
    let progress = Progress::new(file.plan.steps.len());
    let work = apply::apply(client, &file.plan, scope, &judging, &opts, |i, sql| {
        progress.step(i, sql)
    });
    let result = tokio::select! {
        r = work => r,
        _ = interrupted() => {
            // Stop the running statement; the open transaction dies with the connection.
            target.cancel(&cancel).await;
            output::error("interrupted: the transaction was rolled back; nothing was changed");
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
        Err(e @ (ApplyError::Stale { .. } | ApplyError::DataChanged { .. }))
            if args.file.is_none() =>
        {
            replan_after_stale(args, e).await
        }
        Err(e) => fail(e),
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
fn confirm() -> bool {
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
async fn interrupted() {
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

/// Per-step progress on a terminal: `[12/48 0.8s] CREATE TABLE public.users (`; nothing when
/// stderr is not a terminal (CI logs keep only the summary).
struct Progress {
    total: usize,
    start: std::time::Instant,
    on: bool,
}

impl Progress {
    fn new(total: usize) -> Self {
        use std::io::IsTerminal;
        Self {
            total,
            start: std::time::Instant::now(),
            on: std::io::stderr().is_terminal(),
        }
    }

    fn step(&self, i: usize, sql: &str) {
        if !self.on {
            return;
        }
        let first: String = sql.lines().next().unwrap_or("").chars().take(70).collect();
        output::eprint(&format!(
            "\r\x1b[K[{}/{} {:.1}s] {first}",
            i + 1,
            self.total,
            self.start.elapsed().as_secs_f64()
        ));
    }

    fn done(&self) {
        if self.on {
            output::eprint("\r\x1b[K");
        }
    }
}
