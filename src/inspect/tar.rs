//! Tar archives: the legacy `torch.save` format and any tar a loader unpickles members of.
//!
//! `torch.load` (without `weights_only`) first tries every file that is not a zip as a tar
//! (`tarfile.open(mode="r:")`, which succeeds when the first header's checksum is right): it then
//! unpickles the members `storages` (a count, then for each storage a pickle and its raw data),
//! `tensors` (a count, then for each tensor a pickle and its raw geometry) and `pickle`; with
//! duplicate names `tarfile` returns the last. Dataset shards (webdataset) unpickle `.pyd` and
//! `.pickle` members. Every member is sniffed: the three legacy members are walked in their own
//! layout, and any other member that is a pickle by content or name is scanned.
//!
//! Headers are POSIX ustar with GNU long names and pax extended headers; every size and offset
//! is checked against the file.

use std::collections::BTreeMap;

use super::input::{Input, SourceInput};
use super::pickle::{self, Value};
use super::source::{Malformed, Source};
use super::torch::{self, Merged};
use super::{Report, rules};
use crate::finding::Severity;

const BLOCK: u64 = 512;
/// Members listed (a webdataset shard has thousands; bounded all the same).
const MAX_MEMBERS: usize = 1_000_000;
/// Longest pax or GNU long-name record read.
const MAX_META: u64 = 1024 * 1024;
/// Bytes of each member sniffed.
const SNIFF: u64 = 512;
/// Storages or tensors a legacy member may declare.
const MAX_RECORDS: i64 = 10_000_000;

/// True when `head` starts with a tar header `tarfile` accepts: not all zeros, with a right
/// checksum (unsigned or signed, as `tarfile` computes both).
pub fn looks_like_tar(head: &[u8]) -> bool {
    let Some(block) = head.get(..512) else {
        return false;
    };
    if block.iter().all(|&b| b == 0) {
        return false;
    }
    let Some(stored) = octal(&block[148..156]) else {
        return false;
    };
    let mut unsigned: i64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += i64::from(b);
        signed += i64::from(b.cast_signed());
    }
    stored == unsigned || stored == signed
}

/// A numeric field: octal text (NUL- or space-terminated), or base-256 when the top bit is set.
fn octal(field: &[u8]) -> Option<i64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut v: i64 = 0;
        for (i, &b) in field.iter().enumerate() {
            let b = if i == 0 { b & 0x7f } else { b };
            v = v.checked_mul(256)?.checked_add(i64::from(b))?;
        }
        return Some(v);
    }
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    let text = std::str::from_utf8(&field[..end]).ok()?.trim();
    if text.is_empty() {
        return Some(0);
    }
    i64::from_str_radix(text, 8).ok()
}

fn text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// One regular member.
#[derive(Debug, Clone)]
struct Member {
    name: String,
    offset: u64,
    size: u64,
}

/// The regular members of the tar in `source`, in order.
fn members(source: Source<'_>) -> Result<Vec<Member>, Malformed> {
    let mut out = Vec::new();
    let mut pos = 0u64;
    let mut long_name: Option<String> = None;
    while pos + BLOCK <= source.size() {
        let block = source.read(pos, BLOCK, "tar header")?;
        if block.iter().all(|&b| b == 0) {
            break;
        }
        if !looks_like_tar(&block) {
            if out.is_empty() && pos == 0 {
                return Err(Malformed::new(pos, "not a tar header (bad checksum)"));
            }
            // `tarfile` stops at the first bad header after the first member.
            break;
        }
        let size = octal(&block[124..136])
            .and_then(|s| u64::try_from(s).ok())
            .ok_or_else(|| Malformed::new(pos + 124, "tar member size is not a number"))?;
        let data = pos + BLOCK;
        if data.saturating_add(size) > source.size() {
            return Err(Malformed::new(
                pos,
                format!("tar member of {size} bytes runs past the end of the file"),
            ));
        }
        let kind = block[156];
        match kind {
            b'L' | b'x' => {
                let meta = source.read(data, size.min(MAX_META), "tar extended header")?;
                long_name = if kind == b'L' {
                    Some(text(&meta))
                } else {
                    pax_path(&meta)
                }
                .or(long_name);
            }
            b'0' | 0 | b'7' => {
                let name = long_name.take().unwrap_or_else(|| {
                    let prefix = text(&block[345..500]);
                    let name = text(&block[..100]);
                    if &block[257..262] == b"ustar" && !prefix.is_empty() {
                        format!("{prefix}/{name}")
                    } else {
                        name
                    }
                });
                out.push(Member {
                    name,
                    offset: data,
                    size,
                });
                if out.len() > MAX_MEMBERS {
                    return Err(Malformed::new(
                        pos,
                        format!("more than {MAX_MEMBERS} tar members"),
                    ));
                }
            }
            _ => long_name = None,
        }
        pos = data + size.div_ceil(BLOCK) * BLOCK;
    }
    Ok(out)
}

/// The `path` record of a pax extended header (`"<len> path=<value>\n"` records).
fn pax_path(meta: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(meta);
    text.lines()
        .filter_map(|l| l.split_once(' ').map(|(_, kv)| kv))
        .find_map(|kv| kv.strip_prefix("path=").map(str::to_owned))
}

/// A tar archive: legacy torch members in their layout, other pickles by content or name.
pub fn inspect(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let members = members(source)?;
    report.fact("members", members.len());
    // `tarfile.getmember` returns the last member of a name.
    let mut last: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, m) in members.iter().enumerate() {
        if last.insert(m.name.as_str(), i).is_some() {
            report.note(
                rules::NONCONFORMING,
                Severity::Warning,
                format!(
                    "tar member `{}` is listed twice: `tarfile` reads the last",
                    m.name
                ),
                Some(m.offset),
            );
        }
    }
    let legacy = ["storages", "tensors", "pickle"]
        .iter()
        .all(|n| last.contains_key(n));
    if legacy {
        report.fact("legacy_checkpoint", true);
    }
    let mut merged = Merged::default();
    for (i, m) in members.iter().enumerate() {
        let data = source.slice(m.offset, m.size, &m.name)?;
        let label = format!("tar member `{}`", m.name);
        let is_last = last.get(m.name.as_str()) == Some(&i);
        match m.name.as_str() {
            "storages" if legacy && is_last => legacy_member(data, &label, 3, &mut merged, report),
            "tensors" if legacy && is_last => legacy_member(data, &label, 0, &mut merged, report),
            _ => {
                let head = data.read(0, m.size.min(SNIFF), &m.name)?;
                let named = [".pkl", ".pickle", ".pyd"]
                    .iter()
                    .any(|x| m.name.ends_with(x))
                    || m.name == "pickle";
                if named || pickle::looks_like_pickle(&head, m.size) {
                    torch::scan_source(data, Some(label), 0, &mut merged, report);
                }
            }
        }
    }
    merged.record(report);
    Ok(())
}

/// The `storages` or `tensors` member of a legacy tar checkpoint: a pickled count, then that
/// many records, each a pickle followed by raw bytes (`storages`: an 8-byte element count and
/// the elements, whose size the pickled storage class gives; `tensors`: the dimension count, the
/// sizes and strides, the offset), then, for `storages`, one more pickle.
fn legacy_member(
    data: Source<'_>,
    label: &str,
    class_at: usize,
    merged: &mut Merged,
    report: &mut Report,
) {
    let storages = class_at == 3;
    let mut input = SourceInput::new(data, 0);
    let next =
        |input: &mut SourceInput<'_>, what: &str, merged: &mut Merged, report: &mut Report| {
            one_pickle(data, input, &format!("{label}, {what}"), merged, report)
        };
    let (count, failed) = next(&mut input, "record count", merged, report);
    let count = match count {
        Some(Value::Int(n)) if (0..=MAX_RECORDS).contains(&n) => n,
        _ if failed => return,
        _ => {
            report.note(
                rules::UNSCANNABLE,
                Severity::Error,
                format!("{label}: the record count is not an integer, so the records after it cannot be found"),
                None,
            );
            return;
        }
    };
    for i in 0..count {
        let (record, failed) = next(&mut input, &format!("record {i}"), merged, report);
        if failed {
            return;
        }
        let skip = if storages {
            let size = match &record {
                Some(Value::Tuple(items)) => match items.get(2) {
                    Some(Value::Global(g)) => element_size(&g.name),
                    _ => None,
                },
                _ => None,
            };
            let Some(size) = size else {
                report.note(
                    rules::UNSCANNABLE,
                    Severity::Error,
                    format!("{label}: record {i} names no known storage class, so the data after it cannot be skipped"),
                    None,
                );
                return;
            };
            input
                .take::<8>("storage size")
                .ok()
                .map(i64::from_le_bytes)
                .and_then(|n| u64::try_from(n).ok())
                .and_then(|n| n.checked_mul(size))
        } else {
            input
                .i32_le("tensor dimensions")
                .ok()
                .and_then(|d| u64::try_from(d).ok())
                .and_then(|d| d.checked_mul(16))
                .map(|b| b + 8)
        };
        let Some(skip) = skip else {
            report.malformed(Malformed::new(
                input.pos(),
                format!("{label}: record {i} is cut short"),
            ));
            return;
        };
        if input.skip(skip, "record data").is_err() {
            report.malformed(Malformed::new(
                input.pos(),
                format!("{label}: the data of record {i} runs past the member"),
            ));
            return;
        }
    }
    if storages {
        next(&mut input, "storage views", merged, report);
    }
}

/// Scans the one pickle at the input's position (recorded under `label`) and moves past it;
/// returns what it loads and whether it failed.
fn one_pickle(
    data: Source<'_>,
    input: &mut SourceInput<'_>,
    label: &str,
    merged: &mut Merged,
    report: &mut Report,
) -> (Option<Value>, bool) {
    let start = input.pos();
    let probe = pickle::scan_first(input);
    let end = probe.first_end.unwrap_or(data.size());
    if let Ok(sub) = data.slice(start, end - start, label) {
        torch::scan_source(sub, Some(label.to_owned()), 0, merged, report);
    }
    (probe.value, probe.error.is_some())
}

/// Bytes per element of a legacy storage class.
fn element_size(class: &str) -> Option<u64> {
    Some(match class {
        "DoubleStorage" | "LongStorage" | "ComplexFloatStorage" => 8,
        "FloatStorage" | "IntStorage" | "QInt32Storage" => 4,
        "HalfStorage" | "BFloat16Storage" | "ShortStorage" => 2,
        "CharStorage" | "ByteStorage" | "BoolStorage" | "QInt8Storage" | "QUInt8Storage"
        | "QUInt4x2Storage" | "QUInt2x4Storage" => 1,
        "ComplexDoubleStorage" => 16,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, size: usize) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        h
    }

    #[test]
    fn reads_ustar_members() {
        let mut tar = header("a.pkl", 5);
        tar.extend(b"\x80\x02N.\x00");
        tar.extend([0u8; 507]);
        tar.extend([0u8; 1024]);
        assert!(looks_like_tar(&tar));
        let m = members(Source::bytes(&tar)).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].name.as_str(), m[0].offset, m[0].size),
            ("a.pkl", 512, 5)
        );
        let mut bad = tar.clone();
        bad[0] = b'b';
        assert!(!looks_like_tar(&bad), "checksum no longer matches");
        assert!(!looks_like_tar(&[0u8; 512]));
    }
}
