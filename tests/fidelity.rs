//! What tableform does not model is reported, never silently dropped: objects of other kinds in
//! the managed schemas, how much an index about to be dropped was used, and a database with no
//! table at all round-trips like any other.

mod common;

use common::{TestDb, schema_dir, scratch_dir};

/// Operators, collations and aggregates (views, functions, extensions, domains and composite
/// types are modelled now) are
/// listed by plan, drift (text and JSON) and kept by `--prune`; the plan changes nothing of theirs.
#[test]
fn plan_and_drift_list_the_kinds_tableform_does_not_model() {
    let db = TestDb::new("notmanaged");
    db.exec(
        "CREATE TABLE users (id integer PRIMARY KEY);
         CREATE OPERATOR === (LEFTARG = integer, RIGHTARG = integer, FUNCTION = int4eq);
         CREATE AGGREGATE total(integer) (SFUNC = int4pl, STYPE = integer);
         CREATE SCHEMA reports;
         CREATE COLLATION reports.plain (locale = 'C');",
    );
    let before = db.dump();
    let dir = schema_dir(
        "notmanaged",
        "[settings]\nschemas = [\"public\", \"reports\"]\n\n[table.users]\ncolumns = [{ name = \"id\", type = \"integer\", primary_key = true }]\n",
    );
    let dir = dir.to_str().unwrap();
    let plan = db.run(&["plan", "--schema", dir, "--prune"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let drift = db.run(&["drift", "--schema", dir]);
    assert_eq!(drift.code, 0, "not managed is not drift: {}", drift.stdout);
    let json = db.run(&["drift", "--schema", dir, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        doc["not_managed"],
        serde_json::json!([
            { "schema": "public", "holds": ["1 aggregate", "1 operator"] },
            { "schema": "reports", "holds": ["1 collation"] },
        ])
    );
    let apply = db.run(&["apply", "--schema", dir, "--prune", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(
        db.dump(),
        before,
        "apply --prune touched what it does not manage"
    );
    insta::assert_snapshot!(
        "not_managed",
        db.scrub(&format!("{}\n---\n{}", plan.stdout, drift.stdout))
    );
}

/// Dropping an undeclared index says how often it was used, from `pg_stat_user_indexes`.
#[test]
fn dropping_an_index_says_how_often_it_was_used() {
    let db = TestDb::new("idxscan");
    db.exec(
        "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);
         INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 100) g;
         CREATE INDEX users_email_idx ON users (email);",
    );
    // Three scans of the index, flushed to the shared statistics by ending the session.
    {
        let s = TestDb::attach(&db);
        s.exec(
            "SET enable_seqscan = off; SET enable_bitmapscan = off;
             SELECT id FROM users WHERE email = 'u1';
             SELECT id FROM users WHERE email = 'u2';
             SELECT id FROM users WHERE email = 'u3';",
        );
    }
    common::wait_for(
        &db,
        "SELECT idx_scan = 3 FROM pg_stat_user_indexes WHERE indexrelname = 'users_email_idx'",
        "the index statistics",
    );
    let dir = schema_dir(
        "idxscan",
        "[table.users]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"email\", type = \"text\", nullable = false },\n]\n",
    );
    let plan = db.run(&["plan", "--schema", dir.to_str().unwrap()]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    assert!(
        plan.stdout
            .contains("note: the index was used 3 times since the statistics were last reset"),
        "{}",
        plan.stdout
    );
}

/// A database without tables imports into a folder that loads, plans empty against it, and
/// applies to another empty database unchanged.
#[test]
fn an_empty_database_round_trips_through_import() {
    let db = TestDb::new("emptyimport");
    let out = scratch_dir("emptyimport");
    let r = db.run(&["import", "--out", out.to_str().unwrap(), "--force"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["_settings.toml"]);
    insta::assert_snapshot!(
        "empty_import_settings",
        std::fs::read_to_string(out.join("_settings.toml")).unwrap()
    );
    let plan = db.run(&[
        "plan",
        "--schema",
        out.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let fresh = TestDb::new("emptyfresh");
    let before = fresh.dump();
    let apply = fresh.run(&["apply", "--schema", out.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(fresh.dump(), before);
    let fmt = common::run(&["fmt", "--schema", out.to_str().unwrap(), "--check"]);
    assert_eq!(fmt.code, 0, "{}{}", fmt.stdout, fmt.stderr);
}

/// A typed literal default keeps its cast through import when PostgreSQL would store the
/// shorter spelling differently (`'0'::double precision` is not the integer `0`), and loses it
/// when it would not (`'x'::character varying` on a varchar column): applied to an empty
/// database, the imported declaration gives the same `pg_dump`.
#[test]
fn typed_literal_defaults_import_so_that_pg_dump_is_unchanged() {
    let db = TestDb::new("literals");
    db.exec(
        "CREATE TABLE t (
            a double precision DEFAULT 0, b double precision DEFAULT '0'::double precision,
            c numeric DEFAULT 1.5, d bigint DEFAULT -1, e real DEFAULT '1.5'::real,
            f numeric DEFAULT '2', g varchar(10) DEFAULT 'x', h text DEFAULT 'it''s',
            i integer DEFAULT -1, j numeric(10,2) DEFAULT -0.5,
            k timestamp DEFAULT '2020-01-02 03:04:05', l integer[] DEFAULT '{1,2}'
         )",
    );
    let out = scratch_dir("literals");
    let r = db.run(&["import", "--out", out.to_str().unwrap(), "--force"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!(
        "typed_literal_defaults",
        std::fs::read_to_string(out.join("t.toml")).unwrap()
    );
    let fresh = TestDb::new("literalsfresh");
    let apply = fresh.run(&["apply", "--schema", out.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(
        fresh.dump().replace(&fresh.name, "DB"),
        db.dump().replace(&db.name, "DB")
    );
}

/// The self-check: an index holding an operator-class parameter the model does not carry
/// (`siglen`) is reported by plan and drift with both definitions, and a plan that would rebuild
/// it from the declaration (losing the parameter) is refused.
#[test]
fn the_self_check_reports_what_the_model_does_not_carry() {
    let db = TestDb::new("selfcheck");
    db.exec(
        "CREATE TABLE docs (id integer PRIMARY KEY, body tsvector);
         CREATE INDEX docs_body_idx ON docs USING gist (body tsvector_ops (siglen = 100));",
    );
    let before = db.dump();
    let dir = schema_dir(
        "selfcheck",
        r#"
[table.docs]
columns = [
  { name = "id",   type = "integer", primary_key = true },
  { name = "body", type = "tsvector" },
]
indexes = [{ name = "docs_body_idx", columns = ["body"], method = "gist" }]
"#,
    );
    let dir = dir.to_str().unwrap();
    // The declaration cannot say `siglen`: the index is as declared in all it can say, and the
    // plan notes what it cannot; nothing is rebuilt.
    let plan = db.run(&["plan", "--schema", dir]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let drift = db.run(&["drift", "--schema", dir, "--format", "json"]);
    assert_eq!(drift.code, 0, "not carried is not drift: {}", drift.stdout);
    let doc: serde_json::Value = serde_json::from_str(&drift.stdout).unwrap();
    assert_eq!(
        doc["not_carried"][0]["object"],
        "index public.docs_body_idx"
    );
    assert!(
        doc["not_carried"][0]["live"]
            .as_str()
            .unwrap()
            .contains("siglen='100'"),
        "{}",
        drift.stdout
    );
    let apply = db.run(&["apply", "--schema", dir, "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(db.dump(), before, "the index was rewritten");
    // Undeclared, the index would be dropped: a drop of what the model cannot rebuild is
    // refused.
    let bare = schema_dir(
        "selfcheck-bare",
        "[table.docs]\ncolumns = [\n  { name = \"id\", type = \"integer\", primary_key = true },\n  { name = \"body\", type = \"tsvector\" },\n]\n",
    );
    let refused = db.run(&[
        "apply",
        "--schema",
        bare.to_str().unwrap(),
        "--auto-approve",
    ]);
    assert_eq!(refused.code, 3, "{}{}", refused.stdout, refused.stderr);
    assert_eq!(db.dump(), before, "the index was dropped");
    insta::assert_snapshot!("self_check", db.scrub(&plan.stdout));
}

/// The self-check rebuilds each shape of index once and compares that one answer with every
/// live index of the shape: among three indexes the model spells alike, the two that hold an
/// operator-class parameter are reported (the first table's, whose copy the shape is rebuilt on,
/// and the last one's), each under its own name, and the one without is not.
#[test]
fn the_self_check_judges_every_object_of_a_shared_shape() {
    let db = TestDb::new("selfcheckshape");
    db.exec(
        "CREATE TABLE a (id integer PRIMARY KEY, body tsvector);
         CREATE INDEX a_body_idx ON a USING gist (body tsvector_ops (siglen = 100));
         CREATE TABLE b (id integer PRIMARY KEY, body tsvector);
         CREATE INDEX b_body_idx ON b USING gist (body);
         CREATE TABLE c (id integer PRIMARY KEY, body tsvector);
         CREATE INDEX c_body_idx ON c USING gist (body tsvector_ops (siglen = 200));",
    );
    let mut toml = String::new();
    for t in ["a", "b", "c"] {
        toml.push_str(&format!(
            "[table.{t}]\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n  {{ name = \"body\", type = \"tsvector\" }},\n]\nindexes = [{{ name = \"{t}_body_idx\", columns = [\"body\"], method = \"gist\" }}]\n"
        ));
    }
    let dir = schema_dir("selfcheckshape", &toml);
    let drift = db.run(&[
        "drift",
        "--schema",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
    let doc: serde_json::Value = serde_json::from_str(&drift.stdout).unwrap();
    let found: Vec<(String, String, String)> = doc["not_carried"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["object"].as_str().unwrap().to_string(),
                n["live"].as_str().unwrap().to_string(),
                n["modelled"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), 2, "{}", drift.stdout);
    assert_eq!(found[0].0, "index public.a_body_idx");
    assert!(found[0].1.contains("siglen='100'"), "{}", drift.stdout);
    assert_eq!(found[1].0, "index public.c_body_idx");
    assert!(found[1].1.contains("siglen='200'"), "{}", drift.stdout);
    // The rebuilt spelling is shown under each live index's own name and table.
    assert!(
        found[1]
            .2
            .starts_with("CREATE INDEX c_body_idx ON c USING gist (body"),
        "{}",
        drift.stdout
    );
    assert!(!found[1].2.contains("siglen"), "{}", drift.stdout);
}

/// `--strict` turns every note (not managed, not carried, not checked) into an error for plan,
/// drift and apply: exit 1, nothing saved, nothing changed; without anything to note it changes nothing.
#[test]
fn strict_turns_the_notes_into_errors() {
    let db = TestDb::new("strict");
    db.exec(
        "CREATE TABLE users (id integer PRIMARY KEY, body tsvector);
         CREATE COLLATION plain (locale = 'C');",
    );
    let before = db.dump();
    let dir = schema_dir(
        "strict",
        r#"
[table.users]
columns = [
  { name = "id",   type = "integer", primary_key = true },
  { name = "body", type = "tsvector" },
  { name = "name", type = "text" },
]
"#,
    );
    let dir = dir.to_str().unwrap();
    let out = scratch_dir("strict-out").join("plan.json");
    let out = out.to_str().unwrap();
    let plan = db.run(&["plan", "--schema", dir, "--strict", "--out", out]);
    assert_eq!(plan.code, 1, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.is_empty(), "{}", plan.stdout);
    assert!(!std::path::Path::new(out).exists(), "a plan was saved");
    let drift = db.run(&["drift", "--schema", dir, "--strict"]);
    assert_eq!(drift.code, 1, "{}{}", drift.stdout, drift.stderr);
    let apply = db.run(&["apply", "--schema", dir, "--strict", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(db.dump(), before, "apply --strict changed the database");
    // A saved plan carries its notes: `apply FILE --strict` refuses it too.
    let saved = scratch_dir("strict-saved").join("plan.json");
    let saved = saved.to_str().unwrap();
    let made = db.run(&["plan", "--schema", dir, "--out", saved]);
    assert_eq!(made.code, 0, "{}{}", made.stdout, made.stderr);
    let applied = db.run(&["apply", saved, "--strict"]);
    assert_eq!(applied.code, 1, "{}{}", applied.stdout, applied.stderr);
    assert!(
        applied.stderr.contains("nothing was changed"),
        "{}",
        applied.stderr
    );
    assert_eq!(
        db.dump(),
        before,
        "apply FILE --strict changed the database"
    );
    // Without --strict the same plan is a note and the column is added.
    let relaxed = db.run(&["apply", "--schema", dir, "--auto-approve"]);
    assert_eq!(relaxed.code, 0, "{}{}", relaxed.stdout, relaxed.stderr);
    db.exec("DROP COLLATION plain;");
    let clean = db.run(&["drift", "--schema", dir, "--strict"]);
    assert_eq!(
        clean.code, 0,
        "nothing to note: {}{}",
        clean.stdout, clean.stderr
    );
    insta::assert_snapshot!(
        "strict",
        db.scrub(&format!(
            "{}---\n{}---\n{}",
            plan.stderr, drift.stderr, apply.stderr
        ))
    );
}

/// Table and column properties the model does not carry (replica identity, STORAGE, STATISTICS,
/// per-column options) are listed by import, plan and drift, never silently
/// dropped; `--strict` makes them errors; nothing is changed to "fix" them. The ones it carries
/// (UNLOGGED, storage parameters, row level security, generated columns) are imported.
#[test]
fn table_and_column_properties_the_model_does_not_carry_are_reported() {
    let db = TestDb::new("props");
    db.exec(
        "CREATE UNLOGGED TABLE logs (id integer PRIMARY KEY, body text) WITH (fillfactor = 70);
         ALTER TABLE logs ALTER COLUMN body SET STORAGE EXTERNAL;
         ALTER TABLE logs ALTER COLUMN body SET STATISTICS 500;
         ALTER TABLE logs ALTER COLUMN id SET (n_distinct = 100);
         ALTER TABLE logs ENABLE ROW LEVEL SECURITY;
         ALTER TABLE logs REPLICA IDENTITY FULL;
         CREATE TABLE totals (a integer, b integer GENERATED ALWAYS AS (a * 2) STORED);",
    );
    let before = db.dump();
    let out = scratch_dir("props").join("schema");
    let out = out.to_str().unwrap();
    let import = db.run(&["import", "--out", out]);
    assert_eq!(import.code, 0, "{}{}", import.stdout, import.stderr);
    let written: String = (std::fs::read_dir(out).unwrap())
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        written.contains("unlogged = true")
            && written.contains("with = { fillfactor = 70 }")
            && written.contains("row_level_security = true")
            && written.contains("generated = \"a * 2\""),
        "UNLOGGED, the storage parameters, row level security and generated columns are imported:\n{written}"
    );
    let plan = db.run(&["plan", "--schema", out]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let drift = db.run(&["drift", "--schema", out, "--format", "json"]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
    let doc: serde_json::Value = serde_json::from_str(&drift.stdout).unwrap();
    let objects: Vec<&str> = (doc["not_carried"].as_array().unwrap().iter())
        .map(|n| n["object"].as_str().unwrap())
        .collect();
    assert_eq!(
        objects,
        [
            "table public.logs",
            "column id of public.logs",
            "column body of public.logs",
        ]
    );
    let strict = db.run(&["drift", "--schema", out, "--strict"]);
    assert_eq!(strict.code, 1, "{}{}", strict.stdout, strict.stderr);
    let apply = db.run(&["apply", "--schema", out, "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(
        db.dump(),
        before,
        "apply changed what the model does not carry"
    );
    insta::assert_snapshot!(
        "properties_not_carried",
        db.scrub(&format!("{}---\n{}", import.stdout, plan.stdout))
            .replace(out, "OUT")
    );
}

/// The self-check compares its rebuilds with the live spellings the catalog read carried, in
/// the catalog's snapshot; given none (a caller whose read did not ask for them), it reads them
/// itself and judges the same. A plain read (apply's re-check) carries none.
#[test]
fn the_self_check_judges_alike_with_the_catalogs_spellings_and_without() {
    use tableform::inspect::{self, LiveSpellings, Target, selfcheck};
    let db = TestDb::new("selfcheckspelled");
    db.exec(
        "CREATE TABLE docs (id integer PRIMARY KEY, body tsvector, code text,
                            CONSTRAINT docs_code_key UNIQUE (code) WITH (fillfactor = 70));
         CREATE INDEX docs_body_idx ON docs USING gist (body tsvector_ops (siglen = 100));
         CREATE INDEX docs_code_idx ON docs (lower(code));",
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let env = |_: &str| None;
    let target = Target::resolve(Some(&db.url), &env).unwrap();
    let schemas = ["public".to_string()].into();
    let (with, without, plain) = rt.block_on(async {
        let mut client = target.connect().await.unwrap();
        let live = inspect::inspect_spelled(&client, &schemas).await.unwrap();
        assert_eq!(live.spellings.indexes.len(), 2, "{:?}", live.spellings);
        assert_eq!(live.spellings.constraints.len(), 2, "{:?}", live.spellings);
        let with = selfcheck::run(&mut client, &live.schema, &live.spellings)
            .await
            .unwrap();
        let without = selfcheck::run(&mut client, &live.schema, &LiveSpellings::default())
            .await
            .unwrap();
        let plain = inspect::inspect(&client, &schemas).await.unwrap();
        (with, without, plain)
    });
    let found = |c: &selfcheck::SelfCheck| -> Vec<String> {
        (c.not_carried.iter())
            .map(|n| format!("{}: {} / {}", n.object, n.live, n.modelled))
            .collect()
    };
    assert_eq!(found(&with).len(), 1, "{:?}", found(&with));
    assert!(
        found(&with)[0].contains("siglen='100'"),
        "{:?}",
        found(&with)
    );
    assert_eq!(found(&with), found(&without));
    // Reading the live spellings back took two more round trips.
    assert_eq!(without.queries, with.queries + 2);
    assert!(plain.spellings.indexes.is_empty() && plain.spellings.constraints.is_empty());
}
