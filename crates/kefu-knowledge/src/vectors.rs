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

    /// `out[i] = query · row i` for every row.
    pub fn dot_all(&self, query: &[f32], out: &mut Vec<f32>) {
        out.clear();
        if self.dim == 0 {
            return;
        }
        out.extend(self.data.chunks_exact(self.dim).map(|row| dot(query, row)));
    }
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
        let mut out = Vec::new();
        v.dot_all(&[0.0, 0.0, 1.0], &mut out);
        assert_eq!(out, vec![0.0, 1.0]);
        assert_eq!(normalized(vec![0.0, 0.0]), vec![0.0, 0.0]);
    }
}
