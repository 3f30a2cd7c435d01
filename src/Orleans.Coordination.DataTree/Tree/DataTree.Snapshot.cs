using System.Buffers.Binary;
using Orleans.Coordination.Protocol;
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

    internal readonly record struct NodeImage(
        string Path, byte[]? Data, IReadOnlyList<Acl> Acl, long Czxid, long Mzxid, long Pzxid, long Ctime, long Mtime,
        int Version, int Cversion, int Aversion, long EphemeralOwner);

    /// <summary>
    /// Writes the image: magic, header, then one length-prefixed record per node (in no particular
    /// order), the sessions, and the digest again as a trailer.
    /// </summary>
    public void WriteTo(Stream stream)
    {
        using var w = new JuteWriter(1 << 16);
        w.WriteRaw(Magic);
        w.WriteLong(LastZxid);
        w.WriteLong(Nodes.Length);
        w.WriteLong(unchecked((long)Digest));
        foreach (var n in Nodes)
        {
            var f = w.BeginFrame();
            w.WriteString(n.Path);
            w.WriteBuffer(n.Data);
            Acl.WriteList(w, n.Acl);
            w.WriteLong(n.Czxid);
            w.WriteLong(n.Mzxid);
            w.WriteLong(n.Pzxid);
            w.WriteLong(n.Ctime);
            w.WriteLong(n.Mtime);
            w.WriteInt(n.Version);
            w.WriteInt(n.Cversion);
            w.WriteInt(n.Aversion);
            w.WriteLong(n.EphemeralOwner);
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
    /// stat values: no data, path or ACL is copied. /zookeeper/config is captured empty, as a fresh tree has it
    /// (it is this silo's configuration, not replicated state: see <see cref="SetConfig"/>).
    /// </summary>
    public TreeImage CaptureImage()
    {
        var nodes = new TreeImage.NodeImage[_nodes.Count];
        var i = 0;
        foreach (var (path, n) in _nodes)
        {
            nodes[i++] = path == ConfigPath
                ? ConfigNodeImage()
                : new(path, n.Data, n.Acl, n.Czxid, n.Mzxid, n.Pzxid, n.Ctime, n.Mtime, n.Version, n.Cversion, n.Aversion, n.EphemeralOwner);
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
        tree._nodes.EnsureCapacity((int)Math.Clamp(count, 0, MaxPresizedNodes));
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
                tree.LoadNode(buffer.AsSpan(0, len), acls);
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

        if (!tree._nodes.ContainsKey("/"))
        {
            throw new SnapshotFormatException($"{source}: no root node");
        }

        // Nodes may come in any order: link every node to its parent once all are present (looked up by a span of the
        // path; the child set holds the path string itself).
        var byPath = tree._nodes.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var path in tree._nodes.Keys)
        {
            if (path == "/")
            {
                continue;
            }

            var slash = path.LastIndexOf('/');
            var parentPath = slash <= 0 ? "/".AsSpan() : path.AsSpan(0, slash);
            if (!byPath.TryGetValue(parentPath, out var parent))
            {
                throw new SnapshotFormatException($"{source}: node {path} has no parent");
            }

            parent.AddChild(path);
        }

        tree.LastZxid = lastZxid;
        return tree;
    }

    /// <summary>Largest node count a snapshot header may presize the path table to.</summary>
    private const long MaxPresizedNodes = 4_000_000;

    private void LoadNode(ReadOnlySpan<byte> record, SnapshotAclReader acls)
    {
        var r = new JuteReader(record, int.MaxValue);
        var path = r.ReadStringOrEmpty();
        var data = r.ReadBuffer();
        var acl = acls.Read(ref r, record);
        var node = new DataNode(data, acl, r.ReadLong(), 0, 0)
        {
            Mzxid = r.ReadLong(),
            Pzxid = r.ReadLong(),
            Ctime = r.ReadLong(),
            Mtime = r.ReadLong(),
            Version = r.ReadInt(),
            Cversion = r.ReadInt(),
            Aversion = r.ReadInt(),
            EphemeralOwner = r.ReadLong(),
        };
        if (!_nodes.TryAdd(path, node))
        {
            throw new JuteException($"node {path} appears twice");
        }

        Digest += DigestOf(path, node);
        if (EphemeralOwners.IsSession(node.EphemeralOwner))
        {
            if (!_ephemerals.TryGetValue(node.EphemeralOwner, out var set))
            {
                set = new HashSet<string>(StringComparer.Ordinal);
                _ephemerals[node.EphemeralOwner] = set;
            }

            set.Add(path);
        }
        else if (EphemeralOwners.IsContainer(node.EphemeralOwner))
        {
            _containers.Add(path);
        }
        else if (EphemeralOwners.IsTtl(node.EphemeralOwner))
        {
            _ttls.Add(path);
        }
    }

    /// <summary>
    /// Reads the ACL lists of a snapshot's nodes. Consecutive nodes nearly always carry the same list, so its bytes
    /// are compared with the previous node's and that interned list is reused without decoding: a million nodes
    /// would otherwise leave a million lists with their ACL, id and string objects behind as garbage.
    /// </summary>
    private sealed class SnapshotAclReader
    {
        private byte[] _lastBytes = [];
        private IReadOnlyList<Acl> _last = Acl.OpenAclUnsafe;

        public IReadOnlyList<Acl> Read(ref JuteReader r, ReadOnlySpan<byte> record)
        {
            var bytes = r.ReadRaw(EncodedLength(record[r.Position..]));
            if (!bytes.SequenceEqual(_lastBytes))
            {
                var list = new JuteReader(bytes, int.MaxValue);
                _last = AclCache.Intern(Acl.ReadList(ref list) ?? []);
                _lastBytes = bytes.ToArray();
            }

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
