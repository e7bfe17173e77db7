//! The HTTP server: one axum fallback handler that hands every request to [`Api::handle`], after
//! doing what API Gateway and the Lambda authorizer do in the cloud (body cap, caller identity).

use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, header};
use session_api::{
    Access, Api, ApiError, AuthConfigError, Authenticator, Caller, JwtConfig, MAX_BODY_BYTES,
    RequestContext, TokenVerifier, VerificationKey, authorization_header, problem_response,
    route_access,
};
use session_core::ports::SessionStore;
use session_core::ports::{IdGenerator, UuidV7Ids};
use session_core::{Deadline, Sessions};
use session_dynamodb::DynamoStore;
use session_enrich::{DeviceParser, GeoIpLocator};
use session_memory::{MemoryStore, relay_events};
use thiserror::Error;
use tokio::net::TcpListener;
use tracing::Instrument;

use crate::config::{AUDIENCE, EventOutput, ISSUER, ServerConfig, StoreChoice};
use crate::events::JsonLinesSink;
use crate::sweeps::{self, Sweeps};
use crate::ui::{self, DevSignIn};

/// The principal internal routes run as locally, where they are open (no IAM).
pub const LOCAL_PRINCIPAL: &str = "local";

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Error)]
pub enum ServerError {
    #[error("invalid JWT configuration: {0}")]
    Jwt(#[from] AuthConfigError),
    #[error("cannot open the events file {path}: {source}")]
    EventsFile {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("cannot prepare the DynamoDB table: {0}")]
    Table(#[from] session_dynamodb::EnsureTableError),
    #[error("the server stopped with an error: {0}")]
    Serve(#[source] io::Error),
}

struct AppState<S> {
    api: Api<S>,
    authenticator: Authenticator<S>,
    request_budget: Duration,
}

/// A bound, not yet serving, local server. Binding first lets callers learn the port (tests bind
/// `127.0.0.1:0`) before requests can arrive.
pub struct LocalServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    router: Router,
    /// The embedded store whose events are printed; none with DynamoDB, whose events stay in
    /// the table's outbox for the stream relay.
    relay: Option<(MemoryStore, JsonLinesSink)>,
    /// The deployment's scheduled sweeps, running while the server lives.
    _sweeps: Sweeps,
}

/// The use cases over `store` with the configured policy and enrichment.
fn sessions_over<S: SessionStore>(store: S, config: &ServerConfig) -> Sessions<S> {
    let mut sessions = Sessions::new(store, config.policy.clone())
        .with_device_enricher(Arc::new(DeviceParser::new()));
    if let Some(path) = &config.geoip_db {
        sessions = sessions.with_location_enricher(Arc::new(GeoIpLocator::open(path)));
    }
    sessions
}

fn router_over<S: SessionStore + Clone + 'static>(
    sessions: Sessions<S>,
    verifier: TokenVerifier,
    config: &ServerConfig,
) -> Router {
    let state = Arc::new(AppState {
        api: Api::new(sessions.clone()),
        authenticator: Authenticator::new(verifier, sessions),
        request_budget: config.request_budget,
    });
    let dev_sign_in = DevSignIn::for_listen_address(config.listen.ip(), config.jwt_secret.clone());
    Router::new()
        .merge(ui::router(dev_sign_in))
        .fallback(handle::<S>)
        .with_state(state)
}

impl LocalServer {
    pub async fn bind(config: ServerConfig) -> Result<Self, ServerError> {
        let verifier = TokenVerifier::new(JwtConfig::new(
            VerificationKey::Hs256Secret(config.jwt_secret.as_bytes().to_vec()),
            ISSUER,
            AUDIENCE,
        ))?;
        let sink =
            JsonLinesSink::open(&config.events).map_err(|source| ServerError::EventsFile {
                path: match &config.events {
                    EventOutput::File(path) => path.clone(),
                    EventOutput::Stdout => PathBuf::from("<stdout>"),
                },
                source,
            })?;
        let (router, relay, sweeps) = match &config.store {
            StoreChoice::Memory => {
                let store = MemoryStore::new();
                let sessions = sessions_over(store.clone(), &config);
                let sweeps = sweeps::start(sessions.clone());
                let router = router_over(sessions, verifier, &config);
                (router, Some((store, sink)), sweeps)
            }
            StoreChoice::DynamoDb {
                table,
                create_table,
            } => {
                let timeouts = aws_config::timeout::TimeoutConfig::builder()
                    .operation_attempt_timeout(config.sdk_attempt_timeout)
                    .operation_timeout(config.sdk_operation_timeout)
                    .build();
                let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .timeout_config(timeouts)
                    .load()
                    .await;
                let client = aws_sdk_dynamodb::Client::new(&sdk);
                if *create_table {
                    session_dynamodb::ensure_table(&client, table).await?;
                }
                let store = DynamoStore::new(client, table.clone());
                let sessions = sessions_over(store, &config);
                let sweeps = sweeps::start(sessions.clone());
                (router_over(sessions, verifier, &config), None, sweeps)
            }
        };
        let bind_error = |source| ServerError::Bind {
            addr: config.listen,
            source,
        };
        let listener = TcpListener::bind(config.listen).await.map_err(bind_error)?;
        let local_addr = listener.local_addr().map_err(bind_error)?;
        Ok(Self {
            listener,
            local_addr,
            router,
            relay,
            _sweeps: sweeps,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish and writes the
    /// events they committed.
    pub async fn run<F>(self, shutdown: F) -> Result<(), ServerError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        tracing::info!(addr = %self.local_addr, "serving the session API");
        let (stop_relay, relay_stopped) = tokio::sync::oneshot::channel::<()>();
        let relay = tokio::spawn({
            let relay = self.relay.clone();
            async move {
                if let Some((store, sink)) = relay {
                    tokio::select! {
                        () = relay_events(store, sink) => {}
                        _ = relay_stopped => {}
                    }
                }
            }
        });
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        drop(stop_relay);
        if let Err(error) = relay.await {
            tracing::warn!(%error, "the event relay stopped abnormally");
        }
        if let Some((store, sink)) = &self.relay {
            let pending = store.take_events();
            if let Err(error) = sink.write(&pending) {
                tracing::warn!(%error, count = pending.len(), "could not write the last events");
            }
        }
        served.map_err(ServerError::Serve)
    }
}

/// A fresh id for one request: the `X-Request-Id` header and a problem's `trace_id`.
pub(crate) fn request_id() -> String {
    UuidV7Ids.next_id().to_string()
}

async fn handle<S: SessionStore + Clone>(
    State(state): State<Arc<AppState<S>>>,
    request: Request,
) -> Response {
    let request_id = request_id();
    let mut response = respond(&state, request, &request_id).await.map(Body::from);
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    response
}

async fn respond<S: SessionStore + Clone>(
    state: &AppState<S>,
    request: Request,
    request_id: &str,
) -> http::Response<Bytes> {
    // The budget counts from arrival: reading the body and authenticating spend it too.
    let deadline = Deadline::after(state.request_budget);
    let (parts, body) = request.into_parts();
    let prepared = match collect_body(&parts.headers, body).await {
        Ok(body) => caller(state, &parts)
            .instrument(tracing::info_span!("authenticate", request_id))
            .await
            .map(|caller| (caller, body)),
        Err(error) => Err(error),
    };
    match prepared {
        Ok((caller, body)) => {
            let ctx = RequestContext::new(caller, request_id).with_deadline(deadline);
            state
                .api
                .handle(ctx, http::Request::from_parts(parts, body))
                .await
        }
        Err(error) => problem_response(&error, parts.uri.path(), request_id),
    }
}

/// What API Gateway establishes before the function runs: service routes are IAM-authorised
/// (open locally), user routes go through the bearer authorizer.
async fn caller<S: SessionStore>(state: &AppState<S>, parts: &Parts) -> Result<Caller, ApiError> {
    match route_access(parts.uri.path()) {
        Some(Access::Service | Access::Admin) => Ok(Caller::Service {
            principal: LOCAL_PRINCIPAL.to_owned(),
        }),
        Some(Access::User) => {
            let authorization = authorization_header(&parts.headers)?;
            Ok(state.authenticator.authenticate(authorization).await?)
        }
        Some(Access::Public) | None => Ok(Caller::Anonymous),
    }
}

/// Most bytes read (and dropped) from a refused body, so the client still receives the 413
/// instead of a connection reset; larger bodies are cut off.
const DRAIN_LIMIT: usize = 1024 * 1024;

/// Reads the body, refusing it once it exceeds the cap (declared or actual).
pub(crate) async fn collect_body(headers: &HeaderMap, mut body: Body) -> Result<Bytes, ApiError> {
    let too_large = ApiError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(DRAIN_LIMIT).unwrap_or(u64::MAX)) {
        return Err(too_large);
    }
    let mut collected = BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|_| ApiError::UnreadableBody)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen <= MAX_BODY_BYTES {
            collected.extend_from_slice(&data);
        } else if seen > DRAIN_LIMIT {
            break;
        }
    }
    if seen > MAX_BODY_BYTES {
        return Err(too_large);
    }
    Ok(collected.freeze())
}
