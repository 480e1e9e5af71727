//! The hub's calls out over HTTPS (webhook receivers, carrier APIs). They
//! trust the system's certificate store (`SSL_CERT_FILE` and `SSL_CERT_DIR`
//! apply), Mozilla's roots, and any authorities the operator adds with
//! `--ca-file`, for receivers behind a private one.

use std::path::Path;

use anyhow::{Context, bail};

/// The certificate authorities trusted beyond the built-in ones.
#[derive(Clone, Default)]
pub struct Trust {
    extra: Vec<reqwest::Certificate>,
}

impl Trust {
    /// Trusts, besides the built-in roots, every certificate in the PEM file at `path`.
    ///
    /// # Errors
    /// When the file cannot be read or holds no PEM certificate.
    pub fn with_pem_file(path: &Path) -> anyhow::Result<Self> {
        let shown = path.display();
        let pem = std::fs::read(path).with_context(|| format!("reading --ca-file {shown}"))?;
        let extra = reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("--ca-file {shown}: not a PEM certificate bundle"))?;
        if extra.is_empty() {
            bail!(
                "--ca-file {shown} holds no certificate: give a PEM file with BEGIN CERTIFICATE blocks"
            );
        }
        Ok(Self { extra })
    }

    /// A client builder that trusts these authorities, for the caller to finish.
    pub fn client(&self) -> reqwest::ClientBuilder {
        self.extra.iter().cloned().fold(
            reqwest::Client::builder(),
            reqwest::ClientBuilder::add_root_certificate,
        )
    }
}
