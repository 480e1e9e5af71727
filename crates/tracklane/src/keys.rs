//! API keys: made from random bytes, shown once, stored hashed.

use tracklane_store::{Principal, Store};

/// A new key for `principal` from 16 random bytes; the store keeps its hash.
///
/// # Errors
/// When the store fails.
pub async fn issue(
    store: &dyn Store,
    principal: Principal,
    bytes: [u8; 16],
) -> anyhow::Result<String> {
    let prefix = match &principal {
        Principal::Operator => "tlo",
        Principal::Seller(_) => "tls",
        Principal::Carrier(_) => "tlc",
    };
    let key = format!(
        "{prefix}_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    store
        .put_key(&tracklane_server::hash_key(&key), principal)
        .await?;
    Ok(key)
}
