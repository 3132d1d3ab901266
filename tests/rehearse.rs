//! `--rehearse`: the plan's steps run on the real rows in a transaction that is always rolled
//! back; each step's time and the strongest table lock held; convergence checked by a diff
//! inside the transaction; saved plans record it; `apply --rehearse` applies only after a
//! rehearsal that converged.

mod common;

use common::{TestDb, schema_dir, scratch_dir};

/// Step times (and so their padding) vary from run to run: `    12 ms` becomes ` N ms`.
fn scrub_times(text: &str) -> String {
    text.lines()
        .map(|l| match l.find(" ms  ") {
            Some(at) if l[..at].trim_end().ends_with(|c: char| c.is_ascii_digit()) => {
                let head = l[..at]
                    .trim_end()
                    .trim_end_matches(|c: char| c.is_ascii_digit());
                format!("{} N{}", head.trim_end(), &l[at..])
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const ITEMS: &str = r#"
[table.items]
columns = [
  { name = "id",    type = "integer", primary_key = true },
  { name = "code",  type = "integer", using = "code::integer" },
  { name = "added", type = "text", nullable = false, backfill = "'a' || id" },
]
"#;

fn items(tag: &str, third: &str) -> TestDb {
    let db = TestDb::new(tag);
    db.exec(&format!(
        "CREATE TABLE items (id integer PRIMARY KEY, code text);
         INSERT INTO items VALUES (1, '10'), (2, '20'), (3, '{third}');"
    ));
    db
}

/// A `using` cast that fails on one row: the rehearsal names the step and the row's value,
/// exits 1, and the database is as it was.
#[test]
fn a_using_that_fails_on_one_row_is_found_and_nothing_changes() {
    let db = items("rehfail", "x3");
    let before = db.dump();
    let rows = db.all_rows();
    let dir = schema_dir("rehfail", ITEMS);
    let dir = dir.to_str().unwrap();
    let r = db.run(&["plan", "--schema", dir, "--rehearse"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains(r#"invalid input syntax for type integer: "x3""#)
    );
    assert_eq!(db.dump(), before);
    assert_eq!(db.all_rows(), rows);
    // The other formats carry the rehearsal too: JSON in the document, markdown in a block.
    let json = db.run(&["plan", "--schema", dir, "--rehearse", "--format", "json"]);
    assert_eq!(json.code, 1, "{}{}", json.stdout, json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["rehearsal"]["failed"]["step"], 1, "{}", json.stdout);
    assert!(
        json.stderr
            .contains("the rehearsal did not succeed (see `rehearsal` in the plan)"),
        "{}",
        json.stderr
    );
    let md = db.run(&[
        "plan",
        "--schema",
        dir,
        "--rehearse",
        "--format",
        "markdown",
    ]);
    assert_eq!(md.code, 1, "{}{}", md.stdout, md.stderr);
    assert!(
        md.stdout.contains("```text\nRehearsal (") && md.stdout.contains("\"x3\""),
        "{}",
        md.stdout
    );
    assert_eq!(db.dump(), before);
    // apply --rehearse stops before it asks or applies anything.
    let a = db.run(&["apply", "--schema", dir, "--rehearse", "--auto-approve"]);
    assert_eq!(a.code, 1, "{}{}", a.stdout, a.stderr);
    assert!(a.stderr.contains("nothing was applied"), "{}", a.stderr);
    assert_eq!(db.dump(), before);
    assert_eq!(db.all_rows(), rows);
    insta::assert_snapshot!(
        "rehearsal_failed",
        scrub_times(&db.scrub(&format!("{}{}", r.stdout, r.stderr)))
    );
}

/// A rehearsal that converges changes nothing; the saved plan records it (when, each step,
/// the locks) and applies as reviewed.
#[test]
fn a_converged_rehearsal_is_recorded_in_the_saved_plan() {
    let db = items("rehok", "30");
    let before = db.dump();
    let dir = schema_dir("rehok", ITEMS);
    let dir = dir.to_str().unwrap();
    let out = scratch_dir("rehok").join("plan.json");
    let out = out.to_str().unwrap();
    let r = db.run(&["plan", "--schema", dir, "--rehearse", "--out", out]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(db.dump(), before, "the rehearsal changed the database");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    let rehearsal = &doc["rehearsal"];
    assert!(
        rehearsal["at"].as_str().unwrap().ends_with('Z'),
        "{rehearsal}"
    );
    assert_eq!(
        rehearsal["steps"].as_array().unwrap().len(),
        4,
        "{rehearsal}"
    );
    assert_eq!(
        rehearsal["steps"][0]["lock"],
        "ACCESS EXCLUSIVE on public.items"
    );
    assert!(rehearsal.get("failed").is_none() && rehearsal.get("left").is_none());
    insta::assert_snapshot!(
        "rehearsal_converged",
        scrub_times(&db.scrub(&r.stdout)).replace(out, "PLAN")
    );
    let a = db.run(&["apply", out]);
    assert_eq!(a.code, 0, "{}{}", a.stdout, a.stderr);
    assert_eq!(
        db.strings("SELECT code || ':' || added FROM items ORDER BY id"),
        ["10:a1", "20:a2", "30:a3"]
    );
}

/// A saved plan whose rehearsal failed is never applied; `--rehearse` with a saved plan is
/// refused (the file carries its rehearsal).
#[test]
fn a_saved_plan_whose_rehearsal_failed_is_not_applied() {
    let db = items("rehsaved", "x3");
    let before = db.dump();
    let dir = schema_dir("rehsaved", ITEMS);
    let out = scratch_dir("rehsaved").join("plan.json");
    let out = out.to_str().unwrap();
    let r = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--rehearse",
        "--out",
        out,
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // The writer fixes the row; the plan still records a failed rehearsal.
    db.exec("UPDATE items SET code = '30' WHERE id = 3");
    let rows = db.all_rows();
    let a = db.run(&["apply", out]);
    assert_eq!(a.code, 1, "{}{}", a.stdout, a.stderr);
    assert!(
        a.stderr.contains("rehearsal") && a.stderr.contains("nothing was changed"),
        "{}",
        a.stderr
    );
    let again = db.run(&["apply", out, "--rehearse"]);
    assert_eq!(again.code, 1, "{}{}", again.stdout, again.stderr);
    assert!(
        again.stderr.contains("plan --rehearse --out"),
        "{}",
        again.stderr
    );
    assert_eq!(db.dump(), before);
    assert_eq!(db.all_rows(), rows);
}

/// The rehearsal takes apply's locks under `--lock-timeout`: a writer's open transaction
/// makes it stop, naming the table, with nothing changed; afterwards apply --rehearse applies.
#[test]
fn a_rehearsal_waits_for_locks_like_apply_and_then_applies() {
    let db = items("rehlock", "30");
    let before = db.dump();
    let dir = schema_dir("rehlock", ITEMS);
    let dir = dir.to_str().unwrap();
    let writer = TestDb::attach(&db);
    writer.exec("BEGIN; INSERT INTO items VALUES (4, '40')");
    let r = db.run(&[
        "plan",
        "--schema",
        dir,
        "--rehearse",
        "--lock-timeout",
        "0.2",
        "--lock-retries",
        "0",
    ]);
    writer.exec("ROLLBACK");
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("the rehearsal stopped") && r.stderr.contains("items"),
        "{}",
        r.stderr
    );
    assert_eq!(db.dump(), before);
    let a = db.run(&["apply", "--schema", dir, "--rehearse", "--auto-approve"]);
    assert_eq!(a.code, 0, "{}{}", a.stdout, a.stderr);
    assert!(a.stdout.contains("The rehearsal converged"), "{}", a.stdout);
    assert_eq!(db.count("items"), 3);
    let again = db.run(&["plan", "--schema", dir, "--rehearse"]);
    assert_eq!(again.code, 0);
    assert!(
        again
            .stdout
            .contains("Not rehearsed: the plan has no steps."),
        "{}",
        again.stdout
    );
}

/// What cannot be rehearsed says so: a plan that uses an enum value it adds (PostgreSQL allows
/// that only after a COMMIT, which a rehearsal never sends) is an error naming why, with nothing
/// changed; a plan that holds refusals has nothing to run.
#[test]
fn what_cannot_be_rehearsed_says_why() {
    let db = TestDb::new("rehenum");
    db.exec(
        "CREATE TYPE mood AS ENUM ('sad');
         CREATE TABLE people (id integer PRIMARY KEY, name text);
         INSERT INTO people VALUES (1, 'a');",
    );
    let before = db.dump();
    let dir = schema_dir(
        "rehenum",
        r#"
[enum.mood]
values = ["sad", "happy"]

[table.people]
columns = [
  { name = "id",   type = "integer", primary_key = true },
  { name = "name", type = "text" },
  { name = "mood", type = "mood", nullable = false, default = "'happy'" },
]
"#,
    );
    let r = db.run(&["plan", "--schema", dir.to_str().unwrap(), "--rehearse"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(db.dump(), before);
    let refused = schema_dir(
        "rehrefused",
        "[table.people]\ncolumns = [{ name = \"id\", type = \"integer\", primary_key = true }]\n",
    );
    let q = db.run(&["plan", "--schema", refused.to_str().unwrap(), "--rehearse"]);
    assert_eq!(q.code, 3, "{}{}", q.stdout, q.stderr);
    assert_eq!(db.dump(), before);
    insta::assert_snapshot!(
        "cannot_rehearse",
        db.scrub(&format!("{}---\n{}", r.stderr, {
            let lines: Vec<&str> = q.stdout.lines().collect();
            lines[lines.len().saturating_sub(3)..].join("\n")
        }))
    );
}
