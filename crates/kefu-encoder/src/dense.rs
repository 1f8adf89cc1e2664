//! The matrix products: `c = a · W` with `W` a layer's weights, stored as bfloat16 and packed
//! once at load for a register-blocked SIMD kernel chosen at run time.
//!
//! # Why not a general sgemm
//!
//! A query is about a dozen pieces, so every product is a thin `12 × k` times `k × n` whose
//! cost is reading `W`. A general sgemm (`matrixmultiply`, also behind `ndarray`) copies `W`
//! into its packing buffers on every call: measured here, that was 54 % of the time and a
//! query took several milliseconds. So `W` is packed once, at load, in the order the kernel
//! reads it, and the kernel streams it straight from memory.
//!
//! # Why bfloat16
//!
//! The dense weights are 14 MB as `f32`, larger than any L2 cache, so a query streams them
//! from L3 or memory and its time is set by their size. Stored as bfloat16 (the upper half of
//! an `f32`, rounded to nearest even) they are 7 MB and unpacking one is a mask or a shift.
//! Products are still accumulated in `f32`. Measured against the all-`f32` reference on the
//! test fixture, the embeddings stay at cosine ≥ 0.9999.
//!
//! # SIMD without `unsafe`
//!
//! The workspace forbids `unsafe_code`. [`pulp`] is a safe front end to SIMD with run-time
//! dispatch: [`pulp::Arch`] detects AVX-512 or AVX2 + FMA (or NEON) once, and the kernel,
//! written once over pulp's `Simd` trait, is compiled for each. Elsewhere it runs the same code
//! on scalars.

use pulp::{Arch, Simd, WithSimd};

/// Rows of `a` per kernel call with 16 vector registers (AVX2): 6 rows × 2 vectors is 12
/// accumulators, which with the two weight vectors and a broadcast fits.
const MR_16: usize = 6;
/// The same with 32 registers (AVX-512): 14 × 2 + 3 = 31, and a whole short query is one
/// pass, so each weight is read from memory once and used 14 times in registers.
const MR_32: usize = 14;
/// Rows of `a` per block: 128 rows of up to 1 280 floats is 640 KB, which stays in L2 while
/// the panels of `W` stream past.
const MC: usize = 128;

/// A dense layer's weights `W` (`k × n`), packed: `n` is cut into panels of `2 · lanes`
/// columns; a panel is `k` rows of `lanes` words, and word `j` of a row holds column `j` in its
/// upper half and column `lanes + j` in its lower half, both as bfloat16. Unpacking is then
/// `word & 0xffff0000` and `word << 16`, read as `f32`.
pub(crate) struct Dense {
    k: usize,
    n: usize,
    lanes: usize,
    words: Vec<u32>,
}

/// `x` rounded to the nearest bfloat16 (ties to even), as its 16 bits.
fn bf16_bits(x: f32) -> u32 {
    let bits = x.to_bits();
    (bits + 0x7fff + ((bits >> 16) & 1)) >> 16
}

/// The kernel's vector width in `f32` lanes on this machine.
pub(crate) fn lanes(arch: Arch) -> usize {
    struct Lanes;
    impl WithSimd for Lanes {
        type Output = usize;
        #[inline(always)]
        fn with_simd<S: Simd>(self, _: S) -> usize {
            S::F32_LANES
        }
    }
    arch.dispatch(Lanes)
}

impl Dense {
    /// Packs row-major `k × n` weights for vectors of `lanes` floats; `None` when `n` is not a
    /// whole number of panels.
    pub(crate) fn pack(k: usize, n: usize, data: &[f32], lanes: usize) -> Option<Self> {
        let panel = 2 * lanes;
        if !n.is_multiple_of(panel) || data.len() != k * n {
            return None;
        }
        let mut words = Vec::with_capacity(k * n / 2);
        for p in 0..n / panel {
            for row in data.chunks_exact(n) {
                let cols = &row[p * panel..(p + 1) * panel];
                let (high, low) = cols.split_at(lanes);
                words.extend(
                    high.iter()
                        .zip(low)
                        .map(|(&h, &l)| (bf16_bits(h) << 16) | bf16_bits(l)),
                );
            }
        }
        Some(Self { k, n, lanes, words })
    }

    /// `c = a · W` (or `c += a · W` when `accumulate`) for `m` rows: row `i` of `a` is
    /// `a[i * lda..][..k]` and of `c` is `c[i * ldc..][..n]`.
    #[expect(
        clippy::too_many_arguments,
        reason = "a BLAS-style call: operands with their strides"
    )]
    pub(crate) fn matmul(
        &self,
        arch: Arch,
        m: usize,
        a: &[f32],
        lda: usize,
        c: &mut [f32],
        ldc: usize,
        accumulate: bool,
    ) {
        if m == 0 {
            return;
        }
        assert!(
            a.len() >= (m - 1) * lda + self.k && c.len() >= (m - 1) * ldc + self.n,
            "matmul operands too short"
        );
        arch.dispatch(MatMul {
            w: self,
            m,
            a,
            lda,
            c,
            ldc,
            accumulate,
        });
    }
}

struct MatMul<'a> {
    w: &'a Dense,
    m: usize,
    a: &'a [f32],
    lda: usize,
    c: &'a mut [f32],
    ldc: usize,
    accumulate: bool,
}

impl WithSimd for MatMul<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Self {
            w,
            m,
            a,
            lda,
            c,
            ldc,
            accumulate,
        } = self;
        let lanes = S::F32_LANES;
        assert_eq!(w.lanes, lanes, "weights packed for another vector width");
        let (words, _) = S::as_simd_u32s(&w.words);
        let panel_width = 2 * lanes;
        let max_rows = if S::REGISTER_COUNT >= 32 {
            MR_32
        } else {
            MR_16
        };
        // Rows in blocks of MC, so that a block of `a` stays in L2 while every panel of `W`
        // streams past it; a query (m ≤ MC) is one block and reads `W` exactly once.
        for block in (0..m).step_by(MC) {
            let block_end = (block + MC).min(m);
            for (p, panel) in words.chunks_exact(w.k).enumerate() {
                let col = p * panel_width;
                let mut row = block;
                while row < block_end {
                    // Even tiles: 15 rows are 8 + 7, not 14 + 1.
                    let left = block_end - row;
                    let rows = left.div_ceil(left.div_ceil(max_rows));
                    let tile = Tile {
                        a: &a[row * lda..],
                        lda,
                        k: w.k,
                        c: &mut c[row * ldc + col..],
                        ldc,
                        accumulate,
                    };
                    row += match rows {
                        1 => tile.run::<S, 1>(simd, panel),
                        2 => tile.run::<S, 2>(simd, panel),
                        3 => tile.run::<S, 3>(simd, panel),
                        4 => tile.run::<S, 4>(simd, panel),
                        5 => tile.run::<S, 5>(simd, panel),
                        6 => tile.run::<S, 6>(simd, panel),
                        7 => tile.run::<S, 7>(simd, panel),
                        8 => tile.run::<S, 8>(simd, panel),
                        9 => tile.run::<S, 9>(simd, panel),
                        10 => tile.run::<S, 10>(simd, panel),
                        11 => tile.run::<S, 11>(simd, panel),
                        12 => tile.run::<S, 12>(simd, panel),
                        13 => tile.run::<S, 13>(simd, panel),
                        _ => tile.run::<S, MR_32>(simd, panel),
                    };
                }
            }
        }
    }
}

/// `R` rows of `a` times one panel of `W`.
struct Tile<'a> {
    a: &'a [f32],
    lda: usize,
    k: usize,
    c: &'a mut [f32],
    ldc: usize,
    accumulate: bool,
}

impl Tile<'_> {
    /// Returns `R`, the rows done.
    #[inline(always)]
    fn run<S: Simd, const R: usize>(self, simd: S, panel: &[S::u32s]) -> usize {
        let lanes = S::F32_LANES;
        let k = self.k;
        let a_rows: [&[f32]; R] = std::array::from_fn(|r| &self.a[r * self.lda..][..k]);
        let zero = simd.splat_f32s(0.0);
        let mut acc = [[zero; 2]; R];
        if self.accumulate {
            for (r, acc) in acc.iter_mut().enumerate() {
                let (c, _) = S::as_simd_f32s(&self.c[r * self.ldc..][..2 * lanes]);
                *acc = [c[0], c[1]];
            }
        }
        let high_mask = simd.splat_u32s(0xffff_0000);
        let shift = simd.splat_u32s(16);
        for (kk, &word) in panel[..k].iter().enumerate() {
            let high: S::f32s = pulp::cast(simd.and_u32s(word, high_mask));
            let low: S::f32s = pulp::cast(simd.wrapping_dyn_shl_u32s(word, shift));
            for (acc, a) in acc.iter_mut().zip(&a_rows) {
                let x = simd.splat_f32s(a[kk]);
                acc[0] = simd.mul_add_f32s(x, high, acc[0]);
                acc[1] = simd.mul_add_f32s(x, low, acc[1]);
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            let (c, _) = S::as_mut_simd_f32s(&mut self.c[r * self.ldc..][..2 * lanes]);
            c[0] = acc[0];
            c[1] = acc[1];
        }
        R
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every instruction set this machine has, not only the best one.
    fn arches() -> Vec<Arch> {
        let mut arches = vec![Arch::Scalar, Arch::new()];
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        if let Some(v3) = pulp::x86::V3::try_new() {
            arches.push(Arch::V3(v3));
        }
        arches
    }

    #[test]
    fn matches_a_naive_product_on_every_instruction_set() {
        for arch in arches() {
            let lanes = lanes(arch);
            let (k, n) = (37, 4 * lanes);
            let w: Vec<f32> = (0..k * n)
                .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
                .collect();
            let dense = Dense::pack(k, n, &w, lanes).expect("n is a whole number of panels");
            for m in [1, 5, 6, 7, 13, 14, 15, 29, 130, 300] {
                let lda = k + 3;
                let a: Vec<f32> = (0..m * lda)
                    .map(|i| ((i * 31) % 17) as f32 / 8.0 - 1.0)
                    .collect();
                for accumulate in [false, true] {
                    let mut c = vec![1.0; m * n];
                    dense.matmul(arch, m, &a, lda, &mut c, n, accumulate);
                    for i in 0..m {
                        for j in 0..n {
                            let product: f32 = (0..k)
                                .map(|kk| {
                                    let w = f32::from_bits(bf16_bits(w[kk * n + j]) << 16);
                                    a[i * lda + kk] * w
                                })
                                .sum();
                            let want = if accumulate { 1.0 + product } else { product };
                            let got = c[i * n + j];
                            assert!((got - want).abs() < 1e-4, "{arch:?} m {m} ({i}, {j})");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rounds_to_nearest_bfloat16() {
        assert_eq!(bf16_bits(1.0), 0x3f80);
        assert_eq!(f32::from_bits(bf16_bits(1.0 + 1.0 / 256.0) << 16), 1.0); // tie to even
        assert_eq!(
            f32::from_bits(bf16_bits(1.0 + 3.0 / 256.0) << 16),
            1.0 + 4.0 / 256.0
        );
        assert_eq!(f32::from_bits(bf16_bits(-0.15625) << 16), -0.15625);
    }
}
