using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>The persisted stat of one znode, decoded from its record.</summary>
internal struct NodeFields
{
    public long Czxid;
    public long Mzxid;
    public long Pzxid;
    public long Ctime;
    public long Mtime;
    public int Version;
    public int Cversion;
    public int Aversion;
    public long EphemeralOwner;
    public int AclIndex;
    public bool DataIsNull;
    public int PathStart;
    public int PathLength;
    public int DataStart;
}

/// <summary>
/// One znode stored as a single byte array: flags, the path's length and the ACL's index (varints), czxid and ctime,
/// then only the stat fields that differ from a freshly created node's, the path (UTF-8) and the data.
/// </summary>
/// <remarks>
/// A million znodes of 100 bytes kept as objects (node, data array, path string, two hash-table entries) cost about
/// 360 bytes each; as one record they cost the 24-byte array header, ~20 bytes of stat and the path and data
/// themselves. Records are never changed in place once built: a change builds a new one, so a record a pending
/// reply or a snapshot image holds stays valid.
/// </remarks>
internal static class NodeRecord
{
    private const byte DataNull = 0x01;
    private const byte HasMzxid = 0x02;
    private const byte HasMtime = 0x04;
    private const byte HasPzxid = 0x08;
    private const byte HasVersions = 0x10;
    private const byte HasOwner = 0x20;

    public static byte[] Build(in NodeFields f, ReadOnlySpan<byte> path, ReadOnlySpan<byte> data)
    {
        byte flags = 0;
        var size = 1 + VarintSize(path.Length) + VarintSize(f.AclIndex) + 16;
        if (f.DataIsNull)
        {
            flags |= DataNull;
        }

        if (f.Mzxid != f.Czxid)
        {
            flags |= HasMzxid;
            size += 8;
        }

        if (f.Mtime != f.Ctime)
        {
            flags |= HasMtime;
            size += 8;
        }

        if (f.Pzxid != f.Czxid)
        {
            flags |= HasPzxid;
            size += 8;
        }

        if ((f.Version | f.Cversion | f.Aversion) != 0)
        {
            flags |= HasVersions;
            size += 12;
        }

        if (f.EphemeralOwner != 0)
        {
            flags |= HasOwner;
            size += 8;
        }

        var dataLength = f.DataIsNull ? 0 : data.Length;
        var record = GC.AllocateUninitializedArray<byte>(size + path.Length + dataLength);
        var s = record.AsSpan();
        s[0] = flags;
        var at = 1;
        at += WriteVarint(s[at..], path.Length);
        at += WriteVarint(s[at..], f.AclIndex);
        Put(s, ref at, f.Czxid);
        Put(s, ref at, f.Ctime);
        if ((flags & HasMzxid) != 0)
        {
            Put(s, ref at, f.Mzxid);
        }

        if ((flags & HasMtime) != 0)
        {
            Put(s, ref at, f.Mtime);
        }

        if ((flags & HasPzxid) != 0)
        {
            Put(s, ref at, f.Pzxid);
        }

        if ((flags & HasVersions) != 0)
        {
            BinaryPrimitives.WriteInt32LittleEndian(s[at..], f.Version);
            BinaryPrimitives.WriteInt32LittleEndian(s[(at + 4)..], f.Cversion);
            BinaryPrimitives.WriteInt32LittleEndian(s[(at + 8)..], f.Aversion);
            at += 12;
        }

        if ((flags & HasOwner) != 0)
        {
            Put(s, ref at, f.EphemeralOwner);
        }

        path.CopyTo(s[at..]);
        if (dataLength > 0)
        {
            data.CopyTo(s[(at + path.Length)..]);
        }

        return record;
    }

    public static NodeFields Decode(byte[] record)
    {
        var s = new ReadOnlySpan<byte>(record);
        var flags = s[0];
        var at = 1;
        var f = default(NodeFields);
        f.PathLength = ReadVarint(s, ref at);
        f.AclIndex = ReadVarint(s, ref at);
        f.Czxid = Get(s, ref at);
        f.Ctime = Get(s, ref at);
        f.Mzxid = (flags & HasMzxid) != 0 ? Get(s, ref at) : f.Czxid;
        f.Mtime = (flags & HasMtime) != 0 ? Get(s, ref at) : f.Ctime;
        f.Pzxid = (flags & HasPzxid) != 0 ? Get(s, ref at) : f.Czxid;
        if ((flags & HasVersions) != 0)
        {
            f.Version = BinaryPrimitives.ReadInt32LittleEndian(s[at..]);
            f.Cversion = BinaryPrimitives.ReadInt32LittleEndian(s[(at + 4)..]);
            f.Aversion = BinaryPrimitives.ReadInt32LittleEndian(s[(at + 8)..]);
            at += 12;
        }

        f.EphemeralOwner = (flags & HasOwner) != 0 ? Get(s, ref at) : 0;
        f.DataIsNull = (flags & DataNull) != 0;
        f.PathStart = at;
        f.DataStart = at + f.PathLength;
        return f;
    }

    /// <summary>The path's UTF-8 bytes, without decoding the rest.</summary>
    public static ReadOnlySpan<byte> Path(byte[] record)
    {
        var s = new ReadOnlySpan<byte>(record);
        var flags = s[0];
        var at = 1;
        var length = ReadVarint(s, ref at);
        ReadVarint(s, ref at);
        at += 16;
        at += 8 * (((flags & HasMzxid) != 0 ? 1 : 0) + ((flags & HasMtime) != 0 ? 1 : 0) + ((flags & HasPzxid) != 0 ? 1 : 0) + ((flags & HasOwner) != 0 ? 1 : 0));
        at += (flags & HasVersions) != 0 ? 12 : 0;
        return s.Slice(at, length);
    }

    /// <summary>The zxid that created the node, without decoding the rest.</summary>
    public static long Czxid(byte[] record)
    {
        var at = 1;
        ReadVarint(record, ref at);
        ReadVarint(record, ref at);
        return BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(at));
    }

    /// <summary>The ACL's index in the tree's table.</summary>
    public static int AclIndex(byte[] record)
    {
        var at = 1;
        ReadVarint(record, ref at);
        return ReadVarint(record, ref at);
    }

    /// <summary>The hash the path tables use: randomised per process, so clients cannot choose colliding paths.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Hash(ReadOnlySpan<byte> path)
    {
        var h = default(HashCode);
        h.AddBytes(path);
        return (uint)h.ToHashCode();
    }

    private static void Put(Span<byte> s, ref int at, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(s[at..], value);
        at += 8;
    }

    private static long Get(ReadOnlySpan<byte> s, ref int at)
    {
        var v = BinaryPrimitives.ReadInt64LittleEndian(s[at..]);
        at += 8;
        return v;
    }

    private static int VarintSize(int value)
    {
        var v = (uint)value;
        var n = 1;
        while (v >= 0x80)
        {
            v >>= 7;
            n++;
        }

        return n;
    }

    private static int WriteVarint(Span<byte> s, int value)
    {
        var v = (uint)value;
        var n = 0;
        while (v >= 0x80)
        {
            s[n++] = (byte)(v | 0x80);
            v >>= 7;
        }

        s[n++] = (byte)v;
        return n;
    }

    private static int ReadVarint(ReadOnlySpan<byte> s, ref int at)
    {
        uint v = 0;
        var shift = 0;
        byte b;
        do
        {
            b = s[at++];
            v |= (uint)(b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);

        return (int)v;
    }
}
