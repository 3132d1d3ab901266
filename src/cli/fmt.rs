//! `tableform fmt`: rewrite schema files in canonical layout, or with `--check` only say which
//! would change (exit 1), for CI; `--diff` shows how.

use super::{FmtArgs, Status, output};
use crate::load::fmt;

pub fn run(args: &FmtArgs) -> Status {
    let Some(dir) = &args.schema.schema else {
        output::error("--schema DIR is required: the directory of .toml schema files");
        return Status::Error;
    };
    let mut paths: Vec<_> = match std::fs::read_dir(dir) {
        Ok(d) => d
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(e) => {
            output::error(&format!(
                "cannot read schema directory {}: {e}",
                dir.display()
            ));
            return Status::Error;
        }
    };
    paths.sort();
    let (mut changed, mut failed) = (0, 0);
    for path in &paths {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                output::error(&format!("cannot read {}: {e}", path.display()));
                failed += 1;
                continue;
            }
        };
        let tidy = match fmt::format(&text) {
            Ok(t) => t,
            Err(e) => {
                output::error(&format!(
                    "{}: not valid TOML, left as it is:\n{}",
                    path.display(),
                    e.trim_end()
                ));
                failed += 1;
                continue;
            }
        };
        if tidy == text {
            continue;
        }
        changed += 1;
        if args.diff {
            let name = path.display().to_string();
            let d = similar::TextDiff::from_lines(&text, &tidy);
            output::print(&format!(
                "{}",
                d.unified_diff().context_radius(2).header(&name, &name)
            ));
        } else if args.check {
            output::print(&format!("would reformat {}\n", path.display()));
        } else if let Err(e) = std::fs::write(path, tidy) {
            output::error(&format!("cannot write {}: {e}", path.display()));
            failed += 1;
        } else {
            output::print(&format!("formatted {}\n", path.display()));
        }
    }
    if failed > 0 || ((args.check || args.diff) && changed > 0) {
        Status::Error
    } else {
        Status::Ok
    }
}
