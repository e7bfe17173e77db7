//! The macro that turns every contract case into a test for one store implementation.

/// Expands to one `#[tokio::test]` per contract case, grouped in one module per area
/// (`entity`, `create`, `limits`, ...) and named after the case, each running on a 4-worker
/// multi-threaded runtime with a fresh harness from `$make`.
///
/// `$make` is called with no arguments and its result awaited, so it may be an async closure
/// (`|| async { MemoryHarness }`) or the path of an `async fn` that, say, connects to a
/// stand-in first. It yields a harness, or an `Option` of one where `None` skips the case (see
/// [`HarnessOrSkip`](crate::harness::HarnessOrSkip)).
/// The optional `concurrent_logins` and `rounds` set the load of the concurrency cases (logins
/// racing per round, rounds each on a fresh store).
///
/// The invoking crate needs `tokio` with the `macros` and `rt-multi-thread` features.
#[macro_export]
macro_rules! store_contract_suite {
    ($make:expr $(,)?) => {
        $crate::store_contract_suite!($make, concurrent_logins = 32, rounds = 3);
    };
    ($make:expr, concurrent_logins = $logins:expr, rounds = $rounds:expr $(,)?) => {
        $crate::__contract_area!($make, entity: [
            session_round_trips_every_field_through_the_store,
            ledger_round_trips_policy_and_active_index_through_the_store,
            new_session_is_active_until_its_absolute_expiry,
            entity_changes_persist_through_a_versioned_replace,
        ]);
        $crate::__contract_area!($make, create: [
            create_enriches_device_and_location_and_stores_them,
            create_is_fail_open_when_enrichment_breaks,
            create_for_an_unknown_user_fails_with_user_not_found_and_writes_nothing,
            create_stores_requested_expiry_refresh_token_and_truncated_user_agent,
            create_with_an_invalid_expiry_is_refused_and_writes_nothing,
        ]);
        $crate::__contract_area!($make, idempotency: [
            a_retried_keyed_login_returns_the_first_answer_and_changes_nothing,
            a_key_reused_with_another_request_is_refused_and_changes_nothing,
            a_key_answers_for_its_window_then_starts_afresh,
            a_retry_after_the_requested_expiry_still_replays,
            a_failed_keyed_login_leaves_no_record,
            racing_copies_of_a_keyed_login_create_one_session,
        ]);
        $crate::__contract_area!($make, limits: [
            create_under_the_limit_evicts_nothing,
            create_at_the_limit_evicts_the_oldest_created_with_events_in_order,
            create_far_over_a_lowered_tier_limit_evicts_all_excess_in_one_step,
            lowering_the_override_evicts_the_excess_at_once_with_tier_changed,
            unlimited_tier_never_evicts,
            override_beats_the_tier_limit,
            deny_tier_refuses_the_login_and_creates_nothing,
            expired_sessions_do_not_count_toward_the_limit,
            revoked_sessions_do_not_count_toward_the_limit,
            idle_sessions_do_not_count_toward_a_deny_limit,
            idle_sessions_never_cost_an_active_session_its_slot,
            lowering_the_limit_never_revokes_an_active_session_for_an_idle_one,
        ]);
        $crate::__contract_area!($make, revoke_session: [
            revoke_session_revokes_it_with_attempted_then_revoked_events,
            revoke_missing_session_fails_with_session_not_found_after_attempted,
            revoke_another_users_session_fails_with_not_session_owner_and_keeps_it_active,
            revoke_already_revoked_session_fails_and_keeps_the_first_revocation,
            revoke_session_commit_failure_emits_failed_store_unavailable_and_changes_nothing,
            revoke_session_read_failure_emits_failed_store_unavailable,
            revoke_session_with_the_store_down_leaves_no_attempted_event_alone,
            revoke_expired_session_succeeds,
        ]);
        $crate::__contract_area!($make, revoke_all: [
            revoke_all_revokes_every_session_and_reports_the_count,
            revoke_all_keeps_the_excepted_session_active,
            revoke_all_with_no_sessions_succeeds_with_zero,
            revoke_all_second_run_revokes_nothing,
            revoke_all_leaves_earlier_revocations_untouched,
            revoke_all_store_failure_emits_failed_and_revokes_nothing,
            revoke_all_for_an_unknown_user_fails_after_attempted,
            revoke_all_revokes_more_sessions_than_one_commit_holds,
            revoke_all_with_a_marker_runs_once_and_a_repeat_changes_nothing,
            revoke_all_created_before_spares_later_logins,
        ]);
        $crate::__contract_area!($make, session_updates: [
            repeated_activity_within_the_interval_writes_once,
            activity_is_written_again_once_the_interval_has_passed,
            activity_from_a_new_ip_writes_at_once_and_reports_ip_changed,
            provider_access_keeps_order_without_duplicates_and_emits_each_access,
            link_refresh_token_is_stored_and_refused_on_inactive_sessions,
            revocation_is_final_even_after_later_writes,
            writes_to_a_missing_session_are_session_not_found,
        ]);
        $crate::__contract_area!($make, suspicious: [
            ip_change_is_counted_and_emitted_with_both_addresses,
            country_change_is_counted_and_emitted_with_both_countries,
            impossible_travel_is_counted_with_distance_and_speed,
            user_agent_change_is_counted_and_emitted_by_device,
            switched_off_signals_are_neither_counted_nor_emitted,
            reaching_the_threshold_revokes_with_events_in_order,
            a_failed_revoking_report_changes_nothing,
            record_only_tier_never_revokes,
            the_response_is_the_one_copied_at_login,
            reports_within_the_interval_write_once,
        ]);
        $crate::__contract_area!($make, authorize: [
            an_allowed_request_is_recorded_as_throttled_activity,
            denied_requests_are_not_recorded,
            the_request_that_reaches_the_threshold_is_denied,
            a_failed_activity_write_still_allows_the_request,
        ]);
        $crate::__contract_area!($make, queries: [
            get_session_returns_the_owners_session_with_is_current,
            get_session_of_another_user_or_missing_is_refused,
            get_session_returns_revoked_and_expired_sessions_to_their_owner,
            list_active_only_hides_revoked_and_expired_sessions,
            list_all_includes_inactive_sessions_newest_first,
            list_marks_only_the_current_session,
            list_paginates_without_duplicates_or_gaps,
            list_paginates_active_sessions_across_revoked_ones,
            list_with_a_garbage_cursor_is_invalid_cursor,
            list_never_shows_another_users_sessions,
        ]);
        $crate::__contract_area!($make, validate: [
            validate_active_session_reports_owner_and_expiry,
            validate_revoked_session_is_inactive_revoked,
            validate_expired_session_is_inactive_expired,
            validate_idle_session_is_inactive_idle_expired,
            validate_missing_session_is_not_found,
        ]);
        $crate::__contract_area!($make, store: [
            commit_applies_nothing_when_one_precondition_fails,
            insert_of_an_existing_session_conflicts,
            replace_requires_the_current_version,
            ledger_put_requires_the_expected_version,
            revoke_write_requires_owner_and_unrevoked,
            remove_active_requires_the_ledger_and_moves_its_version,
            outbox_holds_events_iff_their_commit_succeeded,
            an_event_id_is_committed_once,
            injected_failures_fail_exactly_the_next_calls_and_write_nothing,
            change_set_touching_a_session_twice_is_rejected,
            a_commit_as_large_as_the_store_allows_succeeds,
            store_lists_a_users_sessions_newest_first_in_pages,
        ]);
        $crate::__contract_area!($make, concurrency: [] with_load: [
            concurrent_logins_never_exceed_the_limit($logins, $rounds),
            revoke_all_racing_logins_keeps_the_limit_and_loses_no_revocation($rounds),
            concurrent_revocations_of_one_session_succeed_exactly_once($rounds),
            writes_racing_a_revocation_never_resurrect_the_session($rounds),
        ]);
    };
}

/// One area's tests, in a module named after the area. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_area {
    (
        $make:expr, $area:ident: [$($case:ident),* $(,)?]
        $(with_load: [$($loaded:ident($($arg:expr),*)),* $(,)?])?
    ) => {
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
                    $crate::contract::$area::$case(harness).await;
                }
            )*
            $($(
                #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $loaded() {
                    let Some(harness) = $crate::harness::HarnessOrSkip::into_harness(($make)().await)
                    else {
                        return;
                    };
                    $crate::contract::$area::$loaded(harness, $($arg),*).await;
                }
            )*)?
        }
    };
}
