using Orleans.Coordination.Storage.Log;

namespace Orleans.Coordination.Storage.Tests.Log;

internal static class LogTestData
{
    public const int SegmentHeaderSize = 16;
    public const int RecordOverhead = 16;

    /// <summary>Zxids as the service makes them: epoch in the high 32 bits.</summary>
    public static long Zxid(int counter, int epoch = 1) => ((long)epoch << 32) | (uint)counter;

    /// <summary>A payload whose bytes depend on the zxid, so a misplaced record is noticed.</summary>
    public static byte[] Payload(long zxid, int size)
    {
        var bytes = new byte[size];
        var random = new Random(unchecked((int)zxid ^ (int)(zxid >> 32)));
        random.NextBytes(bytes);
        return bytes;
    }

    public static int PayloadSize(int counter) => 20 + (counter * 37 % 180);

    /// <summary>Appends records 1..count (counters) and waits until they are durable.</summary>
    public static async Task<List<LogRecord>> AppendManyAsync(ITxnLog log, int first, int count, Func<int, int>? size = null)
    {
        var records = new List<LogRecord>();
        for (var i = first; i < first + count; i++)
        {
            var zxid = Zxid(i);
            var payload = Payload(zxid, (size ?? PayloadSize)(i));
            log.Append(zxid, payload);
            records.Add(new LogRecord(zxid, payload));
        }

        await log.WaitForDurableAsync(records[^1].Zxid);
        return records;
    }

    public static void AssertSame(IEnumerable<LogRecord> expected, IEnumerable<LogRecord> actual)
    {
        var e = expected.ToList();
        var a = actual.ToList();
        Assert.Equal(e.Select(r => r.Zxid), a.Select(r => r.Zxid));
        for (var i = 0; i < e.Count; i++)
        {
            Assert.True(e[i].Payload.Span.SequenceEqual(a[i].Payload.Span), $"payload of record 0x{e[i].Zxid:x} differs");
        }
    }

    /// <summary>Byte offset of each record in a single segment written with the given payload sizes.</summary>
    public static long[] Offsets(IEnumerable<LogRecord> records)
    {
        var offsets = new List<long>();
        long offset = SegmentHeaderSize;
        foreach (var record in records)
        {
            offsets.Add(offset);
            offset += RecordOverhead + record.Payload.Length;
        }

        offsets.Add(offset); // end of data
        return offsets.ToArray();
    }

    public static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x10));
    }

    public static void WriteAt(string path, long offset, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        stream.Write(bytes);
    }
}
