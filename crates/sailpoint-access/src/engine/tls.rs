//! Which rustls crypto provider the HTTP client uses. TLS is rustls either
//! way; the crate features choose the provider: `aws-lc-rs` (the default,
//! rustls' own) or `ring` (lighter to build).

#[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
compile_error!(
    "sailpoint-access needs a TLS crypto provider: enable the `aws-lc-rs` feature \
     (the default) or `ring`"
);

/// The rustls crypto provider this build of the crate uses by default:
/// `"aws-lc-rs"` or `"ring"`.
///
/// With both features enabled, reqwest's own default (aws-lc-rs) wins. A
/// provider the application installed process-wide
/// (`CryptoProvider::install_default`) comes before either.
///
/// ```
/// assert!(["aws-lc-rs", "ring"].contains(&sailpoint_access::TLS_PROVIDER));
/// ```
pub const TLS_PROVIDER: &str = if cfg!(feature = "aws-lc-rs") {
    "aws-lc-rs"
} else {
    "ring"
};

/// Makes sure a `reqwest::Client` can be built.
///
/// Built with `ring` alone, reqwest finds no provider of its own, and
/// building a client would panic; this installs ring as the process-wide
/// default when nothing is installed yet. The client builder calls it; call
/// it yourself before building a `reqwest::Client` to hand to
/// `ClientBuilder::http_client`. With
/// the `aws-lc-rs` feature it does nothing: reqwest falls back to aws-lc-rs.
///
/// ```
/// sailpoint_access::install_tls_provider();
/// let http = reqwest::Client::builder().build().unwrap();
/// # drop(http);
/// ```
pub fn install_tls_provider() {
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An error means another thread installed one first: that one is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
