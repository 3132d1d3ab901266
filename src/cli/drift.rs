//! `tableform drift`: for cron. Exit 0 when the database matches the declaration, 2 when it
//! drifted (anything plan would change or refuse, and tables nobody declared), 1 on errors.

use super::{DriftArgs, DriftFormat, Status, output, plan};
use crate::plan::file::PlanOptions;
use crate::plan::render;

pub async fn run(args: &DriftArgs) -> Status {
    if let Some(path) = &args.fleet.targets {
        return super::fleet::drift(args, path).await;
    }
    let planned = match plan::make_plan(&args.schema, &args.conn, PlanOptions::default()).await {
        Ok(p) => p,
        Err(s) => return s,
    };
    if let Err(s) = plan::strict_gate(args.strict, &planned.file.plan, "no drift report") {
        return s;
    }
    let items = render::drift_items(&planned.file.plan);
    output::print(&match args.format {
        DriftFormat::Text => render::drift_text(&planned.file, &items),
        DriftFormat::Json => render::drift_json(&planned.file, &items),
    });
    if items.is_empty() {
        Status::Ok
    } else {
        Status::Changes
    }
}
