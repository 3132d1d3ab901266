//! Progress of a long apply where nobody watches a terminal (a CI log): a plain line every ten
//! seconds naming the step still running; and `apply FILE` shows what it runs.

mod common;

use common::{TestDb, schema_dir, scratch_dir};

#[test]
fn a_long_step_says_every_ten_seconds_that_it_is_still_running() {
    let db = TestDb::new("progress");
    db.exec("CREATE TABLE t (id integer PRIMARY KEY); INSERT INTO t VALUES (1)");
    // A check that takes 11 s to validate its one row.
    let dir = schema_dir(
        "progress",
        r#"[table.t]
columns = [{ name = "id", type = "integer", primary_key = true }]
checks = [{ name = "slow", expression = "pg_sleep(11) IS NOT NULL" }]
"#,
    );
    let r = db.run(&["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let beats: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("still applying"))
        .collect();
    assert_eq!(beats.len(), 1, "{}", r.stderr);
    assert!(
        beats[0].starts_with(
            "still applying, 10s in: step 1 of 1: ALTER TABLE public.t ADD CONSTRAINT slow CHECK"
        ),
        "{}",
        beats[0]
    );
}

#[test]
fn applying_a_saved_plan_shows_the_plan_it_runs() {
    let db = TestDb::new("progressfile");
    let dir = schema_dir(
        "progressfile",
        "[table.t]\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
    );
    let file = scratch_dir("progressfile").join("plan.json");
    let plan = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let r = db.run(&["apply", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let shown = r.stdout.replace(file.to_str().unwrap(), "PLAN_FILE");
    insta::assert_snapshot!("apply_file", db.scrub(&shown));
}
