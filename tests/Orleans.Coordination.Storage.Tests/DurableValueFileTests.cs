namespace Orleans.Coordination.Storage.Tests;

public sealed class DurableValueFileTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Values_round_trip_and_are_replaced_atomically()
    {
        var file = new DurableValueFile(StorageNaming.EpochFilePath(_dir.Path));
        Assert.Null(file.TryRead());

        file.Write([3, 4]);
        Assert.Equal([3L, 4L], file.TryRead()!);

        file.Write([5, 4, long.MaxValue, -1]);
        Assert.Equal([5L, 4L, long.MaxValue, -1L], new DurableValueFile(file.Path).TryRead()!);
        Assert.False(File.Exists(StorageNaming.TempPathFor(file.Path)));
    }

    [Fact]
    public void A_leftover_temporary_file_does_not_replace_the_values()
    {
        var file = new DurableValueFile(_dir.Combine("epoch"));
        file.Write([7, 7]);
        File.WriteAllBytes(StorageNaming.TempPathFor(file.Path), [1, 2, 3]); // crash while writing a new value
        Assert.Equal([7L, 7L], file.TryRead()!);
        file.Write([8, 8]);
        Assert.Equal([8L, 8L], file.TryRead()!);
    }

    [Theory]
    [InlineData(13)]   // a value byte
    [InlineData(0)]    // the magic
    [InlineData(8)]    // the count
    [InlineData(-1)]   // the CRC itself
    public void A_damaged_file_throws_naming_it(int offset)
    {
        var file = new DurableValueFile(_dir.Combine("epoch"));
        file.Write([1, 2]);
        var bytes = File.ReadAllBytes(file.Path);
        var at = offset < 0 ? bytes.Length + offset : offset;
        bytes[at] ^= 0x01;
        File.WriteAllBytes(file.Path, bytes);

        var ex = Assert.Throws<StorageCorruptedException>(() => file.TryRead());
        Assert.Equal(file.Path, ex.FilePath);
        Assert.Contains(file.Path, ex.Message);
    }

    [Fact]
    public void A_truncated_file_throws()
    {
        var file = new DurableValueFile(_dir.Combine("epoch"));
        file.Write([1, 2]);
        var bytes = File.ReadAllBytes(file.Path);
        File.WriteAllBytes(file.Path, bytes[..^5]);
        Assert.Throws<StorageCorruptedException>(() => file.TryRead());
        File.WriteAllBytes(file.Path, []);
        Assert.Throws<StorageCorruptedException>(() => file.TryRead());
    }
}
