//! Shared test support: the store contract suite and its harness.
