using System.Text;
using System.Text.Json;
using Orleans.Coordination.DataTree.Tree;
using Orleans.Coordination.Storage;
using Orleans.Coordination.Storage.Snapshots;
using Tree = Orleans.Coordination.DataTree.Tree.DataTree;

namespace Orleans.Coordination.Cli.Operations;

/// <summary>
/// snapshot dump: a stored snapshot's metadata, then every node with its stat (depth first, children sorted) and
/// the sessions, like zkSnapShotToolkit. Reads DIR/snapshots.db (or a PostgreSQL store) without initialising or
/// changing it; safe while the silo runs (SQLite WAL readers do not block the writer).
/// </summary>
internal static class SnapshotDumpCommand
{
    internal sealed record Settings(string DataDir, bool Json, long? Id, bool WithData, string? ConnectionString, string Schema);

    public static async Task<int> RunAsync(Settings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var options = new SnapshotStoreOptions { Schema = settings.Schema };
        if (settings.ConnectionString is { Length: > 0 } connectionString)
        {
            options.Provider = SnapshotStoreOptions.PostgreSqlProvider;
            options.ConnectionString = connectionString;
        }
        else
        {
            var dir = Path.GetFullPath(settings.DataDir);
            if (!Directory.Exists(dir))
            {
                throw new Shell.CliException($"{settings.DataDir}: no such directory");
            }

            if (!File.Exists(StorageNaming.SnapshotDatabasePath(dir)))
            {
                throw new Shell.CliException($"{settings.DataDir} holds no snapshot store ({StorageNaming.SnapshotDatabaseFileName} not found); --data-dir is the silo's dataDir");
            }

            options.DataDirectory = dir;
        }

        await using var store = SnapshotStoreFactory.Create(options);
        var all = await store.ListAsync(cancellationToken);
        if (all.Count == 0)
        {
            throw new Shell.CliException($"no snapshot stored in {store.Name}");
        }

        var meta = settings.Id is { } id
            ? all.FirstOrDefault(m => m.Id == id) ?? throw new Shell.CliException($"no snapshot {id} in {store.Name} (it has {string.Join(", ", all.Select(m => m.Id))})")
            : all[0];
        var source = $"{store.Name} snapshot {meta.Id}";
        Tree tree;
        await using (var content = await store.OpenAsync(meta.Id, cancellationToken))
        {
            tree = Tree.Load(content, source);
        }

        var verified = tree.Digest == meta.Digest;
        if (settings.Json)
        {
            WriteJson(store.Name, all, meta, tree, verified, settings.WithData, output);
        }
        else
        {
            WriteText(store.Name, all, meta, tree, verified, settings.WithData, output);
        }

        if (!verified)
        {
            await output.FlushAsync(cancellationToken);
            await error.WriteLineAsync($"error: {source}: the tree's digest {tree.Digest:x16} differs from the catalogue's {meta.Digest:x16}");
            return 1;
        }

        return 0;
    }

    // Depth first from "/", children in ordinal order.
    private static IEnumerable<(string Path, DataNode Node)> Walk(Tree tree)
    {
        var stack = new Stack<string>();
        stack.Push("/");
        while (stack.Count > 0)
        {
            var path = stack.Pop();
            if (tree.Get(path) is not { } node)
            {
                continue;
            }

            yield return (path, node);
            foreach (var child in node.Children.Order(StringComparer.Ordinal).Reverse())
            {
                stack.Push(Shell.ZkPaths.Child(path, child));
            }
        }
    }

    private static string Hex14(long value) => $"0x{value:x14}";

    private static void WriteText(string storeName, IReadOnlyList<SnapshotMetadata> all, SnapshotMetadata meta, Tree tree, bool verified, bool withData, TextWriter o)
    {
        o.WriteLine($"Snapshot {meta.Id} in {storeName}");
        o.WriteLine($"  lastZxid = 0x{meta.LastZxid:x}");
        o.WriteLine($"  created = {meta.CreatedUtc.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}");
        o.WriteLine($"  nodeCount = {meta.NodeCount}");
        o.WriteLine($"  digest = {meta.Digest:x16} ({(verified ? "verified" : $"MISMATCH: the tree's is {tree.Digest:x16}")})");
        o.WriteLine($"  formatVersion = {meta.FormatVersion}");
        o.WriteLine($"  rawSize = {meta.RawSize}");
        o.WriteLine($"  compressedSize = {meta.CompressedSize}");
        o.WriteLine($"  chunkCount = {meta.ChunkCount}");
        o.WriteLine($"  snapshots in store = {all.Count} (newest first: {string.Join(", ", all.Select(m => $"{m.Id}@0x{m.LastZxid:x}"))})");
        o.WriteLine($"ZNode Details (count={tree.NodeCount}):");
        o.WriteLine("----");
        foreach (var (path, node) in Walk(tree))
        {
            var stat = node.ToStat();
            o.WriteLine(path);
            o.WriteLine($"  cZxid = {Hex14(stat.Czxid)}");
            o.WriteLine($"  ctime = {Shell.ZkFormat.JavaDate(stat.Ctime)}");
            o.WriteLine($"  mZxid = {Hex14(stat.Mzxid)}");
            o.WriteLine($"  mtime = {Shell.ZkFormat.JavaDate(stat.Mtime)}");
            o.WriteLine($"  pZxid = {Hex14(stat.Pzxid)}");
            o.WriteLine($"  cversion = {stat.Cversion}");
            o.WriteLine($"  dataVersion = {stat.Version}");
            o.WriteLine($"  aclVersion = {stat.Aversion}");
            o.WriteLine($"  ephemeralOwner = {Hex14(node.EphemeralOwner)}");
            o.WriteLine(withData ? $"  data = {(node.Data is null ? "" : Convert.ToBase64String(node.Data))}" : $"  dataLength = {stat.DataLength}");
            o.WriteLine($"  numChildren = {stat.NumChildren}");
            o.WriteLine($"  acl = [{string.Join(", ", node.Acl.Select(a => $"{(int)a.Perms},s{{'{a.Id.Scheme},'{a.Id.Ident}}}"))}]");
            o.WriteLine("----");
        }

        o.WriteLine("Session Details (sid, timeout, ephemeralCount):");
        foreach (var session in tree.Sessions.Values.OrderBy(s => s.SessionId))
        {
            o.WriteLine($"{Hex14(session.SessionId)}, {session.TimeOut}, {tree.EphemeralsOf(session.SessionId).Count}");
        }

        o.WriteLine("----");
        o.WriteLine($"Last zxid: 0x{tree.LastZxid:x}");
    }

    private static void WriteJson(string storeName, IReadOnlyList<SnapshotMetadata> all, SnapshotMetadata meta, Tree tree, bool verified, bool withData, TextWriter o)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("store", storeName);
            w.WritePropertyName("snapshot");
            WriteMetadata(w, meta);
            w.WriteBoolean("digestVerified", verified);
            w.WriteString("treeDigest", $"{tree.Digest:x16}");
            w.WriteString("lastZxid", $"0x{tree.LastZxid:x}");
            w.WriteNumber("nodeCount", tree.NodeCount);
            w.WriteStartArray("snapshots");
            foreach (var m in all)
            {
                WriteMetadata(w, m);
            }

            w.WriteEndArray();
            w.WriteStartArray("nodes");
            foreach (var (path, node) in Walk(tree))
            {
                var stat = node.ToStat();
                w.WriteStartObject();
                w.WriteString("path", path);
                w.WriteString("czxid", $"0x{stat.Czxid:x}");
                w.WriteString("ctime", TxnFormat.IsoTime(stat.Ctime));
                w.WriteString("mzxid", $"0x{stat.Mzxid:x}");
                w.WriteString("mtime", TxnFormat.IsoTime(stat.Mtime));
                w.WriteString("pzxid", $"0x{stat.Pzxid:x}");
                w.WriteNumber("cversion", stat.Cversion);
                w.WriteNumber("dataVersion", stat.Version);
                w.WriteNumber("aclVersion", stat.Aversion);
                w.WriteString("ephemeralOwner", $"0x{node.EphemeralOwner:x}");
                w.WriteNumber("dataLength", stat.DataLength);
                w.WriteNumber("numChildren", stat.NumChildren);
                if (withData)
                {
                    TxnFormat.WriteData(w, node.Data);
                }

                TxnFormat.WriteAcl(w, node.Acl);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("sessions");
            foreach (var session in tree.Sessions.Values.OrderBy(s => s.SessionId))
            {
                w.WriteStartObject();
                w.WriteString("sessionId", $"0x{session.SessionId:x}");
                w.WriteNumber("timeout", session.TimeOut);
                w.WriteNumber("ephemeralCount", tree.EphemeralsOf(session.SessionId).Count);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        o.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private static void WriteMetadata(Utf8JsonWriter w, SnapshotMetadata m)
    {
        w.WriteStartObject();
        w.WriteNumber("id", m.Id);
        w.WriteString("lastZxid", $"0x{m.LastZxid:x}");
        w.WriteString("created", m.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteNumber("nodeCount", m.NodeCount);
        w.WriteString("digest", $"{m.Digest:x16}");
        w.WriteNumber("formatVersion", m.FormatVersion);
        w.WriteNumber("rawSize", m.RawSize);
        w.WriteNumber("compressedSize", m.CompressedSize);
        w.WriteNumber("chunkCount", m.ChunkCount);
        w.WriteEndObject();
    }
}
