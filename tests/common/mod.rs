//! Shared test support: a throwaway database per test, and running the tableform binary.
#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio_postgres::{Client, Config, NoTls};

/// The server the tests use; see README.md.
pub fn base_url() -> String {
    std::env::var("TABLEFORM_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/fixtures").join(name)).expect("fixture exists")
}

pub const SHOPPING_POINTS: &str = "schemas/shopping_points";

/// A database created for one test and dropped when the value goes out of scope.
pub struct TestDb {
    pub name: String,
    pub url: String,
    rt: tokio::runtime::Runtime,
    client: Client,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn url_for(base: &str, db: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (base, String::new()),
    };
    let scheme_end = head.find("://").map_or(0, |i| i + 3);
    let head = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    format!("{head}/{db}{query}")
}

fn connect(rt: &tokio::runtime::Runtime, url: &str) -> Client {
    rt.block_on(async {
        let config = Config::from_str(url).expect("valid test URL");
        let (client, conn) = config.connect(NoTls).await.unwrap_or_else(|e| {
            panic!("cannot reach the test PostgreSQL at {url}: {e} (see README.md: scripts/with-postgres)")
        });
        tokio::spawn(conn);
        client
    })
}

impl TestDb {
    /// Creates an empty database named after `tag` and a process-unique suffix.
    pub fn new(tag: &str) -> TestDb {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let mut name = format!(
            "tf_{}_{}_{n}_{nanos}",
            tag.to_lowercase(),
            std::process::id()
        );
        name.truncate(63);
        let admin = connect(&rt, &base_url());
        rt.block_on(admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")))
            .expect("create test database");
        let url = url_for(&base_url(), &name);
        let client = connect(&rt, &url);
        TestDb {
            name,
            url,
            rt,
            client,
        }
    }

    /// A second connection to the same database (for holding locks); does not drop it.
    pub fn attach(other: &TestDb) -> Attached {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = connect(&rt, &other.url);
        Attached { rt, client }
    }

    pub fn exec(&self, sql: &str) {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .unwrap_or_else(|e| panic!("test SQL failed: {e:?}\n{sql}"));
    }

    /// Runs `sql`, returning the server's message when it fails.
    pub fn try_exec(&self, sql: &str) -> Result<(), String> {
        (self.rt.block_on(self.client.batch_execute(sql))).map_err(|e| {
            e.as_db_error()
                .map_or(e.to_string(), |d| d.message().to_string())
        })
    }

    /// The first column of every row, as text.
    pub fn strings(&self, sql: &str) -> Vec<String> {
        let rows = self
            .rt
            .block_on(self.client.simple_query(sql))
            .expect("query");
        rows.iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => {
                    Some(r.get(0).unwrap_or("NULL").to_string())
                }
                _ => None,
            })
            .collect()
    }

    pub fn count(&self, table: &str) -> i64 {
        self.strings(&format!("SELECT count(*) FROM {table}"))[0]
            .parse()
            .unwrap()
    }

    /// Every row of every table in `public`, as text, for checking that data survived.
    pub fn all_rows(&self) -> String {
        let tables = self.strings(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
        );
        tables
            .iter()
            .map(|t| {
                let rows = self.strings(&format!("SELECT t::text FROM {t} t ORDER BY t::text"));
                format!("{t}: {}", rows.join(" | "))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// `pg_dump --schema-only`, without the lines that differ between runs.
    pub fn dump(&self) -> String {
        let out = std::process::Command::new("pg_dump")
            .args([
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "-d",
                &self.url,
            ])
            .output()
            .expect("pg_dump runs");
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// This database's URL for another role, with its password.
    pub fn url_as(&self, user: &str, password: &str) -> String {
        let config = Config::from_str(&self.url).unwrap();
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "127.0.0.1".into(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        format!("postgres://{user}:{password}@{host}:{port}/{}", self.name)
    }

    /// Runs tableform with `--database-url` of this database appended.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--database-url", &self.url]);
        run_with_input(&all, None)
    }

    pub fn run_input(&self, args: &[&str], stdin: &str) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--database-url", &self.url]);
        run_with_input(&all, Some(stdin))
    }

    /// Output with this database's name and the server address replaced, for snapshots.
    pub fn scrub(&self, text: &str) -> String {
        let config = Config::from_str(&self.url).unwrap();
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "localhost".into(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let text = text
            .replace(&format!("{host}:{port}"), "HOST:PORT")
            .replace(&self.name, "DB");
        scrub_index_usage(&text)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = connect(&self.rt, &base_url());
        let _ = self.rt.block_on(admin.batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )));
    }
}

/// A second connection to a test database.
pub struct Attached {
    rt: tokio::runtime::Runtime,
    client: Client,
}

impl Attached {
    pub fn exec(&self, sql: &str) {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .unwrap_or_else(|e| panic!("test SQL failed: {e:?}\n{sql}"));
    }
}

/// What a run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Runs the tableform binary from the repository root with a clean environment (no
/// `DATABASE_URL`, no `PG*`, no colour).
pub fn run_with_input(args: &[&str], stdin: Option<&str>) -> Run {
    run_env(args, stdin, &[])
}

/// [`run_with_input`] with these environment variables set as well.
pub fn run_env(args: &[&str], stdin: Option<&str>, vars: &[(&str, &str)]) -> Run {
    let mut cmd = assert_cmd::Command::cargo_bin("tableform").unwrap();
    cmd.current_dir(root()).args(args);
    for (k, _) in std::env::vars() {
        if k == "DATABASE_URL" || k.starts_with("PG") {
            cmd.env_remove(k);
        }
    }
    cmd.env("NO_COLOR", "1");
    cmd.envs(vars.iter().copied());
    cmd.write_stdin(stdin.unwrap_or(""));
    cmd.timeout(std::time::Duration::from_secs(120));
    Run::from(cmd.output().unwrap())
}

pub fn run(args: &[&str]) -> Run {
    run_with_input(args, None)
}

/// A directory under the target dir for files a test writes, unique to the test.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("tableform-test-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).unwrap();
}

/// Starts the binary on `db` without waiting for it.
pub fn spawn(db: &TestDb, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tableform"))
        .current_dir(root())
        .args(args)
        .args(["--database-url", &db.url])
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tableform starts")
}

pub fn finish(child: Child) -> Run {
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Waits until `sql` (run on a separate connection) returns a non-empty first row.
pub fn wait_for(db: &TestDb, sql: &str, what: &str) {
    let start = Instant::now();
    while db.strings(sql).first().is_none_or(|v| v == "0" || v == "f") {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

pub fn schema_dir(tag: &str, toml: &str) -> std::path::PathBuf {
    let dir = scratch_dir(tag);
    write(&dir, "schema.toml", toml);
    dir
}

/// A PostgreSQL server of the test's own, started with `initdb` and `pg_ctl` from the installed
/// server packages on a free loopback port (for settings no shared server may have), and
/// stopped and deleted when dropped.
pub struct TempServer {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

impl TempServer {
    /// `settings` go to postgresql.conf as they are (`synchronous_standby_names = 'nobody'`).
    pub fn start(tag: &str, settings: &str) -> TempServer {
        let bin = server_bin_dir();
        let dir = scratch_dir(&format!("server-{tag}"));
        let port = free_port();
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        // initdb refuses to run as root; the Debian packages' postgres user owns the cluster.
        as_postgres_owner(&dir);
        let init = postgres_cmd(&bin.join("initdb"))
            .args([
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ])
            .output()
            .expect("initdb runs");
        assert!(
            init.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        let conf = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nfsync = off\n{settings}\n",
            dir.display()
        );
        let mut existing = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        existing.push_str(&conf);
        std::fs::write(data.join("postgresql.conf"), existing).unwrap();
        let start = postgres_cmd(&bin.join("pg_ctl"))
            .args([
                "-D",
                data.to_str().unwrap(),
                "-l",
                dir.join("log").to_str().unwrap(),
                "-w",
                "start",
            ])
            .output()
            .expect("pg_ctl runs");
        assert!(
            start.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&start.stderr)
        );
        TempServer { port, dir, bin }
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args([
                "-X",
                "-qAt",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.url(db),
                "-c",
                sql,
            ])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl TempServer {
    /// Stops the server at once (`pg_ctl stop -m immediate`): its sessions are cut off, and
    /// their transactions are rolled back when it starts again.
    pub fn stop(&self) {
        let out = postgres_cmd(&self.bin.join("pg_ctl"))
            .args([
                "-D",
                self.dir.join("data").to_str().unwrap(),
                "-m",
                "immediate",
                "stop",
            ])
            .output()
            .expect("pg_ctl runs");
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts a stopped server again, on the same port and data.
    pub fn start_again(&self) {
        let out = postgres_cmd(&self.bin.join("pg_ctl"))
            .args([
                "-D",
                self.dir.join("data").to_str().unwrap(),
                "-l",
                self.dir.join("log").to_str().unwrap(),
                "-w",
                "start",
            ])
            .output()
            .expect("pg_ctl runs");
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs each statement on its own (`psql -c` per statement: CREATE DATABASE cannot share a
    /// transaction).
    pub fn psql_each(&self, db: &str, statements: &[String]) {
        let mut cmd = Command::new("psql");
        cmd.args(["-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", &self.url(db)]);
        for s in statements {
            cmd.args(["-c", s]);
        }
        let out = cmd.output().expect("psql runs");
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for TempServer {
    fn drop(&mut self) {
        let _ = postgres_cmd(&self.bin.join("pg_ctl"))
            .args([
                "-D",
                self.dir.join("data").to_str().unwrap(),
                "-m",
                "immediate",
                "stop",
            ])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The newest installed server's bin directory (Debian: /usr/lib/postgresql/N/bin).
fn server_bin_dir() -> PathBuf {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("the PostgreSQL server packages are installed (scripts/with-postgres)")
        .filter_map(|e| {
            let e = e.ok()?;
            let v = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, p)| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop().expect("an initdb under /usr/lib/postgresql").1
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command run as the `postgres` user when the tests run as root.
fn postgres_cmd(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn as_postgres_owner(dir: &Path) {
    if is_root() {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres", dir.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `the index was used 3 times` -> `the index was used N times`: statistics arrive
/// asynchronously, so the number is asserted where a test controls it, not in snapshots.
pub fn scrub_index_usage(text: &str) -> String {
    const LEAD: &str = "the index was used ";
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(LEAD) {
        out.push_str(&rest[..i + LEAD.len()]);
        rest = &rest[i + LEAD.len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            rest = &rest[digits..];
            rest = rest
                .strip_prefix(" times")
                .or(rest.strip_prefix(" time"))
                .unwrap_or(rest);
            out.push_str("N times");
        }
    }
    out.push_str(rest);
    out
}
