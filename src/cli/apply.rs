//! `tableform apply`: plan, confirm, apply.

use std::io::BufRead;
use std::time::Duration;

use super::plan::make_plan;
use super::{ApplyArgs, Status, output};
use crate::apply::{self, ApplyError, ApplyOptions};
use crate::plan::render;

const QUESTION: &str = "Do you want to perform these actions? Only 'yes' will be accepted: ";

fn seconds(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

pub async fn run(args: &ApplyArgs) -> Status {
    let planned = match make_plan(&args.opts).await {
        Ok(p) => p,
        Err(s) => return s,
    };
    let plan = &planned.plan;
    let color = output::stdout_color(args.opts.schema.no_color);
    output::print(&render::text(plan, &planned.target.describe(), color));
    if plan.has_refusals() {
        output::error("the plan holds refusals; nothing was applied");
        return Status::Refused;
    }
    if plan.steps.is_empty() {
        output::print("Nothing to apply.\n");
        return Status::Ok;
    }
    if !args.auto_approve && !confirm() {
        output::error("apply cancelled; nothing was changed");
        return Status::Error;
    }
    let opts = ApplyOptions {
        lock_wait: seconds(args.lock_wait),
        lock_timeout: seconds(args.lock_timeout),
        statement_timeout: seconds(args.statement_timeout),
    };
    let client = &planned.client;
    let cancel = client.cancel_token();
    let work = apply::apply(client, plan, &planned.schemas, &opts, |_, _| {});
    let result = tokio::select! {
        r = work => r,
        _ = interrupted() => {
            // Stop the running statement; the transaction dies with the connection.
            let _ = cancel.cancel_query(tokio_postgres::NoTls).await;
            output::error("interrupted: the transaction was rolled back; nothing was changed");
            return Status::Interrupted;
        }
    };
    match result {
        Ok(()) => {
            let n = plan.steps.len();
            output::print(&format!(
                "\nApply complete: {n} statement{} committed. {}\n",
                if n == 1 { "" } else { "s" },
                render::summary_line(plan).replacen("Plan: ", "", 1)
            ));
            Status::Ok
        }
        Err(ApplyError::Refused) => Status::Refused,
        Err(e) => {
            output::error(&e.to_string());
            Status::Error
        }
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
