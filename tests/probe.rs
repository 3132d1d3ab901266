//! The server-side canonicalisation of expressions (src/inspect/probe.rs).

mod common;

use common::{TestDb, scratch_dir, write};

const DECLARED: &str = r#"
[table.scores]
columns = [
  { name = "id",    type = "integer", primary_key = true },
  { name = "score", type = "numeric(5,2)", default = "0" },
  { name = "label", type = "text", default = "no_such_function()" },
]
checks = [ { name = "score_range", expression = "score BETWEEN -100 AND 100" } ]
"#;

fn setup() -> (TestDb, std::path::PathBuf) {
    let db = TestDb::new("probe");
    db.exec(
        "CREATE TABLE scores (id integer PRIMARY KEY, score numeric(5,2) DEFAULT 0,
                              label text DEFAULT 'x',
                              CONSTRAINT score_range CHECK (score BETWEEN -100 AND 100))",
    );
    let dir = scratch_dir("probe");
    write(&dir, "schema.toml", DECLARED);
    (db, dir)
}

#[test]
fn postgres_spelling_of_a_check_is_not_a_difference() {
    let (db, dir) = setup();
    // PostgreSQL stores the check as ((score >= ('-100'::integer)::numeric) AND ...): only the
    // server can tell it is the declared one. The rejected default must not spoil that answer.
    let r = db.run(&["plan", "--schema", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("column label: set default no_such_function()"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("add CONSTRAINT score_range")
            && !r.stdout.contains("drop check score_range"),
        "the check was reported as changed:\n{}",
        r.stdout
    );
    assert!(!r.stdout.contains("DROP CONSTRAINT"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("Plan: 0 to create, 1 to change, 0 unchanged, 0 refused."),
        "{}",
        r.stdout
    );
}

#[test]
fn probing_takes_a_constant_number_of_round_trips() {
    let (db, dir) = setup();
    let good = scratch_dir("probegood");
    write(
        &good,
        "schema.toml",
        &DECLARED.replace("no_such_function()", "'x'"),
    );
    let mut cmd = assert_cmd::Command::cargo_bin("tableform").unwrap();
    let out = cmd
        .args([
            "plan",
            "--schema",
            good.to_str().unwrap(),
            "--database-url",
            &db.url,
        ])
        .env("TABLEFORM_STATS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("No changes"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // 13 catalog queries (one per kind, extensions, functions and triggers included), 6 for the probe batch and 6 for the self-check (each: BEGIN, batch, 3
    // read-backs, ROLLBACK).
    assert_eq!(stderr.trim(), "stats: catalog_queries=25");
    let _ = dir;
}
