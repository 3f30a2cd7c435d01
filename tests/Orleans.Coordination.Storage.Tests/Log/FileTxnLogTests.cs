using Orleans.Coordination.Storage.Log;
using static Orleans.Coordination.Storage.Tests.Log.LogTestData;

namespace Orleans.Coordination.Storage.Tests.Log;

public sealed class FileTxnLogTests : IDisposable
{
    private readonly TestDirectory _dir = new();
    private readonly ListLogger _logger = new();

    public void Dispose() => _dir.Dispose();

    private string LogDir => _dir.Combine("log");

    private FileTxnLog Open(long segmentSize = 4096, bool repair = false, ILogFileSystem? fs = null, bool forceSync = true) =>
        FileTxnLog.Open(LogDir, new TxnLogOptions
        {
            SegmentSize = segmentSize,
            Repair = repair,
            FileSystem = fs ?? PhysicalLogFileSystem.Instance,
            ForceSync = forceSync,
            Logger = _logger,
        });

    private string OnlySegment() => Assert.Single(Directory.GetFiles(LogDir));

    [Fact]
    public async Task Records_round_trip_across_segment_rolls_and_reopen()
    {
        List<LogRecord> written;
        using (var log = Open(segmentSize: 4096))
        {
            Assert.Equal(0, log.LastZxid);
            Assert.Empty(log.ReadFrom(0));
            written = await AppendManyAsync(log, 1, 300);
            // One record bigger than a whole segment gets a segment of its own.
            var big = new LogRecord(Zxid(301), Payload(Zxid(301), 10_000));
            await log.AppendAsync(big.Zxid, big.Payload);
            written.Add(big);
            written.AddRange(await AppendManyAsync(log, 302, 20));

            Assert.True(log.SegmentPaths.Count > 5, $"expected several segments, got {log.SegmentPaths.Count}");
            AssertSame(written, log.ReadFrom(0));
            AssertSame(written.Where(r => r.Zxid > Zxid(150)), log.ReadFrom(Zxid(150)));
            Assert.Equal(written[^1].Zxid, log.LastZxid);
            Assert.Equal(written[^1].Zxid, log.DurableZxid);
        }

        var names = Directory.GetFiles(LogDir).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(StorageNaming.LogSegmentFileName(Zxid(1)), names[0]);
        Assert.Contains(StorageNaming.LogSegmentFileName(Zxid(301)), names);
        Assert.All(Directory.GetFiles(LogDir), f => Assert.True(new FileInfo(f).Length >= 4096, "segments are preallocated"));

        using (var log = Open(segmentSize: 4096))
        {
            Assert.Empty(log.RecoveryWarnings);
            Assert.Equal(written[^1].Zxid, log.LastZxid);
            AssertSame(written, log.ReadFrom(0));
            written.AddRange(await AppendManyAsync(log, 400, 5));
            AssertSame(written, log.ReadFrom(0));
        }
    }

    [Fact]
    public async Task Zxids_must_increase_also_after_reopen()
    {
        using (var log = Open())
        {
            await AppendManyAsync(log, 1, 3);
            Assert.Throws<ArgumentOutOfRangeException>(() => log.Append(Zxid(3), [1]));
            Assert.Throws<ArgumentOutOfRangeException>(() => log.Append(Zxid(2), [1]));
        }

        using var reopened = Open();
        Assert.Throws<ArgumentOutOfRangeException>(() => reopened.Append(Zxid(3), [1]));
        reopened.Append(Zxid(4), [1]);
    }

    [Fact]
    public async Task Group_commit_covers_many_records_with_one_fsync()
    {
        var fs = new FaultInjectingFileSystem(new InMemoryLogFileSystem()) { FlushDelay = TimeSpan.FromMilliseconds(5) };
        using var log = Open(segmentSize: 1 << 20, fs: fs);
        var durableEvents = new List<long>();
        log.Durable += z =>
        {
            lock (durableEvents)
            {
                durableEvents.Add(z);
            }
        };

        const int count = 2000;
        var pending = new List<Task>();
        for (var i = 1; i <= count; i++)
        {
            pending.Add(log.AppendAsync(Zxid(i), Payload(Zxid(i), 64)).AsTask());
        }

        await Task.WhenAll(pending);
        Assert.Equal(Zxid(count), log.DurableZxid);
        Assert.True(log.FsyncCount > 0);
        Assert.True(log.FsyncCount < count / 10, $"{log.FsyncCount} fsyncs for {count} records");
        Assert.Equal(log.FsyncCount, fs.FlushCount);
        lock (durableEvents)
        {
            Assert.Equal(Zxid(count), durableEvents[^1]);
            Assert.Equal(durableEvents.Order(), durableEvents);
            Assert.True(durableEvents.Count < count / 10);
        }

        // Records of one round share one completion: no allocation per record.
        Assert.Equal(count, log.ReadFrom(0).Count());
    }

    [Fact]
    public async Task A_record_is_acknowledged_only_after_its_fsync()
    {
        var memory = new InMemoryLogFileSystem();
        using var gate = new ManualResetEventSlim(false);
        var fs = new FaultInjectingFileSystem(memory) { FlushGate = gate };
        using var log = Open(fs: fs);
        var ack = log.AppendAsync(Zxid(1), Payload(Zxid(1), 10)).AsTask();
        Assert.True(fs.FlushWaiting.Wait(TimeSpan.FromSeconds(10)));
        await Task.Delay(50);
        Assert.False(ack.IsCompleted);
        Assert.Equal(0, log.DurableZxid);
        Assert.Empty(log.ReadFrom(0)); // readers see durable records only

        gate.Set();
        await ack.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Zxid(1), log.DurableZxid);
        Assert.Single(log.ReadFrom(0));
    }

    [Theory]
    [InlineData("partial record")]
    [InlineData("bad crc of last record")]
    [InlineData("garbage after zero length")]
    [InlineData("length field cut by end of file")]
    public async Task Torn_tail_is_truncated_with_a_warning_naming_file_and_offset(string damage)
    {
        List<LogRecord> written;
        using (var log = Open(segmentSize: 8192))
        {
            written = await AppendManyAsync(log, 1, 10);
        }

        var path = OnlySegment();
        var offsets = Offsets(written);
        var end = offsets[^1];
        long expectedOffset;
        var expectedCount = 10;
        switch (damage)
        {
            case "partial record":
                // Length 100 and half of the record, as a crash mid-write leaves it.
                WriteAt(path, end, [100, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
                expectedOffset = end;
                break;
            case "bad crc of last record":
                FlipByte(path, offsets[9] + RecordOverhead + 3);
                expectedOffset = offsets[9];
                expectedCount = 9;
                break;
            case "garbage after zero length":
                WriteAt(path, end + 700, [0xde, 0xad, 0xbe, 0xef, 0x42]);
                expectedOffset = end;
                break;
            default:
                // A file cut inside a length field (e.g. copied off a full disk).
                WriteAt(path, end, [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
                using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
                {
                    stream.SetLength(end + 2);
                }

                expectedOffset = end;
                break;
        }

        using (var log = Open(segmentSize: 8192))
        {
            var warning = Assert.Single(log.RecoveryWarnings);
            Assert.Contains(path, warning);
            Assert.Contains($"byte offset {expectedOffset}", warning);
            Assert.Contains(warning, _logger.Warnings);
            AssertSame(written.Take(expectedCount), log.ReadFrom(0));
            Assert.Equal(written[expectedCount - 1].Zxid, log.LastZxid);
            written = written.Take(expectedCount).ToList();
            written.AddRange(await AppendManyAsync(log, 20, 3));
        }

        using (var log = Open(segmentSize: 8192))
        {
            Assert.Empty(log.RecoveryWarnings);
            AssertSame(written, log.ReadFrom(0));
        }
    }

    [Fact]
    public async Task A_segment_whose_header_never_reached_disk_is_deleted_with_a_warning()
    {
        List<LogRecord> written;
        using (var log = Open(segmentSize: 4096))
        {
            written = await AppendManyAsync(log, 1, 5);
        }

        var torn = Path.Combine(LogDir, StorageNaming.LogSegmentFileName(Zxid(6)));
        using (var stream = new FileStream(torn, FileMode.CreateNew))
        {
            stream.SetLength(4096);
        }

        using var reopened = Open(segmentSize: 4096);
        var warning = Assert.Single(reopened.RecoveryWarnings);
        Assert.Contains(torn, warning);
        Assert.False(File.Exists(torn));
        AssertSame(written, reopened.ReadFrom(0));
    }

    [Fact]
    public async Task A_flipped_bit_in_the_middle_throws_naming_file_and_offset()
    {
        List<LogRecord> written;
        using (var log = Open(segmentSize: 8192))
        {
            written = await AppendManyAsync(log, 1, 10);
        }

        var path = OnlySegment();
        var offsets = Offsets(written);
        FlipByte(path, offsets[3] + RecordOverhead + 5);

        var ex = Assert.Throws<LogCorruptedException>(() => Open(segmentSize: 8192));
        Assert.Equal(path, ex.FilePath);
        Assert.Equal(offsets[3], ex.Offset);
        Assert.Contains(path, ex.Message);
        Assert.Contains(offsets[3].ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
    }

    [Fact]
    public async Task A_damaged_length_field_with_valid_records_after_it_throws()
    {
        List<LogRecord> written;
        using (var log = Open(segmentSize: 8192))
        {
            written = await AppendManyAsync(log, 1, 10);
        }

        var path = OnlySegment();
        var offsets = Offsets(written);
        WriteAt(path, offsets[4], [0xff, 0xff, 0x00, 0x00]); // length no longer leads to the next record

        var ex = Assert.Throws<LogCorruptedException>(() => Open(segmentSize: 8192));
        Assert.Equal(offsets[4], ex.Offset);
    }

    [Fact]
    public async Task Damage_at_the_end_of_a_segment_that_is_not_the_last_throws()
    {
        using (var log = Open(segmentSize: 4096))
        {
            await AppendManyAsync(log, 1, 100);
            Assert.True(log.SegmentPaths.Count >= 3);
        }

        var first = Directory.GetFiles(LogDir).Order().First();
        var records = ReadSegmentRecords(first);
        var offsets = Offsets(records);
        FlipByte(first, offsets[^2] + RecordOverhead); // the first segment's last record

        var ex = Assert.Throws<LogCorruptedException>(() => Open(segmentSize: 4096));
        Assert.Equal(first, ex.FilePath);
        Assert.Equal(offsets[^2], ex.Offset);
    }

    [Fact]
    public async Task Repair_truncates_at_the_damage_and_drops_later_segments()
    {
        List<LogRecord> written;
        using (var log = Open(segmentSize: 4096))
        {
            written = await AppendManyAsync(log, 1, 100);
        }

        var segments = Directory.GetFiles(LogDir).Order().ToList();
        Assert.True(segments.Count >= 3);
        var second = segments[1];
        var records = ReadSegmentRecords(second);
        var offsets = Offsets(records);
        FlipByte(second, offsets[2] + RecordOverhead + 1);

        Assert.Throws<LogCorruptedException>(() => Open(segmentSize: 4096));
        var keep = written.TakeWhile(r => r.Zxid < records[2].Zxid).ToList();
        using (var log = Open(segmentSize: 4096, repair: true))
        {
            var warning = Assert.Single(log.RecoveryWarnings);
            Assert.Contains(second, warning);
            Assert.Contains($"byte offset {offsets[2]}", warning);
            AssertSame(keep, log.ReadFrom(0));
            Assert.Equal(keep[^1].Zxid, log.LastZxid);
            keep.AddRange(await AppendManyAsync(log, 500, 3));
        }

        Assert.Equal(2, Directory.GetFiles(LogDir).Length);
        using (var log = Open(segmentSize: 4096))
        {
            Assert.Empty(log.RecoveryWarnings);
            AssertSame(keep, log.ReadFrom(0));
        }
    }

    [Fact]
    public async Task Reading_detects_damage_that_happened_after_open()
    {
        using var log = Open(segmentSize: 8192);
        var written = await AppendManyAsync(log, 1, 10);
        var offsets = Offsets(written);
        FlipByte(OnlySegment(), offsets[6] + RecordOverhead + 2);
        var ex = Assert.Throws<LogCorruptedException>(() => log.ReadFrom(0).ToList());
        Assert.Equal(offsets[6], ex.Offset);
    }

    [Fact]
    public async Task TruncateAfter_drops_later_records_durably()
    {
        List<LogRecord> written;
        using (var log = Open(segmentSize: 4096))
        {
            written = await AppendManyAsync(log, 1, 120);
            var segmentsBefore = log.SegmentPaths.Count;
            // Pending, not yet awaited appends are flushed first, then dropped.
            log.Append(Zxid(121), [1, 2, 3]);
            log.TruncateAfter(Zxid(40));
            Assert.True(log.SegmentPaths.Count < segmentsBefore);
            Assert.Equal(Zxid(40), log.LastZxid);
            Assert.Equal(Zxid(40), log.DurableZxid);
            AssertSame(written.Take(40), log.ReadFrom(0));

            // The proposals of a new epoch replace the dropped ones.
            written = written.Take(40).ToList();
            var replacement = new LogRecord(Zxid(1, epoch: 2), Payload(Zxid(1, epoch: 2), 50));
            await log.AppendAsync(replacement.Zxid, replacement.Payload);
            written.Add(replacement);
            AssertSame(written, log.ReadFrom(0));
        }

        using (var log = Open(segmentSize: 4096))
        {
            Assert.Empty(log.RecoveryWarnings);
            AssertSame(written, log.ReadFrom(0));
            log.TruncateAfter(0);
            Assert.Equal(0, log.LastZxid);
            Assert.Empty(log.ReadFrom(0));
            Assert.Empty(Directory.GetFiles(LogDir));
            await log.AppendAsync(Zxid(7), new byte[] { 7 });
        }

        using (var log = Open(segmentSize: 4096))
        {
            Assert.Equal([Zxid(7)], log.ReadFrom(0).Select(r => r.Zxid));
        }
    }

    [Fact]
    public async Task PurgeBefore_deletes_whole_segments_below_the_zxid_and_keeps_the_last()
    {
        List<LogRecord> written;
        using (var log = Open(segmentSize: 4096))
        {
            written = await AppendManyAsync(log, 1, 200);
            var before = log.SegmentPaths.Count;
            var deleted = log.PurgeBefore(Zxid(100));
            Assert.True(deleted > 0);
            Assert.Equal(before - deleted, log.SegmentPaths.Count);
            Assert.Equal(log.SegmentPaths.Count, Directory.GetFiles(LogDir).Length);
            Assert.True(log.FirstZxid <= Zxid(100), "the segment holding the purge point is kept");
            Assert.True(log.FirstZxid > Zxid(1));
            // Everything from the purge point on is still there, contiguous.
            AssertSame(written.Where(r => r.Zxid >= log.FirstZxid), log.ReadFrom(log.FirstZxid - 1));
            AssertSame(written.Where(r => r.Zxid > Zxid(100)), log.ReadFrom(Zxid(100)));

            Assert.Equal(0, log.PurgeBefore(Zxid(50)));
            log.PurgeBefore(long.MaxValue);
            Assert.Single(log.SegmentPaths);
            Assert.Equal(Zxid(200), log.LastZxid);
        }

        using (var log = Open(segmentSize: 4096))
        {
            Assert.Equal(Zxid(200), log.LastZxid);
            Assert.Empty(log.RecoveryWarnings);
        }
    }

    [Fact]
    public async Task An_fsync_failure_fails_pending_and_later_appends_and_acknowledges_nothing_more()
    {
        var fs = new FaultInjectingFileSystem(new InMemoryLogFileSystem());
        using var log = Open(fs: fs);
        await AppendManyAsync(log, 1, 5);
        var acknowledged = new List<long>();
        StorageFailedException? reported = null;
        log.Durable += z => acknowledged.Add(z);
        log.Failed += e => reported = e;

        fs.FailFlushes = true;
        var pending = Enumerable.Range(6, 3).Select(i => log.AppendAsync(Zxid(i), new byte[] { (byte)i }).AsTask()).ToList();
        foreach (var task in pending)
        {
            var ex = await Assert.ThrowsAsync<StorageFailedException>(() => task);
            Assert.Contains("fsync", ex.Message);
        }

        fs.FailFlushes = false; // even if the disk recovers, the log stays failed
        Assert.NotNull(log.Failure);
        Assert.NotNull(reported);
        Assert.Throws<StorageFailedException>(() => log.Append(Zxid(9), [9]));
        await Assert.ThrowsAsync<StorageFailedException>(() => log.WaitForDurableAsync(Zxid(8)).AsTask());
        await log.WaitForDurableAsync(Zxid(5)); // what was durable before stays durable
        Assert.Equal(Zxid(5), log.DurableZxid);
        // (The round that made zxid 5 durable may report it after the subscription.)
        Assert.DoesNotContain(acknowledged, z => z > Zxid(5));
    }

    [Fact]
    public async Task A_full_disk_fails_the_log_like_an_fsync_failure()
    {
        var fs = new FaultInjectingFileSystem(new InMemoryLogFileSystem());
        using var log = Open(fs: fs, segmentSize: 4096);
        await AppendManyAsync(log, 1, 5);
        fs.DiskFull = true;
        var ex = await Assert.ThrowsAsync<StorageFailedException>(() => log.AppendAsync(Zxid(6), new byte[100]).AsTask());
        Assert.Contains("No space left on device", ex.Message);
        Assert.IsType<IOException>(ex.InnerException);
        Assert.Throws<StorageFailedException>(() => log.Append(Zxid(7), [1]));
        Assert.Equal(Zxid(5), log.DurableZxid);

        // A full disk at segment roll is the same failure.
        var fs2 = new FaultInjectingFileSystem(new InMemoryLogFileSystem());
        using var log2 = FileTxnLog.Open(_dir.Combine("log2"), new TxnLogOptions { SegmentSize = 4096, FileSystem = fs2 });
        await AppendManyAsync(log2, 1, 5);
        fs2.DiskFull = true;
        await Assert.ThrowsAsync<StorageFailedException>(() => log2.AppendAsync(Zxid(6), new byte[5000]).AsTask());
    }

    [Fact]
    public async Task After_a_crash_exactly_the_durable_records_remain()
    {
        var memory = new InMemoryLogFileSystem();
        var gate = new ManualResetEventSlim(false);
        var fs = new FaultInjectingFileSystem(memory);
        List<LogRecord> durable;
        var log = Open(fs: fs, segmentSize: 4096);
        durable = await AppendManyAsync(log, 1, 60); // several segments

        // Hold the next fsync: its records are written to the file but not durable.
        fs.FlushGate = gate;
        var lost = Enumerable.Range(61, 30).Select(i => log.AppendAsync(Zxid(i), Payload(Zxid(i), 100)).AsTask()).ToList();
        Assert.True(fs.FlushWaiting.Wait(TimeSpan.FromSeconds(10)));
        memory.SimulateCrash();
        gate.Set();
        foreach (var task in lost)
        {
            await Assert.ThrowsAsync<StorageFailedException>(() => task);
        }

        log.Dispose();
        fs.FlushGate = null;

        using var recovered = Open(fs: fs, segmentSize: 4096);
        Assert.Empty(recovered.RecoveryWarnings);
        Assert.Equal(durable[^1].Zxid, recovered.LastZxid);
        AssertSame(durable, recovered.ReadFrom(0));
    }

    [Fact]
    public async Task Without_forceSync_a_crash_loses_acknowledged_records()
    {
        var memory = new InMemoryLogFileSystem();
        using (var log = Open(fs: memory, forceSync: false))
        {
            await AppendManyAsync(log, 1, 10);
            Assert.Equal(0, log.FsyncCount);
        }

        memory.SimulateCrash();
        using var recovered = Open(fs: memory);
        Assert.Empty(recovered.ReadFrom(0)); // the documented cost of forceSync=false
    }

    [Fact]
    public async Task In_memory_file_system_behaves_like_the_real_one()
    {
        var memory = new InMemoryLogFileSystem();
        List<LogRecord> written;
        using (var log = Open(fs: memory, segmentSize: 4096))
        {
            written = await AppendManyAsync(log, 1, 80);
        }

        memory.SimulateCrash(); // everything was fsynced: nothing is lost
        var segment = Path.Combine(LogDir, StorageNaming.LogSegmentFileName(Zxid(1)));
        var offsets = Offsets(written.Take(3));
        memory.Corrupt(segment, offsets[1] + RecordOverhead, [0xAA]);
        var ex = Assert.Throws<LogCorruptedException>(() => Open(fs: memory, segmentSize: 4096));
        Assert.Equal(offsets[1], ex.Offset);
    }

    /// <summary>Parses one segment file directly (test oracle independent of FileTxnLog).</summary>
    private static List<LogRecord> ReadSegmentRecords(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var records = new List<LogRecord>();
        var offset = SegmentHeaderSize;
        while (offset + 4 <= bytes.Length)
        {
            var length = BitConverter.ToInt32(bytes, offset);
            if (length == 0)
            {
                break;
            }

            var zxid = BitConverter.ToInt64(bytes, offset + 8);
            records.Add(new LogRecord(zxid, bytes.AsMemory(offset + RecordOverhead, length - 8)));
            offset += 8 + length;
        }

        return records;
    }
}
