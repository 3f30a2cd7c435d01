using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Persistence;

namespace Orleans.Coordination.Cli;

/// <summary>verify: recover a stopped silo's data directory offline and check it against a replay from scratch.</summary>
internal static class VerifyCommand
{
    public static async Task<int> RunAsync(string dataDir, TextWriter output, CancellationToken ct)
    {
        if (!Directory.Exists(dataDir))
        {
            throw new BackupInvalidException($"{dataDir}: no such directory");
        }

        var options = new SiloOptions { DataDir = dataDir };
        await using var storage = await SiloStorage.OpenAsync(options, NullLogger.Instance, inspectOnly: true, cancellationToken: ct);
        var tree = storage.Tree;
        await output.WriteLineAsync($"recovered: zxid 0x{tree.LastZxid:x}, {tree.NodeCount} nodes, {tree.Sessions.Count} sessions, digest {tree.Digest:x16}");
        if (storage.Log.LastZxid == 0 && tree.LastZxid != 0)
        {
            // Nothing to replay: the tree comes from a snapshot alone (a data directory prepared by restore, or a log
            // purged up to the snapshot), so a replay from scratch would only rebuild the empty tree.
            await output.WriteLineAsync("replay from scratch: not possible, the log is empty (the tree comes from a snapshot: restored from a backup, or the log was purged)");
            return 0;
        }

        var scratch = storage.ReplayFromScratch();
        if (scratch is null)
        {
            await output.WriteLineAsync("replay from scratch: not possible, the log no longer starts at the first txn (purged or restored from a backup)");
            return 0;
        }

        await output.WriteLineAsync($"replay from scratch: zxid 0x{scratch.LastZxid:x}, {scratch.NodeCount} nodes, digest {scratch.Digest:x16}");
        if (scratch.Digest != tree.Digest || scratch.LastZxid != tree.LastZxid)
        {
            await output.WriteLineAsync("MISMATCH: the recovered tree differs from a replay of the whole log");
            return 1;
        }

        await output.WriteLineAsync("OK: the recovered tree equals a replay of the whole log");
        return 0;
    }
}
