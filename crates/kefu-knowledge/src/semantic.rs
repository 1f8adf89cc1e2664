//! TEMPORARY until kefu-encoder lands.
use std::sync::Arc;
pub fn bundled() -> Result<Arc<dyn crate::Embedder>, std::io::Error> {
    Err(std::io::Error::other(
        "the sentence encoder is not built in yet; use --lexical-only",
    ))
}
