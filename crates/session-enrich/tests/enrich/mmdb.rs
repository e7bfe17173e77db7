//! A tiny MaxMind DB writer, enough to build test databases in the test itself: a 24-bit-record
//! search tree over non-overlapping networks, the data section and the metadata.
//! Format: https://maxmind.github.io/MaxMind-DB/

use std::net::IpAddr;

#[derive(Clone, Debug)]
pub enum Value {
    Str(&'static str),
    /// "double" (type 3), as GeoLite2 stores coordinates.
    F64(f64),
    /// "float" (type 15), as ip-location-db stores coordinates.
    F32(f32),
    U16(u16),
    U32(u32),
    U64(u64),
    Map(Vec<(&'static str, Value)>),
    Array(Vec<Value>),
}

pub fn map(pairs: Vec<(&'static str, Value)>) -> Value {
    Value::Map(pairs)
}

#[derive(Clone, Copy)]
enum Slot {
    Empty,
    Node(usize),
    Data(usize),
}

pub struct Writer {
    ip_version: u16,
    nodes: Vec<[Slot; 2]>,
    records: Vec<Value>,
}

impl Writer {
    pub fn new(ip_version: u16) -> Self {
        Self {
            ip_version,
            nodes: vec![[Slot::Empty, Slot::Empty]],
            records: Vec::new(),
        }
    }

    /// `network` like "8.8.8.0/24" or "2001:4860::/32". IPv4 networks in an IPv6 database go
    /// under ::/96, where readers look for them.
    pub fn insert(&mut self, network: &str, value: Value) -> &mut Self {
        let (addr, len) = network.split_once('/').unwrap();
        let addr: IpAddr = addr.parse().unwrap();
        let len: usize = len.parse().unwrap();
        // Bits are read from the top of a 128-bit number; IPv4-only trees use the top 32.
        let (bits, len) = match (addr, self.ip_version) {
            (IpAddr::V4(v4), 4) => (u128::from(u32::from(v4)) << 96, len),
            (IpAddr::V4(v4), _) => (u128::from(u32::from(v4)), len + 96),
            (IpAddr::V6(v6), 6) => (u128::from(v6), len),
            (IpAddr::V6(_), _) => panic!("IPv6 network in an IPv4 database"),
        };
        self.records.push(value);
        let data = self.records.len() - 1;
        let mut node = 0;
        for i in 0..len {
            let bit = ((bits >> (127 - i)) & 1) as usize;
            if i == len - 1 {
                assert!(
                    matches!(self.nodes[node][bit], Slot::Empty),
                    "overlapping network {network}"
                );
                self.nodes[node][bit] = Slot::Data(data);
            } else {
                node = match self.nodes[node][bit] {
                    Slot::Node(next) => next,
                    Slot::Empty => {
                        self.nodes.push([Slot::Empty, Slot::Empty]);
                        let next = self.nodes.len() - 1;
                        self.nodes[node][bit] = Slot::Node(next);
                        next
                    }
                    Slot::Data(_) => panic!("overlapping network {network}"),
                };
            }
        }
        self
    }

    pub fn build(&self) -> Vec<u8> {
        let node_count = self.nodes.len();
        let mut data = Vec::new();
        let mut offsets = Vec::new();
        for record in &self.records {
            offsets.push(data.len());
            encode(record, &mut data);
        }
        let record = |slot: Slot| -> u32 {
            let value = match slot {
                Slot::Empty => node_count,
                Slot::Node(n) => n,
                Slot::Data(d) => node_count + 16 + offsets[d],
            };
            u32::try_from(value).unwrap()
        };
        let mut out = Vec::new();
        for [left, right] in &self.nodes {
            out.extend_from_slice(&record(*left).to_be_bytes()[1..]);
            out.extend_from_slice(&record(*right).to_be_bytes()[1..]);
        }
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
        let metadata = map(vec![
            ("binary_format_major_version", Value::U16(2)),
            ("binary_format_minor_version", Value::U16(0)),
            ("build_epoch", Value::U64(1_700_000_000)),
            ("database_type", Value::Str("Session-Enrich-Test")),
            (
                "description",
                map(vec![("en", Value::Str("generated in a test"))]),
            ),
            ("ip_version", Value::U16(self.ip_version)),
            ("languages", Value::Array(vec![Value::Str("en")])),
            ("node_count", Value::U32(u32::try_from(node_count).unwrap())),
            ("record_size", Value::U16(24)),
        ]);
        encode(&metadata, &mut out);
        out
    }
}

fn encode(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Str(s) => {
            control(2, s.len(), out);
            out.extend_from_slice(s.as_bytes());
        }
        Value::F64(x) => {
            control(3, 8, out);
            out.extend_from_slice(&x.to_be_bytes());
        }
        Value::F32(x) => {
            control(15, 4, out);
            out.extend_from_slice(&x.to_be_bytes());
        }
        Value::U16(n) => uint(5, u64::from(*n), out),
        Value::U32(n) => uint(6, u64::from(*n), out),
        Value::U64(n) => uint(9, *n, out),
        Value::Map(pairs) => {
            control(7, pairs.len(), out);
            for (key, value) in pairs {
                encode(&Value::Str(key), out);
                encode(value, out);
            }
        }
        Value::Array(items) => {
            control(11, items.len(), out);
            for item in items {
                encode(item, out);
            }
        }
    }
}

fn uint(kind: u8, n: u64, out: &mut Vec<u8>) {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    control(kind, bytes.len() - skip, out);
    out.extend_from_slice(&bytes[skip..]);
}

fn control(kind: u8, size: usize, out: &mut Vec<u8>) {
    let (size_bits, extra): (u8, Vec<u8>) = match size {
        0..29 => (size as u8, vec![]),
        29..285 => (29, vec![(size - 29) as u8]),
        285..65_821 => (30, ((size - 285) as u16).to_be_bytes().to_vec()),
        _ => (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec()),
    };
    if kind <= 7 {
        out.push(kind << 5 | size_bits);
    } else {
        out.push(size_bits);
        out.push(kind - 7);
    }
    out.extend_from_slice(&extra);
}
