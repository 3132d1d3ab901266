//! `import --from-sqlalchemy`: the models of a Flask + SQLAlchemy app (shaped like the shopping
//! points optimiser's) become a declaration; applied, `alembic check` finds nothing to migrate.
//! SQLAlchemy, Alembic and psycopg2 come from PyPI, into a virtualenv under the target
//! directory that the first test to need it creates (once; later runs reuse it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TestDb, root, scratch_dir};

fn fixture() -> PathBuf {
    root().join("tests/fixtures/sqlalchemy_app")
}

/// A virtualenv at `dir` with `packages`, made once across test processes (a lock directory
/// keeps two from installing at the same time).
fn venv(dir: &Path, packages: &[&str]) -> PathBuf {
    let python = dir.join("bin/python");
    let done = dir.join(".installed");
    let lock = dir.with_extension("lock");
    loop {
        if done.exists() {
            return python;
        }
        if std::fs::create_dir(&lock).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    if !done.exists() {
        let _ = std::fs::remove_dir_all(dir);
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "python3 -m venv failed: these tests need Python 3 with venv"
        );
        if !packages.is_empty() {
            let ok = Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(packages)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "pip install {packages:?} failed (PyPI unreachable?)");
        }
        std::fs::write(&done, "").unwrap();
    }
    let _ = std::fs::remove_dir(&lock);
    python
}

fn sqlalchemy_python() -> PathBuf {
    venv(
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("py-sqlalchemy"),
        &["sqlalchemy>=2,<3", "alembic", "psycopg2-binary"],
    )
}

/// Runs tableform in `dir` (where the models' module is).
fn tableform_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tableform"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap()
}

#[test]
fn sqlalchemy_models_import_apply_and_alembic_check_finds_nothing_to_do() {
    let python = sqlalchemy_python();
    let db = TestDb::new("sqla");
    let out = scratch_dir("sqla").join("schema");
    let r = tableform_in(
        &fixture(),
        &[
            "import",
            "--from-sqlalchemy",
            "models:Base",
            "--python",
            python.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--database-url",
            &db.url,
        ],
    );
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(
        r.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(
        stdout.starts_with("Imported 5 tables, 1 enum type and 0 sequences"),
        "{stdout}"
    );
    let users = std::fs::read_to_string(out.join("users.toml")).unwrap();
    insta::assert_snapshot!("users_toml", users);
    let apply = db.run(&["apply", "--schema", out.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    // Alembic, pointed at the same models and the applied database, has nothing to migrate.
    let work = scratch_dir("sqlaalembic");
    std::fs::create_dir_all(work.join("migrations/versions")).unwrap();
    std::fs::write(
        work.join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s/migrations\n",
    )
    .unwrap();
    std::fs::write(
        work.join("migrations/script.py.mako"),
        "revision = ${repr(up_revision)}\ndown_revision = ${repr(down_revision)}\n\ndef upgrade():\n    ${upgrades if upgrades else 'pass'}\n\ndef downgrade():\n    ${downgrades if downgrades else 'pass'}\n",
    )
    .unwrap();
    std::fs::write(
        work.join("migrations/env.py"),
        r#"import os, sys
from alembic import context
from sqlalchemy import create_engine
sys.path.insert(0, os.environ["MODELS_DIR"])
from models import Base
engine = create_engine(os.environ["ALEMBIC_DB_URL"])
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
"#,
    )
    .unwrap();
    let url = db.url.replacen("postgres://", "postgresql+psycopg2://", 1);
    let check = Command::new(&python)
        .args(["-m", "alembic", "check"])
        .current_dir(&work)
        .env("MODELS_DIR", fixture())
        .env("ALEMBIC_DB_URL", url)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(check.status.success(), "alembic check: {said}");
    assert!(
        said.contains("No new upgrade operations detected"),
        "{said}"
    );
}

#[test]
fn a_missing_python_sqlalchemy_or_model_says_what_is_missing() {
    let db = TestDb::new("sqlamissing");
    let out = scratch_dir("sqlamissing").join("schema");
    let run = |python: &str, spec: &str| {
        let r = tableform_in(
            &fixture(),
            &[
                "import",
                "--from-sqlalchemy",
                spec,
                "--python",
                python,
                "--out",
                out.to_str().unwrap(),
                "--database-url",
                &db.url,
            ],
        );
        assert_eq!(r.status.code(), Some(1));
        assert!(!out.exists(), "nothing is written");
        String::from_utf8_lossy(&r.stderr).into_owned()
    };
    let e = run("/nonexistent/python3", "models:Base");
    assert!(
        e.contains("cannot run `/nonexistent/python3`") && e.contains("--python"),
        "{e}"
    );
    let bare = venv(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("py-bare"), &[]);
    let e = run(bare.to_str().unwrap(), "models:Base");
    assert!(
        e.contains("SQLAlchemy is not installed") && e.contains("pip install sqlalchemy"),
        "{e}"
    );
    let python = sqlalchemy_python();
    let e = run(python.to_str().unwrap(), "models:Nope");
    assert!(e.contains("cannot load models:Nope: AttributeError"), "{e}");
    let e = run(python.to_str().unwrap(), "models:RateType");
    assert!(
        e.contains("models:RateType is a") && e.contains("not a MetaData"),
        "{e}"
    );
    let e = run(python.to_str().unwrap(), "models");
    assert!(e.contains("takes module:attribute"), "{e}");
}
