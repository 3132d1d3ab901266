//! Attaching existing tables as partitions and detaching partitions into tables of their own:
//! the rows go where the plan says, and a table whose rows do not fit its bound is refused by
//! the server at apply with nothing changed.

mod common;

use common::{TestDb, schema_dir};

const PARENT: &str = "
CREATE TABLE events (id bigint NOT NULL, created_at timestamptz NOT NULL, body text) PARTITION BY RANGE (created_at);
CREATE TABLE events_2026_01 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
INSERT INTO events VALUES (1, '2026-01-15', 'x');
CREATE TABLE events_2026_02 (id bigint NOT NULL, created_at timestamptz NOT NULL, body text);
";

const DECLARED: &str = r#"
[table.events]
partition_by = "range (created_at)"
columns = [
  { name = "id", type = "bigint", nullable = false },
  { name = "created_at", type = "timestamptz", nullable = false },
  { name = "body", type = "text" },
]

[[table.events.partitions]]
name = "events_2026_01"
values = "FROM ('2026-01-01') TO ('2026-02-01')"

[[table.events.partitions]]
name = "events_2026_02"
values = "FROM ('2026-02-01') TO ('2026-03-01')"
"#;

#[test]
fn an_attached_tables_rows_are_read_through_its_parent() {
    let db = TestDb::new("attach");
    db.exec(PARENT);
    db.exec("INSERT INTO events_2026_02 VALUES (2, '2026-02-03', 'y'), (3, '2026-02-27', 'z')");
    let dir = schema_dir("attach", DECLARED);
    let apply = db.run(&["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("ATTACH PARTITION"),
        "{}",
        apply.stdout
    );
    assert_eq!(db.count("events"), 3, "the parent reads the attached rows");
    assert_eq!(
        db.strings("SELECT relispartition::text FROM pg_class WHERE relname = 'events_2026_02'"),
        ["true"]
    );
    let again = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(again.code, 0, "converges:\n{}", again.stdout);
}

#[test]
fn a_table_with_rows_outside_the_bound_is_not_attached_and_nothing_changes() {
    let db = TestDb::new("attach-bad");
    db.exec(PARENT);
    // March is outside February's bound.
    db.exec("INSERT INTO events_2026_02 VALUES (2, '2026-02-03', 'y'), (3, '2026-03-02', 'z')");
    let before = db.dump();
    let dir = schema_dir("attach-bad", DECLARED);
    let apply = db.run(&["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stderr.contains("violated by some row"),
        "the server's reason is shown: {}",
        apply.stderr
    );
    assert!(
        apply.stderr.contains("nothing was changed") || apply.stderr.contains("rolled back"),
        "{}",
        apply.stderr
    );
    assert_eq!(db.dump(), before, "the catalog is as it was");
    assert_eq!(db.count("events_2026_02"), 2, "its rows stay");
}

#[test]
fn a_detached_partition_keeps_its_rows_and_leaves_the_parent() {
    let db = TestDb::new("detach");
    db.exec(PARENT);
    db.exec(
        "ALTER TABLE events ATTACH PARTITION events_2026_02 FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
         INSERT INTO events VALUES (2, '2026-02-03', 'y')",
    );
    let declared = DECLARED.replace(
        "[[table.events.partitions]]\nname = \"events_2026_02\"\nvalues = \"FROM ('2026-02-01') TO ('2026-03-01')\"\n",
        "[table.events_2026_02]\ncolumns = [\n  { name = \"id\", type = \"bigint\", nullable = false },\n  { name = \"created_at\", type = \"timestamptz\", nullable = false },\n  { name = \"body\", type = \"text\" },\n]\n",
    );
    assert_ne!(declared, DECLARED, "the partition moved out of the list");
    let dir = schema_dir("detach", &declared);
    let apply = db.run(&["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("DETACH PARTITION"),
        "{}",
        apply.stdout
    );
    assert_eq!(db.count("events_2026_02"), 1, "its row stays in it");
    assert_eq!(
        db.count("events"),
        1,
        "and no longer shows through the parent"
    );
    let again = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(again.code, 0, "converges:\n{}", again.stdout);
}
