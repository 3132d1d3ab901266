//! The CLI reference (docs/cli.md), generated from the clap definitions so it cannot drift from
//! them; `tests/cli_docs.rs` checks the committed file is current.

use std::fmt::Write;

use clap::CommandFactory;

use super::Cli;

/// The reference as markdown.
pub fn markdown() -> String {
    let mut root = Cli::command();
    root.build();
    let mut out = String::new();
    let _ = writeln!(out, "# Command-line reference\n");
    let _ = writeln!(
        out,
        "Generated from the command-line definitions (`src/cli/mod.rs`); `cargo test` fails when this\nfile is out of date, and `TABLEFORM_BLESS=1 cargo test --test cli_docs` rewrites it.\n"
    );
    if let Some(about) = root.get_about() {
        let _ = writeln!(out, "{about}\n");
    }
    let _ = writeln!(
        out,
        "Exit codes: `0` success or nothing to do; `1` error, cancelled or a usage mistake; `2` changes to\napply (`plan --detailed-exitcode`) or drift (`drift`); `3` the plan holds a refusal; `130`\ninterrupted.\nWith `--targets` (docs/fleets.md): `plan` and `drift` as above over all targets (`1` when any\ntarget could not be reached or planned); `apply` exits `0` when every target was applied or\nunchanged, `3` when some were refused and none failed, else `1` (a target failed, was stale or\nnot started).\n"
    );
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        let _ = writeln!(out, "## `tableform {name}`\n");
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            let _ = writeln!(out, "{about}\n");
        }
        let mut sub = sub.clone().bin_name(format!("tableform {name}"));
        let usage = sub.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ");
        let _ = writeln!(out, "```text\n{usage}\n```\n");
        let args: Vec<_> = sub
            .get_arguments()
            .filter(|a| !a.is_hide_set() && a.get_id() != "help")
            .collect();
        if args.is_empty() {
            continue;
        }
        let _ = writeln!(out, "| argument | meaning | default |\n|---|---|---|");
        for a in args {
            let takes_value = a.get_action().takes_values();
            let value = a
                .get_value_names()
                .map(|v| v.join(" "))
                .unwrap_or_else(|| a.get_id().as_str().to_uppercase());
            let spelled = match a.get_long() {
                Some(long) if takes_value => format!("`--{long} <{value}>`"),
                Some(long) => format!("`--{long}`"),
                None => format!("`<{value}>`"),
            };
            let help = a
                .get_long_help()
                .or(a.get_help())
                .map(|h| h.to_string())
                .unwrap_or_default();
            let mut help = help.replace('\n', " ").replace('|', "\\|");
            if !help.is_empty() && !help.ends_with('.') {
                help.push('.');
            }
            let values: Vec<String> = a
                .get_possible_values()
                .iter()
                .map(|v| format!("`{}`", v.get_name()))
                .collect();
            if !values.is_empty() && a.get_action().takes_values() {
                help.push_str(&format!(" One of: {}.", values.join(", ")));
            }
            let default: Vec<String> = a
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            let default = if default.is_empty() || !takes_value {
                String::new()
            } else {
                format!("`{}`", default.join(" "))
            };
            let _ = writeln!(out, "| {spelled} | {help} | {default} |");
        }
        let _ = writeln!(out);
    }
    out
}
