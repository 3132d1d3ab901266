//! `tableform show FILE`: a saved plan, in any format.

use super::{ShowArgs, Status, output, plan};
use crate::plan::file::PlanFile;

pub fn run(args: &ShowArgs) -> Status {
    match PlanFile::read(&args.file) {
        Ok(file) => {
            output::print(&plan::render(&file, args.format, args.no_color));
            Status::Ok
        }
        Err(e) => plan::fail(format!("{}: {e}", args.file.display())),
    }
}
