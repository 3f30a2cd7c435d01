using Orleans.Coordination.Storage.Log;

namespace Orleans.Coordination.Storage.Tests.Log;

/// <summary>
/// Wraps a file system (usually <see cref="InMemoryLogFileSystem"/>) and injects faults: failing
/// fsyncs, a full disk, slow or held fsyncs. Counts writes and fsyncs.
/// </summary>
public sealed class FaultInjectingFileSystem(ILogFileSystem inner) : ILogFileSystem
{
    private int _flushCount;

    /// <summary>Every fsync from now on throws (EIO).</summary>
    public volatile bool FailFlushes;

    /// <summary>Every write and file creation from now on throws (ENOSPC).</summary>
    public volatile bool DiskFull;

    /// <summary>Each fsync sleeps this long first (makes group commit observable).</summary>
    public TimeSpan FlushDelay { get; set; }

    /// <summary>When set, each fsync waits for it (to crash while a round is in flight).</summary>
    public ManualResetEventSlim? FlushGate { get; set; }

    /// <summary>Set when an fsync starts waiting at <see cref="FlushGate"/>.</summary>
    public ManualResetEventSlim FlushWaiting { get; } = new(false);

    public int FlushCount => Volatile.Read(ref _flushCount);

    public void CreateDirectory(string directory) => inner.CreateDirectory(directory);

    public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);

    public ILogFile Create(string path, long length)
    {
        if (DiskFull)
        {
            throw new IOException("No space left on device");
        }

        return new File(this, inner.Create(path, length));
    }

    public ILogFile Open(string path) => new File(this, inner.Open(path));

    public ILogFile OpenRead(string path) => new File(this, inner.OpenRead(path));

    public void Delete(string path) => inner.Delete(path);

    public void FlushDirectory(string directory) => inner.FlushDirectory(directory);

    private void BeforeFlush()
    {
        if (FlushGate is { } gate)
        {
            FlushWaiting.Set();
            gate.Wait(TimeSpan.FromSeconds(30));
        }

        if (FlushDelay > TimeSpan.Zero)
        {
            Thread.Sleep(FlushDelay);
        }

        if (FailFlushes)
        {
            throw new IOException("Input/output error (injected fsync failure)");
        }

        Interlocked.Increment(ref _flushCount);
    }

    private sealed class File(FaultInjectingFileSystem owner, ILogFile inner) : ILogFile
    {
        public string Path => inner.Path;

        public long Length => inner.Length;

        public int Read(long offset, Span<byte> buffer) => inner.Read(offset, buffer);

        public void Write(long offset, ReadOnlySpan<byte> data)
        {
            if (owner.DiskFull)
            {
                throw new IOException("No space left on device");
            }

            inner.Write(offset, data);
        }

        public void SetLength(long length) => inner.SetLength(length);

        public void Flush()
        {
            owner.BeforeFlush();
            inner.Flush();
        }

        public void Dispose() => inner.Dispose();
    }
}
