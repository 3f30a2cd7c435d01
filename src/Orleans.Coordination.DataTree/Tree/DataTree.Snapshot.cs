using System.Buffers.Binary;
using System.Text;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>Raised when snapshot content cannot be loaded; the message says where.</summary>
public sealed class SnapshotFormatException(string message) : Exception(message);

/// <summary>
/// A consistent image of the tree at one zxid, captured on the apply thread by copying references
/// (data arrays are never mutated in place, so sharing them is safe) and written out later on any
/// thread while the apply loop goes on.
/// </summary>
public sealed class TreeImage
{
    /// <summary>Format of the raw snapshot content: "OCSNAP" + version.</summary>
    public const int FormatVersion = 1;

    private static readonly byte[] Magic = "OCSNAP01"u8.ToArray();

    internal TreeImage(long lastZxid, ulong digest, NodeImage[] nodes, SessionEntry[] sessions)
    {
        LastZxid = lastZxid;
        Digest = digest;
        Nodes = nodes;
        Sessions = sessions;
    }

    public long LastZxid { get; }

    public ulong Digest { get; }

    public int NodeCount => Nodes.Length;

    internal NodeImage[] Nodes { get; }

    internal SessionEntry[] Sessions { get; }

    /// <summary>
    /// A node's record (never changed once built), its data when kept outside the record (never changed either), its
    /// ACL list, and a box's child-change fields.
    /// </summary>
    internal readonly record struct NodeImage(byte[] Record, byte[]? Data, IReadOnlyList<Acl> Acl, long Pzxid, int Cversion, bool IsBox);

    /// <summary>
    /// Writes the image: magic, header, then one length-prefixed record per node (by czxid; readers accept any
    /// order), the sessions, and the digest again as a trailer.
    /// </summary>
    public void WriteTo(Stream stream)
    {
        using var w = new JuteWriter(1 << 16);
        w.WriteRaw(Magic);
        w.WriteLong(LastZxid);
        w.WriteLong(Nodes.Length);
        w.WriteLong(unchecked((long)Digest));

        // In creation order: parents before their children, and neighbouring records alike (paths with a common
        // prefix, close zxids and times), which compresses to less than half of the path table's hash order.
        var order = new int[Nodes.Length];
        var czxids = new long[Nodes.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
            czxids[i] = NodeRecord.Czxid(Nodes[i].Record);
        }

        Array.Sort(czxids, order);
        foreach (var index in order)
        {
            var n = Nodes[index];
            var s = NodeRecord.Decode(n.Record);
            var f = w.BeginFrame();
            w.WriteBuffer(n.Record.AsSpan(s.PathStart, s.PathLength)); // a jute string is its UTF-8 bytes as a buffer
            if (s.DataIsNull)
            {
                w.WriteBuffer(null);
            }
            else
            {
                w.WriteBuffer(n.Data is { } external ? external : n.Record.AsSpan(s.DataStart));
            }

            Acl.WriteList(w, n.Acl);
            w.WriteLong(s.Czxid);
            w.WriteLong(s.Mzxid);
            w.WriteLong(n.IsBox ? n.Pzxid : s.Pzxid);
            w.WriteLong(s.Ctime);
            w.WriteLong(s.Mtime);
            w.WriteInt(s.Version);
            w.WriteInt(n.IsBox ? n.Cversion : s.Cversion);
            w.WriteInt(s.Aversion);
            w.WriteLong(s.EphemeralOwner);
            w.EndFrame(f);
            if (w.Length >= 1 << 16)
            {
                stream.Write(w.WrittenSpan);
                w.Clear();
            }
        }

        w.WriteInt(Sessions.Length);
        foreach (var s in Sessions)
        {
            w.WriteLong(s.SessionId);
            w.WriteInt(s.TimeOut);
            w.WriteBuffer(s.Passwd);
        }

        w.WriteLong(unchecked((long)Digest));
        stream.Write(w.WrittenSpan);
    }
}

public sealed partial class DataTree
{
    private DataTree(bool empty)
    {
        _ = empty;
    }

    /// <summary>
    /// Copies the tree's current state (apply thread). One pass over the nodes copying references and
    /// a box's two child-change fields: no record, data, path or ACL is copied. /zookeeper/config is captured empty, as a fresh tree has it
    /// (it is this silo's configuration, not replicated state: see <see cref="SetConfig"/>).
    /// </summary>
    public TreeImage CaptureImage()
    {
        var nodes = new TreeImage.NodeImage[_nodes.Count];
        var i = 0;
        var configPath = "/zookeeper/config"u8;
        foreach (var e in _nodes)
        {
            var record = NodeTable.RecordOf(e);
            nodes[i++] = NodeRecord.Path(record).SequenceEqual(configPath)
                ? ConfigNodeImage()
                : e is NodeBox b
                    ? new(record, b.Data, _acls[NodeRecord.AclIndex(record)], b.Pzxid, b.Cversion, true)
                    : new(record, null, _acls[NodeRecord.AclIndex(record)], 0, 0, false);
        }

        return new TreeImage(LastZxid, Digest, nodes, [.. _sessions.Values]);
    }

    /// <summary>
    /// Loads a tree written by <see cref="TreeImage.WriteTo"/>. The digest is recomputed and must match
    /// the one recorded, otherwise the content is reported as corrupt.
    /// </summary>
    public static DataTree Load(Stream stream, string source)
    {
        using var gc = LoadGcMode.Enter();
        if (stream is MemoryStream)
        {
            return LoadFrom(stream, source); // already in memory: no producing work to overlap with the parsing
        }

        using var input = new ReadAheadStream(stream);
        return LoadFrom(input, source);
    }

    private static DataTree LoadFrom(Stream stream, string source)
    {
        var tree = new DataTree(empty: true);
        var header = new byte[32];
        ReadExactly(stream, header, source, "header");
        if (!header.AsSpan(0, 8).SequenceEqual("OCSNAP01"u8))
        {
            throw new SnapshotFormatException($"{source}: not a tree snapshot (bad magic at offset 0)");
        }

        var lastZxid = BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(8));
        var count = BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(16));
        var digest = unchecked((ulong)BinaryPrimitives.ReadInt64BigEndian(header.AsSpan(24)));
        // The count is not trusted yet (the content's checksum is checked at its end): presize only up to a bound.
        // Records are collected first and put in the path table at the end: inserting as they arrive writes references
        // to young objects all over the table, and every gen0 collection of the load then scans all of it.
        var records = new List<byte[]>((int)Math.Clamp(count, 0, MaxPresizedNodes));
        long offset = 32;
        var buffer = new byte[4096];
        var lenBytes = new byte[4];
        var acls = new SnapshotAclReader();
        for (long i = 0; i < count; i++)
        {
            ReadExactly(stream, lenBytes, source, $"node {i} length at offset {offset}");
            var len = BinaryPrimitives.ReadInt32BigEndian(lenBytes);
            if (len < 0 || len > 512 * 1024 * 1024)
            {
                throw new SnapshotFormatException($"{source}: bad node record length {len} at offset {offset}");
            }

            if (buffer.Length < len)
            {
                buffer = new byte[Math.Max(len, buffer.Length * 2)];
            }

            ReadExactly(stream, buffer.AsSpan(0, len), source, $"node {i} at offset {offset}");
            try
            {
                records.Add(tree.LoadNode(buffer.AsSpan(0, len), acls));
            }
            catch (JuteException e)
            {
                throw new SnapshotFormatException($"{source}: node {i} at offset {offset} is malformed: {e.Message}");
            }

            offset += 4 + len;
        }

        var rest = ReadToEnd(stream);
        try
        {
            var reader = new JuteReader(rest, int.MaxValue);
            var sessions = reader.ReadInt();
            for (var i = 0; i < sessions; i++)
            {
                var entry = new SessionEntry(reader.ReadLong(), reader.ReadInt(), reader.ReadBuffer() ?? []);
                tree._sessions[entry.SessionId] = entry;
            }

            var trailer = unchecked((ulong)reader.ReadLong());
            if (trailer != digest)
            {
                throw new SnapshotFormatException($"{source}: trailer digest {trailer:x16} differs from header digest {digest:x16}");
            }
        }
        catch (JuteException e)
        {
            throw new SnapshotFormatException($"{source}: session table at offset {offset} is malformed: {e.Message}");
        }

        if (tree.Digest != digest)
        {
            throw new SnapshotFormatException($"{source}: tree digest {tree.Digest:x16} does not match the recorded {digest:x16}");
        }

        tree.AddLoaded(records, source);
        tree.LastZxid = lastZxid;
        return tree;
    }

    /// <summary>Largest node count a snapshot header may presize the path table to.</summary>
    private const long MaxPresizedNodes = 4_000_000;

    /// <summary>
    /// Puts the loaded records in the path table and links each to its parent (records come in any order). Every
    /// parent first becomes a box and counts its children, so each child set is sized once and no set receives an
    /// entry that is replaced afterwards; then the children go in. The passes run over the records in the order they
    /// were allocated (memory order) with each path's hash computed once.
    /// </summary>
    private void AddLoaded(List<byte[]> records, string source)
    {
        var n = records.Count;
        var hashes = new uint[n];
        var slots = new int[n];
        _nodes.EnsureCapacity(n);
        for (var i = 0; i < n; i++)
        {
            var path = NodeRecord.Path(records[i]);
            var hash = hashes[i] = NodeRecord.Hash(path);
            if (_nodes.Find(path, hash) >= 0)
            {
                throw new SnapshotFormatException($"{source}: node {Encoding.UTF8.GetString(path)} appears twice");
            }

            slots[i] = _nodes.Add(records[i], hash);
        }

        if (_nodes.Find("/"u8, NodeRecord.Hash("/"u8)) is var rootSlot && rootSlot < 0)
        {
            throw new SnapshotFormatException($"{source}: no root node");
        }

        var parentSlots = (int[])slots.Clone(); // the root keeps its own slot: "no parent"
        var counts = new Dictionary<NodeBox, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < n; i++)
        {
            var path = NodeRecord.Path(records[i]);
            if (path.Length == 1)
            {
                continue;
            }

            var parentPath = ParentOf(path);
            var slot = parentSlots[i] = _nodes.Find(parentPath, NodeRecord.Hash(parentPath));
            if (slot < 0)
            {
                throw new SnapshotFormatException($"{source}: node {Encoding.UTF8.GetString(path)} has no parent");
            }

            if (_nodes.SlotValue(slot) is not NodeBox parent)
            {
                parent = NewBox((byte[])_nodes.SlotValue(slot));
                _nodes.SetSlot(slot, parent);
            }

            counts[parent] = counts.GetValueOrDefault(parent) + 1;
        }

        foreach (var (branch, count) in counts)
        {
            branch.Children.EnsureCapacity(count);
        }

        for (var i = 0; i < n; i++)
        {
            if (parentSlots[i] != slots[i])
            {
                ((NodeBox)_nodes.SlotValue(parentSlots[i])).Children.Add(_nodes.SlotValue(slots[i]), hashes[i]);
            }
        }

        if (_nodes.SlotValue(rootSlot) is byte[] rootRecord)
        {
            _nodes.SetSlot(rootSlot, NewBox(rootRecord));
        }
    }

    private static NodeBox NewBox(byte[] record)
    {
        var f = NodeRecord.Decode(record);
        return new NodeBox(record, f.Pzxid, f.Cversion);
    }

    private byte[] LoadNode(ReadOnlySpan<byte> record, SnapshotAclReader acls)
    {
        var r = new JuteReader(record, int.MaxValue);
        var path = r.ReadBufferSpan(out var pathIsNull);
        if (pathIsNull || path.IsEmpty || path[0] != (byte)'/')
        {
            throw new JuteException("node without a path");
        }

        var data = r.ReadBufferSpan(out var dataIsNull);
        var acl = acls.Read(ref r, record, _acls);
        var f = new NodeFields
        {
            Czxid = r.ReadLong(),
            Mzxid = r.ReadLong(),
            Pzxid = r.ReadLong(),
            Ctime = r.ReadLong(),
            Mtime = r.ReadLong(),
            Version = r.ReadInt(),
            Cversion = r.ReadInt(),
            Aversion = r.ReadInt(),
            EphemeralOwner = r.ReadLong(),
            AclIndex = acl,
            DataIsNull = dataIsNull,
        };
        var node = NodeRecord.Build(f, path, data);
        Digest += DigestOf(node);
        if (f.EphemeralOwner != 0)
        {
            TrackOwner(f.EphemeralOwner, Encoding.UTF8.GetString(path));
        }

        return node;
    }

    /// <summary>
    /// Reads the ACL lists of a snapshot's nodes. Consecutive nodes nearly always carry the same list, so its bytes
    /// are compared with the previous node's and that interned list is reused without decoding: a million nodes
    /// would otherwise leave a million lists with their ACL, id and string objects behind as garbage.
    /// </summary>
    private sealed class SnapshotAclReader
    {
        private byte[]? _lastBytes;
        private int _last;

        /// <summary>The index of the list in <paramref name="acls"/>, counting this node as one more user.</summary>
        public int Read(ref JuteReader r, ReadOnlySpan<byte> record, AclTable acls)
        {
            var bytes = r.ReadRaw(EncodedLength(record[r.Position..]));
            if (_lastBytes is not null && bytes.SequenceEqual(_lastBytes))
            {
                acls.AddRef(_last);
                return _last;
            }

            var list = new JuteReader(bytes, int.MaxValue);
            _last = acls.Acquire(Acl.ReadList(ref list) ?? []);
            _lastBytes = bytes.ToArray();
            return _last;
        }

        /// <summary>Bytes of the encoded ACL list at the start of <paramref name="s"/>: count, then (perms, scheme, id) each.</summary>
        private static int EncodedLength(ReadOnlySpan<byte> s)
        {
            var count = Int(s, 0);
            long position = 4;
            for (var i = 0; i < count; i++)
            {
                position += 4; // perms
                position += 4 + Math.Max(0, Int(s, position)); // scheme
                position += 4 + Math.Max(0, Int(s, position)); // id
            }

            return position <= s.Length ? (int)position : throw new JuteException($"ACL list of {count} entries runs past the node record ({s.Length} bytes left)");
        }

        private static int Int(ReadOnlySpan<byte> s, long at) =>
            at + 4 <= s.Length
                ? BinaryPrimitives.ReadInt32BigEndian(s[(int)at..])
                : throw new JuteException($"ACL list runs past the node record ({s.Length} bytes left)");
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string source, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new SnapshotFormatException($"{source}: content ends inside {what}");
        }
    }

    private static byte[] ReadToEnd(Stream stream)
    {
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }
}
