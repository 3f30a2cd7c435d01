using Orleans.Coordination.Storage.Log;

namespace Orleans.Coordination.Durability.Tests;

/// <summary>The real file system, with switches that make fsync fail or writes fail as on a full disk.</summary>
internal sealed class FaultyFileSystem : ILogFileSystem
{
    private readonly ILogFileSystem _inner = PhysicalLogFileSystem.Instance;

    public volatile bool FailFlush;
    public volatile bool DiskFull;

    public void CreateDirectory(string directory) => _inner.CreateDirectory(directory);

    public IReadOnlyList<string> ListFiles(string directory) => _inner.ListFiles(directory);

    public ILogFile Create(string path, long length) => DiskFull ? throw new IOException("No space left on device") : new File(_inner.Create(path, length), this);

    public ILogFile Open(string path) => new File(_inner.Open(path), this);

    public ILogFile OpenRead(string path) => _inner.OpenRead(path);

    public void Delete(string path) => _inner.Delete(path);

    public void FlushDirectory(string directory) => _inner.FlushDirectory(directory);

    private sealed class File(ILogFile inner, FaultyFileSystem fs) : ILogFile
    {
        public string Path => inner.Path;

        public long Length => inner.Length;

        public int Read(long offset, Span<byte> buffer) => inner.Read(offset, buffer);

        public void Write(long offset, ReadOnlySpan<byte> data)
        {
            if (fs.DiskFull)
            {
                throw new IOException("No space left on device");
            }

            inner.Write(offset, data);
        }

        public void SetLength(long length) => inner.SetLength(length);

        public void Flush()
        {
            if (fs.FailFlush)
            {
                throw new IOException("Input/output error (simulated fsync failure)");
            }

            inner.Flush();
        }

        public void Dispose() => inner.Dispose();
    }
}
