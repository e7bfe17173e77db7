//! The local server: the whole API on one port over the embedded store.
