//! Where to connect, following PostgreSQL's conventions: a URL (`postgres://`, `postgresql://`,
//! SQLAlchemy's `postgresql+driver://`, or a `key=value` string), else `DATABASE_URL`, else the
//! libpq variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`), which
//! also fill in whatever a URL leaves out. Passwords never appear in anything this module shows.

use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Client, Config, NoTls};

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("no database given: pass --database-url, or set DATABASE_URL or the PG* variables")]
    Missing,
    #[error("invalid database URL {shown}: {reason}")]
    InvalidUrl { shown: String, reason: String },
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Connect { target: String, reason: String },
}

/// A resolved connection target.
#[derive(Debug, Clone)]
pub struct Target {
    pub config: Config,
}

/// Reads the environment; a function so tests can supply their own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Target {
    /// Builds the target from an explicit URL, `DATABASE_URL`, or the libpq variables.
    pub fn resolve(url: Option<&str>, env: Env<'_>) -> Result<Target, ConnectError> {
        let url = url
            .map(str::to_string)
            .or_else(|| env("DATABASE_URL").filter(|u| !u.is_empty()));
        let any_pg = ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"]
            .iter()
            .any(|k| env(k).is_some());
        let mut config = match &url {
            Some(u) => parse_url(u)?,
            None if any_pg => Config::new(),
            None => return Err(ConnectError::Missing),
        };
        fill_from_env(&mut config, env)?;
        config.connect_timeout(Duration::from_secs(10));
        config.application_name("tableform");
        Ok(Target { config })
    }

    /// `host:port`, and the database, for messages (never the password).
    pub fn describe(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let db = self.config.get_dbname().unwrap_or("?");
        format!("{host}:{port} (database \"{db}\")")
    }

    pub async fn connect(&self) -> Result<Client, ConnectError> {
        if matches!(self.config.get_ssl_mode(), SslMode::Require) {
            return Err(ConnectError::Connect {
                target: self.describe(),
                reason:
                    "sslmode=require is not supported by this build; use sslmode=disable or prefer"
                        .into(),
            });
        }
        let (client, connection) =
            self.config
                .connect(NoTls)
                .await
                .map_err(|e| ConnectError::Connect {
                    target: self.describe(),
                    reason: reason(&e),
                })?;
        tokio::spawn(async move {
            // Errors surface on the next query through the client; nothing to do here.
            let _ = connection.await;
        });
        Ok(client)
    }
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

fn parse_url(url: &str) -> Result<Config, ConnectError> {
    let normalised = normalise_scheme(url.trim());
    Config::from_str(&normalised).map_err(|e| ConnectError::InvalidUrl {
        shown: redact(url),
        reason: e.to_string(),
    })
}

/// `postgresql+psycopg2://...` (SQLAlchemy) -> `postgresql://...`.
fn normalise_scheme(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((base, _driver)) = scheme.split_once('+')
        && (base == "postgresql" || base == "postgres")
    {
        return format!("{base}://{rest}");
    }
    url.to_string()
}

fn fill_from_env(config: &mut Config, env: Env<'_>) -> Result<(), ConnectError> {
    if config.get_hosts().is_empty() {
        let host = env("PGHOST").unwrap_or_else(|| "localhost".into());
        for h in host.split(',') {
            config.host(h);
        }
    }
    if config.get_ports().is_empty()
        && let Some(p) = env("PGPORT")
    {
        let port = p.parse::<u16>().map_err(|_| ConnectError::InvalidUrl {
            shown: format!("PGPORT={p}"),
            reason: "not a port number".into(),
        })?;
        config.port(port);
    }
    if config.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(|| env("USER"))
            .unwrap_or_else(|| "postgres".into());
        config.user(&user);
    }
    if config.get_password().is_none()
        && let Some(pw) = env("PGPASSWORD")
    {
        config.password(pw);
    }
    if config.get_dbname().is_none() {
        let db = env("PGDATABASE")
            .unwrap_or_else(|| config.get_user().unwrap_or("postgres").to_string());
        config.dbname(&db);
    }
    if let Some(mode) = env("PGSSLMODE") {
        config.ssl_mode(match mode.as_str() {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            _ => SslMode::Require,
        });
    }
    Ok(())
}

/// A URL with its password replaced by `****`.
pub fn redact(url: &str) -> String {
    let normal = url.trim();
    if let Some((scheme, rest)) = normal.split_once("://") {
        let (auth, tail) = match rest.find('@') {
            Some(at) if !rest[..at].contains('/') => (&rest[..at], &rest[at..]),
            _ => return format!("{scheme}://{}", redact_params(rest)),
        };
        let auth = match auth.split_once(':') {
            Some((user, _)) => format!("{user}:****"),
            None => auth.to_string(),
        };
        return format!("{scheme}://{auth}{}", redact_params(tail));
    }
    redact_params(normal)
}

/// `password=...` in a query string or key=value string.
fn redact_params(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("password=") {
        out.push_str(&rest[..i + "password=".len()]);
        out.push_str("****");
        rest = &rest[i + "password=".len()..];
        let end = rest.find(['&', ' ']).unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
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

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:hunter2@h/db"),
            "postgres://u:****@h/db"
        );
        assert_eq!(
            redact("postgres://h/db?password=hunter2&x=1"),
            "postgres://h/db?password=****&x=1"
        );
        assert_eq!(
            redact("host=h password=hunter2 dbname=d"),
            "host=h password=**** dbname=d"
        );
        let err = Target::resolve(Some("postgres://u:hunter2@h:notaport/db"), &no_env).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
