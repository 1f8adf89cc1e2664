//! The model file: a versioned, checksummed little-endian layout.
//!
//! ```text
//! magic      8 bytes  "KEFUSENT"
//! version    u16      FORMAT_VERSION
//! features   2 bytes  FeatureConfig (max char n-gram, flags)
//! value      u8       0 binary, 1 sublinear
//! norm       u8       0 none, 1 joint, 2 per view
//! bias       f32
//! count      u32      number of features
//! features   count × (key gap LEB128, scale bf16, weight bf16)
//! checksum   u64      FNV-1a of every byte before it
//! ```
//!
//! Keys are strictly increasing and stored as the gap from the previous key (the first from
//! 0), which makes the file canonical (one model, one byte string), rules out duplicates, and
//! takes about 2.3 bytes a key instead of 4. Scales and weights are bfloat16 (the top half of
//! an `f32`): 3 significant digits, far finer than the noise in the weights, and half the
//! size. The in-memory table holds the same bfloat16s, so a saved model predicts exactly what
//! the trained one did. The checksum turns a truncated or corrupted file into an error
//! instead of a model that quietly predicts nonsense.

use super::features::FeatureConfig;
use super::table::{Entry, Table, from_bf16, to_bf16};
use super::{FeatureValue, Norm, SentimentModel};

const MAGIC: &[u8; 8] = b"KEFUSENT";
/// Bump when the layout or the meaning of a feature key changes (e.g. the hash).
const FORMAT_VERSION: u16 = 1;
const HEADER: usize = 8 + 2 + 2 + 1 + 1 + 4 + 4;
/// The smallest an entry can be: a one-byte gap and two bfloat16s.
const MIN_ENTRY: usize = 5;
const CHECKSUM: usize = 8;

/// Why bytes are not a sentiment model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    /// Does not start with the model magic: not a model file at all.
    NotAModel,
    /// A model of a format version this build cannot read.
    UnsupportedVersion(u16),
    /// Ends before the model does.
    Truncated,
    /// The checksum does not match: the file is corrupted.
    Checksum,
    /// The layout is right but a field is not (an unknown enum value, a non-finite number,
    /// keys out of order).
    Invalid(&'static str),
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelError::NotAModel => write!(f, "not a kefu sentiment model"),
            ModelError::UnsupportedVersion(v) => {
                write!(f, "sentiment model format {v}, expected {FORMAT_VERSION}")
            }
            ModelError::Truncated => write!(f, "sentiment model is truncated"),
            ModelError::Checksum => write!(f, "sentiment model checksum mismatch"),
            ModelError::Invalid(what) => write!(f, "invalid sentiment model: {what}"),
        }
    }
}

impl std::error::Error for ModelError {}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

pub(super) fn encode(model: &SentimentModel) -> Vec<u8> {
    let entries = model.table.entries();
    let mut out = Vec::with_capacity(HEADER + 6 * entries.len() + CHECKSUM);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&model.features.to_byte());
    out.push(match model.value {
        FeatureValue::Binary => 0,
        FeatureValue::Sublinear => 1,
    });
    out.push(match model.norm {
        Norm::None => 0,
        Norm::Joint => 1,
        Norm::PerView => 2,
    });
    out.extend_from_slice(&model.bias.to_le_bytes());
    out.extend_from_slice(
        &u32::try_from(entries.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    let mut previous = 0u32;
    for entry in &entries {
        let mut gap = entry.key - previous;
        previous = entry.key;
        loop {
            let byte = (gap & 0x7f) as u8;
            gap >>= 7;
            if gap == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
        out.extend_from_slice(&to_bf16(entry.scale).to_le_bytes());
        out.extend_from_slice(&to_bf16(entry.weight).to_le_bytes());
    }
    let checksum = fnv1a(&out);
    out.extend_from_slice(&checksum.to_le_bytes());
    out
}

/// Reads little-endian fields off the front of a slice; running out is an error.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let (head, rest) = self.0.split_at_checked(N).ok_or(ModelError::Truncated)?;
        self.0 = rest;
        let mut out = [0u8; N];
        out.copy_from_slice(head);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.take::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, ModelError> {
        Ok(u16::from_le_bytes(self.take()?))
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    fn f32(&mut self) -> Result<f32, ModelError> {
        Ok(f32::from_le_bytes(self.take()?))
    }
    fn bf16(&mut self) -> Result<f32, ModelError> {
        Ok(from_bf16(self.u16()?))
    }
    /// An unsigned LEB128 that fits in 32 bits.
    fn gap(&mut self) -> Result<u32, ModelError> {
        let mut value = 0u32;
        for shift in (0..35).step_by(7) {
            let byte = self.u8()?;
            let bits = u32::from(byte & 0x7f);
            if shift == 28 && bits > 0x0f {
                return Err(ModelError::Invalid("key gap overflows 32 bits"));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ModelError::Invalid("key gap overflows 32 bits"))
    }
}

pub(super) fn decode(bytes: &[u8]) -> Result<SentimentModel, ModelError> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(ModelError::NotAModel);
    }
    let mut r = Reader(&bytes[MAGIC.len()..]);
    let version = r.u16()?;
    if version != FORMAT_VERSION {
        return Err(ModelError::UnsupportedVersion(version));
    }
    if bytes.len() < HEADER + CHECKSUM {
        return Err(ModelError::Truncated);
    }
    let (body, checksum) = bytes.split_at(bytes.len() - CHECKSUM);
    if fnv1a(body).to_le_bytes() != checksum {
        return Err(ModelError::Checksum);
    }
    let mut r = Reader(&body[MAGIC.len() + 2..]);
    let features =
        FeatureConfig::from_bytes(r.take()?).ok_or(ModelError::Invalid("feature configuration"))?;
    let value = match r.u8()? {
        0 => FeatureValue::Binary,
        1 => FeatureValue::Sublinear,
        _ => return Err(ModelError::Invalid("feature value")),
    };
    let norm = match r.u8()? {
        0 => Norm::None,
        1 => Norm::Joint,
        2 => Norm::PerView,
        _ => return Err(ModelError::Invalid("normalisation")),
    };
    let bias = r.f32()?;
    if !bias.is_finite() {
        return Err(ModelError::Invalid("bias"));
    }
    let count = r.u32()? as usize;
    // Checked before allocating, so a forged count cannot ask for gigabytes.
    if count > r.0.len() / MIN_ENTRY {
        return Err(ModelError::Invalid("feature count larger than the file"));
    }
    let mut entries = Vec::with_capacity(count);
    let mut key = 0u32;
    for _ in 0..count {
        let gap = r.gap()?;
        if gap == 0 {
            return Err(ModelError::Invalid("feature keys not strictly increasing"));
        }
        key = key
            .checked_add(gap)
            .ok_or(ModelError::Invalid("feature key overflows 32 bits"))?;
        let entry = Entry {
            key,
            scale: r.bf16()?,
            weight: r.bf16()?,
        };
        if !(entry.scale.is_finite() && entry.weight.is_finite()) {
            return Err(ModelError::Invalid("non-finite feature value"));
        }
        entries.push(entry);
    }
    if !r.0.is_empty() {
        return Err(ModelError::Invalid("trailing bytes after the features"));
    }
    let table = Table::new(&entries).ok_or(ModelError::Invalid("duplicate feature keys"))?;
    Ok(SentimentModel {
        features,
        value,
        norm,
        bias,
        table,
    })
}
