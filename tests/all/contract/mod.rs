//! The store contract suite run against each store implementation.

mod memory;
