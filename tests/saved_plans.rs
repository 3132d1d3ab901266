//! Saved plans, output formats, `show`, and `drift` (issue: reviewable saved plans).

mod common;

use common::{SHOPPING_POINTS, TestDb, fixture, run, run_env, scratch_dir};
use tableform::plan::file::{FORMAT_VERSION, PlanFile};

fn plan_to(db: &TestDb, out: &std::path::Path) -> common::Run {
    db.run(&[
        "plan",
        "--schema",
        SHOPPING_POINTS,
        "--out",
        out.to_str().unwrap(),
    ])
}

/// Replaces what differs between machines and runs: the database name, the server address,
/// identifier and version, and the checksum that covers them.
fn scrub_json(db: &TestDb, json: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["server_version"] = "SERVER_VERSION".into();
    v["database"]["host"] = "HOST".into();
    v["database"]["port"] = "PORT".into();
    v["database"]["system_identifier"] = "SYSTEM_IDENTIFIER".into();
    v["checksum"] = "CHECKSUM".into();
    v["tool_version"] = "TOOL_VERSION".into();
    db.scrub(&serde_json::to_string_pretty(&v).unwrap())
}

#[test]
fn the_same_inputs_give_a_byte_identical_plan_file() {
    let db = TestDb::new("determinism");
    db.exec(&fixture("older_production.sql"));
    let dir = scratch_dir("determinism");
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    assert_eq!(plan_to(&db, &a).code, 3);
    assert_eq!(plan_to(&db, &b).code, 3);
    let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(!a.is_empty());
    assert_eq!(a, b, "two plans of the same inputs differ");
    let json = db.run(&["plan", "--schema", SHOPPING_POINTS, "--format", "json"]);
    assert_eq!(
        json.stdout.as_bytes(),
        a.as_slice(),
        "--format json is the plan file"
    );
}

#[test]
fn every_format_is_snapshot_tested() {
    let db = TestDb::new("formats");
    db.exec(&fixture("older_production.sql"));
    db.exec("ALTER TABLE coupons ALTER COLUMN value TYPE double precision USING value::double precision");
    let out = |fmt: &str| db.run(&["plan", "--schema", SHOPPING_POINTS, "--format", fmt]);
    let text = out("text");
    assert_eq!(text.code, 0, "{}", text.stderr);
    insta::assert_snapshot!("format_text", db.scrub(&text.stdout));
    insta::assert_snapshot!(
        "format_markdown",
        db.scrub(&out("markdown").stdout)
            .replace(&server_version(&db), "SERVER_VERSION")
    );
    insta::assert_snapshot!("format_sql", out("sql").stdout);
    insta::assert_snapshot!("format_json", scrub_json(&db, &out("json").stdout));
}

fn server_version(db: &TestDb) -> String {
    db.strings("SHOW server_version")[0].clone()
}

#[test]
fn show_renders_a_saved_plan_like_plan_does() {
    let db = TestDb::new("show");
    db.exec(&fixture("older_production.sql"));
    let file = scratch_dir("show").join("plan.json");
    assert_eq!(plan_to(&db, &file).code, 3);
    for fmt in ["text", "json", "markdown", "sql"] {
        let shown = run(&["show", file.to_str().unwrap(), "--format", fmt]);
        assert_eq!(shown.code, 0, "{}", shown.stderr);
        let planned = db.run(&["plan", "--schema", SHOPPING_POINTS, "--format", fmt]);
        assert_eq!(
            shown.stdout, planned.stdout,
            "show --format {fmt} differs from plan"
        );
    }
}

#[test]
fn a_saved_plan_applies_exactly_without_a_prompt() {
    let db = TestDb::new("saved");
    let file = scratch_dir("saved").join("release.json");
    assert_eq!(plan_to(&db, &file).code, 0);
    // stdin is empty: a prompt would cancel, so success proves there is none.
    let applied = db.run(&["apply", file.to_str().unwrap()]);
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    assert!(
        applied.stdout.contains(
            "Apply complete: 48 statements committed (17 created, 0 changed, 0 unchanged)."
        ),
        "{}",
        applied.stdout
    );
    let again = db.run(&["plan", "--schema", SHOPPING_POINTS, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    // Applying the same file twice: the database moved on, so it is stale.
    let twice = db.run(&["apply", file.to_str().unwrap()]);
    assert_eq!(twice.code, 1);
    assert!(twice.stderr.contains("plan is stale"), "{}", twice.stderr);
}

#[test]
fn a_stale_plan_is_refused_even_when_its_sql_would_still_run() {
    let db = TestDb::new("stale");
    let file = scratch_dir("stale").join("plan.json");
    assert_eq!(plan_to(&db, &file).code, 0);
    // Someone creates a table the plan knows nothing about; every statement of the plan would
    // still succeed, but it was not reviewed against this database.
    db.exec("CREATE TABLE audit_log (id bigint PRIMARY KEY, note text)");
    let before = db.dump();
    let r = db.run(&["apply", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .starts_with("error: plan is stale: the database changed since the plan was made"),
        "{}",
        r.stderr
    );
    assert_eq!(db.dump(), before, "a stale apply changed the database");
}

#[test]
fn corrupted_or_edited_plan_files_are_rejected() {
    let db = TestDb::new("corrupt");
    let dir = scratch_dir("corrupt");
    let file = dir.join("plan.json");
    assert_eq!(plan_to(&db, &file).code, 0);
    let good = std::fs::read_to_string(&file).unwrap();
    let before = db.dump();
    let cases = [
        (
            "truncated.json",
            good[..good.len() / 2].to_string(),
            "not a tableform plan file",
        ),
        (
            "edited.json",
            good.replacen("CREATE TABLE public.users", "CREATE TABLE public.userz", 1),
            "modified after it was written",
        ),
        ("empty.json", String::new(), "not a tableform plan file"),
        (
            "other.json",
            "{\"hello\": 1}".to_string(),
            "no `format_version`",
        ),
        (
            "future.json",
            good.replacen(
                &format!("\"format_version\": {FORMAT_VERSION}"),
                "\"format_version\": 99",
                1,
            ),
            "format version 99",
        ),
        (
            "extra.json",
            good.replacen("{", "{\n  \"unexpected\": true,", 1),
            "unknown field `unexpected`",
        ),
    ];
    for (name, contents, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        let apply = db.run(&["apply", path.to_str().unwrap()]);
        let show = run(&["show", path.to_str().unwrap()]);
        for r in [apply, show] {
            assert_eq!(r.code, 1, "{name}: {}{}", r.stdout, r.stderr);
            assert!(
                r.stderr.contains(expected),
                "{name}: expected {expected:?} in {}",
                r.stderr
            );
            assert!(!r.stderr.contains("panicked"));
        }
    }
    std::fs::write(dir.join("binary.json"), [0xff, 0xfe, 0x00, 0x01]).unwrap();
    let r = db.run(&["apply", dir.join("binary.json").to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not UTF-8"), "{}", r.stderr);
    assert_eq!(db.dump(), before);
}

#[test]
fn a_saved_plan_with_a_refusal_is_never_applied() {
    let db = TestDb::new("savedrefusal");
    db.exec(&fixture("older_production.sql"));
    let file = scratch_dir("savedrefusal").join("plan.json");
    assert_eq!(plan_to(&db, &file).code, 3);
    let before = db.dump();
    let r = db.run(&["apply", file.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("the saved plan holds refusals"),
        "{}",
        r.stderr
    );
    assert_eq!(db.dump(), before);
}

#[test]
fn detailed_exitcode_distinguishes_nothing_changes_and_refusals() {
    let db = TestDb::new("exitcodes");
    let plan = |db: &TestDb| {
        db.run(&["plan", "--schema", SHOPPING_POINTS, "--detailed-exitcode"])
            .code
    };
    assert_eq!(plan(&db), 2, "changes pending");
    assert_eq!(
        db.run(&["apply", "--schema", SHOPPING_POINTS, "--auto-approve"])
            .code,
        0
    );
    assert_eq!(plan(&db), 0, "nothing to do");
    db.exec("ALTER TABLE users ADD COLUMN legacy int");
    assert_eq!(
        plan(&db),
        2,
        "dropping a column of an empty table loses nothing"
    );
    db.exec("INSERT INTO users (username, email, password_hash, created_at) VALUES ('a', 'a@x', 'h', now())");
    assert_eq!(plan(&db), 3, "dropping a column that holds data is refused");
}

#[test]
fn drift_exits_0_when_in_sync_and_2_naming_every_hand_edit() {
    let db = TestDb::new("drift");
    let drift =
        |db: &TestDb, fmt: &str| db.run(&["drift", "--schema", SHOPPING_POINTS, "--format", fmt]);
    let missing = drift(&db, "text");
    assert_eq!(missing.code, 2, "{}", missing.stdout);
    assert!(
        missing
            .stdout
            .contains("table public.users: declared but missing from the database")
    );

    assert_eq!(
        db.run(&["apply", "--schema", SHOPPING_POINTS, "--auto-approve"])
            .code,
        0
    );
    let clean = drift(&db, "text");
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    assert!(clean.stdout.contains("No drift"));

    db.exec(
        "CREATE TABLE hand_made (id int);
         ALTER TABLE users ADD COLUMN nickname text;
         CREATE INDEX users_created_at_idx ON users (created_at);
         ALTER TABLE coupons ADD CONSTRAINT coupons_value_check CHECK (value >= 0);
         ALTER TABLE shops ALTER COLUMN name DROP NOT NULL;",
    );
    let drifted = drift(&db, "text");
    assert_eq!(drifted.code, 2);
    insta::assert_snapshot!("drift_text", db.scrub(&drifted.stdout));
    let json = drift(&db, "json");
    assert_eq!(json.code, 2);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["drifted"], true);
    assert_eq!(v["items"].as_array().unwrap().len(), 5, "{}", json.stdout);
}

#[test]
fn drift_reports_errors_with_exit_1() {
    let r = run(&[
        "drift",
        "--schema",
        SHOPPING_POINTS,
        "--database-url",
        "postgres://x@127.0.0.1:1/none",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: cannot connect"),
        "{}",
        r.stderr
    );
}

#[test]
fn colour_on_a_terminal_unless_no_color_or_the_flag() {
    let db = TestDb::new("colour");
    let on_terminal = |extra: &str, no_color_env: bool| {
        let cmd = format!(
            "{} plan --schema {} --database-url '{}' {extra}",
            env!("CARGO_BIN_EXE_tableform"),
            common::root().join(SHOPPING_POINTS).display(),
            db.url
        );
        let mut c = std::process::Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"]).env_remove("NO_COLOR");
        if no_color_env {
            c.env("NO_COLOR", "1");
        }
        String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned()
    };
    assert!(
        on_terminal("", false).contains("\u{1b}[32m+"),
        "no colour on a terminal"
    );
    // Colour is SGR (`ESC [ ... m`); the spinner's line clearing (`ESC [2K`) is not colour.
    let coloured = |s: &str| {
        s.split('\u{1b}').skip(1).any(|rest| {
            rest.strip_prefix('[')
                .and_then(|r| {
                    r.find(|c: char| !c.is_ascii_digit() && c != ';')
                        .map(|i| &r[i..])
                })
                .is_some_and(|r| r.starts_with('m'))
        })
    };
    assert!(!coloured(&on_terminal("", true)), "colour despite NO_COLOR");
    assert!(
        !coloured(&on_terminal("--no-color", false)),
        "colour despite --no-color"
    );
    let piped = db.run(&["plan", "--schema", SHOPPING_POINTS]);
    assert!(!piped.stdout.contains('\u{1b}'), "colour in a pipe");
}

/// Runs tableform with `args` and returns its exit code, stderr and peak memory (KiB), killing it
/// after `limit`: a plan path that never ends must not be read until memory runs out.
fn run_bounded(args: &[&str], limit: std::time::Duration) -> (i32, String, i64) {
    use std::io::Read;
    // Reaped with wait4 below, which also gives the child's own peak memory.
    #[allow(clippy::zombie_processes)]
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tableform"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let start = std::time::Instant::now();
    let mut status = 0;
    // SAFETY: plain libc calls on our own child's pid with valid pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            break;
        }
        assert!(reaped == 0, "wait4 failed");
        if start.elapsed() > limit {
            let _ = child.kill();
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            panic!(
                "tableform {args:?} still running after {limit:?}, at {} MiB",
                usage.ru_maxrss >> 10
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, stderr, usage.ru_maxrss)
}

#[test]
fn a_plan_path_that_never_ends_is_refused_after_the_size_limit() {
    let limit = std::time::Duration::from_secs(30);
    for command in ["apply", "show"] {
        let (code, stderr, max_kib) = run_bounded(&[command, "/dev/zero"], limit);
        assert_eq!(code, 1, "{command} /dev/zero: {stderr}");
        assert!(
            stderr.contains("/dev/zero: the plan file is larger than 64 MiB"),
            "{command} /dev/zero: {stderr}"
        );
        // The cap is 64 MiB: reading stops there, far from the gigabytes /dev/zero offers.
        assert!(
            max_kib < 512 * 1024,
            "{command} /dev/zero used {} MiB",
            max_kib >> 10
        );
    }

    // A FIFO fed without end: same answer, and the writer sees the reader go away.
    let dir = scratch_dir("fifo");
    let fifo = dir.join("plan.json");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let mut w = std::fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .unwrap();
        let chunk = vec![b' '; 1 << 20];
        let mut written: u64 = 0;
        while w.write_all(&chunk).is_ok() {
            written += chunk.len() as u64;
        }
        written
    });
    let (code, stderr, max_kib) = run_bounded(&["show", fifo.to_str().unwrap()], limit);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("larger than 64 MiB"), "{stderr}");
    assert!(max_kib < 512 * 1024, "used {} MiB", max_kib >> 10);
    let written = writer.join().unwrap();
    assert!(
        written < 256 << 20,
        "the writer got {} MiB into the FIFO",
        written >> 20
    );
}

/// What anyone can do to a plan file: edit it, and compute the unkeyed checksum again.
fn edit_and_reseal(path: &std::path::Path, edit: impl FnOnce(&mut PlanFile)) {
    use sha2::{Digest, Sha256};
    let mut f: PlanFile = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut f);
    f.checksum = String::new();
    let digest = Sha256::digest(serde_json::to_vec(&f).unwrap());
    f.checksum = format!("sha256:{}", hex::encode(digest));
    std::fs::write(path, f.to_json()).unwrap();
}

#[test]
fn edited_sql_with_a_recomputed_checksum_is_refused() {
    let db = TestDb::new("editedsql");
    let file = scratch_dir("editedsql").join("plan.json");
    assert_eq!(plan_to(&db, &file).code, 0);
    edit_and_reseal(&file, |f| {
        let step = &mut f.plan.steps[0];
        assert!(step.sql.starts_with("CREATE TABLE"), "{}", step.sql);
        step.sql = "CREATE TABLE public.backdoor (id int)".into();
    });
    // The file is well-formed and its checksum matches: only the steps betray it.
    for r in [
        db.run(&["apply", file.to_str().unwrap()]),
        run(&["show", file.to_str().unwrap()]),
    ] {
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains(
                "the plan file was modified after it was written: its steps are not the ones its changes give (they differ from step 1 of 48 on)"
            ),
            "{}",
            r.stderr
        );
    }
    assert_eq!(
        db.strings("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
        vec!["0"]
    );
}

/// Runs tableform against `db` with `TABLEFORM_PLAN_KEY` set to `key`.
fn with_key(db: &TestDb, key: &str, args: &[&str]) -> common::Run {
    let mut all = args.to_vec();
    all.extend(["--database-url", &db.url]);
    run_env(&all, None, &[("TABLEFORM_PLAN_KEY", key)])
}

#[test]
fn signed_plans_apply_only_unchanged_and_with_the_key() {
    let db = TestDb::new("signed");
    let dir = scratch_dir("signed");
    let signed = dir.join("signed.json");
    let unsigned = dir.join("unsigned.json");
    let s = signed.to_str().unwrap();
    let made = with_key(
        &db,
        "k3y",
        &["plan", "--schema", SHOPPING_POINTS, "--out", s],
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&signed).unwrap()).unwrap();
    assert!(
        doc["signature"]
            .as_str()
            .unwrap()
            .starts_with("hmac-sha256:"),
        "{doc}"
    );
    assert_eq!(plan_to(&db, &unsigned).code, 0);
    assert!(
        !std::fs::read_to_string(&unsigned)
            .unwrap()
            .contains("signature")
    );

    // An unsigned plan, while a key is set.
    let r = with_key(&db, "k3y", &["apply", unsigned.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("the plan file is not signed, and TABLEFORM_PLAN_KEY is set"),
        "{}",
        r.stderr
    );
    // Another key.
    let r = with_key(&db, "other", &["apply", s]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("the plan file's signature does not match TABLEFORM_PLAN_KEY"),
        "{}",
        r.stderr
    );
    // Edited consistently (typed changes, steps and checksum all agree): only the key can tell.
    let edited = dir.join("edited.json");
    std::fs::copy(&signed, &edited).unwrap();
    edit_and_reseal(&edited, |f| f.options.allow_destructive = true);
    let r = with_key(&db, "k3y", &["apply", edited.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(
            "signature does not match TABLEFORM_PLAN_KEY: it was modified after it was signed"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(
        db.strings("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
        vec!["0"],
        "a refused plan changed the database"
    );

    let r = with_key(&db, "k3y", &["apply", s]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("Apply complete: 48 statements committed"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_plan_for_one_database_is_refused_on_another_with_the_same_schema() {
    let planned = TestDb::new("bindplanned");
    let other = TestDb::new("bindother");
    let file = scratch_dir("bind").join("plan.json");
    assert_eq!(plan_to(&planned, &file).code, 0);
    // `other` is exactly as `planned` was (empty): the staleness check alone would pass.
    let r = other.run(&["apply", file.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let id = planned.strings("SELECT system_identifier FROM pg_control_system()")[0].clone();
    let expected = format!(
        "error: the plan was made for database \"{}\" on the PostgreSQL server with system identifier {id} (at ",
        planned.name
    );
    assert!(r.stderr.starts_with(&expected), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "but this connection is to database \"{}\" on the server with system identifier {id} (at ",
            other.name
        )),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("stale"), "{}", r.stderr);
    assert_eq!(
        other.strings("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
        vec!["0"]
    );
    // The database it was made for takes it.
    let r = planned.run(&["apply", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn apply_without_a_connection_goes_to_the_planned_database() {
    let db = TestDb::new("planneddb");
    let file = scratch_dir("planneddb").join("plan.json");
    assert_eq!(plan_to(&db, &file).code, 0);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(doc["database"]["name"], db.name.as_str());
    // The user and password are not in the plan: they come from the environment, as for libpq.
    let base: tokio_postgres::Config = common::base_url().parse().unwrap();
    let mut vars = vec![("USER", base.get_user().unwrap_or("postgres").to_string())];
    if let Some(pw) = base.get_password() {
        vars.push(("PGPASSWORD", String::from_utf8(pw.to_vec()).unwrap()));
    }
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = run_env(&["apply", file.to_str().unwrap()], None, &vars);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.starts_with(&format!(
            "No connection given: connecting to the plan's database, {}:{} (database \"{}\").\n",
            doc["database"]["host"].as_str().unwrap(),
            doc["database"]["port"],
            db.name
        )),
        "{}",
        r.stdout
    );
    assert_eq!(
        db.strings("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
        vec!["17"]
    );
}

/// `--format sql` prints an empty script when anything is refused: the reasons go to stderr.
#[test]
fn format_sql_with_refusals_says_why_on_stderr() {
    let db = TestDb::new("sqlrefused");
    db.exec("CREATE TABLE t (id integer, note text); INSERT INTO t VALUES (1, 'keep')");
    let dir = common::schema_dir(
        "sqlrefused",
        "[table.t]\ncolumns = [{ name = \"id\", type = \"integer\" }]\n",
    );
    let r = db.run(&["plan", "--schema", dir.to_str().unwrap(), "--format", "sql"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
    insta::assert_snapshot!("format_sql_refused_stderr", db.scrub(&r.stderr));
}
