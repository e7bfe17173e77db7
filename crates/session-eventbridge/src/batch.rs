//! Packing entries into PutEvents calls within EventBridge's limits.

/// Entries one PutEvents call may carry.
pub const MAX_ENTRIES_PER_CALL: usize = 10;

/// Size limit of one entry, and of a whole PutEvents request (256 KB).
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;

/// An entry's size as EventBridge counts it: the UTF-8 bytes of source, detail type and detail
/// (no time or resources are sent).
pub fn entry_size(source: &str, detail_type: &str, detail: &str) -> usize {
    source.len() + detail_type.len() + detail.len()
}

/// Splits entry sizes, in order, into runs that fit one call: at most ten entries and at most
/// 256 KB together. Every size must already be within the per-entry limit.
pub(crate) fn pack(sizes: &[usize]) -> Vec<std::ops::Range<usize>> {
    let mut batches = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, size) in sizes.iter().enumerate() {
        let full = i - start == MAX_ENTRIES_PER_CALL || bytes + size > MAX_REQUEST_BYTES;
        if i > start && full {
            batches.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < sizes.len() {
        batches.push(start..sizes.len());
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_at_most_ten_entries_per_call() {
        let batches = pack(&[100; 25]);
        assert_eq!(batches, vec![0..10, 10..20, 20..25]);
    }

    #[test]
    fn packs_by_total_size() {
        let big = MAX_REQUEST_BYTES / 2;
        let batches = pack(&[big, big, 1, big]);
        assert_eq!(batches, vec![0..2, 2..4]);
        assert!(
            batches
                .iter()
                .all(|r| r.clone().map(|i| [big, big, 1, big][i]).sum::<usize>()
                    <= MAX_REQUEST_BYTES)
        );
    }

    #[test]
    fn empty_input_makes_no_calls() {
        assert!(pack(&[]).is_empty());
    }

    #[test]
    fn entry_size_counts_utf8_bytes() {
        assert_eq!(
            entry_size("sessions", "SessionCreated", "{\"a\":\"\u{e9}\"}"),
            8 + 14 + 10
        );
    }
}
