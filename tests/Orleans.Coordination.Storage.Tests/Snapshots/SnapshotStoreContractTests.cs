using Orleans.Coordination.Storage.Snapshots;

namespace Orleans.Coordination.Storage.Tests.Snapshots;

/// <summary>
/// The behaviour every <see cref="ISnapshotStore"/> provider must have. Each provider subclasses
/// this with a fresh, isolated store per test.
/// </summary>
public abstract class SnapshotStoreContractTests : IAsyncLifetime
{
    private ISnapshotStore? _store;

    protected ISnapshotStore Store => _store ?? throw new InvalidOperationException("store not created");

    /// <summary>A new store over fresh, isolated storage (not yet initialised).</summary>
    protected abstract Task<ISnapshotStore> CreateStoreAsync();

    /// <summary>A second store instance over the same storage as <see cref="Store"/>.</summary>
    protected abstract ISnapshotStore OpenSameStore();

    /// <summary>Flips one byte of a stored chunk directly in the database, with SQL.</summary>
    protected abstract Task CorruptChunkAsync(long snapshotId, int chunkIndex, int byteOffset);

    /// <summary>Number of chunk rows in the database, visible or not to the store's queries.</summary>
    protected abstract Task<long> CountChunkRowsAsync();

    /// <summary>Releases the isolated storage.</summary>
    protected abstract Task CleanUpAsync();

    public async Task InitializeAsync() => _store = await CreateStoreAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        await CleanUpAsync();
    }

    private static byte[] Content(int size, int seed)
    {
        // Half random (incompressible, so there are several chunks), half text-like.
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes.AsSpan(0, size / 2));
        for (var i = size / 2; i < size; i++)
        {
            bytes[i] = (byte)('a' + (i % 23));
        }

        return bytes;
    }

    private static SnapshotMetadata Meta(long lastZxid) => new()
    {
        LastZxid = lastZxid,
        CreatedUtc = new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero).AddTicks(1234),
        NodeCount = 1000 + lastZxid,
        Digest = 0xFEDC_BA98_7654_3210UL, // above long.MaxValue: checks the sign survives
        FormatVersion = 3,
    };

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task Multi_megabyte_content_round_trips_through_several_chunks()
    {
        await Store.InitializeAsync();
        var content = Content(5 * 1024 * 1024, seed: 1);
        var saved = await Store.SaveAsync(Meta(0x100000050), new MemoryStream(content));

        Assert.True(saved.Id > 0);
        Assert.Equal(content.Length, saved.RawSize);
        Assert.True(saved.ChunkCount >= 3, $"{saved.ChunkCount} chunks");
        Assert.True(saved.CompressedSize < saved.RawSize);
        Assert.Equal(0x100000050, saved.LastZxid);
        Assert.Equal(0xFEDC_BA98_7654_3210UL, saved.Digest);
        Assert.Equal(3, saved.FormatVersion);
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero), saved.CreatedUtc); // millisecond precision

        var listed = Assert.Single(await Store.ListAsync());
        Assert.Equal(saved, listed);

        await using var stream = await Store.OpenAsync(saved.Id);
        Assert.Equal(content, await ReadAllAsync(stream));

        // Another instance over the same database sees the same.
        await using var other = OpenSameStore();
        await other.InitializeAsync();
        Assert.Equal(saved, Assert.Single(await other.ListAsync()));
    }

    [Fact]
    public async Task Empty_content_round_trips()
    {
        await Store.InitializeAsync();
        var saved = await Store.SaveAsync(Meta(1), new MemoryStream());
        Assert.Equal(0, saved.RawSize);
        await using var stream = await Store.OpenAsync(saved.Id);
        Assert.Empty(await ReadAllAsync(stream));
    }

    [Fact]
    public async Task Listing_is_newest_first()
    {
        await Store.InitializeAsync();
        var a = await Store.SaveAsync(Meta(5), new MemoryStream(Content(1000, 1)));
        var b = await Store.SaveAsync(Meta(20), new MemoryStream(Content(1000, 2)));
        var c = await Store.SaveAsync(Meta(10), new MemoryStream(Content(1000, 3)));
        Assert.True(a.Id < b.Id && b.Id < c.Id, "ids increase with every save");
        Assert.Equal([20L, 10L, 5L], (await Store.ListAsync()).Select(m => m.LastZxid));
    }

    [Fact]
    public async Task Retention_keeps_the_newest_and_deletes_the_rest_with_their_chunks()
    {
        await Store.InitializeAsync();
        var saved = new List<SnapshotMetadata>();
        for (var i = 1; i <= 5; i++)
        {
            saved.Add(await Store.SaveAsync(Meta(i * 100), new MemoryStream(Content(300_000 * i, i))));
        }

        Assert.Equal(3, await Store.RetainNewestAsync(2));
        var left = await Store.ListAsync();
        Assert.Equal([500L, 400L], left.Select(m => m.LastZxid));
        Assert.Equal(left.Sum(m => (long)m.ChunkCount), await CountChunkRowsAsync());
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.OpenAsync(saved[0].Id));
        Assert.Equal(0, await Store.RetainNewestAsync(2));

        Assert.True(await Store.DeleteAsync(saved[4].Id));
        Assert.False(await Store.DeleteAsync(saved[4].Id));
        Assert.Equal([400L], (await Store.ListAsync()).Select(m => m.LastZxid));
        await using var stream = await Store.OpenAsync(saved[3].Id);
        Assert.Equal(Content(300_000 * 4, 4), await ReadAllAsync(stream));
    }

    [Fact]
    public async Task A_corrupted_chunk_is_detected_naming_the_snapshot_and_chunk()
    {
        await Store.InitializeAsync();
        var saved = await Store.SaveAsync(Meta(42), new MemoryStream(Content(4 * 1024 * 1024, 9)));
        Assert.True(saved.ChunkCount >= 3);
        await CorruptChunkAsync(saved.Id, chunkIndex: 1, byteOffset: 1000);

        var ex = await Assert.ThrowsAsync<SnapshotCorruptedException>(() => Store.OpenAsync(saved.Id));
        Assert.Equal(saved.Id, ex.SnapshotId);
        Assert.Equal(1, ex.ChunkIndex);
        Assert.Equal(Store.Name, ex.Store);
        Assert.True(ex.Offset > 0);
        Assert.Contains($"Snapshot {saved.Id}", ex.Message);
        Assert.Contains("chunk 1", ex.Message);
        Assert.Contains(Store.Name, ex.Message);
    }

    [Fact]
    public async Task A_save_whose_stream_fails_midway_leaves_nothing_visible()
    {
        await Store.InitializeAsync();
        var kept = await Store.SaveAsync(Meta(1), new MemoryStream(Content(100_000, 1)));
        var chunksBefore = await CountChunkRowsAsync();

        var failing = new FailingStream(Content(6 * 1024 * 1024, 2), failAfter: 3 * 1024 * 1024);
        var ex = await Assert.ThrowsAsync<IOException>(() => Store.SaveAsync(Meta(2), failing));
        Assert.Equal(FailingStream.Message, ex.Message);
        Assert.True(failing.Position > 2 * 1024 * 1024, "chunks were being written when it failed");

        Assert.Equal([kept], await Store.ListAsync());
        Assert.Equal(chunksBefore, await CountChunkRowsAsync());

        // The store is still usable.
        var next = await Store.SaveAsync(Meta(3), new MemoryStream(Content(10_000, 3)));
        Assert.True(next.Id > kept.Id);
        Assert.Equal(2, (await Store.ListAsync()).Count);
    }

    [Fact]
    public async Task Schema_initialisation_is_idempotent_and_safe_concurrently()
    {
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Store.InitializeAsync()));
        await Store.InitializeAsync();
        var saved = await Store.SaveAsync(Meta(7), new MemoryStream(Content(1000, 7)));
        await Store.InitializeAsync();
        Assert.Equal([saved], await Store.ListAsync());
    }

    [Fact]
    public async Task Opening_a_missing_snapshot_throws_KeyNotFound()
    {
        await Store.InitializeAsync();
        var ex = await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.OpenAsync(12345));
        Assert.Contains("12345", ex.Message);
    }

    /// <summary>Serves bytes, then throws as a failing source (e.g. a serializer error) would.</summary>
    private sealed class FailingStream(byte[] content, int failAfter) : Stream
    {
        public const string Message = "source failed midway";

        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => content.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= failAfter)
            {
                throw new IOException(Message);
            }

            var n = Math.Min(Math.Min(buffer.Length, 64 * 1024), content.Length - _position);
            content.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
