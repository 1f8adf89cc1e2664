//! The one error type of the crate: what can be wrong with the model files it is given.

/// Why a model could not be loaded. Encoding itself cannot fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncoderError {
    /// The weights are not a readable zip archive, or one of its members could not be read.
    #[error("weights.npz is not a readable zip archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// A member of the archive could not be decompressed.
    #[error("weights.npz: cannot read {name}: {source}")]
    Read {
        /// The member (`q1.npy`, `proj2.npy`, …).
        name: String,
        /// What went wrong while inflating it.
        source: std::io::Error,
    },
    /// An array the model needs is not in the archive.
    #[error("weights.npz has no array named {0:?}")]
    MissingArray(String),
    /// An array's `.npy` header could not be understood.
    #[error("weights.npz: {name} is not a valid .npy array: {reason}")]
    BadNpy {
        /// The array's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An array has another element type or shape than the model needs.
    #[error("weights.npz: {name} is {found}, expected {expected}")]
    BadShape {
        /// The array's name.
        name: String,
        /// Its element type and shape as found, e.g. `<f4 (512, 256)`.
        found: String,
        /// What the model needs.
        expected: String,
    },
    /// The SentencePiece model could not be parsed.
    #[error("sp.model is not a SentencePiece model this encoder understands: {0}")]
    BadSentencePiece(String),
}
