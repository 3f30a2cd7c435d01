namespace Orleans.Coordination.Storage.Snapshots;

/// <summary>
/// Write-only sink for the compressor: collects output and hands it out in chunks of exactly
/// the chunk size (the last one may be shorter).
/// </summary>
internal sealed class ChunkAccumulator(int chunkSize) : Stream
{
    private readonly Queue<byte[]> _full = new();
    private byte[] _current = new byte[chunkSize];
    private int _used;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Takes a complete chunk; with <paramref name="final"/>, also the partial last one.</summary>
    public bool TryTake(bool final, out byte[] chunk)
    {
        if (_full.Count > 0)
        {
            chunk = _full.Dequeue();
            return true;
        }

        if (final && _used > 0)
        {
            chunk = _current.AsSpan(0, _used).ToArray();
            _used = 0;
            return true;
        }

        chunk = [];
        return false;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, _current.Length - _used);
            buffer[..n].CopyTo(_current.AsSpan(_used));
            _used += n;
            buffer = buffer[n..];
            if (_used == _current.Length)
            {
                _full.Enqueue(_current);
                _current = new byte[chunkSize];
                _used = 0;
            }
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>Read-only concatenation of verified chunks (the compressed content).</summary>
internal sealed class ChunkSequenceStream(IReadOnlyList<byte[]> chunks) : Stream
{
    private int _chunk;
    private int _offset;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_chunk < chunks.Count)
        {
            var current = chunks[_chunk];
            if (_offset < current.Length)
            {
                var n = Math.Min(buffer.Length, current.Length - _offset);
                current.AsSpan(_offset, n).CopyTo(buffer);
                _offset += n;
                return n;
            }

            _chunk++;
            _offset = 0;
        }

        return 0;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// The decompressed content handed to the caller: checks the size and CRC-32C of the whole
/// content when the end is reached, and reports decoder failures as corruption.
/// </summary>
internal sealed class SnapshotContentStream(string store, SnapshotMetadata metadata, Stream decompressor) : Stream
{
    private long _read;
    private uint _crc = Crc32C.Start;
    private bool _verified;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    /// <summary>The uncompressed size recorded when the snapshot was saved.</summary>
    public override long Length => metadata.RawSize;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = decompressor.Read(buffer);
        }
        catch (InvalidDataException ex)
        {
            throw new SnapshotCorruptedException(store, metadata.Id, -1, _read, $"content cannot be decompressed: {ex.Message}");
        }

        if (n > 0)
        {
            _read += n;
            _crc = Crc32C.Append(_crc, buffer[..n]);
            if (_read > metadata.RawSize)
            {
                throw new SnapshotCorruptedException(store, metadata.Id, -1, _read, $"content is longer than the recorded {metadata.RawSize} bytes");
            }
        }
        else if (buffer.Length > 0 && !_verified)
        {
            _verified = true;
            if (_read != metadata.RawSize)
            {
                throw new SnapshotCorruptedException(store, metadata.Id, -1, _read, $"content is {_read} bytes, {metadata.RawSize} were recorded");
            }

            if (Crc32C.Finish(_crc) != metadata.RawCrc32C)
            {
                throw new SnapshotCorruptedException(store, metadata.Id, -1, _read, "content checksum mismatch");
            }
        }

        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span)); // everything is in memory already

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            decompressor.Dispose();
        }

        base.Dispose(disposing);
    }
}
