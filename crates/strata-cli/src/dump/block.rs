//! One SST block, annotated: payload entries, restart array and trailer (docs/FORMAT.md,
//! "Block" and "Block contents").
//!
//! Job: check a block's bounds and CRC, decompress it when its tag says so, then walk its
//! entries (shared, unshared, value length, key delta, value) and restart array, handing each
//! decoded entry to the caller to describe. Single-threaded, pure over the file's bytes;
//! every fault becomes a [`Listing::problem`] at the block's file offset, never a panic.

use super::annotate::{Cursor, Listing, Pos, crc_text};

/// Bytes after a block's payload: tag u8 + crc32c u32.
pub const TRAILER: u64 = 5;

/// One decoded entry of a block.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Full key (previous key's shared prefix ++ delta).
    pub key: Vec<u8>,
    /// The value bytes.
    pub value: Vec<u8>,
    /// Where the value starts.
    pub value_at: Pos,
}

/// Describes one entry's key and value: called with the listing, the entry, and where its key
/// delta lies (position and bytes).
pub type Describe<'d> = dyn FnMut(&mut Listing, &Entry, Pos, &[u8]) + 'd;

/// Annotates the block at `(offset, size)` of `file` under a section titled `title`: its
/// compression header, its contents (through `body`, given the decoded contents and where
/// they start), tag and CRC. Returns what `body` returned, or `None` when the block could not
/// be read or its CRC failed (the problem is recorded; `body` still shows what the bytes would
/// mean when they decode).
pub fn dump_block<T>(
    l: &mut Listing,
    file: &[u8],
    (offset, size): (u64, u64),
    title: &str,
    body: impl FnOnce(&mut Listing, &[u8], Pos) -> Option<T>,
) -> Option<T> {
    let end = offset
        .checked_add(size)
        .and_then(|e| e.checked_add(TRAILER));
    let Some(end) = end.filter(|&e| e <= file.len() as u64) else {
        l.section(
            offset,
            format!("{title} [{offset}, ?): {size}-byte payload"),
        );
        l.problem(
            offset,
            format!(
                "{title}: block of {size} bytes + 5-byte trailer runs past the end of the file ({} bytes)",
                file.len()
            ),
        );
        return None;
    };
    let (start, pay_end) = (offset as usize, (offset + size) as usize);
    let payload = &file[start..pay_end];
    let tag = file[pay_end];
    let stored = u32::from_le_bytes([
        file[pay_end + 1],
        file[pay_end + 2],
        file[pay_end + 3],
        file[pay_end + 4],
    ]);
    let computed = crc32c::crc32c_append(crc32c::crc32c(payload), &[tag]);
    let tag_name = match tag {
        0 => "raw",
        1 => "LZ4",
        2 => "Zstd",
        _ => "unknown",
    };
    l.section(
        offset,
        format!("{title} [{offset}, {end}): {size}-byte payload, {tag_name}"),
    );
    let crc_ok = stored == computed;
    let contents = if tag == 0 {
        Some((payload.to_vec(), Pos::File(offset)))
    } else if tag > 2 {
        None
    } else {
        let mut c = Cursor::new(payload);
        if let Some(raw_len) = c.varint() {
            l.field(
                Pos::File(offset),
                c.since(0),
                0,
                format!("raw_len: {raw_len}"),
            );
        }
        let stream = &payload[c.pos()..];
        l.field(
            Pos::File(offset).add(c.pos()),
            stream,
            0,
            format!("{tag_name} stream: {} bytes", stream.len()),
        );
        if crc_ok {
            match strata::tools::decompress_block(std::path::Path::new(""), offset, tag, payload) {
                Ok(raw) => {
                    l.text(
                        0,
                        format!(
                            "decompressed: {} bytes (offsets below are raw+N)",
                            raw.len()
                        ),
                    );
                    Some((raw, Pos::Raw(0)))
                }
                Err(e) => {
                    let reason = match e {
                        strata::Error::Corruption { reason, .. } => reason,
                        other => other.to_string(),
                    };
                    l.problem(offset, format!("{title}: {reason}"));
                    None
                }
            }
        } else {
            None
        }
    };
    // Entries are shown even when the CRC failed (what the bytes would mean), but only
    // trusted when it held.
    let decoded = contents.and_then(|(raw, base)| body(l, &raw, base));
    l.field(
        Pos::File(offset + size),
        &[tag],
        0,
        format!("tag: {tag} ({tag_name})"),
    );
    l.field(
        Pos::File(offset + size + 1),
        &file[pay_end + 1..pay_end + 5],
        0,
        crc_text(stored, computed),
    );
    if !crc_ok {
        l.problem(offset, format!("{title}: block checksum mismatch"));
        return None;
    }
    if tag > 2 {
        l.problem(offset + size, format!("{title}: unknown block tag {tag}"));
        return None;
    }
    decoded
}

/// Walks the entries and restart array of decoded block contents `raw` (starting at `base`),
/// calling `describe` for each entry; a fault is reported at `block_offset`.
pub fn entries(
    l: &mut Listing,
    raw: &[u8],
    base: Pos,
    block_offset: u64,
    title: &str,
    describe: &mut Describe<'_>,
) -> Option<Vec<Entry>> {
    let bad = |l: &mut Listing, reason: String| {
        l.problem(block_offset, format!("{title}: {reason}"));
        None
    };
    if raw.len() < 4 {
        return bad(
            l,
            format!("{} bytes: too short for a restart count", raw.len()),
        );
    }
    let n_at = raw.len() - 4;
    let n = u32::from_le_bytes([raw[n_at], raw[n_at + 1], raw[n_at + 2], raw[n_at + 3]]);
    let restarts_len = (n as usize).checked_mul(4).filter(|&r| r <= n_at);
    let Some(restarts_len) = restarts_len.filter(|_| n >= 1) else {
        l.field(
            base.add(n_at),
            &raw[n_at..],
            0,
            format!("num_restarts: {n}"),
        );
        return bad(l, format!("{n} restarts do not fit in {} bytes", raw.len()));
    };
    let restarts_at = n_at - restarts_len;
    let restarts: Vec<u32> = raw[restarts_at..n_at]
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let mut out = Vec::new();
    let mut c = Cursor::new(&raw[..restarts_at]);
    let mut key: Vec<u8> = Vec::new();
    let mut problem = None;
    while c.remaining() > 0 {
        let at = c.pos();
        let i = out.len();
        let header = (c.varint(), c.varint(), c.varint());
        let (Some(shared), Some(unshared), Some(value_len)) = header else {
            problem = Some(format!("entry {i} at +{at}: bad varint header"));
            break;
        };
        l.field(
            base.add(at),
            c.since(at),
            0,
            format!("entry {i}: shared={shared} unshared={unshared} value_len={value_len}"),
        );
        if shared as usize > key.len() {
            problem = Some(format!(
                "entry {i}: shares {shared} bytes of a {}-byte key",
                key.len()
            ));
            break;
        }
        if restarts.contains(&(at as u32)) && shared != 0 {
            problem = Some(format!("entry {i} at restart +{at} shares {shared} bytes"));
            break;
        }
        let delta_at = c.pos();
        let (Some(delta), Some(value)) = (c.bytes(unshared as usize), c.bytes(value_len as usize))
        else {
            problem = Some(format!("entry {i}: key or value runs past the entries"));
            break;
        };
        key.truncate(shared as usize);
        key.extend_from_slice(delta);
        let entry = Entry {
            key: key.clone(),
            value: value.to_vec(),
            value_at: base.add(delta_at + delta.len()),
        };
        describe(l, &entry, base.add(delta_at), delta);
        out.push(entry);
    }
    for (i, r) in restarts.iter().enumerate() {
        let at = restarts_at + 4 * i;
        l.field(
            base.add(at),
            &raw[at..at + 4],
            0,
            format!("restart[{i}]: {r}"),
        );
    }
    l.field(
        base.add(n_at),
        &raw[n_at..],
        0,
        format!("num_restarts: {n}"),
    );
    if let Some(reason) = problem {
        return bad(l, reason);
    }
    if out.is_empty() {
        return bad(l, "block has no entries".to_string());
    }
    if restarts.first() != Some(&0) || restarts.windows(2).any(|w| w[0] >= w[1]) {
        return bad(
            l,
            format!("restart array {restarts:?} is not 0, then increasing"),
        );
    }
    Some(out)
}
