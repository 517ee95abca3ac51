//! Little-endian fixed-width and LEB128 varint encoding, with a checked decoder.
//!
//! Encoders append to a `Vec<u8>`. [`Decoder`] reads from a slice and returns `None` on any
//! overrun or malformed varint; callers turn `None` into `Error::Corruption` with their own
//! file and offset. Nothing here panics on any input.

/// Appends a u32 little-endian.
#[inline]
pub fn put_u32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// Appends a u64 little-endian.
#[inline]
pub fn put_u64(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// Appends a LEB128 varint (at most 10 bytes).
#[inline]
pub fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Writes a LEB128 varint of `v` at the start of `out` and returns its length (at most 10);
/// returns 0 if `out` is too short for it (what was written then is garbage).
#[inline]
pub fn encode_varint(mut v: u64, out: &mut [u8]) -> usize {
    let mut n = 0;
    while let Some(slot) = out.get_mut(n) {
        if v < 0x80 {
            *slot = v as u8;
            return n + 1;
        }
        *slot = (v as u8) | 0x80;
        v >>= 7;
        n += 1;
    }
    0
}

/// Appends a varint length followed by the bytes.
#[inline]
pub fn put_length_prefixed(buf: &mut Vec<u8>, data: &[u8]) {
    put_varint(buf, data.len() as u64);
    buf.extend_from_slice(data);
}

/// Bytes a varint of `v` takes.
#[inline]
pub fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Reads a u32 little-endian at `offset` of `data`, if in bounds.
#[inline]
pub fn get_u32_at(data: &[u8], offset: usize) -> Option<u32> {
    let b = data.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads a u64 little-endian at `offset` of `data`, if in bounds.
#[inline]
pub fn get_u64_at(data: &[u8], offset: usize) -> Option<u64> {
    let b = data.get(offset..offset.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// A checked cursor over a byte slice.
#[derive(Debug, Clone)]
pub struct Decoder<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    /// Starts at the beginning of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Decoder { data, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// True when everything was consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Takes `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    /// Takes one byte.
    pub fn u8(&mut self) -> Option<u8> {
        Some(*self.bytes(1)?.first()?)
    }

    /// Takes a little-endian u32.
    pub fn u32(&mut self) -> Option<u32> {
        let v = get_u32_at(self.data, self.pos)?;
        self.pos += 4;
        Some(v)
    }

    /// Takes a little-endian u64.
    pub fn u64(&mut self) -> Option<u64> {
        let v = get_u64_at(self.data, self.pos)?;
        self.pos += 8;
        Some(v)
    }

    /// Takes a LEB128 varint of at most 10 bytes that fits in u64.
    pub fn varint(&mut self) -> Option<u64> {
        let mut result: u64 = 0;
        for i in 0..10u32 {
            let byte = self.u8()?;
            let low = u64::from(byte & 0x7F);
            if i == 9 && low > 1 {
                return None;
            }
            result |= low << (7 * i);
            if byte & 0x80 == 0 {
                return Some(result);
            }
        }
        None
    }

    /// Takes a varint that must fit in `usize` and be at most `max`.
    pub fn varint_usize(&mut self, max: usize) -> Option<usize> {
        let v = usize::try_from(self.varint()?).ok()?;
        (v <= max).then_some(v)
    }

    /// Takes a varint length and that many bytes.
    pub fn length_prefixed(&mut self) -> Option<&'a [u8]> {
        let n = self.varint_usize(self.remaining())?;
        self.bytes(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn encode_varint_writes_what_put_varint_appends() {
        for v in [0, 1, 127, 128, 300, 1 << 28, (1 << 56) - 1, u64::MAX] {
            let mut want = Vec::new();
            put_varint(&mut want, v);
            let mut out = [0u8; 10];
            assert_eq!(encode_varint(v, &mut out), want.len(), "{v}");
            assert_eq!(&out[..want.len()], &want[..]);
            assert_eq!(
                encode_varint(v, &mut out[..want.len() - 1]),
                0,
                "{v}: too short"
            );
        }
    }

    #[test]
    fn varints_round_trip_and_reject_garbage() {
        let values = [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX];
        let mut buf = Vec::new();
        for v in values {
            put_varint(&mut buf, v);
            assert_eq!(varint_len(v), {
                let mut b = Vec::new();
                put_varint(&mut b, v);
                b.len()
            });
        }
        let mut d = Decoder::new(&buf);
        for v in values {
            assert_eq!(d.varint(), Some(v));
        }
        assert!(d.is_empty());
        assert_eq!(Decoder::new(&[0x80; 11]).varint(), None);
        assert_eq!(Decoder::new(&[0xFF, 0xFF]).varint(), None);
        assert_eq!(Decoder::new(&[5, 1, 2]).length_prefixed(), None);
    }
}
