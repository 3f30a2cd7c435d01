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
        Span<byte> stat = stackalloc byte[60];
        BinaryPrimitives.WriteInt64BigEndian(stat, node.Czxid);
        BinaryPrimitives.WriteInt64BigEndian(stat[8..], node.Mzxid);
        BinaryPrimitives.WriteInt64BigEndian(stat[16..], node.Ctime);
        BinaryPrimitives.WriteInt64BigEndian(stat[24..], node.Mtime);
        BinaryPrimitives.WriteInt32BigEndian(stat[32..], node.Version);
        BinaryPrimitives.WriteInt32BigEndian(stat[36..], node.Cversion);
        BinaryPrimitives.WriteInt32BigEndian(stat[40..], node.Aversion);
        BinaryPrimitives.WriteInt64BigEndian(stat[44..], node.EphemeralOwner);
        BinaryPrimitives.WriteInt64BigEndian(stat[52..], node.Pzxid);

        uint lo = 0x9E3779B9, hi = 0x85EBCA6B;
        lo = Crc(lo, stat);
        hi = Crc(hi, stat);
        var maxBytes = Encoding.UTF8.GetMaxByteCount(path.Length);
        byte[]? rented = null;
        var pathBytes = maxBytes <= 512 ? stackalloc byte[maxBytes] : (rented = new byte[maxBytes]);
        var n = Encoding.UTF8.GetBytes(path, pathBytes);
        lo = Crc(lo, pathBytes[..n]);
        hi = Crc(hi, pathBytes[..n]);
        if (node.Data is { } data)
        {
            lo = Crc(lo, data);
            hi = Crc(hi ^ 0xFFFFFFFF, data);
        }
        else
        {
            hi = BitOperations.Crc32C(hi, 0xFFFFFFFFu);
        }

        return ((ulong)hi << 32) | lo;
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]));
        }

        for (; i < bytes.Length; i++)
        {
            crc = BitOperations.Crc32C(crc, bytes[i]);
        }

        return crc;
    }
}
