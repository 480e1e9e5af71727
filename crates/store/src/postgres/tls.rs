//! How a connection to PostgreSQL is secured, read from the URL's `sslmode`
//! and `sslrootcert` as libpq reads them, with one difference: every mode
//! that encrypts also verifies the server's certificate and host name.
//!
//! - `disable`, `allow`, `prefer` (the default): no TLS.
//! - `require`, `verify-ca`, `verify-full`: TLS, with the server's certificate
//!   checked against `sslrootcert` (a PEM file) when given, otherwise against
//!   the system's store and Mozilla's roots (also `sslrootcert=system`).

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::pg;
use crate::{StoreError, StoreResult};

/// The driver's settings for `url`, and the TLS connector when it asks for TLS.
pub(super) fn read(url: &str) -> StoreResult<(tokio_postgres::Config, Option<MakeRustlsConnect>)> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (mut mode, mut root) = (None, None);
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "sslmode" => mode = Some(value.into_owned()),
            "sslrootcert" => root = Some(value.into_owned()),
            _ => {
                rest.append_pair(&key, &value);
            }
        }
    }
    let encrypt = match mode.as_deref() {
        None | Some("disable" | "allow" | "prefer") => false,
        Some("require" | "verify-ca" | "verify-full") => true,
        Some(other) => {
            return Err(bad(format!(
                "sslmode={other} is not a mode: use disable, prefer, require or verify-full"
            )));
        }
    };
    let rest = rest.finish();
    let url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{rest}")
    };
    let mut config: tokio_postgres::Config =
        url.parse().map_err(pg("reading the PostgreSQL URL"))?;
    if !encrypt {
        if root.is_some() {
            return Err(bad(
                "sslrootcert is given but sslmode does not ask for TLS: add sslmode=verify-full"
                    .into(),
            ));
        }
        config.ssl_mode(SslMode::Disable);
        return Ok((config, None));
    }
    config.ssl_mode(SslMode::Require);
    let roots = match root.as_deref() {
        None | Some("system") => built_in_roots(),
        Some(path) => roots_in(path)?,
    };
    let tls =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| StoreError::Unavailable {
                context: "setting up TLS".into(),
                source: Box::new(e),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok((config, Some(MakeRustlsConnect::new(tls))))
}

/// The system's certificate store (`SSL_CERT_FILE` and `SSL_CERT_DIR` apply)
/// and Mozilla's roots.
fn built_in_roots() -> RootCertStore {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    roots
}

/// The certificates in the PEM file at `path`.
fn roots_in(path: &str) -> StoreResult<RootCertStore> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| bad(format!("sslrootcert={path} cannot be read as PEM: {e}")))?;
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(bad(format!(
            "sslrootcert={path} holds no certificate: give a PEM file with BEGIN CERTIFICATE blocks"
        )));
    }
    Ok(roots)
}

/// A URL the operator must correct.
fn bad(message: String) -> StoreError {
    StoreError::Unavailable {
        context: "reading the PostgreSQL URL".into(),
        source: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "postgres://hub:secret@db.example.com:5432/tracklane";

    fn error(url: &str) -> String {
        let e = read(url).err().expect("refused");
        format!("{e}: {}", std::error::Error::source(&e).unwrap())
    }

    #[test]
    fn plain_unless_the_url_asks_for_tls() {
        for url in [
            BASE.to_owned(),
            format!("{BASE}?sslmode=disable"),
            format!("{BASE}?sslmode=prefer&application_name=hub"),
        ] {
            let (config, tls) = read(&url).unwrap();
            assert!(tls.is_none(), "{url}");
            assert_eq!(config.get_ssl_mode(), SslMode::Disable, "{url}");
            assert_eq!(config.get_dbname(), Some("tracklane"));
        }
        let (config, _) = read(&format!("{BASE}?sslmode=prefer&application_name=hub")).unwrap();
        assert_eq!(config.get_application_name(), Some("hub"));
    }

    #[test]
    fn every_encrypting_mode_verifies_against_the_built_in_roots_or_the_given_file() {
        for mode in ["require", "verify-ca", "verify-full"] {
            let (config, tls) = read(&format!("{BASE}?sslmode={mode}")).unwrap();
            assert!(tls.is_some(), "{mode}");
            assert_eq!(config.get_ssl_mode(), SslMode::Require);
        }
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let missing = missing.to_str().unwrap();
        let refused = error(&format!("{BASE}?sslmode=verify-full&sslrootcert={missing}"));
        assert!(
            refused.contains("sslrootcert=") && refused.contains("cannot be read"),
            "{refused}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let refused = error(&format!(
            "{BASE}?sslmode=verify-full&sslrootcert={}",
            empty.to_str().unwrap()
        ));
        assert!(refused.contains("holds no certificate"), "{refused}");
    }

    #[test]
    fn a_mistaken_mode_or_a_root_without_tls_names_the_fix() {
        let refused = error(&format!("{BASE}?sslmode=verify_full"));
        assert!(
            refused.contains("sslmode=verify_full is not a mode"),
            "{refused}"
        );
        let refused = error(&format!("{BASE}?sslrootcert=/etc/ca.pem"));
        assert!(refused.contains("add sslmode=verify-full"), "{refused}");
    }
}
