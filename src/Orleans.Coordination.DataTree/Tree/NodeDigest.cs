using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>
/// A 64-bit hash of one node (path, persisted stat, data). The tree digest is the wrapping sum of every
/// node's hash, so it can be updated per change and does not depend on iteration order.
/// </summary>
public static class NodeDigest
{
    public static ulong Of(string path, DataNode node)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(path.Length);
        var pathBytes = maxBytes <= 512 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        var n = Encoding.UTF8.GetBytes(path, pathBytes);
        return Of(
            pathBytes[..n], node.Czxid, node.Mzxid, node.Pzxid, node.Ctime, node.Mtime, node.Version, node.Cversion, node.Aversion,
            node.EphemeralOwner, node.DataIsNull, node.DataMemory.Span);
    }

    internal static ulong Of(ReadOnlySpan<byte> path, in NodeFields f, ReadOnlySpan<byte> data) =>
        Of(path, f.Czxid, f.Mzxid, f.Pzxid, f.Ctime, f.Mtime, f.Version, f.Cversion, f.Aversion, f.EphemeralOwner, f.DataIsNull, data);

    private static ulong Of(
        ReadOnlySpan<byte> path, long czxid, long mzxid, long pzxid, long ctime, long mtime, int version, int cversion, int aversion,
        long ephemeralOwner, bool dataIsNull, ReadOnlySpan<byte> data)
    {
        Span<byte> stat = stackalloc byte[60];
        BinaryPrimitives.WriteInt64BigEndian(stat, czxid);
        BinaryPrimitives.WriteInt64BigEndian(stat[8..], mzxid);
        BinaryPrimitives.WriteInt64BigEndian(stat[16..], ctime);
        BinaryPrimitives.WriteInt64BigEndian(stat[24..], mtime);
        BinaryPrimitives.WriteInt32BigEndian(stat[32..], version);
        BinaryPrimitives.WriteInt32BigEndian(stat[36..], cversion);
        BinaryPrimitives.WriteInt32BigEndian(stat[40..], aversion);
        BinaryPrimitives.WriteInt64BigEndian(stat[44..], ephemeralOwner);
        BinaryPrimitives.WriteInt64BigEndian(stat[52..], pzxid);

        uint lo = 0x9E3779B9, hi = 0x85EBCA6B;
        Crc2(ref lo, ref hi, stat);
        Crc2(ref lo, ref hi, path);
        if (!dataIsNull)
        {
            hi ^= 0xFFFFFFFF;
            Crc2(ref lo, ref hi, data);
        }
        else
        {
            hi = BitOperations.Crc32C(hi, 0xFFFFFFFFu);
        }

        return ((ulong)hi << 32) | lo;
    }

    /// <summary>
    /// Advances two independent CRC-32C chains over the same bytes in one loop: each CRC instruction waits for the
    /// previous one of its chain, so interleaving the two chains runs them in about the time of one.
    /// </summary>
    private static void Crc2(ref uint lo, ref uint hi, ReadOnlySpan<byte> bytes)
    {
        uint a = lo, b = hi;
        var i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            var word = BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]);
            a = BitOperations.Crc32C(a, word);
            b = BitOperations.Crc32C(b, word);
        }

        for (; i < bytes.Length; i++)
        {
            a = BitOperations.Crc32C(a, bytes[i]);
            b = BitOperations.Crc32C(b, bytes[i]);
        }

        lo = a;
        hi = b;
    }
}
