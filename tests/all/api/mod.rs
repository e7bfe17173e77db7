//! HTTP API tests over the embedded store (owned by the API work).
