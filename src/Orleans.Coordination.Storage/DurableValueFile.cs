using System.Buffers.Binary;

namespace Orleans.Coordination.Storage;

/// <summary>
/// A small file holding a few longs (e.g. currentEpoch and acceptedEpoch) that is replaced
/// atomically: write a temporary file, fsync it, rename it over the old one, fsync the directory.
/// A reader sees the old values or the new ones, never a mix, even across a power loss.
/// </summary>
/// <remarks>
/// Layout (little-endian): magic "OCDV" (uint32), format version (uint32, 1), count (int32),
/// count × int64 values, CRC-32C (uint32) of everything before it.
/// </remarks>
public sealed class DurableValueFile
{
    private const uint Magic = 0x5644434F; // "OCDV"
    private const uint Version = 1;
    private const int HeaderSize = 12;
    private const int MaxValues = 1024;

    /// <summary>Manages the file at <paramref name="path"/> (created on the first <see cref="Write"/>).</summary>
    public DurableValueFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>
    /// The stored values, or null if the file does not exist (first start).
    /// A leftover temporary file from an interrupted write is ignored: the old values stand.
    /// </summary>
    /// <exception cref="StorageCorruptedException">the file fails its checksum or structure check.</exception>
    public long[]? TryRead()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(Path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        if (bytes.Length < HeaderSize + 4)
        {
            throw Corrupt($"it is {bytes.Length} bytes long, too short for its header");
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4));
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        if (magic != Magic)
        {
            throw Corrupt($"bad magic 0x{magic:x8}");
        }

        if (version != Version)
        {
            throw Corrupt($"unknown format version {version}");
        }

        if (count is < 0 or > MaxValues || bytes.Length != HeaderSize + (count * 8) + 4)
        {
            throw Corrupt($"count {count} does not match the file length {bytes.Length}");
        }

        var crcOffset = bytes.Length - 4;
        if (Crc32C.Compute(bytes.AsSpan(0, crcOffset)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(crcOffset)))
        {
            throw Corrupt("CRC mismatch");
        }

        var values = new long[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(HeaderSize + (i * 8)));
        }

        return values;
    }

    /// <summary>Replaces the stored values atomically and durably.</summary>
    public void Write(ReadOnlySpan<long> values)
    {
        if (values.Length > MaxValues)
        {
            throw new ArgumentOutOfRangeException(nameof(values), values.Length, $"At most {MaxValues} values.");
        }

        var bytes = new byte[HeaderSize + (values.Length * 8) + 4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), Version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(HeaderSize + (i * 8)), values[i]);
        }

        var crcOffset = bytes.Length - 4;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(crcOffset), Crc32C.Compute(bytes.AsSpan(0, crcOffset)));

        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        var temp = StorageNaming.TempPathFor(Path);
        using (var handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            RandomAccess.Write(handle, bytes, 0);
            RandomAccess.FlushToDisk(handle);
        }

        File.Move(temp, Path, overwrite: true);
        DirectorySync.Flush(directory);
    }

    private StorageCorruptedException Corrupt(string reason) =>
        new($"Durable value file '{Path}' is corrupted: {reason}. It is not loaded; restore it or remove it only if the node's state is being rebuilt.", Path);
}
