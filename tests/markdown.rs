//! `--format markdown`, the pull-request comment: it shows the risk (every destructive change
//! and every note a text plan shows) and stays under GitHub's comment size limit.

mod common;

use common::{TestDb, schema_dir};

#[test]
fn a_risky_plan_shows_its_drops_and_notes() {
    let db = TestDb::new("mdrisk");
    db.exec(
        "CREATE TABLE orders (id integer PRIMARY KEY, total integer, legacy text);
         CREATE INDEX orders_legacy_idx ON orders (legacy);
         INSERT INTO orders SELECT g, g, 'x' FROM generate_series(1, 3) g;",
    );
    let dir = schema_dir(
        "mdrisk",
        r#"[table.orders]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "total", type = "bigint" },
]
"#,
    );
    let r = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--format",
        "markdown",
        "--allow-destructive",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("risky_plan", db.scrub(&r.stdout));
}

#[test]
fn a_plan_of_two_thousand_tables_fits_in_one_comment() {
    let db = TestDb::new("mdbig");
    let mut toml = String::new();
    for i in 0..2000 {
        toml.push_str(&format!(
            "[table.table_number_{i:04}]\ncolumns = [\n  {{ name = \"id\", type = \"bigint\", primary_key = true }},\n  {{ name = \"name\", type = \"text\", nullable = false }},\n  {{ name = \"created_at\", type = \"timestamptz\", default = \"now()\" }},\n]\n\n"
        ));
    }
    // One table that exists with rows and loses a column: its drop must survive the cut.
    db.exec("CREATE TABLE table_number_0007 (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz DEFAULT now(), old text); INSERT INTO table_number_0007 VALUES (1, 'a', now(), 'b')");
    let dir = schema_dir("mdbig", &toml);
    let r = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--format",
        "markdown",
        "--allow-destructive",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let md = r.stdout;
    let n = md.chars().count();
    assert!(n <= 65_536, "{n} characters");
    assert!(md.contains("**Plan: 1999 to create, 1 to change, 0 unchanged, 0 refused.**"));
    assert!(md.contains("**1 destructive change** (dropping"), "{md}");
    assert!(md.contains("drop column old"), "the drop is listed");
    assert!(
        md.contains("too long for a comment"),
        "the SQL is replaced by a pointer"
    );
    assert!(
        md.contains("1999 other objects"),
        "the cut rows are counted"
    );
}
