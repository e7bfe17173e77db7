//! The one HTTP client every AWS SDK client of a function shares (docs/0043).
//!
//! The SDK's default client loads the platform's root certificates when an SDK client is built
//! (the CA bundle, then every file of the certificate directory: ~145 files on a Debian machine)
//! and builds a TLS connector for every SDK client at init and again for its first request. This
//! client trusts a fixed set of roots instead, the Mozilla root program's set compiled into the
//! binary, or exactly the one bundle named by `SSL_CERT_FILE`, and builds its connector on the
//! first request, once for all the SDK clients of the process. So init reads no certificate file
//! (unless `SSL_CERT_FILE` names one) and never a directory, whatever the machine holds.

use aws_smithy_http_client::HttpClientError;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::config::{ConfigError, Env};

/// The variable naming a bundle of roots to trust instead of the compiled-in ones (OpenSSL's
/// name for it, which the SDK's default client also honours).
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// The roots TLS connections to AWS trust, as PEM (the form the SDK's trust store takes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roots {
    pem: Vec<u8>,
}

impl Roots {
    /// The bundle `SSL_CERT_FILE` names when it is set (it must hold at least one certificate),
    /// the compiled-in Mozilla roots otherwise.
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        match env
            .get(SSL_CERT_FILE)
            .filter(|path| !path.trim().is_empty())
        {
            None => Ok(Self::compiled()),
            Some(path) => Self::bundle(&path),
        }
    }

    /// The Mozilla root program's set, compiled in (`webpki-root-certs`).
    pub fn compiled() -> Self {
        let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
        let mut pem = Vec::with_capacity(roots.iter().map(|root| root.len() * 4 / 3 + 60).sum());
        for root in roots {
            pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
            pem.extend_from_slice(STANDARD.encode(root.as_ref()).as_bytes());
            pem.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
        }
        Self { pem }
    }

    /// The certificates of the PEM bundle at `path`, read now.
    fn bundle(path: &str) -> Result<Self, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            name: SSL_CERT_FILE,
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| invalid(format!("cannot read {path}: {e}")))?;
        let count = CertificateDer::pem_slice_iter(&pem)
            .try_fold(0usize, |count, cert| cert.map(|_| count + 1))
            .map_err(|e| invalid(format!("{path} is not a PEM bundle: {e}")))?;
        if count == 0 {
            return Err(invalid(format!("{path} holds no certificate")));
        }
        Ok(Self { pem })
    }

    /// How many certificates these roots are.
    pub fn len(&self) -> usize {
        CertificateDer::pem_slice_iter(&self.pem).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The shared client: the SDK's own stack (hyper over rustls with aws-lc, HTTPS, or plain HTTP
/// for local endpoints) trusting `roots`, building its connectors on first use.
pub fn shared_client(roots: Roots) -> Result<SharedHttpClient, HttpClientError> {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(roots.pem);
    let context = TlsContext::builder().with_trust_store(trust).build()?;
    let client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https();
    Ok(SharedHttpClient::new(ConnectOnFirstRequest(client)))
}

/// The SDK's hyper client without its eager start: used directly, it builds a connector (and
/// loads its roots) when each SDK client is built, in `validate_base_client_config`, to move that
/// cost out of the first request. A function's init is as much on a cold request's path as its
/// first request is, and a connector built there is built again for the first request's
/// settings: one build, on first use, costs least.
#[derive(Debug)]
struct ConnectOnFirstRequest(SharedHttpClient);

impl HttpClient for ConnectOnFirstRequest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use aws_sdk_dynamodb::config::ConfigBag;
    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Env {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name: &str| map.get(name).cloned()
    }

    /// A file in the temporary directory, removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn with(contents: &[u8]) -> Self {
            let path = std::env::temp_dir().join(format!(
                "session-lambda-roots-{}-{}.pem",
                std::process::id(),
                uuid_like()
            ));
            std::fs::write(&path, contents).unwrap();
            Self(path)
        }

        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn uuid_like() -> usize {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }

    #[test]
    fn compiled_roots_are_the_whole_mozilla_set() {
        let roots = Roots::compiled();
        let parsed: Vec<CertificateDer<'_>> = CertificateDer::pem_slice_iter(&roots.pem)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(parsed, webpki_root_certs::TLS_SERVER_ROOT_CERTS);
        assert!(roots.len() > 100, "{} roots", roots.len());
    }

    #[test]
    fn without_ssl_cert_file_the_compiled_roots_are_trusted() {
        assert_eq!(Roots::from_env(&env(&[])), Ok(Roots::compiled()));
        assert_eq!(
            Roots::from_env(&env(&[(SSL_CERT_FILE, " ")])),
            Ok(Roots::compiled())
        );
    }

    #[test]
    fn ssl_cert_file_replaces_the_compiled_roots() {
        let two = Roots::compiled()
            .pem
            .split_inclusive(|&b| b == b'\n')
            .take(6)
            .fold(Vec::new(), |mut pem, line| {
                pem.extend_from_slice(line);
                pem
            });
        let file = TempFile::with(&two);
        let roots = Roots::from_env(&env(&[(SSL_CERT_FILE, file.path())])).unwrap();
        assert_eq!(roots.len(), 2);
    }

    #[test]
    fn an_unusable_ssl_cert_file_fails_init_naming_the_variable() {
        let missing = std::env::temp_dir().join("session-lambda-no-such-bundle.pem");
        let empty = TempFile::with(b"not a certificate\n");
        let broken =
            TempFile::with(b"-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n");
        for path in [missing.to_str().unwrap(), empty.path(), broken.path()] {
            let error = Roots::from_env(&env(&[(SSL_CERT_FILE, path)])).unwrap_err();
            assert!(
                matches!(
                    error,
                    ConfigError::Invalid {
                        name: SSL_CERT_FILE,
                        ..
                    }
                ),
                "{path}: {error}"
            );
        }
    }

    /// What the SDK asked of an HTTP client.
    #[derive(Debug, Default)]
    struct Counts {
        eager_starts: AtomicUsize,
        connector_requests: AtomicUsize,
    }

    /// An HTTP client that counts what the SDK asks of it and connects nowhere (no request is
    /// made through it).
    #[derive(Debug, Clone, Default)]
    struct Counting(Arc<Counts>);

    impl HttpClient for Counting {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            self.0.connector_requests.fetch_add(1, Ordering::SeqCst);
            panic!("no request is made in this test");
        }

        fn validate_base_client_config(
            &self,
            _: &RuntimeComponentsBuilder,
            _: &ConfigBag,
        ) -> Result<(), BoxError> {
            self.0.eager_starts.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn clients_over(http: SharedHttpClient) {
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .http_client(http)
            .build();
        let _dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let _eventbridge = aws_sdk_eventbridge::Client::new(&sdk);
    }

    #[test]
    fn building_sdk_clients_starts_no_connector() {
        // The SDK asks every client's HTTP client to start early, once per SDK client...
        let direct = Counting::default();
        clients_over(SharedHttpClient::new(direct.clone()));
        assert_eq!(direct.0.eager_starts.load(Ordering::SeqCst), 2);

        // ...which ours declines: nothing is built before a request needs it.
        let wrapped = Counting::default();
        clients_over(SharedHttpClient::new(ConnectOnFirstRequest(
            SharedHttpClient::new(wrapped.clone()),
        )));
        assert_eq!(wrapped.0.eager_starts.load(Ordering::SeqCst), 0);
        assert_eq!(wrapped.0.connector_requests.load(Ordering::SeqCst), 0);
    }
}
