//! `tableform validate` on malformed schemas: every problem located at file:line:col, exit 1,
//! never a panic. One snapshot per case directory under tests/bad_inputs/.

mod common;

use common::{SHOPPING_POINTS, run};

#[test]
fn every_bad_input_is_a_located_error_with_a_snapshot() {
    let root = common::root().join("tests/bad_inputs");
    let mut cases: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(cases.len() >= 50, "only {} bad inputs", cases.len());
    for case in &cases {
        let dir = format!("tests/bad_inputs/{case}");
        let r = run(&["validate", "--schema", &dir]);
        assert_eq!(
            r.code, 1,
            "{case}: exit {}\n{}{}",
            r.code, r.stdout, r.stderr
        );
        assert_eq!(r.stdout, "", "{case}: nothing on stdout");
        assert!(
            !r.stderr.contains("panicked"),
            "{case} panicked:\n{}",
            r.stderr
        );
        let located = r.stderr.lines().any(|l| {
            l.trim_start().starts_with("┌─ ")
                && l.contains(".toml:")
                && l.rsplit(':')
                    .next()
                    .is_some_and(|c| c.parse::<u32>().is_ok())
        });
        assert!(located, "{case}: no file:line:col in\n{}", r.stderr);
        insta::assert_snapshot!(format!("bad_input__{case}"), r.stderr);
    }
}

#[test]
fn several_problems_in_several_files_are_all_reported_in_one_run() {
    let r = run(&[
        "validate",
        "--schema",
        "tests/bad_inputs/many_problems_at_once",
    ]);
    assert_eq!(r.code, 1);
    let errors = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: ") && !l.contains("problems"))
        .count();
    assert_eq!(errors, 7, "{}", r.stderr);
    assert!(
        r.stderr.ends_with(
            "error: the schema in tests/bad_inputs/many_problems_at_once has 7 problems\n"
        ),
        "{}",
        r.stderr
    );
    for hint in [
        "did you mean `varchar`?",
        "did you mean `nullable`?",
        "did you mean `users`?",
    ] {
        assert!(
            r.stderr.contains(hint),
            "missing hint {hint:?} in\n{}",
            r.stderr
        );
    }
}

#[test]
fn the_shipped_schema_is_valid() {
    let r = run(&["validate", "--schema", SHOPPING_POINTS]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "The schema in schemas/shopping_points is valid: 17 tables, 0 enum types.\n"
    );
}

#[test]
fn a_missing_schema_directory_is_a_clear_error() {
    let r = run(&["validate", "--schema", "no/such/dir"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "error: cannot read schema directory no/such/dir: no such directory\n"
    );
    let r = run(&["validate", "--schema", "docs"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "error: docs holds no .toml schema files\n");
    let r = run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("--schema DIR is required"),
        "{}",
        r.stderr
    );
}
