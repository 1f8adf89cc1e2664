//! Model files that are not what the encoder needs give an error that says what is wrong.

use std::io::{Cursor, Write};

use kefu_encoder::{Encoder, EncoderError, Tokenizer};
use zip::write::SimpleFileOptions;

const SP_MODEL: &[u8] = include_bytes!("../model/sp.model");

/// A `.npy` file holding zeros.
fn npy(descr: &str, shape: &str, data_len: usize) -> Vec<u8> {
    let header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.resize(out.len() + data_len, 0);
    out
}

fn npz(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in members {
        zip.start_file(*name, SimpleFileOptions::default())
            .expect("a new member");
        zip.write_all(bytes).expect("writes to memory");
    }
    zip.finish().expect("a finished zip").into_inner()
}

#[test]
fn weights_that_are_not_a_zip() {
    let err = Encoder::from_bytes(SP_MODEL, b"definitely not a zip").expect_err("not a zip");
    assert!(matches!(err, EncoderError::Zip(_)), "{err}");
    assert!(err.to_string().contains("weights.npz"), "{err}");
}

#[test]
fn a_missing_array() {
    let weights = npz(&[("eps.npy", npy("<f8", "()", 8))]);
    let err = Encoder::from_bytes(SP_MODEL, &weights).expect_err("no q1");
    assert!(
        matches!(&err, EncoderError::MissingArray(name) if name == "q1"),
        "{err}"
    );
    assert_eq!(err.to_string(), r#"weights.npz has no array named "q1""#);
}

#[test]
fn an_array_of_the_wrong_shape() {
    let weights = npz(&[("q1.npy", npy("|u1", "(7530, 256)", 7530 * 256))]);
    let err = Encoder::from_bytes(SP_MODEL, &weights).expect_err("q1 is too narrow");
    assert_eq!(
        err.to_string(),
        "weights.npz: q1 is |u1 [7530, 256], expected |u1 [7530, 512]"
    );
}

#[test]
fn an_array_cut_short() {
    let mut q1 = npy("|u1", "(7530, 512)", 7530 * 512);
    q1.truncate(1000);
    let err = Encoder::from_bytes(SP_MODEL, &npz(&[("q1.npy", q1)])).expect_err("q1 is cut");
    assert!(matches!(err, EncoderError::Read { .. }), "{err}");
}

#[test]
fn a_sentencepiece_model_that_is_not_one() {
    let err = Tokenizer::from_bytes(b"\xff\xff\xff").expect_err("garbage");
    assert!(matches!(err, EncoderError::BadSentencePiece(_)), "{err}");
    let err = Tokenizer::from_bytes(&SP_MODEL[..SP_MODEL.len() / 2]).expect_err("cut in half");
    assert!(matches!(err, EncoderError::BadSentencePiece(_)), "{err}");
}
