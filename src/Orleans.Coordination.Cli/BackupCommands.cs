using System.Net.Sockets;
using System.Text;
using Npgsql;
using Orleans.Coordination.Server.Persistence;

namespace Orleans.Coordination.Cli;

/// <summary>backup and restore: take a consistent backup of a running silo; prepare a data directory from one.</summary>
internal static class BackupCommands
{
    private const string BackupTableSql = """
        CREATE TABLE IF NOT EXISTS coordination_backups (
            id           bigserial PRIMARY KEY,
            created_utc  timestamptz NOT NULL DEFAULT now(),
            source       text NOT NULL,
            last_zxid    bigint NOT NULL,
            digest       bigint NOT NULL,
            content      bytea NOT NULL
        )
        """;

    /// <summary>Fetches a backup stream from <paramref name="server"/> and stores it in a file or a PostgreSQL database.</summary>
    public static async Task<int> BackupAsync(string server, string to, TextWriter output, CancellationToken ct)
    {
        var (host, port) = ParseServer(server);
        byte[] bytes;
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(host, port, ct);
            var stream = tcp.GetStream();
            await stream.WriteAsync("bkup"u8.ToArray(), ct);
            using var ms = new MemoryStream();
            await stream.CopyToAsync(ms, ct);
            bytes = ms.ToArray();
        }

        if (bytes.Length < 64 && Encoding.UTF8.GetString(bytes) is var text && !text.StartsWith("OCBACKUP", StringComparison.Ordinal))
        {
            throw new BackupInvalidException($"{server} did not send a backup: \"{text.Trim()}\" (is \"bkup\" in the silo's fourLetterWords?)");
        }

        // Verify before storing: a backup that cannot be restored is worse than none.
        var (header, tree, _) = BackupFile.ReadAndVerify(bytes, $"backup from {server}");
        if (IsConnectionString(to))
        {
            await using var db = new NpgsqlConnection(to);
            await db.OpenAsync(ct);
            await using (var create = new NpgsqlCommand(BackupTableSql, db))
            {
                await create.ExecuteNonQueryAsync(ct);
            }

            await using var insert = new NpgsqlCommand(
                "INSERT INTO coordination_backups (source, last_zxid, digest, content) VALUES (@s, @z, @d, @c) RETURNING id", db);
            insert.Parameters.AddWithValue("s", server);
            insert.Parameters.AddWithValue("z", header.LastZxid);
            insert.Parameters.AddWithValue("d", unchecked((long)header.Digest));
            insert.Parameters.AddWithValue("c", bytes);
            var id = await insert.ExecuteScalarAsync(ct);
            await output.WriteLineAsync($"Backup {id} stored in PostgreSQL: zxid 0x{header.LastZxid:x}, {tree.NodeCount} nodes, digest {header.Digest:x16}, {bytes.Length} bytes");
            return 0;
        }

        var full = Path.GetFullPath(to);
        var temp = full + ".partial";
        await File.WriteAllBytesAsync(temp, bytes, ct);
        File.Move(temp, full, overwrite: true);
        await output.WriteLineAsync($"Backup written to {full}: zxid 0x{header.LastZxid:x}, {tree.NodeCount} nodes, digest {header.Digest:x16}, {bytes.Length} bytes");
        return 0;
    }

    /// <summary>Verifies a backup and prepares an empty data directory from it.</summary>
    public static async Task<int> RestoreAsync(string from, string dataDir, long? id, TextWriter output, CancellationToken ct)
    {
        byte[] bytes;
        string source;
        if (IsConnectionString(from))
        {
            await using var db = new NpgsqlConnection(from);
            await db.OpenAsync(ct);
            await using var query = new NpgsqlCommand(
                id is null
                    ? "SELECT id, content FROM coordination_backups ORDER BY id DESC LIMIT 1"
                    : "SELECT id, content FROM coordination_backups WHERE id = @id", db);
            if (id is not null)
            {
                query.Parameters.AddWithValue("id", id.Value);
            }

            await using var reader = await query.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                throw new BackupInvalidException(id is null ? "no backup found in coordination_backups" : $"no backup with id {id} in coordination_backups");
            }

            source = $"PostgreSQL backup {reader.GetInt64(0)}";
            bytes = (byte[])reader[1];
        }
        else
        {
            if (!File.Exists(from))
            {
                throw new BackupInvalidException($"{from}: no such file");
            }

            bytes = await File.ReadAllBytesAsync(from, ct);
            source = Path.GetFullPath(from);
        }

        var meta = await BackupFile.RestoreAsync(bytes, source, dataDir, ct);
        await output.WriteLineAsync(
            $"Restored {source} into {Path.GetFullPath(dataDir)}: zxid 0x{meta.LastZxid:x}, {meta.NodeCount} nodes, digest {meta.Digest:x16}");
        return 0;
    }

    private static bool IsConnectionString(string value) =>
        value.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) || (value.Contains('=', StringComparison.Ordinal) && value.Contains(';', StringComparison.Ordinal));

    internal static (string Host, int Port) ParseServer(string server)
    {
        var first = server.Split(',')[0].Trim();
        var colon = first.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(first[(colon + 1)..], out var port))
        {
            return (first, 2181);
        }

        return (first[..colon], port);
    }
}
