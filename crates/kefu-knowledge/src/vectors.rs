//! Sentence embeddings of the knowledge base's questions, one row per question, and the dot
//! products the semantic score needs.
//!
//! Rows are unit vectors, so a dot product is the cosine. They live in one contiguous buffer
//! and the dot product keeps eight independent sums, which lets the compiler use SIMD lanes
//! (a plain `zip().sum()` is a serial chain of dependent additions).

/// Unit vectors of one dimension, stored row after row.
#[derive(Debug, Clone, Default)]
pub struct Vectors {
    dim: usize,
    data: Vec<f32>,
}

impl Vectors {
    pub fn new(dim: usize) -> Vectors {
        Vectors {
            dim,
            data: Vec::new(),
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Appends a row; it must have the store's dimension.
    pub fn push(&mut self, row: &[f32]) {
        debug_assert_eq!(row.len(), self.dim);
        self.data.extend_from_slice(row);
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}

/// Unit vectors quantised to 8 bits, each row scaled so its largest component is ±127: a
/// quarter of the memory of [`Vectors`]. A pass over ten thousand rows is bound by memory, so
/// this is what makes a coarse first pass over a large knowledge base fast; the few rows it
/// keeps are then scored exactly.
#[derive(Debug, Clone, Default)]
pub struct Quantized {
    dim: usize,
    data: Vec<i8>,
    /// Per row: the factor that turns its integer dot products back into cosines.
    scale: Vec<f32>,
}

/// `v` as 8-bit integers and the factor that undoes the scaling.
fn quantize(v: &[f32]) -> (Vec<i8>, f32) {
    let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        return (vec![0; v.len()], 0.0);
    }
    let k = 127.0 / max;
    let q = v.iter().map(|x| (x * k).round() as i8).collect();
    (q, 1.0 / k)
}

impl Quantized {
    pub fn of(rows: &Vectors) -> Quantized {
        let mut out = Quantized {
            dim: rows.dim,
            data: Vec::with_capacity(rows.data.len()),
            scale: Vec::with_capacity(rows.len()),
        };
        if rows.dim == 0 {
            return out;
        }
        for row in rows.data.chunks_exact(rows.dim) {
            let (q, scale) = quantize(row);
            out.data.extend(q);
            out.scale.push(scale);
        }
        out
    }

    pub fn len(&self) -> usize {
        self.scale.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scale.is_empty()
    }

    /// `(i, ≈ query · row i)` for the given rows (within about 1 % of a unit vector's length).
    pub fn dot_rows(&self, query: &[f32], rows: &[usize], out: &mut Vec<(usize, f32)>) {
        out.clear();
        if self.dim == 0 {
            return;
        }
        let (q, q_scale) = quantize(query);
        out.extend(rows.iter().map(|&i| {
            let row = &self.data[i * self.dim..(i + 1) * self.dim];
            (i, dot_i8(&q, row) as f32 * self.scale[i] * q_scale)
        }));
    }
}

/// One bit per dimension — its sign — of each unit vector: 64 bytes for 512 dimensions. The
/// share of differing bits tracks the angle between two vectors (more loosely than the 8-bit
/// codes), and counting them is a few popcounts, so a first cut of ten thousand entries costs
/// microseconds.
#[derive(Debug, Clone, Default)]
pub struct SignBits {
    words: usize,
    bits: Vec<u64>,
}

fn signs(v: &[f32], words: usize) -> impl Iterator<Item = u64> + '_ {
    (0..words).map(move |w| {
        let mut word = 0u64;
        for (b, x) in v.iter().skip(w * 64).take(64).enumerate() {
            if *x > 0.0 {
                word |= 1 << b;
            }
        }
        word
    })
}

impl SignBits {
    pub fn of(rows: &Vectors) -> SignBits {
        let words = rows.dim.div_ceil(64);
        let mut bits = Vec::with_capacity(rows.len() * words);
        if rows.dim > 0 {
            for row in rows.data.chunks_exact(rows.dim) {
                bits.extend(signs(row, words));
            }
        }
        SignBits { words, bits }
    }

    /// `out[i]` = how many signs of row `i` differ from the query's (smaller is closer).
    pub fn distances(&self, query: &[f32], out: &mut Vec<u32>) {
        out.clear();
        if self.words == 0 {
            return;
        }
        let q: Vec<u64> = signs(query, self.words).collect();
        out.extend(self.bits.chunks_exact(self.words).map(|row| {
            row.iter()
                .zip(&q)
                .map(|(a, b)| (a ^ b).count_ones())
                .sum::<u32>()
        }));
    }
}

/// The integer dot product of two equally long slices, with sixteen independent sums so the
/// compiler can widen and multiply in SIMD lanes.
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let mut sums = [0i32; 16];
    let mut ca = a.chunks_exact(16);
    let mut cb = b.chunks_exact(16);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..16 {
            sums[k] += i32::from(x[k]) * i32::from(y[k]);
        }
    }
    let tail: i32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum();
    sums.iter().sum::<i32>() + tail
}

/// The dot product of two equally long slices.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0.0f32; 8];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..8 {
            sums[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    sums.iter().sum::<f32>() + tail
}

/// `v` scaled to unit length (left as is when it is all zeros).
pub fn normalized(mut v: Vec<f32>) -> Vec<f32> {
    let norm = dot(&v, &v).sqrt();
    if norm > 0.0 {
        for x in &mut v {
            *x /= norm;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_bits_count_the_dimensions_that_point_the_other_way() {
        let mut rows = Vectors::new(130);
        let v: Vec<f32> = (0..130)
            .map(|i| if i % 3 == 0 { -0.1 } else { 0.2 })
            .collect();
        let opposite: Vec<f32> = v.iter().map(|x| -x).collect();
        let mut one_flipped = v.clone();
        one_flipped[129] = -one_flipped[129];
        for row in [&v, &opposite, &one_flipped] {
            rows.push(row);
        }
        let mut d = Vec::new();
        SignBits::of(&rows).distances(&v, &mut d);
        assert_eq!(d, [0, 130, 1]);
        let coarse = Quantized::of(&rows);
        let mut picked = Vec::new();
        coarse.dot_rows(&normalized(v.clone()), &[2, 0], &mut picked);
        assert_eq!(picked.iter().map(|p| p.0).collect::<Vec<_>>(), [2, 0]);
    }

    #[test]
    fn quantised_dots_stay_within_a_percent_of_the_exact_ones() {
        let mut rows = Vectors::new(64);
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        for _ in 0..50 {
            rows.push(&normalized((0..64).map(|_| next()).collect()));
        }
        rows.push(&[0.0; 64]);
        let query = normalized((0..64).map(|_| next()).collect());
        let exact: Vec<f32> = (0..rows.len()).map(|i| dot(&query, rows.row(i))).collect();
        let all: Vec<usize> = (0..rows.len()).collect();
        let mut pairs = Vec::new();
        Quantized::of(&rows).dot_rows(&query, &all, &mut pairs);
        let coarse: Vec<f32> = pairs.iter().map(|p| p.1).collect();
        assert_eq!(coarse.len(), exact.len());
        for (e, c) in exact.iter().zip(&coarse) {
            assert!((e - c).abs() < 0.01, "{e} vs {c}");
        }
        assert_eq!(coarse[50], 0.0, "a zero row stays zero");
    }

    #[test]
    fn dot_matches_the_plain_sum_for_any_length() {
        for n in [0, 1, 7, 8, 9, 512, 515] {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - plain).abs() < 1e-3, "n={n}");
        }
    }

    #[test]
    fn rows_come_back_as_pushed() {
        let mut v = Vectors::new(3);
        v.push(&normalized(vec![3.0, 4.0, 0.0]));
        v.push(&[0.0, 0.0, 1.0]);
        assert_eq!(v.len(), 2);
        assert!((v.row(0)[0] - 0.6).abs() < 1e-6);
        let out: Vec<f32> = (0..v.len())
            .map(|i| dot(&[0.0, 0.0, 1.0], v.row(i)))
            .collect();
        assert_eq!(out, vec![0.0, 1.0]);
        assert_eq!(normalized(vec![0.0, 0.0]), vec![0.0, 0.0]);
    }
}
