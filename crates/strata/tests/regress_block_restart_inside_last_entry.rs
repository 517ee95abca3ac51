//! Regression (found by the `block` fuzz target): a block whose last restart point lies inside
//! its last entry scanned forward without an error (the forward scan never reached that
//! restart point), while a backward scan, which starts at it, reported corruption. Now the
//! forward scan reports it too, so every direction agrees that the block is corrupt.

use strata::{Error, Result};

#[test]
fn a_restart_point_inside_the_last_entry_is_corruption() -> Result<()> {
    // One entry at 0: shared 0, unshared 1, value 10 bytes ("a" -> "0123456789"), 14 bytes.
    let mut payload = vec![0u8, 1, 10, b'a'];
    payload.extend_from_slice(b"0123456789");
    // Restart array [0, 5]: restart 1 points into the value; then the count.
    for word in [0u32, 5, 2] {
        payload.extend_from_slice(&word.to_le_bytes());
    }
    for internal in [false, true] {
        match strata::fuzzing::decode_block(&payload, internal) {
            Err(Error::Corruption { .. }) => {}
            other => panic!("expected corruption (internal = {internal}), got {other:?}"),
        }
    }
    // The same block without the stray restart point decodes to its one entry.
    let mut good = payload[..14].to_vec();
    for word in [0u32, 1] {
        good.extend_from_slice(&word.to_le_bytes());
    }
    let entries = strata::fuzzing::decode_block(&good, false)?;
    assert_eq!(entries, vec![(b"a".to_vec(), b"0123456789".to_vec())]);
    Ok(())
}
