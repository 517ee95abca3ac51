//! Byte-string encodings for one-shot output: hex, and JSON fields that stay lossless.
//!
//! A JSON field holds text only when the bytes are valid UTF-8 and hex was not asked for;
//! otherwise the field is renamed `{name}_hex` and holds lowercase hex, so a reader never has to
//! guess which encoding it got.

use serde_json::{Map, Value};

/// Lowercase hex, two digits per byte.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Inserts `bytes` into `map` as `name` (UTF-8 text) or `{name}_hex` (hex).
pub fn insert_bytes(map: &mut Map<String, Value>, name: &str, bytes: &[u8], force_hex: bool) {
    match std::str::from_utf8(bytes) {
        Ok(text) if !force_hex => {
            map.insert(name.to_string(), Value::String(text.to_string()));
        }
        _ => {
            map.insert(format!("{name}_hex"), Value::String(hex(bytes)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_encodes_every_byte() {
        assert_eq!(hex(b""), "");
        assert_eq!(hex(b"\x00\x0f\xf0\xffAz"), "000ff0ff417a");
    }

    #[test]
    fn json_fields_are_text_or_hex() {
        let mut map = Map::new();
        insert_bytes(&mut map, "key", b"k\"1", false);
        insert_bytes(&mut map, "value", b"\xff\x00", false);
        insert_bytes(&mut map, "other", b"ab", true);
        assert_eq!(
            Value::Object(map).to_string(),
            r#"{"key":"k\"1","other_hex":"6162","value_hex":"ff00"}"#
        );
    }
}
