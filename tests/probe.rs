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
    // 17 catalog queries (one per kind, pipelined), 6 for the probe batch and 4 for the
    // self-check (BEGIN, batch, the rebuilds' read-back, ROLLBACK: the live objects' spellings
    // came with the catalog).
    assert_eq!(stderr.trim(), "stats: catalog_queries=31");
    let _ = dir;
}

/// Plans `n` declared views, each existing live and written differently from the server's
/// spelling; returns the plan's stdout and its round-trip count.
fn plan_views(n: usize) -> (String, String) {
    let db = TestDb::new("viewprobe");
    db.exec("CREATE TABLE t (id integer PRIMARY KEY, name text)");
    let mut declared = String::from(
        "[table.t]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"name\", type = \"text\" },\n]\n",
    );
    for i in 0..n {
        db.exec(&format!(
            "CREATE VIEW v{i} AS SELECT id, name FROM t WHERE id > {i}"
        ));
        declared.push_str(&format!(
            "\n[view.v{i}]\nquery = \"select T.ID, t.\\\"name\\\" from public.t where (id > {i})\"\n"
        ));
    }
    let dir = scratch_dir("viewprobe");
    write(&dir, "schema.toml", &declared);
    let out = assert_cmd::Command::cargo_bin("tableform")
        .unwrap()
        .args([
            "plan",
            "--schema",
            dir.to_str().unwrap(),
            "--database-url",
            &db.url,
        ])
        .env("TABLEFORM_STATS", "1")
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    )
}

#[test]
fn views_are_compared_by_the_servers_deparse_in_constant_round_trips() {
    let (one, one_stats) = plan_views(1);
    assert!(one.contains("No changes"), "{one}");
    let (many, many_stats) = plan_views(6);
    assert!(many.contains("No changes"), "{many}");
    // 17 catalog queries, 4 for the view probe (BEGIN, the batch, one read-back, ROLLBACK) and
    // 4 for the self-check, whatever the number of views.
    assert_eq!(one_stats, "stats: catalog_queries=29");
    assert_eq!(many_stats, one_stats);
}

#[test]
fn a_view_probe_leaves_nothing_behind() {
    let db = TestDb::new("viewprobeclean");
    db.exec("CREATE TABLE t (id integer PRIMARY KEY)");
    db.exec("CREATE VIEW v AS SELECT id FROM t");
    let before = db.dump();
    let dir = scratch_dir("viewprobeclean");
    write(
        &dir,
        "schema.toml",
        "[table.t]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true } ]\n\n[view.v]\nquery = \"SELECT id + 1 AS id FROM t\"\n",
    );
    let r = db.run(&["plan", "--schema", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("replace view"), "{}", r.stdout);
    assert_eq!(db.dump(), before, "the plan changed the database");
}

/// The catalog is read over two connections sharing one snapshot when the role may open a
/// second one; a role allowed only one connection reads it all on that one, and gets the same
/// plan (nothing about the second connection is shown, or needed).
#[test]
fn a_role_allowed_one_connection_reads_the_catalog_on_it_alone() {
    let admin = TestDb::new("oneconn_admin");
    let db = TestDb::new("oneconn");
    let role = format!("{}_r", db.name);
    db.exec(&format!(
        "CREATE ROLE \"{role}\" LOGIN CONNECTION LIMIT 1;
         ALTER DATABASE \"{}\" OWNER TO \"{role}\";
         ALTER SCHEMA public OWNER TO \"{role}\";",
        db.name
    ));
    let limited = db.url_as(&role, "unused");
    let schema = common::root().join(common::SHOPPING_POINTS);
    let schema = schema.to_str().unwrap();
    let applied = common::run(&[
        "apply",
        "--auto-approve",
        "--schema",
        schema,
        "--database-url",
        &limited,
    ]);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    let plan = |url: &str| {
        common::run(&[
            "plan",
            "--detailed-exitcode",
            "--schema",
            schema,
            "--database-url",
            url,
        ])
    };
    let alone = plan(&limited);
    assert_eq!(alone.code, 0, "{}{}", alone.stdout, alone.stderr);
    assert!(alone.stdout.contains("No changes"), "{}", alone.stdout);
    let shared = plan(&db.url);
    assert_eq!(shared.code, 0, "{}{}", shared.stdout, shared.stderr);
    assert_eq!(alone.stdout, shared.stdout);
    assert_eq!(alone.stderr, shared.stderr);
    drop(db);
    admin.exec(&format!("DROP ROLE \"{role}\""));
}
