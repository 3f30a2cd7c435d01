using Microsoft.Win32.SafeHandles;

namespace Orleans.Coordination.Storage.Log;

/// <summary>The real file system: <see cref="RandomAccess"/> on <see cref="SafeFileHandle"/>s.</summary>
public sealed class PhysicalLogFileSystem : ILogFileSystem
{
    /// <summary>The shared instance (the type has no state).</summary>
    public static PhysicalLogFileSystem Instance { get; } = new();

    public void CreateDirectory(string directory) => Directory.CreateDirectory(directory);

    public IReadOnlyList<string> ListFiles(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory).Select(p => System.IO.Path.GetFileName(p)).ToList()
            : [];

    public ILogFile Create(string path, long length)
    {
        // PreallocationSize asks the OS to reserve the blocks (fallocate), so a full disk shows up
        // here, at segment creation, rather than as a failed write later. SetLength then makes the
        // whole segment readable as zeros: a zero length field marks the end of written data.
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete,
            FileOptions.None, length);
        try
        {
            RandomAccess.SetLength(handle, length);
            return new PhysicalLogFile(path, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public ILogFile Open(string path) =>
        new PhysicalLogFile(path, File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete));

    public ILogFile OpenRead(string path) =>
        new PhysicalLogFile(path, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));

    public void Delete(string path) => File.Delete(path);

    public void FlushDirectory(string directory) => DirectorySync.Flush(directory);

    private sealed class PhysicalLogFile(string path, SafeFileHandle handle) : ILogFile
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

        public void Write(long offset, ReadOnlySpan<byte> data) => RandomAccess.Write(handle, data, offset);

        public void SetLength(long length) => RandomAccess.SetLength(handle, length);

        public void Flush() => RandomAccess.FlushToDisk(handle);

        public void Dispose() => handle.Dispose();
    }
}
