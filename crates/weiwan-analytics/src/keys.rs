//! Compact key sets for duplicate and foreign-key checks over tens of millions of rows.
//!
//! A key is kept as a 128-bit hash of its values instead of the values themselves: 16 bytes a
//! row whatever the key. Two different keys share a hash with a probability around 2^-128
//! per pair, far below the chance of a disk error, so a hit is treated as the same key.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};

use weiwan_domain::Value;

pub type KeyHash = u128;

/// Hashes the values of a key. The two halves come from SipHash with different salts.
pub fn key_hash<'a>(values: impl IntoIterator<Item = &'a Value> + Clone) -> KeyHash {
    let half = |salt: u64| {
        let mut hasher = DefaultHasher::new();
        salt.hash(&mut hasher);
        for value in values.clone() {
            value.hash(&mut hasher);
        }
        hasher.finish()
    };
    (u128::from(half(0x5EED_0001)) << 64) | u128::from(half(0x5EED_0002))
}

/// The hash of a single text key, as produced for a key column holding `text`.
pub fn text_key_hash(text: &str) -> KeyHash {
    key_hash([&Value::Text(text.to_owned())])
}

/// The keys are hashes already, so the set uses their low bits directly.
#[derive(Debug, Default, Clone, Copy)]
pub struct PrehashedHasher(u64);

impl Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u128(&mut self, value: u128) {
        // Truncation is the point: the low half of a uniform hash is uniform.
        self.0 = value as u64;
    }
}

pub type KeySet = HashSet<KeyHash, BuildHasherDefault<PrehashedHasher>>;
