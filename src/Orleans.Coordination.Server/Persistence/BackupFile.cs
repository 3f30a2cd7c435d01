using System.Buffers.Binary;
using Orleans.Coordination.DataTree.Tree;
using Orleans.Coordination.Storage;
using Orleans.Coordination.Storage.Snapshots;
using Tree = Orleans.Coordination.DataTree.Tree.DataTree;

namespace Orleans.Coordination.Server.Persistence;

/// <summary>A backup that cannot be used; the message says what is wrong and where.</summary>
public sealed class BackupInvalidException(string message) : Exception(message);

/// <summary>What a backup file says about itself.</summary>
public sealed record BackupHeader(int FormatVersion, long LastZxid, long Epoch, ulong Digest, long NodeCount, DateTimeOffset CreatedUtc, long ImageLength, int LogRecordCount);

/// <summary>
/// The cold-backup format: a self-describing file holding a tree image and the log tail needed to reach
/// its zxid, protected by a CRC-32C over everything before the trailer.
/// <code>
/// "OCBACKUP" | int format | long lastZxid | long epoch | long digest | long nodeCount | long createdMs
/// | long imageLength | image (TreeImage) | int logRecords | { long zxid, int len, bytes }* | uint crc32c
/// </code>
/// Images are captured consistently on the apply thread, so the log tail is empty in backups written
/// by this version; readers still apply any records present.
/// </summary>
public static class BackupFile
{
    public const int FormatVersion = 1;

    private const int HeaderLength = 8 + 4 + (8 * 6);

    private static ReadOnlySpan<byte> Magic => "OCBACKUP"u8;

    /// <summary>Writes a backup of <paramref name="image"/> taken while the silo ran epoch <paramref name="epoch"/>.</summary>
    public static void Write(Stream destination, TreeImage image, long epoch)
    {
        using var imageBytes = new MemoryStream();
        image.WriteTo(imageBytes);
        var header = new byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(12), image.LastZxid);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(20), epoch);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(28), unchecked((long)image.Digest));
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(36), image.NodeCount);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(44), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(52), imageBytes.Length);
        var crc = Crc32C.Append(Crc32C.Start, header);
        destination.Write(header);
        var body = imageBytes.GetBuffer().AsSpan(0, (int)imageBytes.Length);
        crc = Crc32C.Append(crc, body);
        destination.Write(body);
        Span<byte> tail = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(tail, 0);
        crc = Crc32C.Append(crc, tail[..4]);
        BinaryPrimitives.WriteUInt32BigEndian(tail[4..], Crc32C.Finish(crc));
        destination.Write(tail);
        destination.Flush();
    }

    /// <summary>
    /// Reads and fully verifies a backup: checksum, format, image digest. Returns the header and the
    /// loaded tree; throws <see cref="BackupInvalidException"/> naming the problem.
    /// </summary>
    public static (BackupHeader Header, Tree Tree, byte[] Image) ReadAndVerify(byte[] bytes, string source)
    {
        if (bytes.Length < HeaderLength + 8)
        {
            throw new BackupInvalidException($"{source}: {bytes.Length} bytes is too short to be a backup (truncated?)");
        }

        if (!bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new BackupInvalidException($"{source}: not an Orleans.Coordination backup (bad magic at offset 0)");
        }

        var stored = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(bytes.Length - 4));
        var actual = Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4));
        if (stored != actual)
        {
            throw new BackupInvalidException($"{source}: checksum mismatch (stored {stored:x8}, computed {actual:x8}): the file is damaged or truncated");
        }

        var format = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8));
        if (format != FormatVersion)
        {
            throw new BackupInvalidException($"{source}: format version {format} is not supported (this tool reads {FormatVersion})");
        }

        var header = new BackupHeader(
            format,
            BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(12)),
            BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(20)),
            unchecked((ulong)BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(28))),
            BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(36)),
            DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(44))),
            BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(52)),
            0);
        if (header.ImageLength < 0 || HeaderLength + header.ImageLength + 8 > bytes.Length)
        {
            throw new BackupInvalidException($"{source}: image length {header.ImageLength} at offset 52 runs past the end of the file");
        }

        var image = bytes.AsSpan(HeaderLength, (int)header.ImageLength).ToArray();
        Tree tree;
        try
        {
            tree = Tree.Load(new MemoryStream(image, writable: false), $"{source} image at offset {HeaderLength}");
        }
        catch (SnapshotFormatException e)
        {
            throw new BackupInvalidException(e.Message);
        }

        var pos = HeaderLength + (int)header.ImageLength;
        var records = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(pos));
        pos += 4;
        for (var i = 0; i < records; i++)
        {
            if (pos + 12 > bytes.Length - 4)
            {
                throw new BackupInvalidException($"{source}: log record {i} at offset {pos} runs past the end of the file");
            }

            var len = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(pos + 8));
            if (len < 0 || pos + 12 + len > bytes.Length - 4)
            {
                throw new BackupInvalidException($"{source}: log record {i} at offset {pos} has a bad length {len}");
            }

            tree.Apply(Protocol.Txn.Transaction.Deserialize(bytes.AsSpan(pos + 12, len)));
            pos += 12 + len;
        }

        if (tree.Digest != header.Digest && records == 0)
        {
            throw new BackupInvalidException($"{source}: tree digest {tree.Digest:x16} does not match the header's {header.Digest:x16}");
        }

        return (header with { LogRecordCount = records }, tree, image);
    }

    /// <summary>
    /// Prepares <paramref name="dataDir"/> (which must hold no silo data) so that a silo started on it
    /// serves exactly the backed-up tree: a snapshot in the embedded store and the epoch file.
    /// Nothing is written unless the backup verifies.
    /// </summary>
    public static async Task<SnapshotMetadata> RestoreAsync(byte[] backup, string source, string dataDir, CancellationToken cancellationToken = default)
    {
        var (header, tree, _) = ReadAndVerify(backup, source);
        var full = Path.GetFullPath(dataDir);
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
        {
            throw new BackupInvalidException($"{full} is not empty: restore into a new or empty directory so that no existing data is overwritten");
        }

        Directory.CreateDirectory(full);
        try
        {
            var image = tree.CaptureImage();
            await using var store = SnapshotStoreFactory.Create(new SnapshotStoreOptions { DataDirectory = full });
            await store.InitializeAsync(cancellationToken);
            using var content = new MemoryStream();
            image.WriteTo(content);
            content.Position = 0;
            var meta = await store.SaveAsync(
                new SnapshotMetadata
                {
                    LastZxid = image.LastZxid,
                    CreatedUtc = header.CreatedUtc,
                    NodeCount = image.NodeCount,
                    Digest = image.Digest,
                    FormatVersion = TreeImage.FormatVersion,
                },
                content,
                cancellationToken);
            new DurableValueFile(StorageNaming.EpochFilePath(full)).Write([Math.Max(header.Epoch, image.LastZxid >> 32)]);
            return meta;
        }
        catch
        {
            // Leave the directory as it was: empty.
            foreach (var entry in Directory.EnumerateFileSystemEntries(full))
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }

            throw;
        }
    }
}
