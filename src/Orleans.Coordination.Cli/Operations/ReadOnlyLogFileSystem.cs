using Orleans.Coordination.Storage.Log;

namespace Orleans.Coordination.Cli.Operations;

/// <summary>
/// The real file system seen read-only, for opening a log with <see cref="FileTxnLog.Open"/> without touching it.
/// Recovery would truncate a torn tail (zero the bytes after the last whole record) or delete an empty tail segment;
/// here those writes are dropped, so the log on disk stays exactly as it was, while the opened log still ends at the
/// last whole record. This is what makes <c>log dump</c> safe on a running silo's data directory: the tail the silo
/// is writing at that moment merely looks torn and is left out of the dump.
/// </summary>
internal sealed class ReadOnlyLogFileSystem : ILogFileSystem
{
    private static readonly ILogFileSystem Physical = PhysicalLogFileSystem.Instance;

    public void CreateDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"{directory}: no such directory");
        }
    }

    public IReadOnlyList<string> ListFiles(string directory) => Physical.ListFiles(directory);

    public ILogFile Create(string path, long length) =>
        throw new InvalidOperationException($"read-only view of the log: cannot create {path}");

    public ILogFile Open(string path) => OpenRead(path);

    public ILogFile OpenRead(string path) => new ReadOnlyFile(Physical.OpenRead(path));

    public void Delete(string path)
    {
        // Recovery deletes an empty tail segment; the silo that owns the log will do that itself.
    }

    public void FlushDirectory(string directory)
    {
    }

    /// <summary>Reads go to the real file (opened for reading only); writes are dropped.</summary>
    private sealed class ReadOnlyFile(ILogFile inner) : ILogFile
    {
        public string Path => inner.Path;

        public long Length => inner.Length;

        public int Read(long offset, Span<byte> buffer) => inner.Read(offset, buffer);

        public void Write(long offset, ReadOnlySpan<byte> data)
        {
        }

        public void SetLength(long length)
        {
        }

        public void Flush()
        {
        }

        public void Dispose() => inner.Dispose();
    }
}
