//! The diff corpus: one folder per case under tests/diff_cases/ with the database's current state
//! (`current.sql`), the declaration (`desired/`), optional `flags`, and a snapshot of the plan.
//!
//! For every case: the plan matches its snapshot; a plan holding a refusal changes nothing when
//! applied; otherwise apply succeeds, a second plan is empty (convergence), and the catalog equals
//! that of a database built from the declaration alone.

mod common;

use std::path::{Path, PathBuf};

use common::TestDb;

fn cases() -> Vec<PathBuf> {
    let root = common::root().join("tests/diff_cases");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// `pg_dump --schema-only` as a sorted list of lines: column order (which `ADD COLUMN` cannot
/// choose) and statement order do not count; every definition does.
fn catalog(db: &TestDb) -> Vec<String> {
    let mut lines: Vec<String> = db
        .dump()
        .replace(&db.name, "DB")
        .lines()
        .map(|l| l.trim().trim_end_matches(',').to_string())
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("--")
                && !l.starts_with("SET ")
                && !l.starts_with("SELECT pg_catalog")
        })
        .collect();
    lines.sort();
    lines
}

fn run_case(dir: &Path) -> Result<(), String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let desired = dir.join("desired");
    let desired = desired.to_str().unwrap();
    let flags: Vec<String> = std::fs::read_to_string(dir.join("flags"))
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let with = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        v.extend(flags.iter().cloned());
        v
    };
    fn argv(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }

    let db = TestDb::new("case");
    let current = std::fs::read_to_string(dir.join("current.sql")).unwrap_or_default();
    if !current.trim().is_empty() {
        db.exec(&current);
    }
    let before = db.dump();
    let saved = common::scratch_dir("case-plan").join("plan.json");
    let plan_args = with(&[
        "plan",
        "--schema",
        desired,
        "--out",
        saved.to_str().unwrap(),
    ]);
    let mut plan = db.run(&argv(&plan_args));
    // `--out` only adds where it saved the plan; the snapshot is of the plan itself.
    if let Some(at) = plan.stdout.rfind("\nSaved the plan to ") {
        plan.stdout.truncate(at);
    }
    let shown = format!(
        "exit: {}\n{}{}",
        plan.code,
        db.scrub(&plan.stdout),
        db.scrub(&plan.stderr)
    );
    if plan.code == 0 || plan.code == 3 {
        notes(dir, &saved)?;
    }
    let snap = std::panic::catch_unwind(|| {
        insta::with_settings!({ snapshot_path => "snapshots/diff_cases", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name.clone(), shown);
        });
    });
    if snap.is_err() {
        return Err("plan differs from its snapshot".into());
    }
    let apply_args = with(&["apply", "--schema", desired, "--auto-approve"]);
    match plan.code {
        3 => {
            let r = db.run(&argv(&apply_args));
            if r.code != 3 {
                return Err(format!(
                    "apply of a refused plan exited {}: {}",
                    r.code, r.stderr
                ));
            }
            if db.dump() != before {
                return Err("apply of a refused plan changed the database".into());
            }
            return Ok(());
        }
        0 => {}
        c => return Err(format!("plan exited {c}: {}", plan.stderr)),
    }
    let r = db.run(&argv(&apply_args));
    if r.code != 0 {
        return Err(format!(
            "apply exited {}:\n{}{}",
            r.code, r.stdout, r.stderr
        ));
    }
    let again = db.run(&argv(&with(&[
        "plan",
        "--schema",
        desired,
        "--detailed-exitcode",
    ])));
    if again.code != 0 {
        return Err(format!(
            "did not converge: second plan exited {}:\n{}",
            again.code, again.stdout
        ));
    }
    // `not_rebuilt`: the declaration leaves a name to the database (a serial's sequence).
    let rebuildable = !dir.join("keeps_undeclared").exists() && !dir.join("not_rebuilt").exists();
    if rebuildable && !plan.stdout.contains("\n  ? ") {
        let fresh = TestDb::new("casefresh");
        let r = fresh.run(&["apply", "--schema", desired, "--auto-approve"]);
        if r.code != 0 {
            return Err(format!(
                "applying the declaration to an empty database failed:\n{}{}",
                r.stdout, r.stderr
            ));
        }
        let (ours, theirs) = (catalog(&db), catalog(&fresh));
        if ours != theirs {
            let only_ours: Vec<_> = ours.iter().filter(|l| !theirs.contains(l)).collect();
            let only_fresh: Vec<_> = theirs.iter().filter(|l| !ours.contains(l)).collect();
            return Err(format!(
                "catalog differs from a database built from the declaration\n  only after apply: {only_ours:?}\n  only when built fresh: {only_fresh:?}"
            ));
        }
    }
    Ok(())
}

/// The self-check over the corpus: what the plan notes about the live database (objects that
/// hold more than the model carries, kinds it does not model) is exactly what the case's `notes`
/// file lists, one per line; no file means nothing. `TABLEFORM_BLESS=1` writes the files.
fn notes(dir: &Path, saved: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(saved).map_err(|e| format!("no saved plan: {e}"))?;
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let plan = &doc; // the plan is flattened into the file
    let mut found = Vec::new();
    for n in plan["not_carried"].as_array().into_iter().flatten() {
        found.push(format!(
            "not carried: {}",
            n["object"].as_str().unwrap_or("?")
        ));
    }
    for n in plan["not_managed"].as_array().into_iter().flatten() {
        let holds: Vec<&str> = (n["holds"].as_array().into_iter().flatten())
            .filter_map(|h| h.as_str())
            .collect();
        found.push(format!(
            "not managed: schema {} holds {}",
            n["schema"].as_str().unwrap_or("?"),
            holds.join(", ")
        ));
    }
    if let Some(why) = plan["self_check_skipped"].as_str() {
        found.push(format!("self-check skipped: {why}"));
    }
    let file = dir.join("notes");
    if std::env::var_os("TABLEFORM_BLESS").is_some() {
        if found.is_empty() {
            let _ = std::fs::remove_file(&file);
        } else {
            std::fs::write(&file, found.join("\n") + "\n").map_err(|e| e.to_string())?;
        }
        return Ok(());
    }
    let expected: Vec<String> = std::fs::read_to_string(&file)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    if found != expected {
        return Err(format!(
            "the plan's notes on what the model does not carry differ from `notes`\n  plan:  {found:?}\n  notes: {expected:?}"
        ));
    }
    Ok(())
}

/// Each case is a test of its own, named after its folder (`cargo test --test diff_cases --
/// 042_`), run in parallel by the harness.
fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let all = cases();
    assert!(all.len() >= 60, "only {} diff cases", all.len());
    let trials = all
        .into_iter()
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            libtest_mimic::Trial::test(name, move || {
                std::panic::catch_unwind(|| run_case(&dir))
                    .unwrap_or_else(|e| {
                        Err(e
                            .downcast_ref::<String>()
                            .cloned()
                            .unwrap_or_else(|| "panicked".into()))
                    })
                    .map_err(Into::into)
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
