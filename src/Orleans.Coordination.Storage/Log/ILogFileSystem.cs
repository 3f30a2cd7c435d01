namespace Orleans.Coordination.Storage.Log;

/// <summary>
/// The few file-system operations the transaction log needs. The seam exists so that tests and
/// the simulator can lose un-fsynced bytes, fail an fsync or fill the disk
/// (<see cref="InMemoryLogFileSystem"/>, or a fault-injecting wrapper).
/// </summary>
public interface ILogFileSystem
{
    /// <summary>Creates the directory (and parents) if it does not exist.</summary>
    void CreateDirectory(string directory);

    /// <summary>Names (without directory) of the files directly inside <paramref name="directory"/>.</summary>
    IReadOnlyList<string> ListFiles(string directory);

    /// <summary>
    /// Creates a new file of <paramref name="length"/> zero bytes, reserving the space on disk
    /// where the platform allows it. Fails if the file exists.
    /// </summary>
    ILogFile Create(string path, long length);

    /// <summary>Opens an existing file for reading and writing.</summary>
    ILogFile Open(string path);

    /// <summary>Opens an existing file for reading while another handle may be writing it.</summary>
    ILogFile OpenRead(string path);

    /// <summary>Deletes a file; no error when it does not exist.</summary>
    void Delete(string path);

    /// <summary>Makes creations and deletions of entries in <paramref name="directory"/> durable (fsync of the directory).</summary>
    void FlushDirectory(string directory);
}

/// <summary>One open file: positional reads and writes, explicit durability.</summary>
public interface ILogFile : IDisposable
{
    /// <summary>Full path, for messages.</summary>
    string Path { get; }

    /// <summary>Current length in bytes.</summary>
    long Length { get; }

    /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; returns fewer only at the end of the file.</summary>
    int Read(long offset, Span<byte> buffer);

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/> (not yet durable).</summary>
    void Write(long offset, ReadOnlySpan<byte> data);

    /// <summary>Changes the length; bytes past the old length read as zero.</summary>
    void SetLength(long length);

    /// <summary>Makes every write so far durable (fsync). Throws when the device reports an error.</summary>
    void Flush();
}
