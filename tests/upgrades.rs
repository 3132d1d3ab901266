//! Upgrades that keep every row (issue #13): `backfill` and `using` declared on columns, and
//! migration tools' bookkeeping tables, with the real binary against a real PostgreSQL holding
//! rows. Every case checks that the columns the upgrade does not touch are byte for byte the same.

mod common;

use common::{TestDb, schema_dir};

/// `md5` of the ordered row text of `cols` (the columns an upgrade must leave alone).
fn digest(db: &TestDb, table: &str, cols: &str) -> String {
    db.strings(&format!(
        "SELECT md5(string_agg(row({cols})::text, ',' ORDER BY id)) FROM {table}"
    ))
    .remove(0)
}

fn args<'a>(cmd: &'a str, dir: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![cmd, "--schema", dir];
    if cmd == "apply" {
        v.push("--auto-approve");
    }
    v.extend(extra);
    v
}

/// Plans (snapshotting the text as `name`), applies, and checks that a second plan is empty.
fn plan_apply_converge(db: &TestDb, name: &str, toml: &str, extra: &[&str]) -> String {
    let dir = schema_dir(name, toml);
    let dir = dir.to_str().unwrap();
    let plan = db.run(&args("plan", dir, extra));
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    insta::assert_snapshot!(name, db.scrub(&plan.stdout));
    let apply = db.run(&args("apply", dir, extra));
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    let again = db.run(&args("plan", dir, &["--detailed-exitcode"]));
    assert_eq!(
        again.code, 0,
        "not converged:\n{}{}",
        again.stdout, again.stderr
    );
    plan.stdout
}

/// The same declaration without the key is refused, and changes nothing.
fn refused_without(db: &TestDb, tag: &str, toml: &str, reason: &str) {
    let before = db.dump();
    let dir = schema_dir(tag, toml);
    let plan = db.run(&["plan", "--schema", dir.to_str().unwrap()]);
    assert_eq!(plan.code, 3, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains(reason), "{}", plan.stdout);
    assert_eq!(db.dump(), before);
}

fn not_null(db: &TestDb, table: &str, column: &str) -> bool {
    db.strings(&format!(
        "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'public.{table}'::regclass AND attname = '{column}'"
    )) == ["t"]
}

const SHOPS_BEFORE: &str = "
    CREATE TABLE shops (id integer PRIMARY KEY, name text NOT NULL, city text);
    INSERT INTO shops VALUES (1, 'Corner', 'Oslo'), (2, 'Kiosk', NULL), (3, 'Märkt', 'Bergen');";

/// The first users' history: add `rate_type` nullable, `UPDATE ... SET rate_type = 'shop'`,
/// then `SET NOT NULL`, as one declaration.
#[test]
fn backfill_adds_a_not_null_column_to_a_table_with_rows() {
    let db = TestDb::new("up_rate_type");
    db.exec(SHOPS_BEFORE);
    let before = digest(&db, "shops", "id, name, city");
    let toml = |extra: &str| {
        format!(
            "[table.shops]\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n  {{ name = \"name\", type = \"text\", nullable = false }},\n  {{ name = \"city\", type = \"text\" }},\n  {{ name = \"rate_type\", type = \"text\", nullable = false{extra} }},\n]\n"
        )
    };
    refused_without(
        &db,
        "up_rate_type_bare",
        &toml(""),
        "declare a default, make it nullable, or declare a `backfill` expression",
    );
    let plan = plan_apply_converge(
        &db,
        "plan_backfill_rate_type",
        &toml(", backfill = \"'shop'\""),
        &[],
    );
    assert!(plan.contains("(3 rows at plan time"), "{plan}");
    assert!(
        plan.contains("UPDATE public.shops SET rate_type = 'shop' WHERE rate_type IS NULL;"),
        "{plan}"
    );
    assert_eq!(digest(&db, "shops", "id, name, city"), before);
    assert_eq!(db.strings("SELECT DISTINCT rate_type FROM shops"), ["shop"]);
    assert!(not_null(&db, "shops", "rate_type"));
}

/// "add `created_at NOT NULL` to a table with rows": every existing row gets the time of the
/// apply, no row is lost.
#[test]
fn backfill_now_for_created_at() {
    let db = TestDb::new("up_created_at");
    db.exec(SHOPS_BEFORE);
    let before = digest(&db, "shops", "id, name, city");
    let toml = "[table.shops]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"name\", type = \"text\", nullable = false },\n  { name = \"city\", type = \"text\" },\n  { name = \"created_at\", type = \"timestamptz\", nullable = false, backfill = \"now()\" },\n]\n";
    plan_apply_converge(&db, "plan_backfill_created_at", toml, &[]);
    assert_eq!(digest(&db, "shops", "id, name, city"), before);
    assert_eq!(
        db.strings(
            "SELECT count(*) FROM shops WHERE created_at IS NOT NULL AND created_at <= now()"
        ),
        ["3"]
    );
    assert!(not_null(&db, "shops", "created_at"));
}

/// NOT NULL set on a column that holds NULLs, filled from the row's other columns.
#[test]
fn backfill_from_other_columns_before_set_not_null() {
    let db = TestDb::new("up_coalesce");
    db.exec(
        "CREATE TABLE posts (id integer PRIMARY KEY, title text, created_at timestamptz NOT NULL, updated_at timestamptz);
         INSERT INTO posts VALUES
           (1, 'a', '2024-01-01 10:00+00', NULL),
           (2, 'b', '2024-01-02 10:00+00', '2024-03-01 09:00+00'),
           (3, NULL, '2024-01-03 10:00+00', NULL);",
    );
    let before = digest(&db, "posts", "id, title, created_at");
    let toml = |extra: &str| {
        format!(
            "[table.posts]\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n  {{ name = \"title\", type = \"text\" }},\n  {{ name = \"created_at\", type = \"timestamptz\", nullable = false }},\n  {{ name = \"updated_at\", type = \"timestamptz\", nullable = false{extra} }},\n]\n"
        )
    };
    // The NULL count is one of the plan's facts, so apply locks the table (ACCESS EXCLUSIVE)
    // and counts again before any step, the UPDATE included.
    let dir = schema_dir(
        "up_coalesce_json",
        &toml(", backfill = \"coalesce(updated_at, created_at)\""),
    );
    let json = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let nulls = serde_json::json!({"nulls": [{"schema": "public", "name": "posts"}, "updated_at"]});
    let facts = doc["facts"].as_array().expect("the plan has facts");
    assert!(
        facts
            .iter()
            .any(|f| f["question"] == nulls && f["count"] == 2),
        "{facts:?}"
    );
    refused_without(
        &db,
        "up_coalesce_bare",
        &toml(""),
        "`updated_at` cannot become NOT NULL: it is NULL in 2 rows; declare a `backfill` expression",
    );
    let plan = plan_apply_converge(
        &db,
        "plan_backfill_coalesce",
        &toml(", backfill = \"coalesce(updated_at, created_at)\""),
        &[],
    );
    assert!(plan.contains("(2 rows at plan time"), "{plan}");
    assert_eq!(digest(&db, "posts", "id, title, created_at"), before);
    assert_eq!(
        db.strings("SELECT count(*) FROM posts WHERE updated_at IS NULL"),
        ["0"]
    );
    assert_eq!(
        db.strings("SELECT updated_at::text FROM posts ORDER BY id"),
        [
            "2024-01-01 10:00:00+00",
            "2024-03-01 09:00:00+00",
            "2024-01-03 10:00:00+00"
        ]
    );
    assert!(not_null(&db, "posts", "updated_at"));
}

/// A backfill with nothing to fill: on a new table, on a column without NULLs, and a `using`
/// without a type change. The plan says each is a no-op and runs no UPDATE.
#[test]
fn backfill_and_using_with_nothing_to_do_are_no_ops_the_plan_names() {
    let db = TestDb::new("up_noop");
    db.exec(
        "CREATE TABLE kept (id integer PRIMARY KEY, label text, n integer NOT NULL);
         INSERT INTO kept VALUES (1, 'x', 1), (2, 'y', 2);",
    );
    let before = digest(&db, "kept", "id, label, n");
    let toml = "[table.kept]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"label\", type = \"text\", nullable = false, backfill = \"'none'\" },\n  { name = \"n\", type = \"integer\", nullable = false, backfill = \"0\", using = \"n::integer\" },\n]\n\n[table.fresh]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"kind\", type = \"text\", nullable = false, backfill = \"'a'\" },\n]\n";
    let plan = plan_apply_converge(&db, "plan_backfill_no_ops", toml, &[]);
    assert!(!plan.contains("UPDATE"), "{plan}");
    assert!(
        plan.contains("backfill is a no-op: `label` holds no NULL"),
        "{plan}"
    );
    assert!(
        plan.contains("column kind: backfill is a no-op: the table is new"),
        "{plan}"
    );
    assert!(
        plan.contains("column n: using is a no-op: the type of n does not change"),
        "{plan}"
    );
    assert_eq!(digest(&db, "kept", "id, label, n"), before);
    assert!(not_null(&db, "kept", "label"));
}

const FLAGS_BEFORE: &str = "
    CREATE TABLE features (id integer PRIMARY KEY, name text NOT NULL, enabled integer NOT NULL DEFAULT 0);
    INSERT INTO features VALUES (1, 'dark mode', 1), (2, 'beta', 0), (3, 'legacy', 0), (4, 'new ui', 1);";

/// The integer 0/1 flag that became a boolean.
#[test]
fn using_converts_an_integer_flag_to_boolean() {
    let db = TestDb::new("up_flag");
    db.exec(FLAGS_BEFORE);
    let before = digest(&db, "features", "id, name");
    let toml = |extra: &str| {
        format!(
            "[table.features]\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n  {{ name = \"name\", type = \"text\", nullable = false }},\n  {{ name = \"enabled\", type = \"boolean\", nullable = false, default = \"false\"{extra} }},\n]\n"
        )
    };
    refused_without(
        &db,
        "up_flag_bare",
        &toml(""),
        "changing `enabled` from integer to boolean could fail or lose data",
    );
    let plan = plan_apply_converge(
        &db,
        "plan_using_flag",
        &toml(", using = \"enabled <> 0\""),
        &[],
    );
    assert!(
        plan.contains("rewrites the table under an ACCESS EXCLUSIVE lock (4 rows at plan time)"),
        "{plan}"
    );
    assert_eq!(digest(&db, "features", "id, name"), before);
    assert_eq!(
        db.strings("SELECT enabled::text FROM features ORDER BY id"),
        ["true", "false", "false", "true"]
    );
    assert_eq!(
        db.strings("INSERT INTO features (id, name) VALUES (5, 'x') RETURNING enabled::text"),
        ["false"],
        "the default was set again for the new type"
    );
}

const ORDERS_BEFORE: &str = "
    CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');
    CREATE TABLE orders (id integer PRIMARY KEY, item text NOT NULL, status text NOT NULL DEFAULT 'new');
    CREATE INDEX orders_status_idx ON orders (status);
    INSERT INTO orders VALUES (1, 'pen', 'paid'), (2, 'ink', 'new'), (3, 'pad', 'shipped');";

fn orders_toml(status: &str) -> String {
    format!(
        "[enum.order_status]\nvalues = [\"new\", \"paid\", \"shipped\"]\n\n[enum.fulfilment]\nvalues = [\"open\", \"done\"]\n\n[table.orders]\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n  {{ name = \"item\", type = \"text\", nullable = false }},\n  {status},\n]\nindexes = [{{ name = \"orders_status_idx\", columns = [\"status\"] }}]\n"
    )
}

/// A text column with a default converted to an enum: plainly with --allow-destructive (which
/// must emit SQL that runs), and with a `using` (which needs no flag). The index on it keeps
/// working.
#[test]
fn text_with_a_default_becomes_an_enum() {
    for (tag, status, extra) in [
        (
            "plan_text_default_to_enum_destructive",
            "{ name = \"status\", type = \"order_status\", nullable = false, default = \"'new'\" }",
            &["--allow-destructive"][..],
        ),
        (
            "plan_text_default_to_enum_using",
            "{ name = \"status\", type = \"order_status\", nullable = false, default = \"'new'\", using = \"status::order_status\" }",
            &[][..],
        ),
    ] {
        let db = TestDb::new("up_text_enum");
        db.exec(ORDERS_BEFORE);
        let before = digest(&db, "orders", "id, item, status");
        plan_apply_converge(&db, tag, &orders_toml(status), extra);
        assert_eq!(
            digest(&db, "orders", "id, item, status::text"),
            before,
            "{tag}"
        );
        assert_eq!(
            db.strings("SELECT id::text FROM orders WHERE status = 'paid'"),
            ["1"],
            "{tag}"
        );
        assert_eq!(
            db.strings("INSERT INTO orders (id, item) VALUES (9, 'x') RETURNING status::text"),
            ["new"],
            "{tag}: the default was set again"
        );
    }
}

/// Enum to another enum: through the text with --allow-destructive when the labels exist in
/// both, or mapped by a `using`.
#[test]
fn an_enum_column_becomes_another_enum() {
    let db = TestDb::new("up_enum_enum");
    db.exec(ORDERS_BEFORE);
    db.exec(
        "ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;
         ALTER TABLE orders ALTER COLUMN status TYPE order_status USING status::order_status;
         ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';
         CREATE TYPE fulfilment AS ENUM ('open', 'done');",
    );
    let before = digest(&db, "orders", "id, item");
    let status = "{ name = \"status\", type = \"fulfilment\", nullable = false, default = \"'open'\", using = \"case status when 'shipped' then 'done' else 'open' end::fulfilment\" }";
    refused_without(
        &db,
        "up_enum_enum_bare",
        &orders_toml(
            "{ name = \"status\", type = \"fulfilment\", nullable = false, default = \"'open'\" }",
        ),
        "changing `status` from order_status to fulfilment could fail or lose data",
    );
    plan_apply_converge(&db, "plan_enum_to_enum_using", &orders_toml(status), &[]);
    assert_eq!(digest(&db, "orders", "id, item"), before);
    assert_eq!(
        db.strings("SELECT status::text FROM orders ORDER BY id"),
        ["open", "open", "done"]
    );

    // Plainly, the labels being in both types: converts through the text.
    let db = TestDb::new("up_enum_enum_plain");
    db.exec(
        "CREATE TYPE a AS ENUM ('x', 'y'); CREATE TYPE b AS ENUM ('y', 'x', 'z');
         CREATE TABLE t (id integer PRIMARY KEY, v a DEFAULT 'x');
         INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, NULL);",
    );
    let toml = "[enum.a]\nvalues = [\"x\", \"y\"]\n\n[enum.b]\nvalues = [\"y\", \"x\", \"z\"]\n\n[table.t]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"v\", type = \"b\", default = \"'x'\" },\n]\n";
    plan_apply_converge(
        &db,
        "plan_enum_to_enum_destructive",
        toml,
        &["--allow-destructive"],
    );
    assert_eq!(
        db.strings("SELECT coalesce(v::text, 'NULL') FROM t ORDER BY id"),
        ["x", "y", "NULL"]
    );
}

/// Enum values removed while rows hold them: refused plainly, and with a `using` on the column
/// the type is recreated and the rows mapped, without --allow-destructive.
#[test]
fn removing_an_enum_value_goes_through_using() {
    let db = TestDb::new("up_enum_reshape");
    db.exec(
        "CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'lost');
         CREATE TABLE orders (id integer PRIMARY KEY, item text NOT NULL, status order_status NOT NULL DEFAULT 'new');
         INSERT INTO orders VALUES (1, 'pen', 'paid'), (2, 'ink', 'lost'), (3, 'pad', 'shipped');",
    );
    let before = digest(&db, "orders", "id, item");
    let toml = |extra: &str| {
        format!(
            "[enum.order_status]\nvalues = [\"new\", \"paid\", \"shipped\"]\n\n[table.orders]\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n  {{ name = \"item\", type = \"text\", nullable = false }},\n  {{ name = \"status\", type = \"order_status\", nullable = false, default = \"'new'\"{extra} }},\n]\n"
        )
    };
    refused_without(
        &db,
        "up_enum_reshape_bare",
        &toml(""),
        "declare a `using` conversion on each column",
    );
    plan_apply_converge(
        &db,
        "plan_enum_value_removed_using",
        &toml(
            ", using = \"(case status::text when 'lost' then 'new' else status::text end)::order_status\"",
        ),
        &[],
    );
    assert_eq!(digest(&db, "orders", "id, item"), before);
    assert_eq!(
        db.strings("SELECT status::text FROM orders ORDER BY id"),
        ["paid", "new", "shipped"]
    );
    assert_eq!(
        db.strings("SELECT count(*) FROM pg_type WHERE typname LIKE 'order_status%'"),
        ["1"],
        "the old type is gone"
    );
}

/// A `using` that fails on one row: apply fails on that statement, names it, and nothing changes.
#[test]
fn a_using_that_fails_on_one_row_changes_nothing() {
    let db = TestDb::new("up_using_fails");
    db.exec(
        "CREATE TABLE codes (id integer PRIMARY KEY, code text NOT NULL, note text);
         INSERT INTO codes VALUES (1, '10', 'a'), (2, '20', NULL), (3, 'x3', 'c');",
    );
    let before_rows = db.all_rows();
    let before = db.dump();
    let toml = "[table.codes]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"code\", type = \"integer\", nullable = false, using = \"code::integer\" },\n  { name = \"note\", type = \"text\", nullable = false, backfill = \"'-'\" },\n]\n";
    let dir = schema_dir("up_using_fails", toml);
    let dir = dir.to_str().unwrap();
    let plan = db.run(&["plan", "--schema", dir]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    insta::assert_snapshot!("plan_using_fails_on_a_row", db.scrub(&plan.stdout));
    let apply = db.run(&["apply", "--schema", dir, "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stderr.contains(
            "ALTER TABLE public.codes ALTER COLUMN code TYPE integer USING code::integer"
        ) && apply
            .stderr
            .contains("invalid input syntax for type integer: \"x3\""),
        "{}",
        apply.stderr
    );
    assert_eq!(db.dump(), before);
    assert_eq!(db.all_rows(), before_rows);
}

/// `backfill` and `using` are declared SQL: broken text is a located load error, nothing runs.
#[test]
fn a_bad_backfill_or_using_is_a_located_error() {
    let db = TestDb::new("up_bad_keys");
    db.exec("CREATE TABLE t (id integer PRIMARY KEY, a text); INSERT INTO t VALUES (1, NULL);");
    let before = db.dump();
    for (toml, message) in [
        (
            "[table.t]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"a\", type = \"text\", nullable = false, backfill = \"lower(\" },\n]\n",
            "invalid backfill expression for column `a`",
        ),
        (
            "[table.t]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"a\", type = \"text\", backfill = \"'x'\" },\n]\n",
            "column `a` has a backfill but is nullable",
        ),
        (
            "[table.t]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"a\", type = \"integer\", using = \"a::integer; DELETE FROM t\" },\n]\n",
            "invalid using expression for column `a`",
        ),
    ] {
        let dir = schema_dir("up_bad_keys", toml);
        let r = db.run(&["plan", "--schema", dir.to_str().unwrap()]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(message), "{}", r.stderr);
        assert!(
            r.stderr.contains("schema.toml:4:"),
            "not located: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    assert_eq!(db.dump(), before);
    assert_eq!(db.count("t"), 1);
}

/// `tableform fmt` keeps both keys, and the schema means the same after it.
#[test]
fn fmt_keeps_backfill_and_using() {
    let dir = common::scratch_dir("up_fmt");
    common::write(
        &dir,
        "s.toml",
        "[table.t]\ncolumns=[{using=\"n::bigint\",name=\"n\",type=\"bigint\"},{backfill=\"'x'\",nullable=false,type=\"text\",name=\"a\"}]\n",
    );
    let before = tableform::load::load_dir(&dir).unwrap().schema;
    assert_eq!(before.upgrades.len(), 1);
    let r = common::run(&["fmt", "--schema", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tidy = std::fs::read_to_string(dir.join("s.toml")).unwrap();
    assert!(tidy.contains("using = \"n::bigint\""), "{tidy}");
    assert!(tidy.contains("backfill = \"'x'\""), "{tidy}");
    assert_eq!(tableform::load::load_dir(&dir).unwrap().schema, before);
}

// ---------------------------------------------------------------------------------------------
// Migration tools' bookkeeping tables
// ---------------------------------------------------------------------------------------------

const BOOKKEEPING: &str = "
    CREATE TABLE alembic_version (version_num varchar(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
    INSERT INTO alembic_version VALUES ('4f2a9c1b7d3e');
    CREATE SCHEMA tools;
    CREATE TABLE tools.flyway_schema_history (installed_rank integer PRIMARY KEY, version text);
    INSERT INTO tools.flyway_schema_history VALUES (1, '1');
    CREATE TABLE shops (id integer PRIMARY KEY, name text NOT NULL);
    INSERT INTO shops VALUES (1, 'Corner');";

const SHOPS_ONLY: &str = "[settings]\nschemas = [\"public\", \"tools\"]\n\n[table.shops]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"name\", type = \"text\", nullable = false },\n]\n";

/// An alembic- (and flyway-) managed database whose declared tables match: no drift, the tables
/// are listed as their tool's, and `--prune` leaves them (and their schema) alone.
#[test]
fn bookkeeping_tables_are_owned_by_their_tool_never_drift_never_pruned() {
    let db = TestDb::new("up_bookkeeping");
    db.exec(BOOKKEEPING);
    let before = db.dump();
    let rows = db.all_rows();
    let dir = schema_dir("up_bookkeeping", SHOPS_ONLY);
    let dir = dir.to_str().unwrap();

    let drift = db.run(&["drift", "--schema", dir]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
    insta::assert_snapshot!("drift_bookkeeping", db.scrub(&drift.stdout));

    let plan = db.run(&["plan", "--schema", dir, "--prune", "--allow-destructive"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    insta::assert_snapshot!("plan_bookkeeping_prune", db.scrub(&plan.stdout));
    let apply = db.run(&[
        "apply",
        "--schema",
        dir,
        "--prune",
        "--allow-destructive",
        "--auto-approve",
    ]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(db.dump(), before, "a bookkeeping table was touched");
    assert_eq!(db.all_rows(), rows);
    assert_eq!(
        db.strings("SELECT version FROM tools.flyway_schema_history"),
        ["1"]
    );

    // Declared explicitly, it is managed like any other table.
    let declared = format!(
        "{SHOPS_ONLY}\n[table.alembic_version]\ncolumns = [{{ name = \"version_num\", type = \"varchar(32)\", nullable = false }}, {{ name = \"note\", type = \"text\" }}]\nprimary_key = {{ name = \"alembic_version_pkc\", columns = [\"version_num\"] }}\n"
    );
    let dir = schema_dir("up_bookkeeping_declared", &declared);
    let plan = db.run(&["plan", "--schema", dir.to_str().unwrap()]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("~ table public.alembic_version")
            && plan.stdout.contains("+ add column note text"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("owned by Alembic"), "{}", plan.stdout);
}

/// Rows written between plan and apply: the saved plan's count was 2, a writer adds NULLs after
/// it, and apply (which locks the table and counts again before any step) fills those too, so
/// SET NOT NULL succeeds. A plan that relied on there being no NULL is stale instead.
#[test]
fn a_saved_backfill_fills_rows_written_after_the_plan() {
    let db = TestDb::new("up_late_rows");
    db.exec(
        "CREATE TABLE shops (id integer PRIMARY KEY, name text NOT NULL, rate_type text);
         INSERT INTO shops VALUES (1, 'a', NULL), (2, 'b', 'online'), (3, 'c', NULL);",
    );
    let toml = "[table.shops]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"name\", type = \"text\", nullable = false },\n  { name = \"rate_type\", type = \"text\", nullable = false, backfill = \"'shop'\" },\n]\n";
    let dir = schema_dir("up_late_rows", toml);
    let saved = dir.join("plan.json");
    let plan = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("(2 rows at plan time"),
        "{}",
        plan.stdout
    );
    db.exec("INSERT INTO shops VALUES (4, 'd', NULL), (5, 'e', 'x')");
    let before = digest(&db, "shops", "id, name");
    let apply = db.run(&["apply", saved.to_str().unwrap()]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(digest(&db, "shops", "id, name"), before);
    assert_eq!(
        db.strings("SELECT rate_type FROM shops ORDER BY id"),
        ["shop", "online", "shop", "shop", "x"]
    );
    assert!(not_null(&db, "shops", "rate_type"));

    // No NULL at plan time: no UPDATE is planned, and a NULL written afterwards makes the plan
    // stale rather than failing half way.
    let db = TestDb::new("up_late_nulls");
    db.exec(
        "CREATE TABLE shops (id integer PRIMARY KEY, name text NOT NULL, rate_type text);
         INSERT INTO shops VALUES (1, 'a', 'online');",
    );
    let saved = dir.join("plan2.json");
    let plan = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(!plan.stdout.contains("UPDATE"), "{}", plan.stdout);
    db.exec("INSERT INTO shops VALUES (2, 'b', NULL)");
    let before = db.dump();
    let apply = db.run(&["apply", saved.to_str().unwrap()]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply
            .stderr
            .contains("holding no NULL, and it now is NULL in 1 row"),
        "{}",
        apply.stderr
    );
    assert_eq!(db.dump(), before);
}

// ---------------------------------------------------------------------------------------------
// renamed_from
// ---------------------------------------------------------------------------------------------

const CUSTOMERS_BEFORE: &str = "
    CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL);
    CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers (id), total integer);
    INSERT INTO customers VALUES (1, 'Ada'), (2, 'Brünhild'), (3, 'O''Neil');
    INSERT INTO orders VALUES (10, 1, 100), (11, 1, NULL), (12, 3, 7);";

const CLIENTS: &str = "[table.clients]\nrenamed_from = \"customers\"\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"name\", type = \"text\", nullable = false },\n]\n\n[table.orders]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"customer_id\", type = \"integer\", nullable = false, references = \"clients\" },\n  { name = \"total\", type = \"integer\" },\n]\n";

/// A table that another table references is renamed in place: its rows stay, the foreign key
/// follows it and keeps working, and the old name is neither dropped nor listed as unmanaged.
#[test]
fn renamed_from_renames_a_referenced_table_keeping_rows_and_foreign_keys() {
    let db = TestDb::new("up_rename_table");
    db.exec(CUSTOMERS_BEFORE);
    let people = digest(&db, "customers", "id, name");
    let orders = digest(&db, "orders", "id, customer_id, total");
    let plan = plan_apply_converge(&db, "plan_rename_table", CLIENTS, &["--prune"]);
    assert!(
        plan.contains("ALTER TABLE public.customers RENAME TO clients;"),
        "{plan}"
    );
    assert!(!plan.contains("DROP TABLE"), "{plan}");
    assert!(!plan.contains("unmanaged"), "{plan}");
    assert_eq!(digest(&db, "clients", "id, name"), people);
    assert_eq!(digest(&db, "orders", "id, customer_id, total"), orders);
    assert_eq!(
        db.strings("SELECT to_regclass('public.customers') IS NULL"),
        ["t"]
    );
    // The foreign key still guards the renamed table.
    db.exec(
        "DO $$ BEGIN INSERT INTO orders VALUES (13, 99, 1); RAISE EXCEPTION 'the foreign key no longer holds'; EXCEPTION WHEN foreign_key_violation THEN NULL; END $$",
    );
    db.exec("INSERT INTO orders VALUES (13, 2, 1)");
    // Left in place, the key is a no-op the plan names.
    let dir = schema_dir("up_rename_table_again", CLIENTS);
    let again = db.run(&["plan", "--schema", dir.to_str().unwrap()]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("the key can be removed now"),
        "{}",
        again.stdout
    );
    insta::assert_snapshot!("plan_rename_table_done", db.scrub(&again.stdout));
}

const ITEMS_BEFORE: &str = "
    CREATE TABLE items (id integer PRIMARY KEY, qty text, label text NOT NULL);
    CREATE INDEX items_qty_idx ON items (qty);
    INSERT INTO items VALUES (1, '3', 'bolt'), (2, ' 5', 'nut'), (3, NULL, 'washer');";

const ITEMS: &str = "[table.items]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"quantity\", type = \"integer\", nullable = false, renamed_from = \"qty\", using = \"trim(quantity)::integer\", backfill = \"0\" },\n  { name = \"label\", type = \"text\", nullable = false },\n]\nindexes = [\n  { name = \"items_qty_idx\", columns = [\"quantity\"] },\n]\n";

/// A column renamed, converted (`using`, written with its new name) and filled (`backfill`) in
/// one plan: the rename runs first, the rest sees the new name.
#[test]
fn renamed_from_with_using_and_backfill_on_the_same_column() {
    let db = TestDb::new("up_rename_column");
    db.exec(ITEMS_BEFORE);
    let before = digest(&db, "items", "id, label");
    let plan = plan_apply_converge(&db, "plan_rename_column_using_backfill", ITEMS, &[]);
    let rename = plan
        .find("ALTER TABLE public.items RENAME COLUMN qty TO quantity;")
        .expect(&plan);
    let convert = plan.find("TYPE integer USING").expect(&plan);
    let fill = plan
        .find("UPDATE public.items SET quantity = 0")
        .expect(&plan);
    assert!(rename < convert && convert < fill, "{plan}");
    assert_eq!(digest(&db, "items", "id, label"), before);
    assert_eq!(
        db.strings("SELECT string_agg(quantity::text, ',' ORDER BY id) FROM items"),
        ["3,5,0"]
    );
    assert!(not_null(&db, "items", "quantity"));
    // The index followed the column.
    assert_eq!(
        db.strings("SELECT indexdef FROM pg_indexes WHERE indexname = 'items_qty_idx'"),
        ["CREATE INDEX items_qty_idx ON public.items USING btree (quantity)"]
    );
}

/// Both the old and the new name exist: which one is meant cannot be told; refused, naming
/// both, and nothing changes.
#[test]
fn renamed_from_with_both_names_present_is_refused() {
    let db = TestDb::new("up_rename_both");
    db.exec(CUSTOMERS_BEFORE);
    db.exec("CREATE TABLE clients (id integer PRIMARY KEY, name text NOT NULL)");
    db.exec("ALTER TABLE orders ADD COLUMN amount integer; UPDATE orders SET amount = total");
    let before = db.dump();
    let both = "[table.orders]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"customer_id\", type = \"integer\", nullable = false, references = \"clients\" },\n  { name = \"total\", type = \"integer\", renamed_from = \"amount\" },\n]\n\n[table.clients]\nrenamed_from = \"customers\"\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"name\", type = \"text\", nullable = false },\n]\n";
    let dir = schema_dir("up_rename_both", both);
    let dir = dir.to_str().unwrap();
    let plan = db.run(&["plan", "--schema", dir]);
    assert_eq!(plan.code, 3, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .contains("both table public.customers and table public.clients exist"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("both column amount and column total exist"),
        "{}",
        plan.stdout
    );
    insta::assert_snapshot!("plan_rename_both_present", db.scrub(&plan.stdout));
    let apply = db.run(&["apply", "--schema", dir, "--auto-approve"]);
    assert_ne!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(db.dump(), before);
}

/// An enum value, an index and constraints (check, unique, foreign key, primary key) renamed.
#[test]
fn renamed_from_on_enum_values_indexes_and_constraints() {
    let db = TestDb::new("up_rename_parts");
    db.exec(
        "CREATE TYPE state AS ENUM ('new', 'sent', 'gone');
         CREATE TABLE boxes (id integer CONSTRAINT boxes_pk PRIMARY KEY, code text CONSTRAINT code_uq UNIQUE, weight integer CONSTRAINT weight_positive CHECK (weight > 0), state state NOT NULL, parent integer CONSTRAINT parent_fk REFERENCES boxes (id));
         CREATE INDEX boxes_w ON boxes (weight);
         INSERT INTO boxes VALUES (1, 'a', 5, 'sent', NULL), (2, 'b', 7, 'new', 1), (3, NULL, NULL, 'gone', 1);",
    );
    let before = digest(
        &db,
        "boxes",
        "id, code, weight, state::text <> 'sent', parent",
    );
    let toml = "[enum.state]\nvalues = [\"new\", \"shipped\", \"gone\"]\nrenamed_values = { shipped = \"sent\" }\n\n[table.boxes]\ncolumns = [\n  { name = \"id\", type = \"integer\" },\n  { name = \"code\", type = \"text\" },\n  { name = \"weight\", type = \"integer\" },\n  { name = \"state\", type = \"state\", nullable = false },\n  { name = \"parent\", type = \"integer\" },\n]\nprimary_key = { name = \"boxes_pkey\", columns = [\"id\"], renamed_from = \"boxes_pk\" }\nunique = [{ name = \"boxes_code_key\", columns = [\"code\"], renamed_from = \"code_uq\" }]\nchecks = [{ name = \"boxes_weight_check\", expression = \"weight > 0\", renamed_from = \"weight_positive\" }]\nforeign_keys = [{ name = \"boxes_parent_fkey\", columns = [\"parent\"], references = \"boxes(id)\", renamed_from = \"parent_fk\" }]\nindexes = [{ name = \"boxes_weight_idx\", columns = [\"weight\"], renamed_from = \"boxes_w\" }]\n";
    let plan = plan_apply_converge(&db, "plan_rename_parts", toml, &[]);
    for sql in [
        "ALTER TYPE public.state RENAME VALUE 'sent' TO 'shipped';",
        "ALTER INDEX public.boxes_w RENAME TO boxes_weight_idx;",
        "ALTER TABLE public.boxes RENAME CONSTRAINT weight_positive TO boxes_weight_check;",
        "ALTER TABLE public.boxes RENAME CONSTRAINT parent_fk TO boxes_parent_fkey;",
        "ALTER TABLE public.boxes RENAME CONSTRAINT code_uq TO boxes_code_key;",
        "ALTER TABLE public.boxes RENAME CONSTRAINT boxes_pk TO boxes_pkey;",
    ] {
        assert!(plan.contains(sql), "{sql} missing:\n{plan}");
    }
    assert!(!plan.contains("DROP"), "{plan}");
    assert_eq!(
        digest(
            &db,
            "boxes",
            "id, code, weight, state::text <> 'shipped', parent"
        ),
        before
    );
    assert_eq!(
        db.strings("SELECT state::text FROM boxes WHERE id = 1"),
        ["shipped"]
    );
}

/// A `renamed_from` holding quotes and semicolons names a column; it is quoted as an
/// identifier, never spliced into the statement.
#[test]
fn a_hostile_renamed_from_is_quoted_as_an_identifier() {
    let db = TestDb::new("up_rename_hostile");
    db.exec(
        "CREATE TABLE t (id integer PRIMARY KEY, \"a\"\"; DROP TABLE t; --\" text);
         CREATE TABLE keep (id integer);
         INSERT INTO t VALUES (1, 'x'), (2, NULL);",
    );
    let before = digest(&db, "t", "id");
    let toml = "[table.t]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"b\", type = \"text\", renamed_from = \"a\\\"; DROP TABLE t; --\" },\n]\n\n[table.keep]\ncolumns = [{ name = \"id\", type = \"integer\" }]\n";
    let plan = plan_apply_converge(&db, "plan_rename_hostile", toml, &[]);
    assert!(
        plan.contains("RENAME COLUMN \"a\"\"; DROP TABLE t; --\" TO b;"),
        "{plan}"
    );
    assert_eq!(digest(&db, "t", "id"), before);
    assert_eq!(
        db.strings("SELECT string_agg(coalesce(b, '-'), ',' ORDER BY id) FROM t"),
        ["x,-"]
    );
}

/// Every misuse of the keys is a located error; nothing is planned or changed.
#[test]
fn a_bad_renamed_from_is_a_located_error() {
    let db = TestDb::new("up_rename_bad");
    db.exec("CREATE TABLE t (id integer PRIMARY KEY, a text); INSERT INTO t VALUES (1, 'x');");
    let before = db.dump();
    let col = |extra: &str| {
        format!(
            "[table.t]\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n  {{ name = \"b\", type = \"text\"{extra} }},\n]\n"
        )
    };
    for (toml, message, at) in [
        (col(", renamed_from = \"\""), "column renamed_from name is empty", "schema.toml:4:"),
        (col(", renamed_from = \"b\""), "column `b` is renamed from itself", "schema.toml:4:"),
        (col(", renamed_from = \"id\""), "column `b` is renamed from `id`, which is declared too", "schema.toml:4:"),
        (col(", renamed_from = 3"), "renamed_from", "schema.toml:4:"),
        (
            "[table.t]\nrenamed_from = \"a.b.c\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\n".to_string(),
            "table renamed_from `a.b.c` is not a table name",
            "schema.toml:2:",
        ),
        (
            "[table.t]\nrenamed_from = \"t\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\n".to_string(),
            "table public.t is renamed from itself",
            "schema.toml:2:",
        ),
        (
            "[table.t]\ncolumns = [{ name = \"id\", type = \"integer\" }]\n\n[sequence.s]\nrenamed_from = \"old_s\"\n".to_string(),
            "renamed_from",
            "schema.toml:5:",
        ),
        (
            "[enum.e]\nvalues = [\"a\", \"b\"]\nrenamed_values = { c = \"x\" }\n".to_string(),
            "`c` is not a value of enum public.e",
            "schema.toml:3:",
        ),
        (
            "[enum.e]\nvalues = [\"a\", \"b\"]\nrenamed_values = { a = \"b\" }\n".to_string(),
            "enum value `a` is renamed from `b`, which is declared too",
            "schema.toml:3:",
        ),
    ] {
        let dir = schema_dir("up_rename_bad", &toml);
        let r = db.run(&["plan", "--schema", dir.to_str().unwrap()]);
        assert_eq!(r.code, 1, "{toml}\n{}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(message), "{toml}\n{}", r.stderr);
        assert!(r.stderr.contains(at), "not located:\n{toml}\n{}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    assert_eq!(db.dump(), before);
}

/// `tableform fmt` keeps the keys, and the schema means the same after it.
#[test]
fn fmt_keeps_renamed_from() {
    let dir = common::scratch_dir("up_fmt_rename");
    common::write(
        &dir,
        "s.toml",
        "[table.t]\nrenamed_from=\"old_t\"\ncolumns=[{renamed_from=\"m\",name=\"n\",type=\"bigint\"}]\nindexes=[{renamed_from=\"i0\",name=\"i1\",columns=[\"n\"]}]\n\n[enum.e]\nrenamed_values={b=\"a\"}\nvalues=[\"b\"]\n",
    );
    let before = tableform::load::load_dir(&dir).unwrap().schema;
    assert_eq!(before.renames.tables.len(), 1);
    assert_eq!(before.renames.columns.len(), 1);
    assert_eq!(before.renames.indexes.len(), 1);
    assert_eq!(before.renames.enum_values.len(), 1);
    let r = common::run(&["fmt", "--schema", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tidy = std::fs::read_to_string(dir.join("s.toml")).unwrap();
    assert!(tidy.contains("renamed_from = \"old_t\""), "{tidy}");
    assert!(tidy.contains("renamed_from = \"m\""), "{tidy}");
    assert!(tidy.contains("renamed_values = { b = \"a\" }"), "{tidy}");
    let after = tableform::load::load_dir(&dir).unwrap().schema;
    assert_eq!(after.renames, before.renames);
    assert_eq!(after, before);
}

// ---------------------------------------------------------------------------------------------
// Columns that become serial or identity, and serial columns that stop being one
// ---------------------------------------------------------------------------------------------

const TICKETS_BEFORE: &str = "
    CREATE TABLE tickets (id integer PRIMARY KEY, subject text NOT NULL);
    INSERT INTO tickets VALUES (1, 'Printer on fire'), (7, 'VPN down'), (3, 'Ünïcode');";

fn tickets(id: &str) -> String {
    format!(
        "[table.tickets]\ncolumns = [\n  {{ name = \"id\", type = {id}, primary_key = true }},\n  {{ name = \"subject\", type = \"text\", nullable = false }},\n]\n"
    )
}

fn next_id(db: &TestDb) -> String {
    db.strings("INSERT INTO tickets (subject) VALUES ('new') RETURNING id")
        .remove(0)
}

/// An integer column of a table with rows becomes serial: its sequence is created and set
/// past the largest id, so the next row gets max + 1.
#[test]
fn an_integer_column_with_rows_becomes_serial() {
    let db = TestDb::new("up_to_serial");
    db.exec(TICKETS_BEFORE);
    let before = digest(&db, "tickets", "id, subject");
    let plan = plan_apply_converge(&db, "plan_integer_to_serial", &tickets("\"serial\""), &[]);
    assert!(
        plan.contains(
            "CREATE SEQUENCE public.tickets_id_seq AS integer OWNED BY public.tickets.id;"
        ),
        "{plan}"
    );
    assert_eq!(digest(&db, "tickets", "id, subject"), before);
    assert_eq!(next_id(&db), "8");
}

/// An integer column of a table with rows becomes an identity: the identity's sequence is set
/// past the largest id.
#[test]
fn an_integer_column_with_rows_becomes_an_identity() {
    let db = TestDb::new("up_to_identity");
    db.exec(TICKETS_BEFORE);
    let before = digest(&db, "tickets", "id, subject");
    let toml = tickets("\"integer\", identity = \"always\"");
    plan_apply_converge(&db, "plan_integer_to_identity", &toml, &[]);
    assert_eq!(digest(&db, "tickets", "id, subject"), before);
    assert_eq!(next_id(&db), "8");
}

fn sequences(db: &TestDb) -> Vec<String> {
    db.strings(
        "SELECT string_agg(relname::text, ',' ORDER BY relname) FROM pg_class WHERE relkind = 'S'",
    )
}

const SERIAL_TICKETS: &str = "
    CREATE TABLE tickets (id serial PRIMARY KEY, subject text NOT NULL);
    INSERT INTO tickets (subject) VALUES ('Printer on fire'), ('VPN down'), ('Ünïcode');";

/// A serial column declared a plain integer loses its default and its own sequence: nothing is
/// left behind for the next plan to call unmanaged.
#[test]
fn a_serial_column_becoming_integer_drops_its_sequence() {
    let db = TestDb::new("up_serial_to_int");
    db.exec(SERIAL_TICKETS);
    let before = digest(&db, "tickets", "id, subject");
    let plan = plan_apply_converge(&db, "plan_serial_to_integer", &tickets("\"integer\""), &[]);
    assert!(
        plan.contains("DROP SEQUENCE public.tickets_id_seq;"),
        "{plan}"
    );
    assert_eq!(digest(&db, "tickets", "id, subject"), before);
    assert_eq!(sequences(&db), ["NULL"]);
    let again = db.run(&[
        "plan",
        "--schema",
        schema_dir("up_serial_to_int2", &tickets("\"integer\""))
            .to_str()
            .unwrap(),
    ]);
    assert!(!again.stdout.contains("unmanaged"), "{}", again.stdout);
}

/// A serial column becomes an identity: the default and the old sequence go, the identity's
/// sequence continues past the largest id.
#[test]
fn a_serial_column_becomes_an_identity() {
    let db = TestDb::new("up_serial_to_identity");
    db.exec(SERIAL_TICKETS);
    let before = digest(&db, "tickets", "id, subject");
    let toml = tickets("\"integer\", identity = \"by default\"");
    plan_apply_converge(&db, "plan_serial_to_identity", &toml, &[]);
    assert_eq!(digest(&db, "tickets", "id, subject"), before);
    assert_eq!(sequences(&db), ["tickets_id_seq"]);
    assert_eq!(
        db.strings("SELECT attidentity FROM pg_attribute WHERE attrelid = 'tickets'::regclass AND attname = 'id'"),
        ["d"]
    );
    assert_eq!(next_id(&db), "4");
}

/// serial -> bigserial: the column and its sequence become bigint; the sequence keeps its
/// position.
#[test]
fn a_serial_column_becomes_bigserial() {
    let db = TestDb::new("up_serial_to_big");
    db.exec(SERIAL_TICKETS);
    let before = digest(&db, "tickets", "id, subject");
    let plan = plan_apply_converge(
        &db,
        "plan_serial_to_bigserial",
        &tickets("\"bigserial\""),
        &[],
    );
    assert!(
        plan.contains("ALTER SEQUENCE public.tickets_id_seq AS bigint"),
        "{plan}"
    );
    assert_eq!(digest(&db, "tickets", "id, subject"), before);
    assert_eq!(
        db.strings("SELECT format_type(seqtypid, NULL) FROM pg_sequence WHERE seqrelid = 'tickets_id_seq'::regclass"),
        ["bigint"]
    );
    assert_eq!(next_id(&db), "4");
}

/// A saved plan that renames a table and a column and fills the column: apply checks the real
/// catalog's fingerprint, locks and counts the tables under their old names, and fills the NULLs
/// written between plan and apply.
#[test]
fn a_saved_plan_with_renames_applies_and_fills_late_rows() {
    let db = TestDb::new("up_rename_saved");
    db.exec(
        "CREATE TABLE shop (id integer PRIMARY KEY, kind text);
         INSERT INTO shop VALUES (1, NULL), (2, 'online');",
    );
    let toml = "[table.shops]\nrenamed_from = \"shop\"\ncolumns = [\n  { name = \"id\", type = \"integer\" },\n  { name = \"rate_type\", type = \"text\", nullable = false, renamed_from = \"kind\", backfill = \"'shop'\" },\n]\nprimary_key = { name = \"shop_pkey\", columns = [\"id\"] }\n";
    let dir = schema_dir("up_rename_saved", toml);
    let saved = dir.join("plan.json");
    let plan = db.run(&[
        "plan",
        "--schema",
        dir.to_str().unwrap(),
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout.contains("(1 row at plan time"),
        "{}",
        plan.stdout
    );
    let json = std::fs::read_to_string(&saved).unwrap();
    assert!(json.contains("\"rename_table\""), "{json}");
    assert!(json.contains("\"phase\": \"renames\""), "{json}");
    // The facts name the table and column as the database has them until apply renames them.
    assert!(json.contains("\"name\": \"shop\""), "{json}");
    assert!(json.contains("\"kind\""), "{json}");
    db.exec("INSERT INTO shop VALUES (3, NULL)");
    let before = digest(&db, "shop", "id");
    let apply = db.run(&["apply", saved.to_str().unwrap()]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(digest(&db, "shops", "id"), before);
    assert_eq!(
        db.strings("SELECT rate_type FROM shops ORDER BY id"),
        ["shop", "online", "shop"]
    );
    assert!(not_null(&db, "shops", "rate_type"));
}

/// A verdict that rests on a renamed table being empty holds at apply too: apply asks about the
/// table by its old name and judges by its new one.
#[test]
fn a_renamed_empty_table_gets_a_not_null_column() {
    let db = TestDb::new("up_rename_empty");
    db.exec("CREATE TABLE a (id integer PRIMARY KEY);");
    let toml = "[table.b]\nrenamed_from = \"a\"\ncolumns = [\n  { name = \"id\", type = \"integer\" },\n  { name = \"c\", type = \"text\", nullable = false },\n]\nprimary_key = { name = \"a_pkey\", columns = [\"id\"] }\n";
    let dir = schema_dir("up_rename_empty", toml);
    let r = db.run(&["apply", "--schema", dir.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("the table is empty"), "{}", r.stdout);
    assert!(not_null(&db, "b", "c"));
}

/// `renamed_from = "schema.name"` moves a table into another schema, created first when it is
/// new; its rows stay.
#[test]
fn renamed_from_moves_a_table_into_a_new_schema() {
    let db = TestDb::new("up_rename_schema");
    db.exec(
        "CREATE TABLE people (id integer PRIMARY KEY, name text);
         INSERT INTO people VALUES (1, 'Ada'), (2, NULL);",
    );
    let before = digest(&db, "people", "id, name");
    let toml = "[settings]\nschemas = [\"public\", \"crm\"]\n\n[table.contacts]\nschema = \"crm\"\nrenamed_from = \"public.people\"\ncolumns = [\n  { name = \"id\", type = \"integer\" },\n  { name = \"name\", type = \"text\" },\n]\nprimary_key = { name = \"people_pkey\", columns = [\"id\"] }\n";
    let plan = plan_apply_converge(&db, "plan_rename_table_schema", toml, &[]);
    assert!(
        plan.contains("ALTER TABLE public.contacts SET SCHEMA crm;"),
        "{plan}"
    );
    assert_eq!(digest(&db, "crm.contacts", "id, name"), before);
}
