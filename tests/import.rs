//! `tableform import` (issue: adopt an existing database): the round trip must hold. Importing
//! a database and planning the result against it finds nothing to do; applying the result to an
//! empty database rebuilds the same catalog.

mod common;

use std::path::Path;

use common::{TestDb, fixture, run, scratch_dir};

fn import_live(db: &TestDb, out: &Path) -> common::Run {
    db.run(&["import", "--out", out.to_str().unwrap()])
}

/// `import --from-sql FILE`, with the test server as the scratch server (`--dev-url`).
fn import_sql(sql: &Path, out: &Path, extra: &[&str]) -> common::Run {
    let base = common::base_url();
    let mut args = vec![
        "import",
        "--from-sql",
        sql.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--dev-url",
        &base,
    ];
    args.extend(extra);
    run(&args)
}

/// The scratch databases the import process `pid` left on the test server.
fn scratch_databases(db: &TestDb, pid: u32) -> Vec<String> {
    db.strings(&format!(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'tableform\\_scratch\\_{pid}\\_%'"
    ))
}

/// Imports `db`, then checks both directions of the round trip.
fn round_trip(db: &TestDb, tag: &str) -> String {
    round_trip_into(db, tag).0
}

/// [`round_trip`], also giving the folder the declaration was imported into.
fn round_trip_into(db: &TestDb, tag: &str) -> (String, std::path::PathBuf) {
    let out = scratch_dir(tag).join("schema");
    let r = import_live(db, &out);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let plan = db.run(&[
        "plan",
        "--schema",
        out.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(
        plan.code, 0,
        "the imported declaration plans changes against its own database:\n{}{}",
        plan.stdout, plan.stderr
    );
    let fresh = TestDb::new(&format!("{tag}fresh"));
    let apply = fresh.run(&["apply", "--schema", out.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert_eq!(
        fresh.dump().replace(&fresh.name, "DB"),
        db.dump().replace(&db.name, "DB"),
        "the rebuilt catalog differs"
    );
    (r.stdout, out)
}

#[test]
fn the_reference_schema_round_trips_through_import() {
    let db = TestDb::new("impref");
    db.exec(&fixture("shopping_points_v0_2.sql"));
    let out = round_trip(&db, "impref");
    assert!(
        out.starts_with("Imported 17 tables, 0 enum types and 0 sequences into "),
        "{out}"
    );
}

#[test]
fn the_imported_reference_reads_like_the_hand_written_schema() {
    let db = TestDb::new("impread");
    db.exec(&fixture("shopping_points_v0_2.sql"));
    let out = scratch_dir("impread").join("schema");
    assert_eq!(import_live(&db, &out).code, 0);
    let users = std::fs::read_to_string(out.join("users.toml")).unwrap();
    insta::assert_snapshot!("imported_users_toml", users);
    let jobs = std::fs::read_to_string(out.join("scheduled_jobs.toml")).unwrap();
    insta::assert_snapshot!("imported_scheduled_jobs_toml", jobs);
}

#[test]
fn the_older_production_database_round_trips() {
    let db = TestDb::new("impold");
    db.exec(&fixture("older_production.sql"));
    let out = round_trip(&db, "impold");
    assert!(out.starts_with("Imported 7 tables"), "{out}");
}

/// Extensions, functions (overloads, SETOF and TABLE results, defaults, SET, comments),
/// procedures and triggers (WHEN, UPDATE OF, arguments, disabled) are imported, live and from
/// SQL, and round-trip: an empty plan against the source, an identical catalog when applied to
/// an empty database.
const ROUTINES_SQL: &str = r#"
CREATE EXTENSION citext;
COMMENT ON EXTENSION citext IS 'emails';
CREATE TABLE accounts (id bigint PRIMARY KEY, email citext NOT NULL, total numeric(12,2) NOT NULL DEFAULT 0,
                       updated_at timestamptz NOT NULL DEFAULT now());
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
BEGIN
  NEW.updated_at := now();  -- 'quoted' and $1
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION touch() IS 'sets updated_at';
CREATE FUNCTION fmt(amount numeric) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$SELECT to_char(amount, 'FM990D00')$$;
CREATE FUNCTION fmt(amount numeric, currency text) RETURNS text LANGUAGE sql IMMUTABLE AS $$SELECT fmt(amount) || ' ' || currency$$;
CREATE FUNCTION big(min_total numeric, max_rows integer DEFAULT 10) RETURNS TABLE (id bigint, total numeric)
  LANGUAGE sql STABLE SECURITY DEFINER ROWS 20 COST 50 AS $$SELECT id, total FROM accounts WHERE total >= min_total LIMIT max_rows$$;
CREATE FUNCTION ids() RETURNS SETOF bigint LANGUAGE sql AS 'SELECT id FROM accounts';
CREATE PROCEDURE reset_totals(IN older interval DEFAULT interval '30 days') LANGUAGE plpgsql AS $$BEGIN UPDATE accounts SET total = 0 WHERE updated_at < now() - older; END$$;
CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION touch();
CREATE TRIGGER accounts_total AFTER INSERT OR UPDATE OF total ON accounts FOR EACH ROW EXECUTE FUNCTION touch('a', 'b''c');
ALTER TABLE accounts DISABLE TRIGGER accounts_total;
COMMENT ON TRIGGER accounts_touch ON accounts IS 'keeps updated_at current';
"#;

#[test]
fn extensions_functions_procedures_and_triggers_round_trip_through_import() {
    let db = TestDb::new("improutines");
    db.exec(ROUTINES_SQL);
    let stdout = round_trip(&db, "improutines");
    assert!(!stdout.contains("Not managed"), "{stdout}");
    let out = scratch_dir("improutines2").join("schema");
    assert_eq!(import_live(&db, &out).code, 0);
    let functions = std::fs::read_to_string(out.join("_functions.toml")).unwrap();
    assert!(functions.contains("[[function.fmt]]"), "{functions}");
    assert!(
        functions.contains("[procedure.reset_totals]"),
        "{functions}"
    );
    let accounts = std::fs::read_to_string(out.join("accounts.toml")).unwrap();
    assert!(
        accounts.contains("[[table.accounts.triggers]]"),
        "{accounts}"
    );
    // From SQL: the same declaration plans nothing against the database.
    let sql = scratch_dir("improutinessql").join("schema.sql");
    std::fs::write(&sql, ROUTINES_SQL).unwrap();
    let from_sql = scratch_dir("improutinessql").join("schema");
    let r = import_sql(&sql, &from_sql, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let plan = db.run(&[
        "plan",
        "--schema",
        from_sql.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}

#[test]
fn what_the_model_does_not_manage_is_counted_not_dropped() {
    let db = TestDb::new("impextra");
    db.exec(&fixture("older_production.sql"));
    db.exec(
        "CREATE VIEW active_users AS SELECT * FROM users;
         CREATE VIEW admins AS SELECT * FROM users WHERE role = 'admin';
         CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1';
         CREATE AGGREGATE total(integer) (SFUNC = int4pl, STYPE = integer);",
    );
    let out = scratch_dir("impextra").join("schema");
    let r = import_live(&db, &out);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("Not managed (left out of the declaration): 1 aggregate."),
        "{}",
        r.stdout
    );
    let plan = db.run(&[
        "plan",
        "--schema",
        out.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.code, 0, "{}", plan.stdout);
}

/// For every diff case with a current state: load it, import it with `import` (into the given
/// directory), and require that a plan of the result against the same database is empty.
///
/// The cases in `reloaded` are those whose database PostgreSQL itself does not rebuild exactly
/// from its own `pg_dump` (it stores some expressions differently when it reads back its own
/// spelling of them). For them the test proves that this is so (the restored database dumps
/// differently), and requires the plan against the restored database to be empty instead.
fn every_case_round_trips(reloaded: &[&str], import: impl Fn(&TestDb, &Path) -> common::Run) {
    let root = common::root().join("tests/diff_cases");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    dirs.sort();
    let mut failures = Vec::new();
    for dir in dirs {
        let current = std::fs::read_to_string(dir.join("current.sql")).unwrap_or_default();
        if current.trim().is_empty() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let db = TestDb::new("impcase");
        db.exec(&current);
        let work = scratch_dir("impcase");
        let r = import(&db, &work);
        if r.code != 0 {
            failures.push(format!("{name}: import failed: {}{}", r.stdout, r.stderr));
            continue;
        }
        let out = work.join("schema");
        let restored;
        let against = if reloaded.contains(&name.as_str()) {
            restored = TestDb::new("impcaserestored");
            restored.exec(&db.dump());
            // pg_dump does not write extension versions: they count too.
            let versions = "SELECT extname || ' ' || extversion FROM pg_extension ORDER BY 1";
            if restored.dump().replace(&restored.name, "DB") == db.dump().replace(&db.name, "DB")
                && restored.strings(versions) == db.strings(versions)
            {
                failures.push(format!(
                    "{name}: PostgreSQL now restores this case exactly from its dump: take it off the list"
                ));
            }
            &restored
        } else {
            &db
        };
        let plan = against.run(&[
            "plan",
            "--schema",
            out.to_str().unwrap(),
            "--detailed-exitcode",
        ]);
        if plan.code != 0 {
            failures.push(format!(
                "{name}: plan after import exited {}:\n{}{}",
                plan.code, plan.stdout, plan.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_diff_case_round_trips_through_import() {
    every_case_round_trips(&[], |db, work| import_live(db, &work.join("schema")));
}

#[test]
fn a_pg_dump_of_the_reference_round_trips_through_the_sql_importer() {
    let db = TestDb::new("impsql");
    db.exec(&fixture("shopping_points_v0_2.sql"));
    let dir = scratch_dir("impsql");
    let dump = dir.join("dump.sql");
    std::fs::write(&dump, db.dump()).unwrap();
    let out = dir.join("schema");
    let r = import_sql(&dump, &out, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("Imported 17 tables"), "{}", r.stdout);
    let plan = db.run(&[
        "plan",
        "--schema",
        out.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    let fresh = TestDb::new("impsqlfresh");
    assert_eq!(
        fresh
            .run(&["apply", "--schema", out.to_str().unwrap(), "--auto-approve"])
            .code,
        0
    );
    assert_eq!(
        fresh.dump().replace(&fresh.name, "DB"),
        db.dump().replace(&db.name, "DB")
    );
}

#[test]
fn a_pg_dump_of_the_older_production_database_round_trips_through_the_sql_importer() {
    let db = TestDb::new("impsqlold");
    db.exec(&fixture("older_production.sql"));
    let dir = scratch_dir("impsqlold");
    let dump = dir.join("dump.sql");
    std::fs::write(&dump, db.dump()).unwrap();
    let out = dir.join("schema");
    let r = import_sql(&dump, &out, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let plan = db.run(&[
        "plan",
        "--schema",
        out.to_str().unwrap(),
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}

/// What the file holds that tableform does not manage is reported as the live import reports
/// it (the server ran the file, the inspector counted it); `--strict` refuses it and writes
/// nothing.
#[test]
fn objects_not_managed_are_counted_and_strict_refuses_them() {
    let dir = scratch_dir("impskip");
    let sql = dir.join("schema.sql");
    std::fs::write(
        &sql,
        "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n\
         CREATE VIEW v AS SELECT 1;\n\
         \n\
         CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n\
         CREATE AGGREGATE total(integer) (SFUNC = int4pl, STYPE = integer);\n",
    )
    .unwrap();
    let out = dir.join("schema");
    let r = import_sql(&sql, &out, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("Not managed (left out of the declaration): 1 aggregate."),
        "{}",
        r.stdout
    );
    assert!(out.join("users.toml").exists());
    // Functions are imported now.
    assert!(out.join("_functions.toml").exists());
    let strict_out = dir.join("strict");
    let r = import_sql(&sql, &strict_out, &["--strict"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("1 aggregate"), "{}", r.stderr);
    assert!(r.stderr.contains("--strict"), "{}", r.stderr);
    assert!(!strict_out.exists(), "--strict wrote files");
}

/// The meta-commands pg_dump writes (`\restrict`, `\unrestrict`) and its `SET` and
/// `set_config` lines are taken as psql takes them; an error in the file is reported at its
/// line and column with the server's message, and the scratch database is dropped.
#[test]
fn a_pg_dump_with_meta_commands_imports_and_errors_point_into_the_file() {
    let db = TestDb::new("impmeta");
    let dir = scratch_dir("impmeta");
    let sql = dir.join("dump.sql");
    std::fs::write(
        &sql,
        "\\restrict k3y\n\
         SET statement_timeout = 0;\n\
         SELECT pg_catalog.set_config('search_path', '', false);\n\
         CREATE TABLE public.t (\n    id integer NOT NULL,\n    note text DEFAULT 'a;b'\n);\n\
         COMMENT ON TABLE public.t IS 'first line\n\\second line';\n\
         \\unrestrict k3y\n",
    )
    .unwrap();
    let out = dir.join("schema");
    let r = import_sql(&sql, &out, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let t = std::fs::read_to_string(out.join("t.toml")).unwrap();
    assert!(t.contains("first line\\n\\\\second line"), "{t}");
    assert!(t.contains("default = \"'a;b'\""), "{t}");

    // An owner or grantee the scratch server lacks: skipped, and said so with its line.
    std::fs::write(
        &sql,
        "CREATE TABLE t (id int);\nALTER TABLE public.t OWNER TO tf_nobody_here;\n\
         GRANT SELECT ON t TO tf_nobody_here;\n",
    )
    .unwrap();
    let r = import_sql(&sql, &dir.join("owned"), &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "{}:2: ALTER TABLE skipped (role \"tf_nobody_here\" does not exist",
            sql.display()
        )) && r
            .stdout
            .contains(&format!("{}:3: GRANT SELECT skipped", sql.display())),
        "{}",
        r.stdout
    );

    std::fs::write(
        &sql,
        "CREATE TABLE a (id int);\n\n  CREATE TABLE b (x integer, y nosuchtype);\n",
    )
    .unwrap();
    let r = import_sql(&sql, &dir.join("bad"), &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "{}:3:32: type \"nosuchtype\" does not exist",
            sql.display()
        )),
        "{}",
        r.stderr
    );
    assert!(!dir.join("bad").exists());

    std::fs::write(&sql, "CREATE TABLE a (id int);\n\\connect other\n").unwrap();
    let r = import_sql(&sql, &dir.join("bad"), &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(&format!(
            "{}:2:1: psql's \\connect switches to another database",
            sql.display()
        )),
        "{}",
        r.stderr
    );
    std::fs::write(&sql, "CREATE TABLE a (id int);\nCREATE DATABASE other;\n").unwrap();
    let r = import_sql(&sql, &dir.join("bad"), &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(&format!(
            "{}:2:1: CREATE DATABASE acts on the whole server",
            sql.display()
        )),
        "{}",
        r.stderr
    );
    std::fs::write(&sql, "CREATE TABLE a (id int);\nSELECT 'open;\n").unwrap();
    let r = import_sql(&sql, &dir.join("bad"), &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(&format!("{}:2:", sql.display())),
        "{}",
        r.stderr
    );
    // A statement the server refuses: the scratch database is dropped all the same.
    std::fs::write(&sql, "CREATE TABLE a (id int);\nCREATE TABLE a (id int);\n").unwrap();
    let child = common::spawn(
        &db,
        &[
            "import",
            "--from-sql",
            sql.to_str().unwrap(),
            "--out",
            dir.join("bad").to_str().unwrap(),
        ],
    );
    let pid = child.id();
    let r = common::finish(child);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(&format!(
            "{}:2:1: relation \"a\" already exists",
            sql.display()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(scratch_databases(&db, pid), Vec::<String>::new());
}

/// Without a server for the scratch database, or with a role that may not create one, the
/// error names both ways to give one.
#[test]
fn the_sql_import_says_how_to_give_it_a_server() {
    let dir = scratch_dir("impnoserver");
    let sql = dir.join("schema.sql");
    std::fs::write(&sql, "CREATE TABLE t (id int);\n").unwrap();
    let out = dir.join("schema");
    let r = run(&[
        "import",
        "--from-sql",
        sql.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--dev-url"), "{}", r.stderr);
    assert!(r.stderr.contains("--database-url"), "{}", r.stderr);
    assert!(!out.exists());

    let db = TestDb::new("impnocreatedb");
    let role = format!("tf_nocreatedb_{}", db.name.rsplit('_').next().unwrap());
    db.exec(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'nc-secret' NOCREATEDB"
    ));
    let r = run(&[
        "import",
        "--from-sql",
        sql.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--database-url",
        &db.url_as(&role, "nc-secret"),
    ]);
    db.exec(&format!("DROP ROLE {role}"));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(&format!("the role \"{role}\""))
            && r.stderr.contains("may not create databases"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--dev-url"), "{}", r.stderr);
    assert!(!r.stderr.contains("nc-secret"), "{}", r.stderr);

    // A role that may: the database connection's server is used.
    let r = db.run(&[
        "import",
        "--from-sql",
        sql.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(out.join("t.toml").exists());
}

/// Interrupted while the file runs, import drops its scratch database and writes nothing.
#[test]
fn an_interrupted_sql_import_drops_its_scratch_database() {
    let db = TestDb::new("impint");
    let dir = scratch_dir("impint");
    let sql = dir.join("slow.sql");
    std::fs::write(&sql, "CREATE TABLE t (id int);\nSELECT pg_sleep(60);\n").unwrap();
    let out = dir.join("schema");
    let child = common::spawn(
        &db,
        &[
            "import",
            "--from-sql",
            sql.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    common::wait_for(
        &db,
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%'",
        "the file to run",
    );
    let pid = child.id();
    assert_eq!(scratch_databases(&db, pid).len(), 1);
    common::signal(&child, "-INT");
    let r = common::finish(child);
    assert_eq!(r.code, 130, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("interrupted: nothing was written"),
        "{}",
        r.stderr
    );
    assert_eq!(scratch_databases(&db, pid), Vec::<String>::new());
    assert!(!out.exists());
}

#[test]
fn import_never_overwrites_without_force() {
    let db = TestDb::new("impforce");
    db.exec("CREATE TABLE users (id serial PRIMARY KEY)");
    let out = scratch_dir("impforce").join("schema");
    assert_eq!(import_live(&db, &out).code, 0);
    std::fs::write(out.join("users.toml"), "# edited by hand\n").unwrap();
    let again = import_live(&db, &out);
    assert_eq!(again.code, 1);
    assert!(
        again
            .stderr
            .contains("already exists (2 files would be overwritten); pass --force to overwrite"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(out.join("users.toml")).unwrap(),
        "# edited by hand\n"
    );
    let forced = db.run(&["import", "--out", out.to_str().unwrap(), "--force"]);
    assert_eq!(forced.code, 0);
    assert!(
        std::fs::read_to_string(out.join("users.toml"))
            .unwrap()
            .starts_with("[table.users]")
    );
}

#[test]
fn a_pg_dump_of_every_diff_case_round_trips_through_the_sql_importer() {
    // The dump runs in a scratch database read by the live import's inspector: every case
    // carries exactly what the live import carries. In 032, PostgreSQL stores the reloaded
    // `status IN (...)` check as `= ANY (ARRAY[('draft'::character varying)::text, ...])`, not
    // as the original's `= ANY ((ARRAY['draft'::character varying, ...])::text[])`. In 405,
    // pg_dump writes `CREATE EXTENSION citext` without its version (1.5), and the reload
    // installs the default one.
    every_case_round_trips(
        &[
            "032_check_constraints_identical",
            "405_extension_version_update",
        ],
        |db, work| {
            let dump = work.join("dump.sql");
            std::fs::write(&dump, db.dump()).unwrap();
            import_sql(&dump, &work.join("schema"), &[])
        },
    );
}

/// Tables whose names map to one file name (`"a b"` and `a_b`, `Users` and `users` on a
/// case-insensitive file system, tables named `_enums` and `_sequences` beside the enum and
/// sequence files, in `public` and in another schema) each get their own file: none is lost, and
/// the import round-trips.
#[test]
fn tables_whose_file_names_collide_are_all_imported() {
    let db = TestDb::new("impclash");
    db.exec(
        r#"CREATE TYPE mood AS ENUM ('sad', 'ok');
           CREATE SEQUENCE counter;
           CREATE TABLE "a b" (space integer);
           CREATE TABLE a_b (underscore integer);
           CREATE TABLE "a.b" (dot integer);
           CREATE TABLE "Users" (upper integer);
           CREATE TABLE users (lower integer);
           CREATE TABLE "USERS" (shout integer);
           CREATE TABLE _enums (not_the_enums integer);
           CREATE TABLE _sequences (not_the_sequences integer);
           CREATE SCHEMA billing;
           CREATE TYPE billing.state AS ENUM ('open');
           CREATE TABLE billing._enums (billing_enums integer);
           CREATE TABLE "billing.x" (public_dotted integer);
           CREATE TABLE billing.x (billing_x integer);"#,
    );
    let out = round_trip(&db, "impclash");
    assert!(
        out.starts_with("Imported 11 tables, 2 enum types and 1 sequence into "),
        "{out}"
    );
    let dir = std::fs::read_dir(scratch_dir("impclash-list"))
        .unwrap()
        .count();
    assert_eq!(dir, 0);
    let written = scratch_dir("impclash2").join("schema");
    assert_eq!(import_live(&db, &written).code, 0);
    let mut names: Vec<String> = std::fs::read_dir(&written)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // 11 tables + _enums, _sequences, billing._enums, _settings: no two names equal, even
    // ignoring case
    assert_eq!(names.len(), 15, "{names:?}");
    let folded: std::collections::BTreeSet<String> =
        names.iter().map(|n| n.to_lowercase()).collect();
    assert_eq!(folded.len(), 15, "{names:?}");
    // The reserved files hold what their names say; a table's plain name goes to the table
    // that name spells exactly.
    let read = |f: &str| std::fs::read_to_string(written.join(f)).unwrap();
    assert!(
        read("_enums.toml").starts_with("[enum.mood]"),
        "{}",
        read("_enums.toml")
    );
    assert!(read("_sequences.toml").starts_with("[sequence.counter]"));
    assert!(read("billing._enums.toml").starts_with("[enum.state]"));
    assert!(read("a_b.toml").contains("underscore"));
    assert!(read("users.toml").contains("lower"));
    assert!(read("billing.x.toml").contains("billing_x"));
    // Every table is declared in exactly one file.
    for column in [
        "space",
        "underscore",
        "dot",
        "upper",
        "lower",
        "shout",
        "not_the_enums",
        "not_the_sequences",
        "billing_enums",
        "public_dotted",
        "billing_x",
    ] {
        let holders: Vec<&String> = names
            .iter()
            .filter(|f| read(f).contains(&format!("\"{column}\"")))
            .collect();
        assert_eq!(holders.len(), 1, "{column} in {holders:?}");
    }
    // Deterministic: a second import writes the same names.
    let again = scratch_dir("impclash3").join("schema");
    assert_eq!(import_live(&db, &again).code, 0);
    let mut names2: Vec<String> = std::fs::read_dir(&again)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names2.sort();
    assert_eq!(names, names2);
}

/// Index and unique-constraint properties PostgreSQL stores (operator classes, collations,
/// INCLUDE columns, storage parameters, NULLS NOT DISTINCT, deferral) are imported: the
/// declaration plans empty against its database and rebuilds the same catalog.
#[test]
fn index_and_unique_constraint_options_round_trip_through_import() {
    let db = TestDb::new("impidxopt");
    db.exec(
        r#"CREATE TABLE people (
               id integer PRIMARY KEY,
               email text NOT NULL,
               name varchar(100),
               doc jsonb,
               code text,
               region text
           );
           CREATE INDEX people_email_pattern ON people (email text_pattern_ops);
           CREATE INDEX people_doc_path ON people USING gin (doc jsonb_path_ops) WITH (fastupdate = false);
           CREATE INDEX people_name_c ON people (name COLLATE "C" DESC NULLS LAST);
           CREATE INDEX people_lower_name ON people ((lower(name)) COLLATE "POSIX" text_pattern_ops);
           CREATE INDEX ON people (email) INCLUDE (name, doc) WITH (deduplicate_items = false, fillfactor = 70);
           CREATE UNIQUE INDEX people_name_once ON people (name) NULLS NOT DISTINCT;
           ALTER TABLE people ADD UNIQUE NULLS NOT DISTINCT (code);
           ALTER TABLE people ADD UNIQUE (region) DEFERRABLE;
           ALTER TABLE people ADD UNIQUE (code, region) DEFERRABLE INITIALLY DEFERRED;
           ALTER TABLE people ADD UNIQUE (email) INCLUDE (region) WITH (fillfactor = 80);"#,
    );
    // (storage parameters in name order: tableform writes them so, and pg_dump keeps the order)
    round_trip(&db, "impidxopt");
    let out = scratch_dir("impidxopt2").join("schema");
    assert_eq!(import_live(&db, &out).code, 0);
    let people = std::fs::read_to_string(out.join("people.toml")).unwrap();
    insta::assert_snapshot!("imported_index_options_toml", people);
}

/// A database using every property the model carries besides the basics (NOT VALID checks and
/// foreign keys, NO INHERIT, MATCH FULL, column collations, comments on constraints, indexes,
/// enum types, sequences and schemas) imports into files that plan nothing against it and
/// rebuild the same catalog; the files say so in the format's keys.
#[test]
fn constraint_validity_match_collation_and_comments_round_trip_through_import() {
    let db = TestDb::new("impprops");
    db.exec(
        "CREATE SCHEMA billing;
         COMMENT ON SCHEMA billing IS 'invoices and payments';
         CREATE TYPE billing.status AS ENUM ('open', 'paid');
         COMMENT ON TYPE billing.status IS 'where an invoice stands';
         CREATE SEQUENCE billing.invoice_number START WITH 1000;
         COMMENT ON SEQUENCE billing.invoice_number IS 'printed on invoices';
         CREATE TABLE billing.customers (
             id integer PRIMARY KEY,
             region integer NOT NULL,
             name text COLLATE \"C\" NOT NULL,
             UNIQUE (id, region));
         COMMENT ON CONSTRAINT customers_pkey ON billing.customers IS 'the customer number';
         CREATE TABLE billing.invoices (
             id integer PRIMARY KEY,
             customer_id integer,
             region integer,
             total integer NOT NULL,
             status billing.status NOT NULL,
             note varchar(50) COLLATE \"POSIX\",
             CONSTRAINT invoices_total_check CHECK (total >= 0) NO INHERIT);
         INSERT INTO billing.customers VALUES (1, 10, 'a');
         INSERT INTO billing.invoices VALUES (1, 9, 90, 150, 'open', NULL);
         ALTER TABLE billing.invoices ADD CONSTRAINT invoices_customer_fkey
             FOREIGN KEY (customer_id, region) REFERENCES billing.customers (id, region) MATCH FULL NOT VALID;
         ALTER TABLE billing.invoices ADD CONSTRAINT invoices_total_small CHECK (total < 100) NOT VALID;
         ALTER TABLE billing.invoices ADD CONSTRAINT invoices_single_fkey
             FOREIGN KEY (customer_id) REFERENCES billing.customers (id) NOT VALID;
         CREATE INDEX invoices_note_idx ON billing.invoices (note);
         COMMENT ON INDEX billing.invoices_note_idx IS 'searching notes';
         COMMENT ON CONSTRAINT invoices_total_check ON billing.invoices IS 'never negative';
         COMMENT ON CONSTRAINT invoices_customer_fkey ON billing.invoices IS 'who is billed';",
    );
    let out = scratch_dir("impprops").join("schema");
    let r = import_live(&db, &out);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let invoices = std::fs::read_to_string(out.join("billing.invoices.toml")).unwrap();
    let customers = std::fs::read_to_string(out.join("billing.customers.toml")).unwrap();
    let types = std::fs::read_to_string(out.join("billing._enums.toml")).unwrap()
        + &std::fs::read_to_string(out.join("billing._sequences.toml")).unwrap();
    let schemas = std::fs::read_to_string(out.join("_schemas.toml")).unwrap();
    insta::assert_snapshot!(
        "imported_properties_toml",
        format!("{schemas}\n{types}\n{customers}\n{invoices}")
    );
    round_trip(&db, "impprops");
}

/// A schema holding nothing (and one holding only a table without columns) is imported as a
/// `[schema.NAME]` section, so a database built from the declaration has it too.
#[test]
fn an_empty_schema_and_a_table_without_columns_round_trip_through_import() {
    let db = TestDb::new("impempty");
    db.exec(
        "CREATE SCHEMA archive;
         CREATE SCHEMA billing;
         COMMENT ON SCHEMA billing IS 'Invoices';
         CREATE SCHEMA marks;
         CREATE TABLE marks.marker ();",
    );
    round_trip(&db, "impempty");
    let out = scratch_dir("impempty2").join("schema");
    assert_eq!(import_live(&db, &out).code, 0);
    assert_eq!(
        std::fs::read_to_string(out.join("_schemas.toml")).unwrap(),
        "[schema.archive]\n\n[schema.billing]\ncomment = \"Invoices\"\n"
    );
    let marker = std::fs::read_to_string(out.join("marks.marker.toml")).unwrap();
    assert!(marker.contains("columns = []\n"), "{marker}");
    let fmt = run(&["fmt", "--schema", out.to_str().unwrap(), "--check"]);
    assert_eq!(fmt.code, 0, "{}{}", fmt.stdout, fmt.stderr);
}

/// Views over tables and views, options, comments, another schema, and a materialized view with
/// an index (one never populated): imported, they rebuild the same catalog and plan to nothing.
#[test]
fn views_and_materialized_views_round_trip_through_import() {
    let db = TestDb::new("impviews");
    db.exec(
        "CREATE TYPE mood AS ENUM ('sad', 'happy');
         CREATE TABLE people (id bigint PRIMARY KEY, name text NOT NULL, mood mood NOT NULL);
         CREATE VIEW happy_people WITH (security_barrier) AS
             SELECT id, name FROM people WHERE mood = 'happy';
         COMMENT ON VIEW happy_people IS 'people who are happy';
         CREATE VIEW happy_names (who) AS SELECT name FROM happy_people;
         CREATE VIEW updatable_people AS SELECT id, name FROM people WHERE id > 0
             WITH CASCADED CHECK OPTION;
         CREATE SCHEMA reports;
         CREATE MATERIALIZED VIEW reports.moods AS
             SELECT mood, count(*) AS n FROM people GROUP BY mood;
         CREATE UNIQUE INDEX moods_mood_idx ON reports.moods (mood);
         COMMENT ON MATERIALIZED VIEW reports.moods IS 'refreshed nightly';
         CREATE MATERIALIZED VIEW reports.later AS SELECT id FROM people WITH NO DATA;
         CREATE FUNCTION happy_write() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
         CREATE TRIGGER happy_names_write INSTEAD OF INSERT OR UPDATE ON happy_names
             FOR EACH ROW EXECUTE FUNCTION happy_write();
         COMMENT ON TRIGGER happy_names_write ON happy_names IS 'writes nothing';
         CREATE TRIGGER happy_names_log AFTER INSERT ON happy_names
             FOR EACH STATEMENT EXECUTE FUNCTION happy_write();",
    );
    let out = round_trip(&db, "impviews");
    assert!(
        out.contains("It declares 3 views and 2 materialized views."),
        "{out}"
    );
    assert!(!out.contains("Not managed"), "{out}");
}

/// Roles for one test (cluster-wide), dropped with what they own and were granted in `db`.
struct TestRoles<'a>(&'a TestDb, Vec<String>);

impl Drop for TestRoles<'_> {
    fn drop(&mut self) {
        for r in &self.1 {
            let _ = self
                .0
                .try_exec(&format!("DROP OWNED BY {r}; DROP ROLE IF EXISTS {r}"));
        }
    }
}

#[test]
fn privileges_owners_and_default_privileges_round_trip_through_import() {
    let db = TestDb::new("impgrants");
    let n = db.name.clone();
    let (app, ro, own) = (format!("app_{n}"), format!("ro_{n}"), format!("own_{n}"));
    let _roles = TestRoles(&db, vec![app.clone(), ro.clone(), own.clone()]);
    db.exec(&format!(
        "CREATE ROLE {app}; CREATE ROLE {ro}; CREATE ROLE {own};
         CREATE SCHEMA api; GRANT USAGE ON SCHEMA api TO {app}, {ro};
         CREATE TABLE api.orders (id serial PRIMARY KEY, total numeric, card text);
         GRANT SELECT, INSERT ON api.orders TO {app};
         GRANT USAGE ON SEQUENCE api.orders_id_seq TO {app};
         GRANT SELECT (id, total) ON api.orders TO {ro};
         CREATE FUNCTION api.total() RETURNS numeric LANGUAGE sql AS 'SELECT sum(total) FROM api.orders';
         REVOKE EXECUTE ON FUNCTION api.total() FROM PUBLIC;
         GRANT EXECUTE ON FUNCTION api.total() TO {app};
         CREATE VIEW api.v AS SELECT id FROM api.orders;
         ALTER VIEW api.v OWNER TO {own};
         GRANT SELECT ON api.v TO {ro} WITH GRANT OPTION;
         ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA api GRANT SELECT ON TABLES TO {ro};"
    ));
    let (_, out) = round_trip_into(&db, "impgrants");
    let settings = std::fs::read_to_string(out.join("_settings.toml")).unwrap();
    assert!(
        settings.contains(&format!("roles = [\"{app}\", \"public\", \"{ro}\"]")),
        "{settings}"
    );
    let views = std::fs::read_to_string(out.join("api._views.toml")).unwrap();
    assert!(
        views.contains(&format!("owner = \"{own}\""))
            && views.contains(&format!("{ro} = [\"select with grant option\"]")),
        "{views}"
    );
}
