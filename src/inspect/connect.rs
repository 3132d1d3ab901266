//! Where to connect, following libpq's conventions. The connection parameters come from, in
//! order of precedence:
//!
//! 1. the connection string: `--database-url`, else `DATABASE_URL` (a `postgres://`,
//!    `postgresql://` or SQLAlchemy `postgresql+driver://` URL, or a `key=value` string);
//! 2. the service it names (`service=`, else `PGSERVICE`) in `PGSERVICEFILE` or
//!    `~/.pg_service.conf`, else in `PGSYSCONFDIR/pg_service.conf`
//!    (`/etc/postgresql-common/pg_service.conf` by default);
//! 3. the libpq variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, ...);
//! 4. defaults, and, when no password was given, the password file (`passfile=`, `PGPASSFILE`,
//!    `~/.pgpass`).
//!
//! Passwords never appear in anything this module shows.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};
use tokio_postgres::config::{Host, SslMode as PgSslMode};
use tokio_postgres::{CancelToken, Client, Config, NoTls};

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// (The wording is asserted by tests/cli_errors.rs; PGSERVICE counts as a PG* variable.)
    #[error("no database given: pass --database-url, or set DATABASE_URL or the PG* variables")]
    Missing,
    /// `shown` names only what is certainly not secret: the URL's scheme, or the kind of string.
    /// A string that did not parse is never echoed, since nobody knows where its password ends.
    #[error("invalid database URL ({shown}): {reason}")]
    InvalidUrl { shown: String, reason: String },
    /// A bad `sslmode`, libpq variable or service file; the message names the setting, never
    /// its value.
    #[error("{0}")]
    Invalid(String),
    #[error("connection service \"{name}\" not found (looked in {looked})")]
    NoService { name: String, looked: String },
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Connect { target: String, reason: String },
}

/// libpq's `sslmode`s. `allow` tries without encryption first and with it when the server
/// refuses; `prefer` tries with encryption first; `require` insists on encryption; `verify-ca`
/// also checks the certificate chain, `verify-full` the host name too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

/// A resolved connection target.
#[derive(Debug, Clone)]
pub struct Target {
    pub config: Config,
    pub ssl: SslMode,
    /// `sslrootcert` / `PGSSLROOTCERT`: the CA certificates to trust instead of the public roots.
    pub root_cert: Option<PathBuf>,
    /// What the user should be told before connecting (a password file that was ignored), in
    /// libpq's words; the CLI prints them.
    pub warnings: Vec<String>,
    /// The password file the password came from, named when the server refuses it.
    pub password_file: Option<PathBuf>,
}

/// Reads the environment; a function so tests can supply their own. The files read (password
/// and service files) are found through it too (`HOME`, `PGPASSFILE`, `PGSERVICEFILE`,
/// `PGSYSCONFDIR`).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// libpq's environment variables and the parameter each one sets.
const ENV_VARS: &[(&str, &str)] = &[
    ("PGHOST", "host"),
    ("PGHOSTADDR", "hostaddr"),
    ("PGPORT", "port"),
    ("PGDATABASE", "dbname"),
    ("PGUSER", "user"),
    ("PGPASSWORD", "password"),
    ("PGPASSFILE", "passfile"),
    ("PGOPTIONS", "options"),
    ("PGAPPNAME", "application_name"),
    ("PGSSLMODE", "sslmode"),
    ("PGSSLROOTCERT", "sslrootcert"),
    ("PGCONNECT_TIMEOUT", "connect_timeout"),
    ("PGTARGETSESSIONATTRS", "target_session_attrs"),
    ("PGCHANNELBINDING", "channel_binding"),
    ("PGLOADBALANCEHOSTS", "load_balance_hosts"),
];

/// The parameters tableform handles itself rather than through tokio-postgres.
const OWN_KEYS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "passfile",
    "service",
    "connect_timeout",
];

/// Where a parameter came from, for error messages.
#[derive(Debug, Clone)]
enum Source {
    Given,
    Service { name: String, file: PathBuf },
    Env(&'static str),
    PassFile,
    Default,
}

#[derive(Debug, Clone)]
struct Param {
    key: String,
    value: String,
    source: Source,
}

/// Connection parameters by keyword, each from the source of highest precedence.
#[derive(Debug, Default)]
struct Params {
    list: Vec<Param>,
    /// What the connection string is, for messages (never its text).
    shown: String,
}

impl Params {
    fn get(&self, key: &str) -> Option<&Param> {
        self.list.iter().find(|p| p.key == key)
    }

    fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(|p| p.value.as_str())
    }

    /// Sets `key`, replacing an earlier value (a later keyword in one string wins, as in libpq).
    fn set(&mut self, key: &str, value: String, source: Source) {
        match self.list.iter_mut().find(|p| p.key == key) {
            Some(p) => {
                p.value = value;
                p.source = source;
            }
            None => self.list.push(Param {
                key: key.to_string(),
                value,
                source,
            }),
        }
    }

    /// Sets `key` when no source of higher precedence did.
    fn fill(&mut self, key: &str, value: String, source: Source) {
        if self.get(key).is_none() {
            self.set(key, value, source);
        }
    }

    fn take(&mut self, key: &str) -> Option<Param> {
        let i = self.list.iter().position(|p| p.key == key)?;
        Some(self.list.remove(i))
    }

    /// The name of the setting `p` came from: `PGPORT`, `sslmode in the database URL`, ...
    fn setting(&self, p: &Param) -> String {
        match &p.source {
            Source::Given => format!("{} in the database URL", p.key),
            Source::Env(var) => var.to_string(),
            Source::Service { name, file } => {
                format!("{} in service \"{name}\" ({})", p.key, file.display())
            }
            Source::PassFile | Source::Default => p.key.clone(),
        }
    }

    /// The error for an unusable value of `p`: for the connection string its shape, for the
    /// other sources the setting's name; never the value.
    fn invalid(&self, p: &Param, reason: &str) -> ConnectError {
        match p.source {
            Source::Given => ConnectError::InvalidUrl {
                shown: self.shown.clone(),
                reason: reason.to_string(),
            },
            _ => ConnectError::Invalid(format!("invalid {}: {reason}", self.setting(p))),
        }
    }
}

impl Target {
    /// Builds the target from an explicit URL, `DATABASE_URL`, a service, or the libpq variables.
    pub fn resolve(url: Option<&str>, env: Env<'_>) -> Result<Target, ConnectError> {
        let url = url
            .map(str::to_string)
            .or_else(|| env("DATABASE_URL").filter(|u| !u.is_empty()));
        let any_pg = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE"]
            .iter()
            .any(|k| env(k).is_some_and(|v| !v.is_empty()));
        let params = match &url {
            Some(u) => parse_conninfo(u)?,
            None if any_pg => Params::default(),
            None => return Err(ConnectError::Missing),
        };
        Self::finish(params, env)
    }

    /// The target `url` names, but for database `dbname` (a database of a fleet found on that
    /// server): the password file and services are consulted for that database, as libpq would.
    pub fn resolve_database(url: &str, dbname: &str, env: Env<'_>) -> Result<Target, ConnectError> {
        let mut params = parse_conninfo(url)?;
        params.set("dbname", dbname.to_string(), Source::Given);
        Self::finish(params, env)
    }

    /// The target a saved plan names (`host`, `port`, `dbname`), for when no connection is
    /// given at all; the user, password and TLS settings come from the environment as usual.
    pub fn planned(
        host: &str,
        port: u16,
        dbname: &str,
        env: Env<'_>,
    ) -> Result<Target, ConnectError> {
        let mut params = Params {
            shown: "the saved plan".into(),
            ..Params::default()
        };
        params.set("host", host.to_string(), Source::Given);
        params.set("port", port.to_string(), Source::Given);
        params.set("dbname", dbname.to_string(), Source::Given);
        Self::finish(params, env)
    }

    fn finish(mut params: Params, env: Env<'_>) -> Result<Target, ConnectError> {
        // The service file: below the connection string, above the environment.
        let service = params
            .value("service")
            .map(str::to_string)
            .or_else(|| env("PGSERVICE").filter(|s| !s.is_empty()));
        if let Some(name) = service.filter(|s| !s.is_empty()) {
            let (file, entries) = find_service(&name, env)?;
            for (key, value) in entries {
                let source = Source::Service {
                    name: name.clone(),
                    file: file.clone(),
                };
                params.fill(&key, value, source);
            }
        }
        for (var, key) in ENV_VARS {
            if let Some(v) = env(var).filter(|v| !v.is_empty()) {
                params.fill(key, v, Source::Env(var));
            }
        }
        params.fill("host", "localhost".into(), Source::Default);
        let os_user = env("USER").unwrap_or_else(|| "postgres".into());
        params.fill("user", os_user, Source::Default);
        let user = params.value("user").unwrap_or_default().to_string();
        params.fill("dbname", user, Source::Default);
        params.fill("sslmode", "prefer".into(), Source::Default);
        params.fill("connect_timeout", "10".into(), Source::Default);
        params.fill("application_name", "tableform".into(), Source::Default);

        let sslmode = params.take("sslmode").expect("filled above");
        let ssl = SslMode::parse(&sslmode.value).ok_or_else(|| {
            ConnectError::Invalid(format!(
                "invalid {}: sslmode must be disable, allow, prefer, require, verify-ca or verify-full",
                params.setting(&sslmode)
            ))
        })?;
        let root_cert = params.take("sslrootcert").map(|p| PathBuf::from(p.value));
        let timeout = params.take("connect_timeout").expect("filled above");
        // libpq: zero or less waits for ever, and less than 2 seconds means 2.
        let timeout = match timeout.value.trim().parse::<i64>() {
            Ok(s) if s <= 0 => None,
            Ok(s) => Some(Duration::from_secs(s.max(2) as u64)),
            Err(_) => {
                return Err(params.invalid(&timeout, "connect_timeout is a number of seconds"));
            }
        };
        if let Some(port) = params.get("port")
            && port
                .value
                .split(',')
                .any(|p| !p.trim().is_empty() && p.trim().parse::<u16>().is_err())
        {
            return Err(match port.source {
                Source::Given => params.invalid(port, PORT_REASON),
                _ => params.invalid(port, "not a port number (1 to 65535)"),
            });
        }

        let mut warnings = Vec::new();
        let mut password_file = None;
        let passfile = params.take("passfile");
        if params.value("password").is_none_or(str::is_empty) {
            let path = passfile
                .map(|p| PathBuf::from(p.value))
                .or_else(|| env("HOME").map(|h| Path::new(&h).join(".pgpass")));
            if let Some(path) = path {
                let first = |key: &str| {
                    params
                        .value(key)
                        .and_then(|v| v.split(',').next())
                        .map(str::trim)
                        .unwrap_or_default()
                        .to_string()
                };
                // libpq matches a Unix socket (or no host) as `localhost`.
                let mut host = first("host");
                if host.is_empty() || host.starts_with('/') {
                    host = "localhost".into();
                }
                let mut port = first("port");
                if port.is_empty() {
                    port = "5432".into();
                }
                let wanted = [host, port, first("dbname"), first("user")];
                match pgpass::lookup(&path, &wanted) {
                    pgpass::Found::Password(pw) => {
                        params.set("password", pw, Source::PassFile);
                        password_file = Some(path);
                    }
                    pgpass::Found::Ignored(warning) => warnings.push(warning),
                    pgpass::Found::Nothing => {}
                }
            }
        }

        let mut text = String::new();
        for p in params
            .list
            .iter()
            .filter(|p| !OWN_KEYS.contains(&p.key.as_str()))
        {
            let value = p.value.replace('\\', "\\\\").replace('\'', "\\'");
            // libpq's `keepalives_count` is tokio-postgres's `keepalives_retries`.
            let key = match p.key.as_str() {
                "keepalives_count" => "keepalives_retries",
                key => key,
            };
            text.push_str(&format!("{key}='{value}' "));
        }
        let mut config = Config::from_str(&text).map_err(|e| {
            let reason = safe_reason(&e);
            // The option tokio-postgres names, and so the setting to blame.
            let named = reason.split('`').nth(1).and_then(|key| params.get(key));
            match named {
                Some(p) => params.invalid(p, &reason),
                None => ConnectError::InvalidUrl {
                    shown: params.shown.clone(),
                    reason,
                },
            }
        })?;
        config.ssl_mode(match ssl {
            // `allow` first tries without TLS; `connect` retries with it.
            SslMode::Disable | SslMode::Allow => PgSslMode::Disable,
            SslMode::Prefer => PgSslMode::Prefer,
            _ => PgSslMode::Require,
        });
        if let Some(t) = timeout {
            config.connect_timeout(t);
        }
        Ok(Target {
            config,
            ssl,
            root_cert,
            warnings,
            password_file,
        })
    }

    /// The first host (a name, an address or a Unix socket directory) and port.
    pub fn host_port(&self) -> (String, u16) {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        (
            host,
            self.config.get_ports().first().copied().unwrap_or(5432),
        )
    }

    /// `host:port`, and the database, for messages (never the password).
    pub fn describe(&self) -> String {
        let (host, port) = self.host_port();
        let db = self.config.get_dbname().unwrap_or("?");
        format!("{host}:{port} (database \"{db}\")")
    }

    pub async fn connect(&self) -> Result<Client, ConnectError> {
        let fail = |reason: String| ConnectError::Connect {
            target: self.describe(),
            reason,
        };
        let connector = || tls::connector(self.ssl, self.root_cert.as_deref()).map_err(fail);
        let client = match self.ssl {
            SslMode::Disable => plain(&self.config).await,
            // libpq's `allow`: without TLS, then with TLS when the server refused the first.
            SslMode::Allow => match plain(&self.config).await {
                Err(e) if e.as_db_error().is_some() => {
                    let mut config = self.config.clone();
                    config.ssl_mode(PgSslMode::Require);
                    encrypted(&config, connector()?).await
                }
                other => other,
            },
            _ => encrypted(&self.config, connector()?).await,
        }
        .map_err(|e| fail(self.explain(&e)))?;
        super::session::pin(&client).await.map_err(fail)?;
        Ok(client)
    }

    /// [`reason`], with what libpq adds: where a refused password came from, or that none was
    /// found.
    fn explain(&self, e: &tokio_postgres::Error) -> String {
        let why = reason(e);
        if why == "password missing" {
            return "the server asks for a password and none was given (in the URL, PGPASSWORD, \
                    a service, PGPASSFILE or ~/.pgpass)"
                .into();
        }
        match (&self.password_file, e.as_db_error()) {
            (Some(file), Some(db)) if db.code().code() == "28P01" => {
                format!(
                    "{why} (password retrieved from file \"{}\")",
                    file.display()
                )
            }
            _ => why,
        }
    }

    /// Asks the server to cancel the statement running on the connection `token` came from.
    pub async fn cancel(&self, token: &CancelToken) {
        let _ = match self.ssl {
            SslMode::Disable => token.cancel_query(NoTls).await,
            // The token knows whether its connection used TLS (`allow`, `prefer`).
            mode => match tls::connector(mode, self.root_cert.as_deref()) {
                Ok(tls) => token.cancel_query(tls).await,
                Err(_) => return,
            },
        };
    }
}

async fn plain(config: &Config) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        // Errors surface on the next query through the client.
        let _ = connection.await;
    });
    Ok(client)
}

async fn encrypted(
    config: &Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// The most useful one-line reason of a tokio-postgres error.
pub fn reason(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = s.to_string();
        src = s.source();
    }
    msg
}

const PORT_REASON: &str = "invalid value for option `port` (in a URL, write a `/`, `@` or `:` \
    in the user name or password as %2F, %40 or %3A)";

/// The parameters of a connection string (a URL or key=value pairs), or an error that quotes
/// nothing from it.
fn parse_conninfo(input: &str) -> Result<Params, ConnectError> {
    let s = input.trim();
    let shown = shape(s);
    let invalid = |reason: String| ConnectError::InvalidUrl {
        shown: shown.clone(),
        reason,
    };
    let pairs = if let Some((scheme, rest)) = s.split_once("://") {
        if !known_scheme(scheme) {
            return Err(invalid(
                "the scheme must be postgres://, postgresql:// or postgresql+driver://".into(),
            ));
        }
        url_pairs(rest).map_err(invalid)?
    } else if s.to_ascii_lowercase().starts_with("postgres") {
        return Err(invalid(
            "a URL starts with postgres:// or postgresql:// (a colon and two slashes)".into(),
        ));
    } else if s.contains('=') {
        match key_values(s) {
            Some(pairs) => pairs,
            None => {
                let reason = match Config::from_str(s) {
                    Err(e) => safe_reason(&e),
                    Ok(_) => "it could not be parsed".into(),
                };
                return Err(invalid(reason));
            }
        }
    } else {
        return Err(invalid(
            "expected a URL such as postgres://user@host:5432/database, or key=value pairs such as `host=... dbname=...`".into(),
        ));
    };
    let mut params = Params {
        list: Vec::new(),
        shown: shown.clone(),
    };
    for (key, value) in pairs {
        if !LIBPQ_KEYWORDS.contains(&key.as_str()) {
            return Err(invalid(unknown_option(&key)));
        }
        params.set(&key, value, Source::Given);
    }
    Ok(params)
}

/// What a URL's user information may hold unencoded before the `url` crate sees it: a `?`, `#`
/// or `/` in a password would otherwise end it.
const USERINFO: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The parameters of a URL after its `scheme://`: user, password, hosts, ports, database and
/// the query's parameters, all percent-decoded. An error is a reason quoting nothing.
fn url_pairs(rest: &str) -> Result<Vec<(String, String)>, String> {
    // libpq: the user information ends at the first `@` that comes before any `/`.
    let (userinfo, after) = match rest.find(['@', '/']) {
        Some(i) if rest.as_bytes()[i] == b'@' => (Some(&rest[..i]), &rest[i + 1..]),
        _ => (None, rest),
    };
    let hosts_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (hosts, tail) = after.split_at(hosts_end);
    // An unencoded `@` in a password moves the rest of the password into the host name, which
    // every later message would show.
    if hosts.contains('@') {
        return Err(
            "the host name contains `@`: write an `@` in the user name or password as %40".into(),
        );
    }
    // The `url` crate reads the user information, path and query; the host list (which it does
    // not know) is read entry by entry below.
    let mut text = String::from("postgres://");
    if let Some(u) = userinfo {
        text.push_str(&utf8_percent_encode(u, USERINFO).to_string());
        text.push('@');
    }
    text.push_str("host");
    text.push_str(tail);
    let url = url::Url::parse(&text).map_err(|_| "it could not be parsed".to_string())?;
    let mut pairs = Vec::new();
    if !url.username().is_empty() {
        pairs.push(("user".to_string(), decode(url.username())?));
    }
    if let Some(pw) = url.password() {
        pairs.push(("password".to_string(), decode(pw)?));
    }
    if !hosts.is_empty() {
        let entries = hosts
            .split(',')
            .map(host_and_port)
            .collect::<Result<Vec<_>, _>>()?;
        if entries.iter().any(|(h, _)| !h.is_empty()) {
            let names: Vec<&str> = entries
                .iter()
                .map(|(h, _)| {
                    if h.is_empty() {
                        "localhost"
                    } else {
                        h.as_str()
                    }
                })
                .collect();
            pairs.push(("host".to_string(), names.join(",")));
        }
        if entries.iter().any(|(_, p)| p.is_some()) {
            let ports: Vec<String> = entries
                .iter()
                .map(|(_, p)| p.map(|p| p.to_string()).unwrap_or_default())
                .collect();
            pairs.push(("port".to_string(), ports.join(",")));
        }
    }
    // libpq would read `u:123/pw@h/db` as host `u`, port 123 and database `pw@h/db`, which
    // every later message would show.
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    if tail[..path_end].contains('@') {
        return Err(
            "the database name contains `@`: write a `/` in the user name or password \
                    as %2F, and an `@` in a database name as %40"
                .into(),
        );
    }
    let db = url.path().trim_start_matches('/');
    if !db.is_empty() {
        pairs.push(("dbname".to_string(), decode(db)?));
    }
    if let Some(query) = url.query() {
        for kv in query.split('&').filter(|kv| !kv.is_empty()) {
            let (k, v) = kv
                .split_once('=')
                .ok_or("a query parameter without `=` (expected key=value)")?;
            // Percent-decoding only: libpq does not read `+` as a space.
            pairs.push((decode(k)?, decode(v)?));
        }
    }
    Ok(pairs)
}

/// One entry of a URL's host list, `host`, `host:port`, `[::1]:port` or `:port`, decoded.
fn host_and_port(entry: &str) -> Result<(String, Option<u16>), String> {
    if let Some(port) = entry.strip_prefix(':') {
        return match port.parse::<u16>() {
            Ok(p) => Ok((String::new(), Some(p))),
            Err(_) => Err(PORT_REASON.into()),
        };
    }
    if entry.is_empty() {
        return Ok((String::new(), None));
    }
    let url = url::Url::parse(&format!("postgres://{entry}/")).map_err(|e| match e {
        url::ParseError::InvalidPort => PORT_REASON.to_string(),
        _ => "an invalid host name".to_string(),
    })?;
    let host = url.host_str().unwrap_or_default();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok((decode(host)?, url.port()))
}

fn decode(s: &str) -> Result<String, String> {
    percent_decode_str(s)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| "percent-encoded bytes that are not UTF-8".to_string())
}

/// The scheme of a URL tableform accepts: `postgres`, `postgresql`, `postgresql+driver`.
fn known_scheme(scheme: &str) -> bool {
    let (base, driver) = match scheme.split_once('+') {
        Some((b, d)) => (b, Some(d)),
        None => (scheme, None),
    };
    (base == "postgres" || base == "postgresql")
        && driver.is_none_or(|d| {
            !d.is_empty() && d.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// What a connection string is, without any of its text beyond a known scheme.
fn shape(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, _)) if known_scheme(scheme) => format!("{scheme}://..."),
        Some(_) => "unknown scheme".into(),
        None if url.contains('=') => "key=value string".into(),
        None => "not a URL".into(),
    }
}

/// libpq's connection keywords: an unknown option is named only when it is one of these (in
/// another case), since anything else may be a piece of a password.
const LIBPQ_KEYWORDS: &[&str] = &[
    "application_name",
    "channel_binding",
    "client_encoding",
    "connect_timeout",
    "dbname",
    "fallback_application_name",
    "gssencmode",
    "gsslib",
    "host",
    "hostaddr",
    "keepalives",
    "keepalives_count",
    "keepalives_idle",
    "keepalives_interval",
    "krbsrvname",
    "load_balance_hosts",
    "options",
    "passfile",
    "password",
    "port",
    "replication",
    "require_auth",
    "requirepeer",
    "service",
    "ssl_max_protocol_version",
    "ssl_min_protocol_version",
    "sslcert",
    "sslcertmode",
    "sslcompression",
    "sslcrl",
    "sslcrldir",
    "sslkey",
    "sslmode",
    "sslnegotiation",
    "sslpassword",
    "sslrootcert",
    "sslsni",
    "target_session_attrs",
    "tcp_user_timeout",
    "user",
];

/// The reason for an option name that is not a libpq keyword, naming it only when it is one in
/// another case.
fn unknown_option(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match LIBPQ_KEYWORDS.contains(&lower.as_str()) {
        true if lower != name => {
            format!("unknown option `{name}`: option names are lower case (`{lower}`)")
        }
        true => format!("option `{name}` is not supported"),
        false => "an unknown option (not shown: it may be part of a password)".into(),
    }
}

/// tokio-postgres's parse error, reduced to what quotes nothing from the input: some of its
/// messages name an option or a character of the string, which may be the password.
fn safe_reason(e: &tokio_postgres::Error) -> String {
    let cause = std::error::Error::source(e)
        .map(ToString::to_string)
        .unwrap_or_default();
    if cause.starts_with("invalid value for option `")
        || matches!(
            cause.as_str(),
            "unexpected EOF"
                | "unterminated quoted connection parameter value"
                | "unterminated parameter"
        )
    {
        // Fixed texts, or an option name tokio-postgres itself supplies.
        return cause;
    }
    if let Some(name) = cause
        .strip_prefix("unknown option `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return unknown_option(name);
    }
    if let Some((at, expected)) = cause
        .strip_prefix("unexpected character at byte ")
        .and_then(|r| r.split_once(": expected `"))
        .and_then(|(at, r)| Some((at, r.split_once('`')?.0)))
    {
        return format!("unexpected character at byte {at} (expected `{expected}`)");
    }
    "it could not be parsed".into()
}

/// A libpq key=value connection string as pairs: spaces around `=` allowed, values optionally
/// single-quoted, backslash escapes. `None` when it is not valid syntax.
fn key_values(s: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut it = s.chars().peekable();
    loop {
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        let mut key = String::new();
        while let Some(c) = it.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        if key.is_empty() {
            return if it.peek().is_none() {
                Some(pairs)
            } else {
                None
            };
        }
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        it.next_if_eq(&'=')?;
        while it.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if it.next_if_eq(&'\'').is_some() {
            loop {
                match it.next()? {
                    '\'' => break,
                    '\\' => value.push(it.next()?),
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = it.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some(n) = it.next() {
                        value.push(n);
                    }
                } else {
                    value.push(c);
                }
            }
            if value.is_empty() {
                return None;
            }
        }
        pairs.push((key, value));
    }
}

/// The service `name`'s parameters and the file they are in: the user's file
/// (`PGSERVICEFILE`, else `~/.pg_service.conf`) first, then the system's
/// (`PGSYSCONFDIR/pg_service.conf`, else Debian's `/etc/postgresql-common/pg_service.conf`).
fn find_service(
    name: &str,
    env: Env<'_>,
) -> Result<(PathBuf, Vec<(String, String)>), ConnectError> {
    let user_file = env("PGSERVICEFILE")
        .filter(|f| !f.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".pg_service.conf")));
    let system_file = env("PGSYSCONFDIR")
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(&d).join("pg_service.conf"))
        .unwrap_or_else(|| PathBuf::from("/etc/postgresql-common/pg_service.conf"));
    let mut looked = Vec::new();
    for file in user_file.into_iter().chain([system_file]) {
        looked.push(file.display().to_string());
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if let Some(entries) = service_section(&text, name, &file)? {
            return Ok((file, entries));
        }
    }
    Err(ConnectError::NoService {
        name: name.to_string(),
        looked: looked.join(", "),
    })
}

/// The `key=value` lines of section `[name]` of a service file, `None` when it has none. Errors
/// give the line number, never the line (it may hold a password).
fn service_section(
    text: &str,
    name: &str,
    file: &Path,
) -> Result<Option<Vec<(String, String)>>, ConnectError> {
    let mut in_section = false;
    let mut found = false;
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[') {
            if in_section {
                break;
            }
            in_section = section
                .strip_prefix(name)
                .is_some_and(|r| r.starts_with(']'));
            found |= in_section;
            continue;
        }
        if !in_section {
            continue;
        }
        let bad = |what: &str| {
            ConnectError::Invalid(format!(
                "{what} in service file \"{}\", line {}",
                file.display(),
                i + 1
            ))
        };
        let (key, value) = line.split_once('=').ok_or_else(|| bad("syntax error"))?;
        let key = key.trim();
        if key == "service" {
            return Err(bad("nested service specifications not supported"));
        }
        if !LIBPQ_KEYWORDS.contains(&key) {
            return Err(bad("unknown connection option"));
        }
        entries.push((key.to_string(), value.trim().to_string()));
    }
    Ok(found.then_some(entries))
}

mod pgpass {
    //! libpq's password file: `hostname:port:database:username:password` lines, `*` matching
    //! anything, `\:` and `\\` escapes, `#` comments, the first matching line wins.

    use std::path::Path;

    pub enum Found {
        Password(String),
        /// The file was not used; libpq's warning says why.
        Ignored(String),
        Nothing,
    }

    /// The password for `wanted` (host, port, database, user) in the file at `path`.
    pub fn lookup(path: &Path, wanted: &[String; 4]) -> Found {
        let Ok(meta) = std::fs::metadata(path) else {
            return Found::Nothing;
        };
        if !meta.is_file() {
            return Found::Ignored(format!(
                "WARNING: password file \"{}\" is not a plain file",
                path.display()
            ));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o077 != 0 {
                return Found::Ignored(format!(
                    "WARNING: password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
                    path.display()
                ));
            }
        }
        let Ok(bytes) = std::fs::read(path) else {
            return Found::Nothing;
        };
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields = fields(line);
            if fields.len() < 5 {
                continue;
            }
            let matches = fields[..4]
                .iter()
                .zip(wanted)
                .all(|((raw, value), want)| raw == "*" || value == want);
            if matches {
                return Found::Password(fields[4].1.clone());
            }
        }
        Found::Nothing
    }

    /// The `:`-separated fields of a line, each as written and unescaped.
    fn fields(line: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let (mut raw, mut value) = (String::new(), String::new());
        let mut it = line.chars();
        while let Some(c) = it.next() {
            match c {
                '\\' => {
                    raw.push(c);
                    if let Some(n) = it.next() {
                        raw.push(n);
                        value.push(n);
                    }
                }
                ':' => out.push((std::mem::take(&mut raw), std::mem::take(&mut value))),
                c => {
                    raw.push(c);
                    value.push(c);
                }
            }
        }
        out.push((raw, value));
        out
    }
}

mod tls {
    //! rustls for the `sslmode`s that encrypt.

    use std::path::Path;
    use std::sync::Arc;

    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
    use tokio_postgres_rustls::MakeRustlsConnect;

    use super::SslMode;

    /// Checks what the mode asks for: nothing (`prefer`, `require`), the chain (`verify-ca`), or
    /// the chain and the host name (`verify-full`).
    #[derive(Debug)]
    struct Verifier {
        chain: Option<Arc<WebPkiServerVerifier>>,
        check_name: bool,
        provider: Arc<CryptoProvider>,
    }

    impl ServerCertVerifier for Verifier {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            let Some(chain) = &self.chain else {
                return Ok(ServerCertVerified::assertion());
            };
            match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
                Err(Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) if !self.check_name => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    }

    pub fn connector(mode: SslMode, root_cert: Option<&Path>) -> Result<MakeRustlsConnect, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        // libpq: with a root certificate file, `require` verifies the chain like `verify-ca`.
        let verify_chain = matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull)
            || (mode == SslMode::Require && root_cert.is_some());
        let chain = if verify_chain {
            let mut roots = RootCertStore::empty();
            match root_cert {
                Some(path) => {
                    let certs = CertificateDer::pem_file_iter(path)
                        .map_err(|e| format!("cannot read sslrootcert {}: {e}", path.display()))?;
                    for cert in certs {
                        let cert = cert.map_err(|e| {
                            format!("cannot read sslrootcert {}: {e}", path.display())
                        })?;
                        roots.add(cert).map_err(|e| {
                            format!("unusable certificate in {}: {e}", path.display())
                        })?;
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            let v = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| format!("cannot set up certificate verification: {e}"))?;
            Some(v)
        } else {
            None
        };
        let verifier = Verifier {
            chain,
            check_name: mode == SslMode::VerifyFull,
            provider: provider.clone(),
        };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn sqlalchemy_urls_are_accepted() {
        let t = Target::resolve(
            Some("postgresql+psycopg2://u:secret@db.example:6543/app"),
            &no_env,
        )
        .unwrap();
        assert_eq!(t.describe(), "db.example:6543 (database \"app\")");
        assert_eq!(t.config.get_user(), Some("u"));
    }

    #[test]
    fn libpq_variables_fill_in() {
        let env = |k: &str| match k {
            "PGHOST" => Some("10.0.0.9".to_string()),
            "PGPORT" => Some("5433".to_string()),
            "PGUSER" => Some("bob".to_string()),
            "PGDATABASE" => Some("shop".to_string()),
            _ => None,
        };
        let t = Target::resolve(None, &env).unwrap();
        assert_eq!(t.describe(), "10.0.0.9:5433 (database \"shop\")");
        assert!(matches!(
            Target::resolve(None, &no_env),
            Err(ConnectError::Missing)
        ));
    }

    /// Every message of `resolve` for these inputs, which must not hold any piece of `secret`.
    fn assert_hidden(input: &str, secrets: &[&str], expected: &str) {
        let err = Target::resolve(Some(input), &no_env)
            .unwrap_err()
            .to_string();
        for s in secrets {
            assert!(!err.contains(s), "{input:?} shows {s:?}: {err}");
        }
        assert!(err.contains(expected), "{input:?}: {err}");
    }

    #[test]
    fn typos_in_a_connection_string_never_show_the_password() {
        let pw = ["Hunter2-Pw"];
        assert_hidden(
            "u:Hunter2-Pw@h/db",
            &pw,
            "invalid database URL (not a URL): expected a URL such as postgres://",
        );
        for typo in ["postgres:/u:Hunter2-Pw@h/db", "postgres//u:Hunter2-Pw@h/db"] {
            assert_hidden(typo, &pw, "a URL starts with postgres:// or postgresql://");
        }
        assert_hidden(
            "mysql://u:Hunter2-Pw@h/db",
            &pw,
            "invalid database URL (unknown scheme)",
        );
        assert_hidden(
            "postgres://u:Hunter/2Pw@h:54x2/db",
            &["Hunter", "2Pw"],
            "invalid database URL (postgres://...): invalid value for option `port`",
        );
        assert_hidden(
            "postgresql+psycopg2://u:Hunter@2Pw@h/db",
            &["Hunter", "2Pw"],
            "(postgresql+psycopg2://...): the host name contains `@`",
        );
        assert_hidden(
            "host=h PASSWORD=Hunter2-Pw dbname=d",
            &pw,
            "(key=value string): unknown option `PASSWORD`: option names are lower case (`password`)",
        );
        assert_hidden(
            "host=h password = Hunter2-Pw port=54x2",
            &pw,
            "invalid value for option `port`",
        );
        assert_hidden(
            "host=h password='Hunter2 Zebra9' port=54x2",
            &["Hunter2", "Zebra9"],
            "invalid value for option `port`",
        );
        // A password typed where an option name goes, and a stray character after a name.
        assert_hidden(
            "host=h password=Hunter2 Zebra9=x",
            &["Hunter2", "Zebra9"],
            "an unknown option (not shown",
        );
        assert_hidden(
            "host=h Hunter2 Zebra9",
            &["Hunter2", "Zebra9"],
            "unexpected character at byte 15 (expected `=`)",
        );
    }

    #[test]
    fn settings_errors_name_the_setting_not_its_value() {
        let env = |k: &str| match k {
            "PGPORT" => Some("Hunter2-Pw".to_string()),
            _ => None,
        };
        let err = Target::resolve(None, &env).unwrap_err().to_string();
        assert_eq!(err, "invalid PGPORT: not a port number (1 to 65535)");
        let env = |k: &str| match k {
            "PGSSLMODE" => Some("Hunter2-Pw".to_string()),
            _ => None,
        };
        let err = Target::resolve(Some("postgres://h/db"), &env)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid PGSSLMODE: sslmode must be disable, allow, prefer, require, verify-ca or verify-full"
        );
        let err = Target::resolve(Some("host=h sslmode='Hunter2 Pw'"), &no_env)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("Hunter2"), "{err}");
        assert!(
            err.starts_with("invalid sslmode in the database URL"),
            "{err}"
        );
    }

    #[test]
    fn key_value_strings_keep_quoted_values_whole() {
        let t = Target::resolve(
            Some(r"host=h password = 'a b sslmode=disable \' x' sslmode=require dbname='my db'"),
            &no_env,
        )
        .unwrap();
        assert_eq!(t.ssl, SslMode::Require);
        assert_eq!(
            t.config.get_password(),
            Some(&br"a b sslmode=disable ' x"[..])
        );
        assert_eq!(t.config.get_dbname(), Some("my db"));
        // A `?` in a URL's password is not its query string.
        let t = Target::resolve(Some("postgres://u:pa?ss@h/db?sslmode=disable"), &no_env).unwrap();
        assert_eq!(t.ssl, SslMode::Disable);
        assert_eq!(t.config.get_password(), Some(&b"pa?ss"[..]));
    }

    #[test]
    fn a_planned_target_takes_the_rest_from_the_environment() {
        let env = |k: &str| match k {
            "PGPASSWORD" => Some("pw".to_string()),
            "USER" => Some("carol".to_string()),
            _ => None,
        };
        let t = Target::planned("db.internal", 6432, "shop", &env).unwrap();
        assert_eq!(t.describe(), "db.internal:6432 (database \"shop\")");
        assert_eq!(t.config.get_user(), Some("carol"));
        assert_eq!(t.config.get_password(), Some(&b"pw"[..]));
    }

    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory for one test's files.
    fn scratch(tag: &str) -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "tableform-connect-{tag}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write_file(path: &Path, text: &str, mode: u32) {
        std::fs::write(path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = mode;
    }

    /// An environment holding exactly `vars`.
    fn env_of(vars: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + use<> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        move |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn password(t: &Target) -> Option<String> {
        t.config
            .get_password()
            .map(|p| String::from_utf8(p.to_vec()).unwrap())
    }

    #[test]
    fn url_parts_are_percent_decoded() {
        let t = Target::resolve(
            Some("postgres://u%40x:p%3Aw%2F%3F%40@h/my%20db?application_name=a%26b%2Bc&options=-c%20search_path%3Dx"),
            &no_env,
        )
        .unwrap();
        assert_eq!(t.config.get_user(), Some("u@x"));
        assert_eq!(password(&t).as_deref(), Some("p:w/?@"));
        assert_eq!(t.config.get_dbname(), Some("my db"));
        assert_eq!(t.config.get_application_name(), Some("a&b+c"));
        assert_eq!(t.config.get_options(), Some("-c search_path=x"));
        // Unencoded `:` after the first one belongs to the password, as does a `?`.
        let t = Target::resolve(Some("postgres://u:a:b?c@h/db"), &no_env).unwrap();
        assert_eq!(password(&t).as_deref(), Some("a:b?c"));
    }

    #[test]
    fn url_hosts_take_every_form() {
        let t = Target::resolve(Some("postgres://[::1]:6000/db"), &no_env).unwrap();
        assert_eq!(t.host_port(), ("::1".to_string(), 6000));
        let t = Target::resolve(Some("postgresql://u@a:1,b:2/db"), &no_env).unwrap();
        assert_eq!(
            t.config.get_hosts(),
            &[Host::Tcp("a".into()), Host::Tcp("b".into())]
        );
        assert_eq!(t.config.get_ports(), &[1, 2]);
        let t = Target::resolve(Some("postgres://%2Fvar%2Frun%2Fpostgresql/db"), &no_env).unwrap();
        assert!(
            matches!(&t.config.get_hosts()[0], Host::Unix(p) if p == Path::new("/var/run/postgresql"))
        );
        let t = Target::resolve(Some("postgres:///db?host=/tmp&port=5433"), &no_env).unwrap();
        assert!(matches!(&t.config.get_hosts()[0], Host::Unix(p) if p == Path::new("/tmp")));
        assert_eq!(t.config.get_ports(), &[5433]);
        let t = Target::resolve(Some("postgres://:7000/db"), &no_env).unwrap();
        assert_eq!(t.describe(), "localhost:7000 (database \"db\")");
    }

    #[test]
    fn no_error_shows_a_password() {
        let inputs = [
            "postgres:/u:S3cr3tPw@h/db",
            "postgres:/u:S3cr@:3tPw@h/db",
            "postgres://u:S3cr@t:3tPw@h/db",
            "postgres://u:S3cr:3tPw@h@x/db",
            "postgres://u:S3cr/3tPw@h:1/db",
            "postgres://u:5432/S3cr3tPw@h/db",
            "postgres://u:5432/S3cr3tPw@h",
            "postgres://u:S3cr3tPw@h:99999/db",
            "postgres://u:S3cr3tPw@h/db?sslmode=S3cr3tPw",
            "postgres://u:S3cr3tPw@h/db?S3cr3tPw=1",
            "postgres://u:S3cr3tPw@h/db?port",
            "postgres://u:S3cr3tPw@h/db?port=S3cr3tPw",
            "postgres://u:S3cr3tPw@[::1/db",
            "postgres://u:%FF%FES3cr3tPw@h/db",
            "postgresql+psycopg2://u:S3cr3tPw@h/db?connect_timeout=S3cr3tPw",
            "postgres://u:S3cr3tPw@h/db?keepalives_idle=S3cr3tPw",
            "host=h password=S3cr3tPw port=S3cr3tPw",
            "host=h password=S3cr3tPw S3cr3tPw",
            "host=h password='S3cr3tPw",
            "ftp://u:S3cr3tPw@h/db",
            "u:S3cr3tPw@h/db",
        ];
        for input in inputs {
            let err = Target::resolve(Some(input), &no_env)
                .expect_err(input)
                .to_string();
            for piece in ["S3cr", "3tPw"] {
                assert!(!err.contains(piece), "{input:?} shows the password: {err}");
            }
        }
    }

    #[test]
    fn the_password_file_gives_a_missing_password() {
        let dir = scratch("pgpass");
        let file = dir.join("pgpass");
        write_file(
            &file,
            "# comment:*:*:*:no\n\
             other:*:*:*:wrong\n\
             h:5432:db:u\\:x:colon-user\n\
             *:*:db:u:first\n\
             *:*:*:u:second\n\
             *:*:*:esc:pa\\:ss\\\\w\n\
             localhost:5432:sock:*:via-socket\n",
            0o600,
        );
        let env = env_of(&[("PGPASSFILE", file.display().to_string())]);
        let pw = |url: &str| password(&Target::resolve(Some(url), &env).unwrap());
        assert_eq!(pw("postgres://u@h/db").as_deref(), Some("first"));
        assert_eq!(pw("postgres://u@h/elsewhere").as_deref(), Some("second"));
        assert_eq!(pw("postgres://u%3Ax@h/db").as_deref(), Some("colon-user"));
        assert_eq!(pw("postgres://esc@h/x").as_deref(), Some("pa:ss\\w"));
        assert_eq!(
            pw("host=/tmp dbname=sock user=z").as_deref(),
            Some("via-socket")
        );
        assert_eq!(pw("postgres://nobody@h/x"), None);
        // A password given anywhere wins.
        assert_eq!(pw("postgres://u:given@h/db").as_deref(), Some("given"));
        let t = Target::resolve(Some("postgres://u@h/db"), &env).unwrap();
        assert_eq!(t.password_file.as_deref(), Some(file.as_path()));
        assert!(t.warnings.is_empty());

        // ~/.pgpass without PGPASSFILE; `passfile=` over PGPASSFILE.
        write_file(&dir.join(".pgpass"), "*:*:*:*:from-home\n", 0o600);
        let home = env_of(&[("HOME", dir.display().to_string())]);
        let t = Target::resolve(Some("postgres://u@h/db"), &home).unwrap();
        assert_eq!(password(&t).as_deref(), Some("from-home"));
        let other = dir.join("other");
        write_file(&other, "*:*:*:*:from-param\n", 0o600);
        let url = format!("postgres://u@h/db?passfile={}", other.display());
        assert_eq!(pw(&url).as_deref(), Some("from-param"));
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_password_file_is_ignored_with_libpqs_warning() {
        let dir = scratch("pgpass-open");
        let file = dir.join("pgpass");
        write_file(&file, "*:*:*:*:pw\n", 0o644);
        let env = env_of(&[("PGPASSFILE", file.display().to_string())]);
        let t = Target::resolve(Some("postgres://u@h/db"), &env).unwrap();
        assert_eq!(password(&t), None);
        assert_eq!(
            t.warnings,
            [format!(
                "WARNING: password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
                file.display()
            )]
        );
    }

    #[test]
    fn a_service_fills_below_the_string_and_above_the_environment() {
        let dir = scratch("service");
        let file = dir.join("services.conf");
        write_file(
            &file,
            "# services\n[other]\nhost=wrong\n\n[mydb]\nhost=svc.example\nport=6543\nuser=svcuser\ndbname=svcdb\npassword=svc:pw\n[after]\nhost=wrong\n",
            0o600,
        );
        let env = env_of(&[
            ("PGSERVICE", "mydb".into()),
            ("PGSERVICEFILE", file.display().to_string()),
            ("PGUSER", "envuser".into()),
            ("PGSSLMODE", "disable".into()),
        ]);
        let t = Target::resolve(None, &env).unwrap();
        assert_eq!(t.describe(), "svc.example:6543 (database \"svcdb\")");
        assert_eq!(t.config.get_user(), Some("svcuser"));
        assert_eq!(password(&t).as_deref(), Some("svc:pw"));
        assert_eq!(t.ssl, SslMode::Disable);
        // The connection string beats the service, and may name it itself.
        let t = Target::resolve(Some("service=mydb port=7777"), &env).unwrap();
        assert_eq!(t.describe(), "svc.example:7777 (database \"svcdb\")");
        let t = Target::resolve(Some("postgres://other@/?service=mydb"), &env).unwrap();
        assert_eq!(t.config.get_user(), Some("other"));
        assert_eq!(t.describe(), "svc.example:6543 (database \"svcdb\")");
    }

    #[test]
    fn the_users_service_file_comes_before_the_systems() {
        let dir = scratch("service-files");
        write_file(
            &dir.join(".pg_service.conf"),
            "[s]\nhost=user-file\n",
            0o644,
        );
        let sys = dir.join("etc");
        std::fs::create_dir_all(&sys).unwrap();
        write_file(
            &sys.join("pg_service.conf"),
            "[s]\nhost=system-file\n[only-system]\nhost=sys-only\n",
            0o644,
        );
        let env = env_of(&[
            ("HOME", dir.display().to_string()),
            ("PGSYSCONFDIR", sys.display().to_string()),
        ]);
        let host = |s: &str| Target::resolve(Some(s), &env).unwrap().host_port().0;
        assert_eq!(host("service=s"), "user-file");
        assert_eq!(host("service=only-system"), "sys-only");
        let err = Target::resolve(Some("service=nowhere"), &env)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!(
                "connection service \"nowhere\" not found (looked in {}, {})",
                dir.join(".pg_service.conf").display(),
                sys.join("pg_service.conf").display()
            )
        );
        // A bad line names its place, not its text.
        write_file(&dir.join(".pg_service.conf"), "[s]\nS3cr3tPw\n", 0o644);
        let err = Target::resolve(Some("service=s"), &env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("syntax error in service file"), "{err}");
        assert!(err.ends_with("line 2"), "{err}");
        assert!(!err.contains("S3cr3tPw"), "{err}");
    }

    #[test]
    fn service_errors_name_the_file_and_setting_not_the_value() {
        let dir = scratch("service-errors");
        let file = dir.join("services.conf");
        let env = env_of(&[("PGSERVICEFILE", file.display().to_string())]);
        let err = |text: &str| {
            write_file(&file, text, 0o600);
            Target::resolve(Some("service=s"), &env)
                .unwrap_err()
                .to_string()
        };
        let shown = file.display();
        assert_eq!(
            err("[s]\npassword=S3cr3tPw\nport=S3cr3tPw\n"),
            format!("invalid port in service \"s\" ({shown}): not a port number (1 to 65535)")
        );
        assert_eq!(
            err("[s]\nsslmode=S3cr3tPw\n"),
            format!(
                "invalid sslmode in service \"s\" ({shown}): sslmode must be disable, allow, prefer, require, verify-ca or verify-full"
            )
        );
        assert_eq!(
            err("[s]\nservice=t\n"),
            format!(
                "nested service specifications not supported in service file \"{shown}\", line 2"
            )
        );
        assert_eq!(
            err("# x\n[s]\nS3cr3tPw=1\n"),
            format!("unknown connection option in service file \"{shown}\", line 3")
        );
    }

    #[test]
    fn timeout_application_name_and_options_follow_libpq() {
        let t = Target::resolve(Some("postgres://h/db"), &no_env).unwrap();
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&Duration::from_secs(10))
        );
        assert_eq!(t.config.get_application_name(), Some("tableform"));
        assert_eq!(t.config.get_options(), None);
        let env = env_of(&[
            ("PGCONNECT_TIMEOUT", "3".into()),
            ("PGAPPNAME", "deployer".into()),
            ("PGOPTIONS", "-c statement_timeout=5s".into()),
        ]);
        let t = Target::resolve(Some("postgres://h/db"), &env).unwrap();
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        assert_eq!(t.config.get_application_name(), Some("deployer"));
        assert_eq!(t.config.get_options(), Some("-c statement_timeout=5s"));
        let t = Target::resolve(Some("postgres://h/db?keepalives_count=4"), &no_env).unwrap();
        assert_eq!(t.config.get_keepalives_retries(), Some(4));
        let t = Target::resolve(Some("postgres://h/db?application_name=mine"), &env).unwrap();
        assert_eq!(t.config.get_application_name(), Some("mine"));
        let timeout = |v: &str| {
            let env = env_of(&[("PGCONNECT_TIMEOUT", v.into())]);
            Target::resolve(Some("postgres://h/db"), &env)
                .map(|t| t.config.get_connect_timeout().copied())
        };
        assert_eq!(timeout("0").unwrap(), None);
        assert_eq!(timeout("1").unwrap(), Some(Duration::from_secs(2)));
        assert_eq!(
            timeout("soon").unwrap_err().to_string(),
            "invalid PGCONNECT_TIMEOUT: connect_timeout is a number of seconds"
        );
    }

    #[test]
    fn sslmode_allow_starts_without_tls() {
        let t = Target::resolve(Some("postgres://h/db?sslmode=allow"), &no_env).unwrap();
        assert_eq!(t.ssl, SslMode::Allow);
        assert_eq!(t.config.get_ssl_mode(), PgSslMode::Disable);
        let t = Target::resolve(Some("postgres://h/db"), &no_env).unwrap();
        assert_eq!(t.ssl, SslMode::Prefer);
        assert_eq!(t.config.get_ssl_mode(), PgSslMode::Prefer);
    }
}
