using System.Buffers.Binary;

namespace Orleans.Coordination.Storage.Log;

public sealed partial class FileTxnLog
{
    private const int ReadBufferSize = 256 * 1024;

    /// <inheritdoc />
    public IEnumerable<LogRecord> ReadFrom(long afterZxid)
    {
        List<(string Path, long FirstZxid, long End)> view;
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // Start at the last segment that begins at or before the first wanted zxid.
            var start = 0;
            for (var i = 0; i < _segments.Count; i++)
            {
                if (_segments[i].FirstZxid - 1 <= afterZxid) // zxids are >= 1: no overflow
                {
                    start = i;
                }
            }

            view = _segments.Skip(start).Select(s => (s.Path, s.FirstZxid, s.DurableEnd)).ToList();
        }

        return ReadSegments(view, afterZxid);
    }

    private IEnumerable<LogRecord> ReadSegments(List<(string Path, long FirstZxid, long End)> view, long afterZxid)
    {
        foreach (var (path, _, end) in view)
        {
            foreach (var record in ReadSegment(path, end, afterZxid))
            {
                yield return record;
            }
        }
    }

    // Reads records between the header and the durable end captured when ReadFrom was called,
    // verifying each checksum again (the disk may have rotted since Open).
    private IEnumerable<LogRecord> ReadSegment(string path, long end, long afterZxid)
    {
        using var file = _fs.OpenRead(path);
        var buffer = new byte[ReadBufferSize];
        long bufferStart = 0; // file offset of buffer[0]
        var bufferCount = 0;
        long offset = LogFormat.SegmentHeaderSize;
        while (offset < end)
        {
            // Make sure the record header is buffered.
            if (offset + LogFormat.RecordOverhead > bufferStart + bufferCount)
            {
                bufferStart = offset;
                bufferCount = file.Read(offset, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - offset)));
            }

            var local = (int)(offset - bufferStart);
            if (bufferCount - local < LogFormat.RecordOverhead)
            {
                throw new LogCorruptedException(path, offset, "record header cut short");
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(local));
            var recordSize = LogFormat.RecordHeaderSize + (long)length;
            if (length < LogFormat.ZxidSize || offset + recordSize > end)
            {
                throw new LogCorruptedException(path, offset, $"record length {length} is out of range");
            }

            byte[] recordBytes;
            int recordStart;
            if (local + recordSize <= bufferCount)
            {
                recordBytes = buffer;
                recordStart = local;
            }
            else if (recordSize <= buffer.Length)
            {
                bufferStart = offset;
                bufferCount = file.Read(offset, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - offset)));
                recordBytes = buffer;
                recordStart = 0;
            }
            else
            {
                recordBytes = new byte[recordSize];
                recordStart = 0;
                if (file.Read(offset, recordBytes) != recordSize)
                {
                    throw new LogCorruptedException(path, offset, "record cut short");
                }
            }

            var body = recordBytes.AsSpan(recordStart + LogFormat.RecordHeaderSize, length);
            var storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(recordBytes.AsSpan(recordStart + 4));
            if (Crc32C.Compute(body) != storedCrc)
            {
                throw new LogCorruptedException(path, offset, "CRC mismatch");
            }

            var zxid = BinaryPrimitives.ReadInt64LittleEndian(body);
            if (zxid > afterZxid)
            {
                yield return new LogRecord(zxid, body[LogFormat.ZxidSize..].ToArray());
            }

            offset += recordSize;
        }
    }
}
