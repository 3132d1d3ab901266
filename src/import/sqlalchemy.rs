//! `import --from-sqlalchemy module:attribute`: the user's SQLAlchemy models rendered as
//! PostgreSQL DDL by SQLAlchemy itself (its `create_all` against a mock engine of the PostgreSQL
//! dialect, which emits exactly the `CREATE TYPE`, `CREATE TABLE`, `CREATE INDEX` and
//! `CREATE SEQUENCE` statements `create_all` would run), then imported like `--from-sql`.
//!
//! It runs the user's Python: importing their module runs their code, as `alembic` or `flask`
//! would. No database is touched by the Python side.

use std::process::Command;

/// The Python program: `argv[1]` is `module:attribute` (a `MetaData`, or a declarative base
/// or registry with `.metadata`). Exit 3: SQLAlchemy missing; 4: the module or attribute.
const RENDER: &str = r#"
import importlib, os, sys
sys.path.insert(0, os.getcwd())
try:
    import sqlalchemy
    from sqlalchemy import MetaData, create_mock_engine
except ImportError as e:
    print(f"SQLAlchemy is not installed for {sys.executable} ({e})", file=sys.stderr)
    sys.exit(3)
spec = sys.argv[1]
module_name, _, attr = spec.partition(":")
try:
    obj = importlib.import_module(module_name)
    for part in (attr or "metadata").split("."):
        obj = getattr(obj, part)
except Exception as e:
    print(f"cannot load {spec}: {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(4)
metadata = obj if isinstance(obj, MetaData) else getattr(obj, "metadata", None)
if not isinstance(metadata, MetaData):
    print(f"{spec} is a {type(obj).__name__}, not a MetaData (nor a declarative base with .metadata)", file=sys.stderr)
    sys.exit(4)
out = []
def emit(sql, *args, **kwargs):
    out.append(str(sql.compile(dialect=engine.dialect)).strip())
engine = create_mock_engine("postgresql+psycopg2://", emit)
metadata.create_all(engine, checkfirst=False)
sys.stdout.write("".join(s + ";\n\n" for s in out if s))
"#;

/// Runs `python` on [`RENDER`] for `spec`; the DDL, or a message saying what is missing.
pub fn render(python: &str, spec: &str) -> Result<String, String> {
    if !spec.contains(':') || spec.starts_with(':') {
        return Err(format!(
            "--from-sqlalchemy takes module:attribute (`app.models:Base.metadata` or `app.models:db.Model`), not `{spec}`"
        ));
    }
    let out = Command::new(python)
        .args(["-c", RENDER, spec])
        .output()
        .map_err(|e| {
            format!(
                "cannot run `{python}`: {e}; --from-sqlalchemy runs your models with Python 3 and SQLAlchemy (choose the interpreter, a virtualenv's, with --python)"
            )
        })?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    match out.status.code() {
        Some(0) => {
            String::from_utf8(out.stdout).map_err(|_| "SQLAlchemy's DDL is not UTF-8".to_string())
        }
        Some(3) => Err(format!(
            "{stderr}; install it in the environment of your models (`pip install sqlalchemy`), or pass that environment's interpreter with --python"
        )),
        _ => Err(format!(
            "rendering {spec} with `{python}` failed: {}",
            stderr.lines().last().unwrap_or("no message")
        )),
    }
}
