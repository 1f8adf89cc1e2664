//! The feature table: key → (scale, weight), an open-addressing hash table.
//!
//! Keys are already well-mixed hashes, so the slot is the key's high bits and probing is
//! linear; key, scale and weight share a slot, so a lookup is usually one cache miss, which is
//! what keeps prediction at a few µs. Key 0 marks an empty slot; feature extraction never
//! produces it.

/// One feature of the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry {
    pub key: u32,
    /// Multiplies the feature's count before normalisation (the naive-Bayes ratio or 1).
    pub scale: f32,
    /// The linear model's weight on the scaled, normalised value.
    pub weight: f32,
}

/// A slot: the key and the bfloat16 bits of scale and weight, 8 bytes, so a cache line holds
/// eight and the table of a quarter-million features stays near 4 MB.
#[derive(Debug, Clone, Copy)]
struct Slot {
    key: u32,
    scale: u16,
    weight: u16,
}

const EMPTY: Slot = Slot {
    key: 0,
    scale: 0,
    weight: 0,
};

/// Rounds to the nearest bfloat16 (the top half of an `f32`, ties to even). Values of the
/// size of model weights stay finite.
pub(crate) fn to_bf16(x: f32) -> u16 {
    let bits = x.to_bits();
    let rounded = bits.wrapping_add(0x7fff + ((bits >> 16) & 1));
    (rounded >> 16) as u16
}

pub(crate) fn from_bf16(half: u16) -> f32 {
    f32::from_bits(u32::from(half) << 16)
}

#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// Key 0 = empty; a power of two long, at most half full.
    slots: Vec<Slot>,
    len: usize,
    shift: u32,
}

impl Table {
    /// Builds the table, rounding scales and weights to bfloat16; `None` if two entries have
    /// the same key or a key is 0.
    pub fn new(entries: &[Entry]) -> Option<Table> {
        let capacity = (entries.len() * 2).next_power_of_two().max(16);
        let shift = 32 - capacity.trailing_zeros();
        let mut slots = vec![EMPTY; capacity];
        let mask = capacity - 1;
        for entry in entries {
            let key = entry.key;
            if key == 0 {
                return None;
            }
            let mut slot = (key >> shift) as usize;
            loop {
                match slots[slot].key {
                    0 => {
                        slots[slot] = Slot {
                            key,
                            scale: to_bf16(entry.scale),
                            weight: to_bf16(entry.weight),
                        };
                        break;
                    }
                    k if k == key => return None,
                    _ => slot = (slot + 1) & mask,
                }
            }
        }
        Some(Table {
            slots,
            len: entries.len(),
            shift,
        })
    }

    /// A table with no features.
    pub fn empty() -> Table {
        Table {
            slots: vec![EMPTY; 16],
            len: 0,
            shift: 28,
        }
    }

    /// The scale and weight of `key`, if it is a feature of the model.
    pub fn get(&self, key: u32) -> Option<(f32, f32)> {
        let mask = self.slots.len() - 1;
        let mut slot = (key >> self.shift) as usize;
        loop {
            let found = self.slots[slot];
            match found.key {
                0 => return None,
                k if k == key => return Some((from_bf16(found.scale), from_bf16(found.weight))),
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// Every entry, in key order.
    pub fn entries(&self) -> Vec<Entry> {
        let mut out: Vec<Entry> = self
            .slots
            .iter()
            .filter(|slot| slot.key != 0)
            .map(|slot| Entry {
                key: slot.key,
                scale: from_bf16(slot.scale),
                weight: from_bf16(slot.weight),
            })
            .collect();
        out.sort_unstable_by_key(|e| e.key);
        out
    }

    pub fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: u32, weight: f32) -> Entry {
        Entry {
            key,
            scale: 1.0,
            weight,
        }
    }

    #[test]
    fn finds_what_was_stored_and_nothing_else() {
        // Integers below 256 are exact in bfloat16.
        let entries: Vec<Entry> = (0..1000u32)
            .map(|i| entry((i + 1).wrapping_mul(0x9e37_79b9), (i % 256) as f32))
            .collect();
        let table = Table::new(&entries).expect("distinct keys");
        for i in 0..1000u32 {
            let (_, weight) = table
                .get((i + 1).wrapping_mul(0x9e37_79b9))
                .expect("stored");
            assert_eq!(weight, (i % 256) as f32);
        }
        assert_eq!(table.get(12345), None);
        assert_eq!(table.len(), 1000);
        assert_eq!(table.entries().len(), 1000);
    }

    #[test]
    fn bfloat16_keeps_three_digits_and_rounds_to_even() {
        for x in [0.0f32, 1.0, -2.5, 0.123_456, 1234.5, -1e-6] {
            let back = from_bf16(to_bf16(x));
            assert!((back - x).abs() <= x.abs() / 256.0, "{x} → {back}");
        }
        assert_eq!(from_bf16(to_bf16(1.0 + 1.0 / 256.0)), 1.0, "tie to even");
    }

    #[test]
    fn the_empty_table_finds_nothing() {
        assert_eq!(Table::empty().get(42), None);
        assert_eq!(Table::new(&[]).expect("empty").get(42), None);
    }

    #[test]
    fn duplicate_keys_are_refused() {
        assert!(Table::new(&[entry(7, 1.0), entry(7, 2.0)]).is_none());
        assert!(Table::new(&[entry(0, 1.0)]).is_none());
    }
}
