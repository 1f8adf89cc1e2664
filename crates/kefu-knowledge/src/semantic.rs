//! The sentence encoder the knowledge base matches with: USE multilingual v3 (kefu-encoder),
//! loaded once per process.

use std::sync::{Arc, OnceLock};

use kefu_encoder::Encoder;

use crate::index::Embedder;

/// Longest input the bot encodes, in tokens: a shopper's question is a few dozen; a pasted
/// essay is cut here so one message cannot stall the bot.
const MAX_QUERY_TOKENS: usize = 128;

struct Use(Encoder);

impl Embedder for Use {
    fn dim(&self) -> usize {
        kefu_encoder::DIM
    }

    fn embed(&self, text: &str) -> Vec<f32> {
        self.0.encode(text).as_slice().to_vec()
    }
}

/// The bundled encoder, shared by every knowledge base of the process (loading it takes a
/// fraction of a second and ~70 MB, so it happens once).
/// The error is the loader's message (a broken build: the model is compiled in).
pub fn bundled() -> Result<Arc<dyn Embedder>, String> {
    static ENCODER: OnceLock<Result<Arc<dyn Embedder>, String>> = OnceLock::new();
    ENCODER
        .get_or_init(|| {
            let encoder = Encoder::bundled()
                .map_err(|e| format!("loading the sentence encoder: {e}"))?
                .with_max_tokens(MAX_QUERY_TOKENS);
            Ok(Arc::new(Use(encoder)) as Arc<dyn Embedder>)
        })
        .clone()
}
