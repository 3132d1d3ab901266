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

/// `*.toml` entries that are not regular files used to be skipped, so their tables looked
/// undeclared and `--prune` dropped them. Each is now an error naming the path and what it is.
#[test]
#[cfg(unix)]
fn toml_entries_that_are_not_regular_files_are_errors() {
    use std::os::unix::fs::symlink;
    type Make = Box<dyn Fn(&std::path::Path)>;
    let cases: Vec<(&str, Make, &str)> = vec![
        (
            "dangling",
            Box::new(|p| symlink(p.with_file_name("gone.txt"), p).unwrap()),
            "is a dangling symbolic link (its target does not exist)",
        ),
        (
            "fifo",
            Box::new(|p| {
                let ok = std::process::Command::new("mkfifo")
                    .arg(p)
                    .status()
                    .unwrap();
                assert!(ok.success());
            }),
            "is a FIFO (named pipe)",
        ),
        (
            "device",
            Box::new(|p| symlink("/dev/null", p).unwrap()),
            "is a symbolic link to a character device",
        ),
        (
            "directory",
            Box::new(|p| std::fs::create_dir(p).unwrap()),
            "is a directory",
        ),
    ];
    for (tag, make, what) in cases {
        let dir = common::scratch_dir(&format!("notfile-{tag}"));
        common::write(
            &dir,
            "a.toml",
            "[table.a]\ncolumns = [{ name = \"id\", type = \"int\" }]\n",
        );
        let odd = dir.join("b.toml");
        make(&odd);
        let r = run(&["validate", "--schema", dir.to_str().unwrap()]);
        assert_eq!(r.code, 1, "{tag}: {}{}", r.stdout, r.stderr);
        assert_eq!(
            r.stderr,
            format!(
                "error: {} {what}, not a schema file (a regular file or a symbolic link to one)\n",
                odd.display()
            ),
            "{tag}"
        );
    }
    // A symbolic link to a regular file is read like the file.
    let dir = common::scratch_dir("notfile-link");
    let target = common::scratch_dir("notfile-target").join("real.txt");
    std::fs::write(
        &target,
        "[table.b]\ncolumns = [{ name = \"id\", type = \"int\" }]\n",
    )
    .unwrap();
    symlink(&target, dir.join("b.toml")).unwrap();
    let r = run(&["validate", "--schema", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("valid: 1 table,"), "{}", r.stdout);
}

/// With a dangling `b.toml`, `plan --prune` and `apply --prune` stop before the database: table
/// `b` is not dropped.
#[test]
#[cfg(unix)]
fn a_dangling_schema_file_never_lets_prune_drop_its_table() {
    let db = common::TestDb::new("dangling");
    db.exec("CREATE TABLE a (id integer); CREATE TABLE b (id integer); INSERT INTO b VALUES (1);");
    let dir = common::scratch_dir("dangling-prune");
    common::write(
        &dir,
        "a.toml",
        "[table.a]\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
    );
    std::os::unix::fs::symlink(dir.join("moved-away.toml.bak"), dir.join("b.toml")).unwrap();
    let schema = dir.to_str().unwrap();
    let before = db.dump();
    for cmd in [
        vec!["plan", "--schema", schema, "--prune"],
        vec![
            "apply",
            "--schema",
            schema,
            "--prune",
            "--auto-approve",
            "--allow-destructive",
        ],
        vec!["drift", "--schema", schema],
    ] {
        let r = db.run(&cmd);
        assert_eq!(r.code, 1, "{cmd:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("b.toml is a dangling symbolic link"),
            "{}",
            r.stderr
        );
        assert_eq!(r.stdout, "", "{cmd:?}");
    }
    assert_eq!(db.dump(), before);
    assert_eq!(db.count("b"), 1);
}
