//! [`Input`]: reads a fuzz input as a stream of small choices (bytes, bounded lengths), so
//! one input can describe structured data (entries, options, edits) for the round-trip modes.
//!
//! Past the end every read returns zeros / empty slices, so any input is a valid description.

/// A cursor over a fuzz input.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Input<'a> {
        Input { data }
    }

    /// Whether every byte was consumed.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte (0 past the end).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// A little-endian u16 from the next two bytes.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// A little-endian u64 from the next eight bytes.
    pub fn u64(&mut self) -> u64 {
        let mut v = [0u8; 8];
        v.iter_mut().for_each(|b| *b = self.byte());
        u64::from_le_bytes(v)
    }

    /// A slice of `byte() % (max + 1)` bytes (shorter at the end of the input).
    pub fn bytes(&mut self, max: usize) -> &'a [u8] {
        let want = usize::from(self.byte()) % (max + 1);
        let (taken, rest) = self.data.split_at(want.min(self.data.len()));
        self.data = rest;
        taken
    }

    /// Everything not consumed yet.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}
