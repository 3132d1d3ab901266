//! Credentials the way libpq finds them (password files, service files, percent-encoded URLs,
//! PGAPPNAME, PGOPTIONS), against a private server that really asks for passwords: the shared
//! test server trusts everyone on 127.0.0.1, where a wrong password would connect all the same.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Run, SHOPPING_POINTS, TempServer, run_env, scratch_dir};

/// The role the tests log in as, and its password, which holds `@`, `:` and `/`.
const USER: &str = "deployer";
const PASSWORD: &str = "Zq7@Kx9:Vw3/Jm5";
const ENCODED: &str = "Zq7%40Kx9%3AVw3%2FJm5";
const DB: &str = "app";

/// A private server where `deployer` must give its password over TCP. `postgres` stays trusted
/// so that the test can set things up and read the server's log.
fn server(tag: &str) -> TempServer {
    server_with(tag, "", &["host all all 127.0.0.1/32 scram-sha-256"])
}

/// [`server`] with more settings, and these `pg_hba.conf` lines after the one trusting
/// `postgres`.
fn server_with(tag: &str, settings: &str, hba_lines: &[&str]) -> TempServer {
    let s = TempServer::start(
        tag,
        &format!(
            "password_encryption = 'scram-sha-256'\nlog_connections = on\nlogging_collector = on\nlog_filename = 'server.log'\n{settings}"
        ),
    );
    s.psql(
        "postgres",
        &format!("CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'"),
    );
    s.psql(
        "postgres",
        &format!("CREATE ROLE tlsonly LOGIN PASSWORD '{PASSWORD}'"),
    );
    s.psql("postgres", &format!("CREATE DATABASE {DB} OWNER {USER}"));
    s.psql(
        "postgres",
        &format!("GRANT ALL ON DATABASE {DB} TO tlsonly"),
    );
    let hba = s.psql("postgres", "SHOW hba_file");
    let lines: Vec<String> = ["host all postgres 127.0.0.1/32 trust"]
        .iter()
        .chain(hba_lines)
        .map(|l| format!("('{l}')"))
        .collect();
    s.psql(
        "postgres",
        &format!("COPY (VALUES {}) TO '{hba}'", lines.join(", ")),
    );
    s.psql("postgres", "SELECT pg_reload_conf()");
    // The reload is asynchronous: wait until a password-less login is refused.
    let deadline = Instant::now() + Duration::from_secs(20);
    while logs_in_without_password(s.port) {
        assert!(
            Instant::now() < deadline,
            "pg_hba.conf was not reloaded: {USER} still logs in without a password"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    s
}

fn logs_in_without_password(port: u16) -> bool {
    Command::new("psql")
        .args([
            "-X",
            "-w",
            "-qAt",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .args(["-U", USER, "-d", DB, "-c", "SELECT 1"])
        .env_remove("PGPASSWORD")
        .env("PGPASSFILE", "/nonexistent")
        .env("PGSERVICEFILE", "/nonexistent")
        .output()
        .expect("psql runs")
        .status
        .success()
}

/// `tableform plan` with nothing but `vars` in its environment (and `HOME` pointing at an empty
/// directory, so that the real user's ~/.pgpass plays no part).
fn plan(args: &[&str], vars: &[(&str, &str)]) -> Run {
    let home = scratch_dir("home");
    let home = home.to_str().unwrap().to_string();
    let mut all_vars = vec![("HOME", home.as_str()), ("PGSYSCONFDIR", "/nonexistent")];
    all_vars.extend_from_slice(vars);
    let mut all = vec!["plan", "--schema", SHOPPING_POINTS];
    all.extend_from_slice(args);
    run_env(&all, None, &all_vars)
}

/// A file of the test's own with this text and mode.
fn file(tag: &str, text: &str, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = scratch_dir(tag).join("file");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn url_without_password(s: &TempServer) -> String {
    format!("postgres://{USER}@127.0.0.1:{}/{DB}", s.port)
}

/// The password, escaped for a password file (`\:`).
fn pgpass_line(s: &TempServer) -> String {
    format!(
        "# tableform tests\n127.0.0.1:{}:{DB}:{USER}:{}\n",
        s.port,
        PASSWORD.replace('\\', "\\\\").replace(':', "\\:")
    )
}

#[test]
fn the_server_refuses_a_wrong_password() {
    let s = server("cred-wrong");
    let url = format!("postgres://{USER}:wrong@127.0.0.1:{}/{DB}", s.port);
    let r = plan(&["--database-url", &url], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("password authentication failed"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_private_password_file_lets_plan_connect_without_a_password() {
    let s = server("cred-pgpass");
    let pgpass = file("pgpass", &pgpass_line(&s), 0o600);
    let r = plan(
        &["--database-url", &url_without_password(&s)],
        &[("PGPASSFILE", pgpass.to_str().unwrap())],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("WARNING"), "{}", r.stderr);
}

#[test]
fn a_password_file_others_can_read_is_ignored_with_libpqs_warning() {
    let s = server("cred-pgpass-open");
    let pgpass = file("pgpass-open", &pgpass_line(&s), 0o644);
    let r = plan(
        &["--database-url", &url_without_password(&s)],
        &[("PGPASSFILE", pgpass.to_str().unwrap())],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let warning = format!(
        "WARNING: password file \"{}\" has group or world access; permissions should be u=rw (0600) or less\n",
        pgpass.display()
    );
    assert!(r.stderr.starts_with(&warning), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the server asks for a password and none was given"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(PASSWORD), "{}", r.stderr);
}

#[test]
fn a_service_gives_host_port_user_database_and_password() {
    let s = server("cred-service");
    let services = file(
        "services",
        &format!(
            "# services\n[elsewhere]\nhost=192.0.2.1\n\n[shop]\nhost=127.0.0.1\nport={}\nuser={USER}\ndbname={DB}\npassword={PASSWORD}\n",
            s.port
        ),
        0o600,
    );
    let services = services.to_str().unwrap();
    let r = plan(&[], &[("PGSERVICE", "shop"), ("PGSERVICEFILE", services)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The service beats the environment, and `service=` in the URL names it too.
    let r = plan(
        &["--database-url", "postgres://?service=shop"],
        &[
            ("PGSERVICEFILE", services),
            ("PGUSER", "postgres"),
            ("PGPORT", "1"),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = plan(
        &[],
        &[("PGSERVICE", "nowhere"), ("PGSERVICEFILE", services)],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(&format!(
            "error: connection service \"nowhere\" not found (looked in {services}, /nonexistent/pg_service.conf)"
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn a_percent_encoded_password_with_at_and_colon_connects() {
    let s = server("cred-encoded");
    let url = format!("postgres://{USER}:{ENCODED}@127.0.0.1:{}/{DB}", s.port);
    let r = plan(&["--database-url", &url], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // SQLAlchemy's spelling, from DATABASE_URL.
    let url = format!(
        "postgresql+psycopg2://{USER}:{ENCODED}@127.0.0.1:{}/{DB}",
        s.port
    );
    let r = plan(&[], &[("DATABASE_URL", &url)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn pgappname_names_the_connection_on_the_server() {
    let s = server("cred-appname");
    let url = format!("postgres://{USER}:{ENCODED}@127.0.0.1:{}/{DB}", s.port);
    let r = plan(&["--database-url", &url], &[("PGAPPNAME", "release-42")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = plan(&["--database-url", &url], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let log = server_log(&s, "application_name=release-42");
    let authorized = |app: &str| {
        log.lines().any(|l| {
            l.contains(&format!(
                "connection authorized: user={USER} database={DB} application_name={app}"
            ))
        })
    };
    assert!(authorized("release-42"), "{log}");
    assert!(authorized("tableform"), "{log}");
}

#[test]
fn pgoptions_reach_the_server() {
    let s = server("cred-options");
    let url = format!("postgres://{USER}:{ENCODED}@127.0.0.1:{}/{DB}", s.port);
    let r = plan(
        &["--database-url", &url],
        &[("PGOPTIONS", "-c no_such_setting=1")],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("unrecognized configuration parameter \"no_such_setting\""),
        "{}",
        r.stderr
    );
    let r = plan(
        &["--database-url", &url],
        &[("PGOPTIONS", "-c search_path=public")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A self-signed certificate and key for a server, readable by the server only.
fn certificate(tag: &str) -> (PathBuf, PathBuf) {
    let dir = scratch_dir(tag);
    let (crt, key) = (dir.join("server.crt"), dir.join("server.key"));
    let ok = Command::new("openssl")
        .args([
            "req",
            "-new",
            "-x509",
            "-days",
            "1",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .args(["-newkey", "rsa:2048", "-keyout", key.to_str().unwrap()])
        .args(["-out", crt.to_str().unwrap()])
        .output()
        .expect("openssl runs");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if is_root {
        let chown = Command::new("chown")
            .args(["-R", "postgres:postgres", dir.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(chown.success());
    }
    (crt, key)
}

/// libpq's `allow` tries without TLS first and with TLS when the server refuses; `prefer` tries
/// TLS first. The server's log says which connections were encrypted.
#[test]
fn sslmode_allow_tries_without_tls_first_then_with_it() {
    let (crt, key) = certificate("cred-cert");
    let s = server_with(
        "cred-allow",
        &format!(
            "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'",
            crt.display(),
            key.display()
        ),
        &[
            "hostssl all tlsonly 127.0.0.1/32 scram-sha-256",
            "host all deployer 127.0.0.1/32 scram-sha-256",
        ],
    );
    let url = |user: &str, mode: &str| {
        format!(
            "postgres://{user}:{ENCODED}@127.0.0.1:{}/{DB}?sslmode={mode}",
            s.port
        )
    };
    let plan_as = |user: &str, mode: &str, app: &str| {
        plan(&["--database-url", &url(user, mode)], &[("PGAPPNAME", app)])
    };
    let r = plan_as(USER, "allow", "allow-plain");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = plan_as(USER, "prefer", "prefer-tls");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = plan_as("tlsonly", "allow", "allow-retried");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = plan_as("tlsonly", "disable", "disabled");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("no encryption"), "{}", r.stderr);

    let log = server_log(&s, "application_name=allow-retried");
    let line = |app: &str| {
        log.lines()
            .find(|l| l.contains(&format!("application_name={app}")))
            .unwrap_or_else(|| panic!("no connection of {app}: {log}"))
            .to_string()
    };
    assert!(!line("allow-plain").contains("SSL enabled"), "{log}");
    assert!(line("prefer-tls").contains("SSL enabled"), "{log}");
    assert!(line("allow-retried").contains("SSL enabled"), "{log}");
}

#[test]
fn a_malformed_url_never_shows_its_password() {
    // No server needed: these fail before connecting.
    for url in [
        format!("postgres:/{USER}:{PASSWORD}@127.0.0.1/{DB}"),
        format!("postgres://{USER}:{PASSWORD}@127.0.0.1/{DB}"),
        format!("postgres://{USER}:{PASSWORD}@127.0.0.1:54x2/{DB}"),
        format!("postgresql+psycopg2://{USER}:{PASSWORD}@127.0.0.1/{DB}?sslmode=x"),
        format!("host=127.0.0.1 password='{PASSWORD}' port=x"),
    ] {
        let r = plan(&["--database-url", &url], &[]);
        assert_eq!(r.code, 1, "{url}: {}", r.stderr);
        assert!(
            r.stderr.starts_with("error: invalid"),
            "{url}: {}",
            r.stderr
        );
        for piece in PASSWORD.split(['@', ':', '/']) {
            assert!(
                !r.stderr.contains(piece),
                "{url} shows {piece:?}: {}",
                r.stderr
            );
        }
    }
}

/// The server's log (`logging_collector`), read through the trusted superuser once it holds
/// `awaited`.
fn server_log(s: &TempServer, awaited: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = s.psql("postgres", "SELECT pg_read_file(pg_current_logfile())");
        if log.contains(awaited) || Instant::now() > deadline {
            return log;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
