//! Just enough of NumPy's `.npz` (a zip of `.npy` files) to read the model's weights.
//!
//! A `.npy` file is the magic `\x93NUMPY`, a version, a little-endian header length and a
//! Python dict literal such as `{'descr': '<f4', 'fortran_order': False, 'shape': (512, 256), }`,
//! then the raw array data. Only C-order arrays of `<f4`, `|u1`, `<f8` and `|i1` are understood.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::EncoderError;

/// Element types the model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dtype {
    F32,
    F64,
    U8,
    I8,
}

impl Dtype {
    fn parse(descr: &str) -> Option<Self> {
        match descr {
            "<f4" => Some(Self::F32),
            "<f8" => Some(Self::F64),
            "|u1" | "<u1" | "u1" => Some(Self::U8),
            "|i1" | "<i1" | "i1" => Some(Self::I8),
            _ => None,
        }
    }

    fn size(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F64 => 8,
            Self::U8 | Self::I8 => 1,
        }
    }

    fn descr(self) -> &'static str {
        match self {
            Self::F32 => "<f4",
            Self::F64 => "<f8",
            Self::U8 => "|u1",
            Self::I8 => "|i1",
        }
    }
}

/// An open `.npz` archive over borrowed bytes.
pub(crate) struct Npz<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
}

impl<'a> Npz<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Result<Self, EncoderError> {
        Ok(Self {
            archive: ZipArchive::new(Cursor::new(bytes))?,
        })
    }

    /// Reads array `name` into `out`, which must be exactly as long as the array, after
    /// checking its element type and shape.
    pub(crate) fn read_u8_into(
        &mut self,
        name: &str,
        shape: &[usize],
        out: &mut [u8],
    ) -> Result<(), EncoderError> {
        let mut file = self.open(name)?;
        let (dtype, found) = read_header(name, &mut file)?;
        check(name, dtype, &found, Dtype::U8, shape)?;
        file.read_exact(out)
            .map_err(|source| read_error(name, source))
    }

    /// Reads a `<f4` array of the given shape, in C order.
    pub(crate) fn f32s(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, EncoderError> {
        let bytes = self.bytes(name, Dtype::F32, shape)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    /// Reads a `<f8` scalar.
    pub(crate) fn f64_scalar(&mut self, name: &str) -> Result<f64, EncoderError> {
        let bytes = self.bytes(name, Dtype::F64, &[])?;
        let mut le = [0; 8];
        le.copy_from_slice(&bytes);
        Ok(f64::from_le_bytes(le))
    }

    fn bytes(
        &mut self,
        name: &str,
        dtype: Dtype,
        shape: &[usize],
    ) -> Result<Vec<u8>, EncoderError> {
        let mut file = self.open(name)?;
        let (found_dtype, found) = read_header(name, &mut file)?;
        check(name, found_dtype, &found, dtype, shape)?;
        let mut bytes = vec![0; dtype.size() * shape.iter().product::<usize>()];
        file.read_exact(&mut bytes)
            .map_err(|source| read_error(name, source))?;
        Ok(bytes)
    }

    fn open(
        &mut self,
        name: &str,
    ) -> Result<zip::read::ZipFile<'_, Cursor<&'a [u8]>>, EncoderError> {
        match self.archive.by_name(&format!("{name}.npy")) {
            Ok(file) => Ok(file),
            Err(zip::result::ZipError::FileNotFound) => {
                Err(EncoderError::MissingArray(name.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn read_error(name: &str, source: std::io::Error) -> EncoderError {
    EncoderError::Read {
        name: format!("{name}.npy"),
        source,
    }
}

fn check(
    name: &str,
    dtype: Dtype,
    shape: &[usize],
    want_dtype: Dtype,
    want_shape: &[usize],
) -> Result<(), EncoderError> {
    if dtype == want_dtype && shape == want_shape {
        return Ok(());
    }
    Err(EncoderError::BadShape {
        name: name.to_owned(),
        found: format!("{} {shape:?}", dtype.descr()),
        expected: format!("{} {want_shape:?}", want_dtype.descr()),
    })
}

/// Reads a `.npy` header, leaving `file` at the start of the data.
fn read_header(name: &str, file: &mut impl Read) -> Result<(Dtype, Vec<usize>), EncoderError> {
    let bad = |reason: String| EncoderError::BadNpy {
        name: name.to_owned(),
        reason,
    };
    let mut lead = [0_u8; 8];
    file.read_exact(&mut lead)
        .map_err(|source| read_error(name, source))?;
    if &lead[..6] != b"\x93NUMPY" {
        return Err(bad("no .npy magic".into()));
    }
    let header_len = match lead[6] {
        1 => {
            let mut len = [0_u8; 2];
            file.read_exact(&mut len)
                .map_err(|source| read_error(name, source))?;
            usize::from(u16::from_le_bytes(len))
        }
        2 | 3 => {
            let mut len = [0_u8; 4];
            file.read_exact(&mut len)
                .map_err(|source| read_error(name, source))?;
            u32::from_le_bytes(len) as usize
        }
        v => return Err(bad(format!("unknown .npy version {v}"))),
    };
    if header_len > 1 << 16 {
        return Err(bad(format!("header of {header_len} bytes")));
    }
    let mut header = vec![0_u8; header_len];
    file.read_exact(&mut header)
        .map_err(|source| read_error(name, source))?;
    let header = String::from_utf8(header).map_err(|_| bad("header is not text".into()))?;

    let descr = dict_value(&header, "descr")
        .and_then(|v| v.strip_prefix('\'').or_else(|| v.strip_prefix('"')))
        .and_then(|v| v.split(['\'', '"']).next())
        .ok_or_else(|| bad(format!("no descr in {header:?}")))?;
    let dtype = Dtype::parse(descr).ok_or_else(|| bad(format!("unsupported dtype {descr}")))?;
    if dict_value(&header, "fortran_order").is_some_and(|v| v.starts_with("True")) {
        return Err(bad("Fortran-order arrays are not supported".into()));
    }
    let shape = dict_value(&header, "shape")
        .and_then(|v| v.strip_prefix('('))
        .and_then(|v| v.split(')').next())
        .ok_or_else(|| bad(format!("no shape in {header:?}")))?;
    let shape = shape
        .split(',')
        .map(str::trim)
        .filter(|dim| !dim.is_empty())
        .map(|dim| dim.parse::<usize>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad(format!("bad shape ({shape})")))?;
    Ok((dtype, shape))
}

/// The text after `'key':` in a Python dict literal, leading spaces trimmed.
fn dict_value<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let quoted = [format!("'{key}'"), format!("\"{key}\"")];
    let at = quoted
        .iter()
        .find_map(|q| header.find(q.as_str()).map(|i| i + q.len()))?;
    header[at..]
        .trim_start()
        .strip_prefix(':')
        .map(str::trim_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str, data: &[u8]) -> Vec<u8> {
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn reads_headers() {
        let bytes = npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            &[],
        );
        let (dtype, shape) = read_header("x", &mut bytes.as_slice()).expect("a valid header");
        assert_eq!((dtype, shape), (Dtype::F32, vec![2, 3]));
        let bytes = npy(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
            &[],
        );
        assert_eq!(
            read_header("x", &mut bytes.as_slice()).expect("a valid header"),
            (Dtype::F64, vec![])
        );
        let bytes = npy(
            "{'descr': '|u1', 'fortran_order': False, 'shape': (7,), }",
            &[],
        );
        assert_eq!(
            read_header("x", &mut bytes.as_slice()).expect("a valid header"),
            (Dtype::U8, vec![7])
        );
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        for header in [
            "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }",
            "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }",
            "{'fortran_order': False, 'shape': (2,), }",
        ] {
            let bytes = npy(header, &[]);
            let err = read_header("x", &mut bytes.as_slice()).expect_err("an unreadable header");
            assert!(
                matches!(err, EncoderError::BadNpy { .. }),
                "{header}: {err}"
            );
        }
        assert!(read_header("x", &mut &b"PK\x03\x04 not numpy"[..]).is_err());
    }
}
