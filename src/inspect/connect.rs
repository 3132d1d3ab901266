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
    #[error("invalid database URL {shown}: {reason}")]
    InvalidUrl { shown: String, reason: String },
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
        let mut config = match &url {
            Some(u) => parse_url(u)?,
            None => Config::new(),
        };
        fill_from_env(&mut config, env)?;
        let ssl_text = ssl
            .or_else(|| env("PGSSLMODE"))
            .unwrap_or_else(|| "prefer".into());
        let ssl = SslMode::parse(&ssl_text).ok_or_else(|| ConnectError::InvalidUrl {
            shown: format!("sslmode={ssl_text}"),
            reason: "sslmode must be disable, allow, prefer, require, verify-ca or verify-full"
                .into(),
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
    Ok(())
}

/// Removes `key=value` from a URL's query string or a key=value string; returns what is left and
/// the value. tableform handles `sslmode` and `sslrootcert` itself (tokio-postgres knows only some
/// of libpq's modes).
fn take_param(url: &str, key: &str) -> (String, Option<String>) {
    let prefix = format!("{key}=");
    if url.contains("://") {
        let Some((base, query)) = url.split_once('?') else {
            return (url.to_string(), None);
        };
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
        (rest, value)
    } else {
        let mut value = None;
        let kept: Vec<&str> = url
            .split_whitespace()
            .filter(|kv| match kv.strip_prefix(&prefix) {
                Some(v) => {
                    value = Some(v.trim_matches('\'').to_string());
                    false
                }
                None => true,
            })
            .collect();
        (kept.join(" "), value)
    }
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
