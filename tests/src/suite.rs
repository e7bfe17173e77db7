//! The macro that turns every contract case into a test for one store implementation.
//!
//! The list of cases is not written here: tests/build.rs reads the area files
//! (tests/src/contract/*.rs) on every build and generates `__contract_cases!` from them
//! (tests/build/contract_cases.rs), so a case runs against every store as soon as it is written,
//! and a function that looks like a case but would not run fails the build.

/// Expands to one `#[tokio::test]` per contract case, grouped in one module per area
/// (`entity`, `create`, `limits`, ...) and named after the case, each running on a 4-worker
/// multi-threaded runtime with a fresh harness from `$make`.
///
/// `$make` is called with no arguments and its result awaited, so it may be an async closure
/// (`|| async { MemoryHarness }`) or the path of an `async fn` that, say, connects to a
/// stand-in first. It yields a harness, or an `Option` of one where `None` skips the case (see
/// [`HarnessOrSkip`](crate::harness::HarnessOrSkip)).
/// The optional `concurrent_logins` and `rounds` set the load of the concurrency cases (logins
/// racing per round, rounds each on a fresh store); a case receives them by naming a parameter
/// `logins` or `rounds` after the harness.
///
/// The invoking crate needs `tokio` with the `macros` and `rt-multi-thread` features.
#[macro_export]
macro_rules! store_contract_suite {
    ($make:expr $(,)?) => {
        $crate::store_contract_suite!($make, concurrent_logins = 32, rounds = 3);
    };
    ($make:expr, concurrent_logins = $logins:expr, rounds = $rounds:expr $(,)?) => {
        // The load in the order of LOAD_PARAMETERS (tests/build/contract_cases.rs).
        $crate::__contract_cases!($make, $logins, $rounds);
    };
}

/// One area's tests, in a module named after the area; each case is called with the harness
/// and then its load. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_area {
    ($make:expr, $area:ident: [$($case:ident($($load:expr),*)),* $(,)?]) => {
        mod $area {
            // The harness constructor is written at the invocation site and may name its items.
            #[allow(unused_imports)]
            use super::*;

            $(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Some(harness) = $crate::harness::HarnessOrSkip::into_harness(($make)().await)
                    else {
                        return;
                    };
                    $crate::contract::$area::$case(harness $(, $load)*).await;
                }
            )*
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/contract_cases.rs"));

#[cfg(test)]
mod generator_tests;
#[cfg(test)]
mod tests;
