namespace Orleans.Coordination.Storage.Tests;

public sealed class StorageBasicsTests
{
    [Fact]
    public void Crc32C_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
        // Incremental over odd splits equals one pass.
        var data = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
        var running = Crc32C.Append(Crc32C.Start, data.AsSpan(0, 13));
        running = Crc32C.Append(running, data.AsSpan(13));
        Assert.Equal(Crc32C.Compute(data), Crc32C.Finish(running));
    }

    [Fact]
    public void Segment_names_are_the_first_zxid_in_hex_and_parse_back()
    {
        var name = StorageNaming.LogSegmentFileName(0x10000002aL);
        Assert.Equal("log.000000010000002a", name);
        Assert.True(StorageNaming.TryParseLogSegmentFileName(name, out var zxid));
        Assert.Equal(0x10000002aL, zxid);
        Assert.False(StorageNaming.TryParseLogSegmentFileName("log.000000010000002A", out _));
        Assert.False(StorageNaming.TryParseLogSegmentFileName("log.1", out _));
        Assert.False(StorageNaming.TryParseLogSegmentFileName("snapshots.db", out _));
    }
}
