using Microsoft.Win32.SafeHandles;
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
    public void CreateDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"{directory}: no such directory");
        }
    }

    public IReadOnlyList<string> ListFiles(string directory) =>
        Directory.Exists(directory) ? Directory.EnumerateFiles(directory).Select(p => Path.GetFileName(p)).ToList() : [];

    public ILogFile Create(string path, long length) =>
        throw new InvalidOperationException($"read-only view of the log: cannot create {path}");

    public ILogFile Open(string path) => OpenRead(path);

    public ILogFile OpenRead(string path) =>
        new ReadOnlyFile(path, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));

    public void Delete(string path)
    {
        // Recovery deletes an empty tail segment; the silo that owns the log will do that itself.
    }

    public void FlushDirectory(string directory)
    {
    }

    private sealed class ReadOnlyFile(string path, SafeFileHandle handle) : ILogFile
    {
        public string Path { get; } = path;

        public long Length => RandomAccess.GetLength(handle);

        public int Read(long offset, Span<byte> buffer)
        {
            var total = 0;
            while (total < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer[total..], offset + total);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            return total;
        }

        public void Write(long offset, ReadOnlySpan<byte> data)
        {
        }

        public void SetLength(long length)
        {
        }

        public void Flush()
        {
        }

        public void Dispose() => handle.Dispose();
    }
}
