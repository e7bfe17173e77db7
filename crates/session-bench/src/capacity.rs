//! On-demand prices, cost per million commands, and DynamoDB's item-size rules (to derive
//! capacity where the stand-in reports none, and to size the user ledger).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::ddb::Capacity;

/// On-demand request prices, US dollars per million request units.
#[derive(Clone, Copy, Debug)]
pub struct Prices {
    pub label: &'static str,
    pub per_million_wru: f64,
    pub per_million_rru: f64,
}

/// us-east-1 on-demand prices before AWS's November 2024 reduction; the figures the issue asks
/// to state.
pub const PRICES_PRE_NOV_2024: Prices = Prices {
    label: "$1.25/M WRU, $0.25/M RRU",
    per_million_wru: 1.25,
    per_million_rru: 0.25,
};

/// us-east-1 on-demand prices after AWS halved them in November 2024.
pub const PRICES_CURRENT: Prices = Prices {
    label: "$0.625/M WRU, $0.125/M RRU",
    per_million_wru: 0.625,
    per_million_rru: 0.125,
};

/// EventBridge custom events, US dollars per million (each 64 KB chunk of an entry counts as one).
pub const EVENTBRIDGE_PER_MILLION: f64 = 1.0;

/// Dollars per million commands that each consume `capacity`.
pub fn cost_per_million(capacity: Capacity, prices: &Prices) -> f64 {
    capacity.write * prices.per_million_wru + capacity.read * prices.per_million_rru
}

/// DynamoDB's size of an item in bytes, by the documented rules: attribute names count their
/// UTF-8 bytes; strings and binaries their length; numbers about one byte per two significant
/// digits plus one; maps and lists 3 bytes plus 1 per element plus their contents; booleans and
/// nulls 1 byte.
pub fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn number_size(n: &str) -> usize {
    let digits = n
        .trim_start_matches(['-', '+'])
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let significant = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    significant.div_ceil(2) + 1
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::M(m) => 3 + m.len() + item_size(m),
        AttributeValue::L(l) => 3 + l.len() + l.iter().map(value_size).sum::<usize>(),
        _ => 0,
    }
}

/// Read units of a strongly consistent read of an item of `bytes`: one per 4 KB started.
pub fn consistent_read_units(bytes: usize) -> f64 {
    bytes.div_ceil(4096).max(1) as f64
}

/// Write units of writing an item of `bytes` in a transaction: two per KB started.
pub fn transactional_write_units(bytes: usize) -> f64 {
    2.0 * bytes.div_ceil(1024).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_documented_rules() {
        let item = HashMap::from([
            ("pk".to_owned(), AttributeValue::S("USER#alice".into())),
            ("version".to_owned(), AttributeValue::N("12".into())),
            (
                "m".to_owned(),
                AttributeValue::M(HashMap::from([(
                    "a".to_owned(),
                    AttributeValue::Bool(true),
                )])),
            ),
        ]);
        // pk: 2 + 10; version: 7 + 2; m: 1 + 3 + 1 + (1 + 1)
        assert_eq!(item_size(&item), 12 + 9 + 7);
        assert_eq!(consistent_read_units(4096), 1.0);
        assert_eq!(consistent_read_units(4097), 2.0);
        assert_eq!(transactional_write_units(1500), 4.0);
    }

    #[test]
    fn cost_is_units_times_price() {
        let c = Capacity {
            read: 1.0,
            write: 10.0,
            index_write: 2.0,
        };
        assert!((cost_per_million(c, &PRICES_PRE_NOV_2024) - 12.75).abs() < 1e-9);
    }
}
