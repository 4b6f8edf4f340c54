//! A zip reader for the containers models ship in: PyTorch checkpoints, NumPy `.npz`, Keras
//! `.keras`. It reads the way PyTorch's loader does (the central directory lists the members;
//! each member's data starts after its local header), with every offset and size checked against
//! the file, and it reports the parser differentials that let two readers see different files
//! in one archive: a local name that differs from the central one, a name listed twice, more
//! than one end-of-directory record, entry counts that disagree. Members are read stored or
//! deflated, with a cap on the inflated size (no zip bombs).
//!
//! How the loaders read a member, which this reader follows: PyTorch (miniz, through
//! `caffe2::serialize::PyTorchStreamReader`) and Python's `zipfile` both take the method, the
//! sizes and the flags from the **central** directory, and find the data right after the local
//! header (30 bytes, the local name and the local extra field, whatever the local header says
//! otherwise). Neither checks the CRC before handing out data (PyTorch builds miniz with
//! `MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS`; `zipfile` raises only once the whole member has been
//! read, after the unpickler has run what it read), so the CRC is ignored here too. A data
//! descriptor (flag bit 3) changes nothing: the central sizes are used. Both refuse a member
//! whose central flags say encrypted (bits 0 and 6) or patched (bit 5), and miniz reads only
//! stored and deflated members: those members are reported as unreadable, never skipped.

use std::collections::BTreeSet;
use std::io::Read;

use super::input::SourceReader;
use super::source::{Malformed, Source};

const EOCD_SIGNATURE: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIGNATURE: u32 = 0x0606_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
const LOCAL_SIGNATURE: u32 = 0x0403_4b50;
/// The end record is 22 bytes plus a comment of at most 65,535.
const EOCD_SEARCH: u64 = 22 + 65_535;
const CENTRAL_HEADER: u64 = 46;
const LOCAL_HEADER: u64 = 30;

/// One member, as the central directory and its local header describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// 0 stored, 8 deflated; others are reported and not read.
    pub method: u16,
    /// Central general-purpose flags.
    pub flags: u16,
    pub encrypted: bool,
    pub compressed_size: u64,
    pub size: u64,
    /// Where the member's data starts (after its local header).
    pub data_offset: u64,
}

/// The members of an archive and what looked wrong on the way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Archive {
    pub entries: Vec<Entry>,
    /// Parser differentials and oddities, with the offset they concern.
    pub warnings: Vec<(String, u64)>,
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    b.get(i..i + 2)
        .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    b.get(i..i + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    b.get(i..i + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a)
    })
}

/// Where the central directory is, from the end records.
struct Directory {
    offset: u64,
    size: u64,
    entries: u64,
}

/// Reads the central directory of the archive in `source`.
#[allow(clippy::too_many_lines)] // one pass over the central directory, each check in turn
pub fn read(source: Source<'_>) -> Result<Archive, Malformed> {
    let mut archive = Archive::default();
    let directory = find_directory(source, &mut archive)?;
    // Each central header is at least 46 bytes: bounds the entry count before allocating.
    let most = directory.size / CENTRAL_HEADER;
    if directory.entries > most {
        return Err(Malformed::new(
            directory.offset,
            format!(
                "the end record lists {} members, but the central directory has room for {most}",
                directory.entries
            ),
        ));
    }
    let table = source.read(directory.offset, directory.size, "central directory")?;
    let mut pos = 0usize;
    let mut names = BTreeSet::new();
    for index in 0..directory.entries {
        let at = directory.offset + pos as u64;
        let header = table.get(pos..pos + 46).ok_or_else(|| {
            Malformed::new(at, format!("central directory ends inside member {index}"))
        })?;
        if u32_at(header, 0) != CENTRAL_SIGNATURE {
            return Err(Malformed::new(
                at,
                format!("member {index}: no central header signature"),
            ));
        }
        let flags = u16_at(header, 8);
        let method = u16_at(header, 10);
        let mut compressed_size = u64::from(u32_at(header, 20));
        let mut size = u64::from(u32_at(header, 24));
        let name_len = usize::from(u16_at(header, 28));
        let extra_len = usize::from(u16_at(header, 30));
        let comment_len = usize::from(u16_at(header, 32));
        let mut local_offset = u64::from(u32_at(header, 42));
        let name_end = pos + 46 + name_len;
        let extra_end = name_end + extra_len;
        let (Some(name), Some(extra)) = (
            table.get(pos + 46..name_end),
            table.get(name_end..extra_end),
        ) else {
            return Err(Malformed::new(
                at,
                format!("member {index}: its name runs past the central directory"),
            ));
        };
        let name = String::from_utf8_lossy(name).into_owned();
        zip64_sizes(extra, &mut size, &mut compressed_size, &mut local_offset);
        pos = extra_end + comment_len;

        let local = source.read(
            local_offset,
            LOCAL_HEADER,
            &format!("local header of `{name}`"),
        )?;
        if u32_at(&local, 0) != LOCAL_SIGNATURE {
            return Err(Malformed::new(
                local_offset,
                format!("`{name}`: the central directory points at no local header"),
            ));
        }
        let local_name_len = u64::from(u16_at(&local, 26));
        let local_extra_len = u64::from(u16_at(&local, 28));
        let local_name = source.read(
            local_offset + LOCAL_HEADER,
            local_name_len,
            &format!("local name of `{name}`"),
        )?;
        if local_name != name.as_bytes() {
            archive.warnings.push((
                format!(
                    "member `{name}` is named `{}` in its local header: readers may disagree on its name",
                    String::from_utf8_lossy(&local_name)
                ),
                local_offset,
            ));
        }
        let data_offset = local_offset + LOCAL_HEADER + local_name_len + local_extra_len;
        if data_offset.saturating_add(compressed_size) > source.size() {
            return Err(Malformed::new(
                data_offset,
                format!(
                    "the data of `{name}` ({compressed_size} bytes) runs past the end of the file"
                ),
            ));
        }
        if !names.insert(name.clone()) {
            archive.warnings.push((
                format!("member `{name}` is listed twice: readers may load either"),
                at,
            ));
        }
        archive.entries.push(Entry {
            name,
            method,
            flags,
            // Traditional (bit 0) or strong (bit 6) encryption, or a patch (bit 5): neither
            // miniz nor `zipfile` hands out such a member's bytes.
            encrypted: flags & 0x61 != 0,
            compressed_size,
            size,
            data_offset,
        });
    }
    Ok(archive)
}

/// Reads the end records: the classic one, and the ZIP64 one when a field overflowed.
fn find_directory(source: Source<'_>, archive: &mut Archive) -> Result<Directory, Malformed> {
    let size = source.size();
    let start = size.saturating_sub(EOCD_SEARCH);
    let tail = source.read(start, size - start, "end of archive")?;
    let mut found: Vec<usize> = (0..tail.len().saturating_sub(21))
        .filter(|&i| u32_at(&tail, i) == EOCD_SIGNATURE)
        .collect();
    // The real record is the last one whose comment fits exactly; others are data or decoys.
    found.retain(|&i| i + 22 + usize::from(u16_at(&tail, i + 20)) == tail.len());
    let Some(&eocd) = found.last() else {
        return Err(Malformed::new(
            size,
            "no end-of-central-directory record: not a zip archive, or truncated",
        ));
    };
    if found.len() > 1 {
        archive.warnings.push((
            "more than one end-of-central-directory record".into(),
            start + eocd as u64,
        ));
    }
    let eocd_offset = start + eocd as u64;
    let record = &tail[eocd..];
    let mut directory = Directory {
        entries: u64::from(u16_at(record, 10)),
        size: u64::from(u32_at(record, 12)),
        offset: u64::from(u32_at(record, 16)),
    };
    if directory.entries == 0xffff
        || directory.size == 0xffff_ffff
        || directory.offset == 0xffff_ffff
    {
        let locator_offset = eocd_offset
            .checked_sub(20)
            .ok_or_else(|| Malformed::new(eocd_offset, "ZIP64 fields without a ZIP64 locator"))?;
        let locator = source.read(locator_offset, 20, "ZIP64 locator")?;
        if u32_at(&locator, 0) != ZIP64_LOCATOR_SIGNATURE {
            return Err(Malformed::new(
                locator_offset,
                "ZIP64 fields without a ZIP64 locator",
            ));
        }
        let record_offset = u64_at(&locator, 8);
        let record = source.read(record_offset, 56, "ZIP64 end record")?;
        if u32_at(&record, 0) != ZIP64_EOCD_SIGNATURE {
            return Err(Malformed::new(
                record_offset,
                "the ZIP64 locator points at no ZIP64 end record",
            ));
        }
        directory = Directory {
            entries: u64_at(&record, 32),
            size: u64_at(&record, 40),
            offset: u64_at(&record, 48),
        };
    }
    match directory.offset.checked_add(directory.size) {
        Some(end) if end <= eocd_offset => Ok(directory),
        _ => Err(Malformed::new(
            eocd_offset,
            format!(
                "the central directory ({} bytes at offset {}) does not fit before the end record",
                directory.size, directory.offset
            ),
        )),
    }
}

/// Applies a ZIP64 extended-information extra field (id 1) to the fields that overflowed.
fn zip64_sizes(extra: &[u8], size: &mut u64, compressed: &mut u64, offset: &mut u64) {
    let mut i = 0;
    while i + 4 <= extra.len() {
        let id = u16_at(extra, i);
        let len = usize::from(u16_at(extra, i + 2));
        let body = extra.get(i + 4..i + 4 + len).unwrap_or(&[]);
        if id == 1 {
            let mut j = 0;
            for field in [&mut *size, &mut *compressed, &mut *offset] {
                if *field == 0xffff_ffff && j + 8 <= body.len() {
                    *field = u64_at(body, j);
                    j += 8;
                }
            }
        }
        i += 4 + len;
    }
}

/// A member's bytes: a view into the file when stored, a buffer when compressed.
#[derive(Debug)]
pub enum Member<'a> {
    Stored(Source<'a>),
    Inflated(Vec<u8>),
}

impl<'a> Member<'a> {
    pub fn source(&'a self) -> Source<'a> {
        match self {
            Member::Stored(s) => *s,
            Member::Inflated(bytes) => Source::bytes(bytes),
        }
    }
}

/// Why a member cannot be read, when it cannot: encrypted or patched members and compression
/// methods other than stored, deflate, bzip2 and LZMA (the ones Python's `zipfile` reads; miniz
/// reads only the first two).
pub fn unreadable(entry: &Entry) -> Option<String> {
    if entry.encrypted {
        return Some(format!(
            "`{}` is marked encrypted (general-purpose flags 0x{:04x})",
            entry.name, entry.flags
        ));
    }
    match entry.method {
        0 | 8 | 12 | 14 => None,
        other => Some(format!(
            "`{}` uses compression method {other}, which scelle cannot read",
            entry.name
        )),
    }
}

/// A member's bytes as they decompress, read once.
pub fn reader<'a>(source: Source<'a>, entry: &Entry) -> Result<Box<dyn Read + 'a>, Malformed> {
    if let Some(why) = unreadable(entry) {
        return Err(Malformed::new(entry.data_offset, why));
    }
    let raw = SourceReader::new(source, entry.data_offset, entry.compressed_size);
    Ok(match entry.method {
        0 => Box::new(raw),
        8 => Box::new(flate2::read::DeflateDecoder::new(raw)),
        12 => Box::new(bzip2::read::BzDecoder::new(raw)),
        _ => Box::new(super::compressed::ZipLzma::new(raw, entry.size)),
    })
}

/// Reads up to `max` bytes from `reader`; `Ok` with fewer bytes when it ends first.
pub(crate) fn read_up_to(
    reader: &mut dyn Read,
    max: u64,
    name: &str,
    at: u64,
) -> Result<Vec<u8>, Malformed> {
    let mut out = Vec::new();
    reader
        .take(max)
        .read_to_end(&mut out)
        .map_err(|e| Malformed::new(at, format!("`{name}` does not decompress: {e}")))?;
    Ok(out)
}

/// The first `max` bytes of a member (all of it when shorter): enough to read a header without
/// inflating gigabytes.
pub fn prefix(source: Source<'_>, entry: &Entry, max: u64) -> Result<Vec<u8>, Malformed> {
    let mut r = reader(source, entry)?;
    read_up_to(
        &mut r,
        max.min(entry.size.max(max)),
        &entry.name,
        entry.data_offset,
    )
}

/// Opens a member for reading; a compressed member is decompressed up to `max_inflated` bytes.
pub fn open<'a>(
    source: Source<'a>,
    entry: &Entry,
    max_inflated: u64,
) -> Result<Member<'a>, Malformed> {
    if let Some(why) = unreadable(entry) {
        return Err(Malformed::new(entry.data_offset, why));
    }
    if entry.method == 0 {
        return Ok(Member::Stored(source.slice(
            entry.data_offset,
            entry.compressed_size,
            &entry.name,
        )?));
    }
    if entry.size > max_inflated {
        return Err(Malformed::new(
            entry.data_offset,
            format!(
                "`{}` inflates to {} bytes, more than the {max_inflated} read",
                entry.name, entry.size
            ),
        ));
    }
    let mut r = reader(source, entry)?;
    let bytes = read_up_to(&mut r, max_inflated + 1, &entry.name, entry.data_offset)?;
    if bytes.len() as u64 > max_inflated {
        return Err(Malformed::new(
            entry.data_offset,
            format!(
                "`{}` inflates to more than the {max_inflated} bytes read",
                entry.name
            ),
        ));
    }
    Ok(Member::Inflated(bytes))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A stored zip of `(name, data)` members, written by hand (as tests of hostile variants
    /// need to bend it).
    #[allow(clippy::cast_possible_truncation)] // small test archives
    pub(crate) fn make_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in members {
            let offset = out.len() as u32;
            out.extend(LOCAL_SIGNATURE.to_le_bytes());
            out.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend((data.len() as u32).to_le_bytes());
            out.extend((data.len() as u32).to_le_bytes());
            out.extend((name.len() as u16).to_le_bytes());
            out.extend(0u16.to_le_bytes());
            out.extend(name.as_bytes());
            out.extend(*data);
            central.extend(CENTRAL_SIGNATURE.to_le_bytes());
            central.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend((data.len() as u32).to_le_bytes());
            central.extend((data.len() as u32).to_le_bytes());
            central.extend((name.len() as u16).to_le_bytes());
            central.extend([0u8; 12]);
            central.extend(offset.to_le_bytes());
            central.extend(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend(&central);
        out.extend(EOCD_SIGNATURE.to_le_bytes());
        out.extend([0u8; 4]);
        out.extend((members.len() as u16).to_le_bytes());
        out.extend((members.len() as u16).to_le_bytes());
        out.extend((central.len() as u32).to_le_bytes());
        out.extend(cd_offset.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out
    }

    #[test]
    fn reads_members_and_their_data() {
        let zip = make_zip(&[
            ("archive/data.pkl", b"\x80\x02K\x01."),
            ("archive/version", b"3"),
        ]);
        let archive = read(Source::bytes(&zip)).unwrap();
        assert_eq!(archive.entries.len(), 2);
        assert!(archive.warnings.is_empty());
        let member = open(Source::bytes(&zip), &archive.entries[1], 1024).unwrap();
        assert_eq!(member.source().read(0, 1, "v").unwrap(), b"3");
    }

    #[test]
    fn a_lying_central_directory_is_malformed() {
        let mut zip = make_zip(&[("a", b"x")]);
        let n = zip.len();
        // Central directory offset pointing past the end record.
        zip[n - 6..n - 2].copy_from_slice(&u32::MAX.wrapping_sub(5).to_le_bytes());
        let err = read(Source::bytes(&zip)).unwrap_err();
        assert!(
            err.message.contains("does not fit before the end record"),
            "{err}"
        );

        let mut zip = make_zip(&[("a", b"x")]);
        let n = zip.len();
        // 65,535 members claimed in a 50-byte directory.
        zip[n - 12..n - 10].copy_from_slice(&0xfffeu16.to_le_bytes());
        let err = read(Source::bytes(&zip)).unwrap_err();
        assert!(err.message.contains("has room for 1"), "{err}");

        let zip = make_zip(&[("a", b"x")]);
        let err = read(Source::bytes(&zip[..zip.len() - 3])).unwrap_err();
        assert!(
            err.message.contains("no end-of-central-directory record"),
            "{err}"
        );
    }

    #[test]
    fn differentials_are_warned() {
        let mut zip = make_zip(&[("data.pkl", b"1"), ("data.pkl", b"2")]);
        // Rename the first local header's name.
        zip[30] = b'D';
        let archive = read(Source::bytes(&zip)).unwrap();
        let warnings: Vec<&str> = archive.warnings.iter().map(|(w, _)| w.as_str()).collect();
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("named `Data.pkl` in its local header")),
            "{warnings:?}"
        );
        assert!(
            warnings.iter().any(|w| w.contains("listed twice")),
            "{warnings:?}"
        );
    }

    #[test]
    fn deflated_members_are_capped() {
        let data = vec![b'a'; 10_000];
        let compressed = miniz_oxide::deflate::compress_to_vec(&data, 6);
        let mut zip = make_zip(&[("big.npy", &compressed)]);
        // Mark the member deflated with its real size, in both headers.
        zip[8] = 8;
        zip[22..26].copy_from_slice(&10_000u32.to_le_bytes());
        let cd = 30 + 7 + compressed.len();
        zip[cd + 10] = 8;
        zip[cd + 24..cd + 28].copy_from_slice(&10_000u32.to_le_bytes());
        let archive = read(Source::bytes(&zip)).unwrap();
        let member = open(Source::bytes(&zip), &archive.entries[0], 20_000).unwrap();
        assert_eq!(member.source().size(), 10_000);
        let err = open(Source::bytes(&zip), &archive.entries[0], 5_000).unwrap_err();
        assert!(err.message.contains("more than the 5000 read"), "{err}");
    }
}
