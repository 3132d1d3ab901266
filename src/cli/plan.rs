//! `tableform plan`, and the planning that `apply` shares.

use std::collections::BTreeSet;

use tokio_postgres::Client;

use super::{Format, PlanArgs, PlanOpts, Status, output, validate};
use crate::diff::{self, Options};
use crate::inspect::{self, Target};
use crate::model;
use crate::plan::{Plan, render};

/// A plan and what it was computed with.
pub struct Planned {
    pub plan: Plan,
    pub client: Client,
    pub target: Target,
    pub schemas: BTreeSet<String>,
}

/// Load, connect, inspect, diff and judge. Errors are printed here; `Err` carries the status.
pub async fn make_plan(opts: &PlanOpts) -> Result<Planned, Status> {
    let loaded = validate::load_or_report(&opts.schema).ok_or(Status::Error)?;
    let env = |k: &str| std::env::var(k).ok();
    let target = Target::resolve(opts.conn.database_url.as_deref(), &env).map_err(fail)?;
    let mut client = target.connect().await.map_err(fail)?;
    let mut desired = loaded.schema;
    let mut schemas = desired.schemas.clone();
    schemas.insert("public".to_string());
    let live = inspect::inspect(&client, &schemas).await.map_err(fail)?;
    let desired_fp = model::fingerprint(&desired);
    inspect::reconcile(&mut client, &mut desired, &live.schema)
        .await
        .map_err(fail)?;
    let d = diff::diff(&desired, &live.schema, opts.prune);
    let facts = inspect::facts(&client, &d.questions())
        .await
        .map_err(fail)?;
    let options = Options {
        allow_destructive: opts.allow_destructive,
    };
    let fps = (model::fingerprint(&live.schema), desired_fp);
    let plan = Plan::build(&d, &facts, &options, fps);
    Ok(Planned {
        plan,
        client,
        target,
        schemas,
    })
}

fn fail(e: impl std::fmt::Display) -> Status {
    output::error(&e.to_string());
    Status::Error
}

pub async fn run(args: &PlanArgs) -> Status {
    let planned = match make_plan(&args.opts).await {
        Ok(p) => p,
        Err(s) => return s,
    };
    let plan = &planned.plan;
    match args.format {
        Format::Text => {
            let color = output::stdout_color(args.opts.schema.no_color);
            output::print(&render::text(plan, &planned.target.describe(), color));
        }
        Format::Sql => output::print(&render::sql_script(plan)),
    }
    if plan.has_refusals() {
        Status::Refused
    } else if args.detailed_exitcode && plan.has_changes() {
        Status::Changes
    } else {
        Status::Ok
    }
}
