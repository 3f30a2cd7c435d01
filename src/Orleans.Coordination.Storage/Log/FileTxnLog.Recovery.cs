using System.Buffers.Binary;

namespace Orleans.Coordination.Storage.Log;

public sealed partial class FileTxnLog
{
    // Upper bound on bytes checksummed while looking for valid records after damage, so that a
    // segment full of garbage cannot make recovery quadratic. Past it we assume valid data may
    // follow, which refuses to open (the safe side) unless repair is on.
    private const long ResyncChecksumBudget = 256L * 1024 * 1024;

    private void Recover()
    {
        _fs.CreateDirectory(_directory);
        if (Path.GetDirectoryName(_directory) is { Length: > 0 } parent)
        {
            _fs.FlushDirectory(parent); // the log directory's own entry, in case it was just created
        }

        var found = new List<(long FirstZxid, string Path)>();
        foreach (var name in _fs.ListFiles(_directory))
        {
            if (StorageNaming.TryParseLogSegmentFileName(name, out var firstZxid))
            {
                found.Add((firstZxid, Path.Combine(_directory, name)));
            }
        }

        found.Sort((a, b) => a.FirstZxid.CompareTo(b.FirstZxid));
        var previousZxid = 0L;
        for (var i = 0; i < found.Count; i++)
        {
            var (firstZxid, path) = found[i];
            var isLast = i == found.Count - 1;
            var scan = ScanSegment(path, firstZxid, previousZxid);
            if (scan.Damage is { } damage)
            {
                var beforeTail = !isLast || scan.ValidDataAfterDamage;
                if (beforeTail && !_options.Repair)
                {
                    throw new LogCorruptedException(path, damage.Offset, damage.Reason);
                }

                var later = found.Skip(i + 1).Select(f => f.Path).ToList();
                TruncateSegmentFile(path, scan.ValidEnd, scan.FileLength, deleteIfEmpty: scan.RecordCount == 0);
                foreach (var laterPath in Enumerable.Reverse(later))
                {
                    _fs.Delete(laterPath);
                }

                if (scan.RecordCount == 0 || later.Count > 0)
                {
                    _fs.FlushDirectory(_directory);
                }

                Warn(beforeTail
                    ? $"Repaired transaction log: segment '{path}' truncated at byte offset {damage.Offset} ({damage.Reason})"
                        + (later.Count > 0 ? $"; {later.Count} later segment(s) deleted: {string.Join(", ", later.Select(Path.GetFileName))}" : "")
                    : $"Truncated torn tail of transaction log segment '{path}' at byte offset {damage.Offset} ({damage.Reason})"
                        + (scan.RecordCount == 0 ? "; the segment held no complete record and was deleted" : ""));
                if (scan.RecordCount > 0)
                {
                    AddRecoveredSegment(firstZxid, path, scan);
                    previousZxid = scan.LastZxid;
                }

                break;
            }

            if (scan.RecordCount == 0)
            {
                // A valid header and nothing else: only the last segment can be like this, after a
                // crash between creating it and writing its first record durably.
                if (!isLast && !_options.Repair)
                {
                    throw new LogCorruptedException(path, LogFormat.SegmentHeaderSize, "segment holds no record but later segments exist");
                }

                TruncateSegmentFile(path, 0, scan.FileLength, deleteIfEmpty: true);
                _fs.FlushDirectory(_directory);
                Warn($"Deleted empty transaction log segment '{path}' (no record at byte offset {LogFormat.SegmentHeaderSize})");
                continue;
            }

            AddRecoveredSegment(firstZxid, path, scan);
            previousZxid = scan.LastZxid;
        }

        _lastZxid = previousZxid;
        _durableZxid = previousZxid;
        if (_segments.Count > 0)
        {
            _tailFile = _fs.Open(_segments[^1].Path);
        }
    }

    private void AddRecoveredSegment(long firstZxid, string path, SegmentScan scan)
    {
        _segments.Add(new Segment(firstZxid, path, scan.FileLength)
        {
            End = scan.ValidEnd,
            DurableEnd = scan.ValidEnd,
            LastZxid = scan.LastZxid,
        });
    }

    /// <summary>Zeroes a segment from <paramref name="validEnd"/> on (or deletes it), durably.</summary>
    private void TruncateSegmentFile(string path, long validEnd, long capacity, bool deleteIfEmpty)
    {
        if (deleteIfEmpty && validEnd <= LogFormat.SegmentHeaderSize)
        {
            _fs.Delete(path);
            return;
        }

        using var file = _fs.Open(path);
        // Shrinking then growing back discards the tail and keeps the preallocated size: the
        // dropped region reads as zeros, so the next open sees the end of data right there.
        file.SetLength(validEnd);
        file.SetLength(capacity);
        file.Flush();
    }

    private readonly record struct SegmentDamage(long Offset, string Reason);

    private sealed class SegmentScan
    {
        public long FileLength { get; init; }

        public long ValidEnd { get; set; }

        public long LastZxid { get; set; }

        public int RecordCount { get; set; }

        public SegmentDamage? Damage { get; set; }

        public bool ValidDataAfterDamage { get; set; }
    }

    private SegmentScan ScanSegment(string path, long nameZxid, long previousZxid)
    {
        using var file = _fs.OpenRead(path);
        var length = file.Length;
        if (length > TxnLogOptions.MaxSegmentSize + LogFormat.MaxPayloadSize)
        {
            throw new LogCorruptedException(path, 0, $"segment is {length} bytes long, more than any segment this log writes");
        }

        // Not pooled: a 64 MiB buffer kept by a pool would outlive recovery for nothing.
        var data = GC.AllocateUninitializedArray<byte>((int)length);
        if (file.Read(0, data) != length)
        {
            throw new IOException($"Short read of '{path}'.");
        }

        return Scan(data, nameZxid, previousZxid);
    }

    private static SegmentScan Scan(ReadOnlySpan<byte> data, long nameZxid, long previousZxid)
    {
        var scan = new SegmentScan { FileLength = data.Length, ValidEnd = 0, LastZxid = previousZxid };
        if (data.Length < LogFormat.SegmentHeaderSize || !data[..LogFormat.SegmentHeaderSize].ContainsAnyExcept((byte)0))
        {
            // Header never written (a crash right after creating the file) or file cut short.
            Fail(scan, data, 0, "segment header missing", previousZxid);
            return scan;
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(data);
        var version = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        var headerZxid = BinaryPrimitives.ReadInt64LittleEndian(data[8..]);
        if (magic != LogFormat.Magic || version != LogFormat.Version || headerZxid != nameZxid)
        {
            var reason = magic != LogFormat.Magic ? $"bad segment magic 0x{magic:x8}"
                : version != LogFormat.Version ? $"unknown segment format version {version}"
                : $"header names first zxid 0x{headerZxid:x} but the file name says 0x{nameZxid:x}";
            Fail(scan, data, 0, reason, previousZxid);
            return scan;
        }

        long offset = LogFormat.SegmentHeaderSize;
        scan.ValidEnd = offset;
        while (true)
        {
            var remaining = data.Length - offset;
            if (remaining < 4)
            {
                if (data[(int)offset..].ContainsAnyExcept((byte)0))
                {
                    Fail(scan, data, offset, "partial record header at end of file", scan.LastZxid);
                }

                return scan;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(data[(int)offset..]);
            if (length == 0)
            {
                if (data[(int)offset..].ContainsAnyExcept((byte)0))
                {
                    Fail(scan, data, offset, "zero length field followed by non-zero bytes (unwritten gap)", scan.LastZxid);
                }

                return scan; // the end of written data
            }

            if (length < LogFormat.ZxidSize || length > remaining - LogFormat.RecordHeaderSize)
            {
                Fail(scan, data, offset, $"record length {length} is out of range (partial or damaged record)", scan.LastZxid);
                return scan;
            }

            var record = data.Slice((int)offset, LogFormat.RecordHeaderSize + length);
            var storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
            if (Crc32C.Compute(record[LogFormat.RecordHeaderSize..]) != storedCrc)
            {
                Fail(scan, data, offset, "CRC mismatch", scan.LastZxid);
                return scan;
            }

            var zxid = BinaryPrimitives.ReadInt64LittleEndian(record[LogFormat.RecordHeaderSize..]);
            if (scan.RecordCount == 0 && zxid != nameZxid)
            {
                Fail(scan, data, offset, $"first record has zxid 0x{zxid:x} but the segment is named for 0x{nameZxid:x}", scan.LastZxid);
                return scan;
            }

            if (zxid <= scan.LastZxid)
            {
                Fail(scan, data, offset, $"zxid 0x{zxid:x} does not follow 0x{scan.LastZxid:x}", scan.LastZxid);
                return scan;
            }

            scan.LastZxid = zxid;
            scan.RecordCount++;
            offset += record.Length;
            scan.ValidEnd = offset;
        }
    }

    private static void Fail(SegmentScan scan, ReadOnlySpan<byte> data, long offset, string reason, long lastZxid)
    {
        scan.Damage = new SegmentDamage(offset, reason);
        scan.ValidDataAfterDamage = HasValidRecordAfter(data, offset, lastZxid);
    }

    /// <summary>
    /// Is there a checksum-valid record with a zxid above <paramref name="lastZxid"/> anywhere
    /// after <paramref name="damageOffset"/>? If so the damage is not a torn tail.
    /// </summary>
    internal static bool HasValidRecordAfter(ReadOnlySpan<byte> data, long damageOffset, long lastZxid)
    {
        // Fast path: the damaged record's length field may be intact (a flipped payload bit);
        // then its successor starts right after it.
        var start = (int)Math.Max(damageOffset, LogFormat.SegmentHeaderSize);
        if (start + 4 <= data.Length)
        {
            var claimed = BinaryPrimitives.ReadInt32LittleEndian(data[start..]);
            var next = (long)start + LogFormat.RecordHeaderSize + claimed;
            var budget = ResyncChecksumBudget;
            if (claimed >= LogFormat.ZxidSize && next < data.Length && IsValidRecordAt(data, (int)next, lastZxid, ref budget))
            {
                return true;
            }
        }

        var checksummed = ResyncChecksumBudget;
        var position = start + 1;
        while (position + LogFormat.RecordOverhead <= data.Length)
        {
            // Skip runs of zeros, but a length field may start with zero bytes (e.g. 256 = 00 01 00 00).
            var nonZero = data[position..].IndexOfAnyExcept((byte)0);
            if (nonZero < 0)
            {
                return false;
            }

            position = Math.Max(position, position + nonZero - 3);
            if (IsValidRecordAt(data, position, lastZxid, ref checksummed))
            {
                return true;
            }

            if (checksummed <= 0)
            {
                return true; // too expensive to rule out: assume valid data follows (the safe answer)
            }

            position++;
        }

        return false;
    }

    private static bool IsValidRecordAt(ReadOnlySpan<byte> data, int position, long lastZxid, ref long budget)
    {
        if (position + LogFormat.RecordOverhead > data.Length)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
        if (length < LogFormat.ZxidSize || length > data.Length - position - LogFormat.RecordHeaderSize)
        {
            return false;
        }

        var zxid = BinaryPrimitives.ReadInt64LittleEndian(data[(position + LogFormat.RecordHeaderSize)..]);
        if (zxid <= lastZxid)
        {
            return false;
        }

        budget -= length;
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(data[(position + 4)..]);
        return Crc32C.Compute(data.Slice(position + LogFormat.RecordHeaderSize, length)) == crc;
    }
}
