//! Where to connect, following PostgreSQL's conventions: a URL (`postgres://`, `postgresql://`,
//! SQLAlchemy's `postgresql+driver://`, or a `key=value` string), else `DATABASE_URL`, else the
//! libpq variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`), which
//! also fill in whatever a URL leaves out. Passwords never appear in anything this module shows.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode as PgSslMode};
use tokio_postgres::{CancelToken, Client, Config, NoTls};

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("no database given: pass --database-url, or set DATABASE_URL or the PG* variables")]
    Missing,
    /// `shown` names only what is certainly not secret: the URL's scheme, or the kind of string.
    /// A string that did not parse is never echoed, since nobody knows where its password ends.
    #[error("invalid database URL ({shown}): {reason}")]
    InvalidUrl { shown: String, reason: String },
    /// A bad `sslmode` or libpq variable; the message names the setting, never its value.
    #[error("{0}")]
    Invalid(String),
    #[error("cannot connect to PostgreSQL at {target}: {reason}")]
    Connect { target: String, reason: String },
}

/// libpq's `sslmode`s. `allow` and `prefer` encrypt when the server can; `require` insists on
/// encryption; `verify-ca` also checks the certificate chain, `verify-full` the host name too.
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
        let (url, ssl, root_cert) = match &url {
            Some(u) => {
                let (rest, ssl) = take_param(u, "sslmode");
                let (rest, root) = take_param(&rest, "sslrootcert");
                (Some(rest), ssl, root)
            }
            None if any_pg => (None, None, None),
            None => return Err(ConnectError::Missing),
        };
        let config = match &url {
            Some(u) => parse_url(u)?,
            None => Config::new(),
        };
        Self::finish(config, ssl, root_cert, env)
    }

    /// The target a saved plan names (`host`, `port`, `dbname`), for when no connection is
    /// given at all; the user, password and TLS settings come from the environment as usual.
    pub fn planned(
        host: &str,
        port: u16,
        dbname: &str,
        env: Env<'_>,
    ) -> Result<Target, ConnectError> {
        let mut config = Config::new();
        config.host(host).port(port).dbname(dbname);
        Self::finish(config, None, None, env)
    }

    fn finish(
        mut config: Config,
        ssl: Option<String>,
        root_cert: Option<String>,
        env: Env<'_>,
    ) -> Result<Target, ConnectError> {
        fill_from_env(&mut config, env)?;
        let from_url = ssl.is_some();
        let ssl_text = ssl
            .or_else(|| env("PGSSLMODE"))
            .unwrap_or_else(|| "prefer".into());
        let ssl = SslMode::parse(&ssl_text).ok_or_else(|| {
            ConnectError::Invalid(format!(
                "invalid {}: sslmode must be disable, allow, prefer, require, verify-ca or verify-full",
                if from_url { "sslmode in the database URL" } else { "PGSSLMODE" }
            ))
        })?;
        config.ssl_mode(match ssl {
            SslMode::Disable => PgSslMode::Disable,
            SslMode::Allow | SslMode::Prefer => PgSslMode::Prefer,
            _ => PgSslMode::Require,
        });
        config.connect_timeout(Duration::from_secs(10));
        config.application_name("tableform");
        let root_cert = root_cert
            .or_else(|| env("PGSSLROOTCERT"))
            .map(PathBuf::from);
        Ok(Target {
            config,
            ssl,
            root_cert,
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
        if self.ssl == SslMode::Disable {
            let (client, connection) = self
                .config
                .connect(NoTls)
                .await
                .map_err(|e| fail(reason(&e)))?;
            tokio::spawn(async move {
                // Errors surface on the next query through the client.
                let _ = connection.await;
            });
            super::session::pin(&client).await.map_err(fail)?;
            return Ok(client);
        }
        let tls = tls::connector(self.ssl, self.root_cert.as_deref()).map_err(fail)?;
        let (client, connection) = self
            .config
            .connect(tls)
            .await
            .map_err(|e| fail(reason(&e)))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        super::session::pin(&client).await.map_err(fail)?;
        Ok(client)
    }

    /// Asks the server to cancel the statement running on the connection `token` came from.
    pub async fn cancel(&self, token: &CancelToken) {
        let _ = match self.ssl {
            SslMode::Disable => token.cancel_query(NoTls).await,
            mode => match tls::connector(mode, self.root_cert.as_deref()) {
                Ok(tls) => token.cancel_query(tls).await,
                Err(_) => return,
            },
        };
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
    let url = url.trim();
    let normalised = normalise_scheme(url);
    let config = Config::from_str(&normalised).map_err(|e| invalid(url, &e))?;
    // An unencoded `@` in a password moves the rest of the password into the host name, which
    // every later message would show.
    if config
        .get_hosts()
        .iter()
        .any(|h| matches!(h, Host::Tcp(name) if name.contains('@')))
    {
        return Err(ConnectError::InvalidUrl {
            shown: shape(url),
            reason: "the host name contains `@`: write an `@` in the user name or password as %40"
                .into(),
        });
    }
    Ok(config)
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

/// The error for a connection string tokio-postgres could not parse: its shape and a reason
/// that quotes nothing from it.
fn invalid(url: &str, e: &tokio_postgres::Error) -> ConnectError {
    let lower = url.to_ascii_lowercase();
    let reason = if !url.contains("://") && lower.starts_with("postgres") {
        "a URL starts with postgres:// or postgresql:// (a colon and two slashes)".to_string()
    } else {
        match shape(url).as_str() {
            "unknown scheme" => "the scheme must be postgres://, postgresql:// or postgresql+driver://".to_string(),
            "not a URL" => "expected a URL such as postgres://user@host:5432/database, or key=value pairs such as `host=... dbname=...`".to_string(),
            _ => safe_reason(e),
        }
    };
    ConnectError::InvalidUrl {
        shown: shape(url),
        reason,
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
        let lower = name.to_ascii_lowercase();
        return match LIBPQ_KEYWORDS.contains(&lower.as_str()) {
            true if lower != name => {
                format!("unknown option `{name}`: option names are lower case (`{lower}`)")
            }
            true => format!("option `{name}` is not supported"),
            false => "an unknown option (not shown: it may be part of a password)".into(),
        };
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
        let port = p.trim().parse::<u16>().map_err(|_| {
            ConnectError::Invalid("invalid PGPORT: not a port number (1 to 65535)".into())
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
    Ok(())
}

/// Removes `key=value` from a URL's query string or a key=value string; returns what is left and
/// the value. tableform handles `sslmode` and `sslrootcert` itself (tokio-postgres knows only some
/// of libpq's modes).
fn take_param(url: &str, key: &str) -> (String, Option<String>) {
    let prefix = format!("{key}=");
    if let Some(scheme_end) = url.find("://") {
        // The query starts after the credentials, which end at the first `@` (as tokio-postgres
        // reads them), so a `?` in a password is not taken for one.
        let after = scheme_end + 3;
        let creds_end = url[after..].find('@').map_or(after, |i| after + i + 1);
        let Some(q) = url[creds_end..].find('?').map(|i| creds_end + i) else {
            return (url.to_string(), None);
        };
        let (base, query) = (&url[..q], &url[q + 1..]);
        let mut value = None;
        let kept: Vec<&str> = query
            .split('&')
            .filter(|kv| match kv.strip_prefix(&prefix) {
                Some(v) => {
                    value = Some(v.to_string());
                    false
                }
                None => true,
            })
            .collect();
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return (rest, value);
    }
    let Some(pairs) = key_values(url) else {
        // Not valid key=value syntax: tokio-postgres reports it.
        return (url.to_string(), None);
    };
    let mut value = None;
    let kept: Vec<String> = pairs
        .into_iter()
        .filter_map(|(k, v)| {
            if k == key {
                value = Some(v);
                None
            } else {
                Some(format!(
                    "{k}='{}'",
                    v.replace('\\', "\\\\").replace('\'', "\\'")
                ))
            }
        })
        .collect();
    (kept.join(" "), value)
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
}
