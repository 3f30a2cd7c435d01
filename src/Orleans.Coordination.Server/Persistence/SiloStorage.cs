using Microsoft.Extensions.Logging;
using Orleans.Coordination.DataTree.Tree;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Txn;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Storage;
using Orleans.Coordination.Storage.Log;
using Orleans.Coordination.Storage.Snapshots;
using Tree = Orleans.Coordination.DataTree.Tree.DataTree;

namespace Orleans.Coordination.Server.Persistence;

/// <summary>Start-up cannot proceed because stored state is damaged or inconsistent; the message says where.</summary>
public sealed class RecoveryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A silo's durable state: the transaction log in dataDir/log, the epoch file, and the snapshot store.
/// <see cref="OpenAsync"/> recovers the tree: newest snapshot whose digest verifies (falling back to
/// older ones), then the log replayed after it.
/// </summary>
public sealed class SiloStorage : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly SiloOptions _options;
    private readonly DurableValueFile _epochFile;

    private SiloStorage(SiloOptions options, ILogger logger, FileTxnLog log, ISnapshotStore store, DurableValueFile epochFile, Tree tree, long epoch)
    {
        EpochValues = epochFile.TryRead() ?? [];
        _options = options;
        _logger = logger;
        Log = log;
        Store = store;
        _epochFile = epochFile;
        Tree = tree;
        Epoch = epoch;
    }

    public FileTxnLog Log { get; }

    public ISnapshotStore Store { get; }

    /// <summary>The recovered tree.</summary>
    public Tree Tree { get; }

    /// <summary>The epoch this run stamps zxids with; higher than any epoch used before on this data (standalone).</summary>
    public long Epoch { get; }

    /// <summary>
    /// What the epoch file held at start-up: one value (standalone: the last epoch used) or three (an ensemble
    /// member: currentEpoch, acceptedEpoch, acceptedLeaderId); empty when there was none.
    /// </summary>
    public long[] EpochValues { get; private set; }

    /// <summary>
    /// An ensemble member's durable log records after the recovered snapshot, not applied to <see cref="Tree"/>:
    /// the replication core decides which of them committed. Empty for a standalone silo, which replays its log.
    /// </summary>
    public IReadOnlyList<LogRecord> PendingLog { get; private init; } = [];

    /// <summary>Durably replaces the epoch file (an ensemble member's currentEpoch, acceptedEpoch, acceptedLeaderId).</summary>
    public void WriteEpochValues(ReadOnlySpan<long> values)
    {
        _epochFile.Write(values);
        EpochValues = values.ToArray();
    }

    /// <param name="options">The silo's settings (dataDir, snapshot store, forceSync, repairLog).</param>
    /// <param name="logger">Receives recovery progress and warnings.</param>
    /// <param name="inspectOnly">Recover without claiming a new epoch (for offline verification tools).</param>
    /// <param name="cancellationToken">Cancels recovery.</param>
    /// <param name="logFileSystem">The log's files; the real file system unless a test injects faults.</param>
    public static async Task<SiloStorage> OpenAsync(SiloOptions options, ILogger logger, bool inspectOnly = false, CancellationToken cancellationToken = default, ILogFileSystem? logFileSystem = null)
    {
        var dataDir = Path.GetFullPath(options.DataDir);
        Directory.CreateDirectory(dataDir);
        var store = SnapshotStoreFactory.Create(new SnapshotStoreOptions
        {
            Provider = options.SnapshotStoreProvider,
            DataDirectory = dataDir,
            ConnectionString = options.SnapshotStoreConnectionString,
            Schema = options.SnapshotStoreSchema,
        });
        FileTxnLog? log = null;
        try
        {
            await store.InitializeAsync(cancellationToken);
            log = FileTxnLog.Open(StorageNaming.LogDirectory(dataDir), new TxnLogOptions
            {
                ForceSync = options.ForceSync,
                Repair = options.RepairLog,
                Logger = logger,
                FileSystem = logFileSystem ?? PhysicalLogFileSystem.Instance,
            });
            var tree = await LoadNewestSnapshotAsync(store, logger, cancellationToken);
            var epochFile = new DurableValueFile(StorageNaming.EpochFilePath(dataDir));
            if (options.Ensemble.IsReplicated && !inspectOnly)
            {
                // An ensemble member applies nothing from its log on its own: the leader decides what committed.
                CheckContinuity(tree, log);
                var pending = log.ReadFrom(tree.LastZxid).ToList();
                logger.LogInformation(
                    "Recovered {Nodes} nodes and {Sessions} sessions at snapshot zxid 0x{Zxid:x}; {Pending} logged txns after it await the ensemble",
                    tree.NodeCount, tree.Sessions.Count, tree.LastZxid, pending.Count);
                return new SiloStorage(options, logger, log, store, epochFile, tree, 0) { PendingLog = pending };
            }

            var replayed = Replay(tree, log);
            var stored = epochFile.TryRead();
            var lastEpoch = Math.Max(stored is { Length: > 0 } ? stored[0] : 0, Math.Max(tree.LastZxid, log.LastZxid) >> 32);
            var epoch = lastEpoch + 1;
            if (!inspectOnly)
            {
                epochFile.Write([epoch]);
            }
            logger.LogInformation(
                "Recovered {Nodes} nodes and {Sessions} sessions at zxid 0x{Zxid:x} ({Replayed} txns replayed from the log); this run uses epoch {Epoch}",
                tree.NodeCount, tree.Sessions.Count, tree.LastZxid, replayed, epoch);
            if (!options.ForceSync)
            {
                logger.LogWarning("forceSync is false: acknowledged writes can be lost on power failure");
            }

            return new SiloStorage(options, logger, log, store, epochFile, tree, epoch);
        }
        catch
        {
            log?.Dispose();
            await store.DisposeAsync();
            throw;
        }
    }

    private static async Task<Tree> LoadNewestSnapshotAsync(ISnapshotStore store, ILogger logger, CancellationToken cancellationToken)
    {
        foreach (var meta in await store.ListAsync(cancellationToken))
        {
            var source = $"{store.Name} snapshot {meta.Id} (zxid 0x{meta.LastZxid:x})";
            try
            {
                await using var content = await store.OpenAsync(meta.Id, cancellationToken);
                var tree = Tree.Load(content, source);
                if (tree.Digest != meta.Digest)
                {
                    throw new SnapshotFormatException($"{source}: digest {tree.Digest:x16} differs from the catalogue's {meta.Digest:x16}");
                }

                logger.LogInformation("Loaded {Source}: {Nodes} nodes", source, tree.NodeCount);
                return tree;
            }
            catch (Exception e) when (e is SnapshotCorruptedException or SnapshotFormatException or InvalidDataException)
            {
                logger.LogWarning("Skipping corrupt {Source}: {Reason}; falling back to an older snapshot", source, e.Message);
            }
        }

        return new Tree();
    }

    /// <summary>
    /// Rebuilds the tree from an empty one by replaying every record in the log (for verification:
    /// its digest must equal the recovered tree's). Null when the log no longer starts at the beginning.
    /// </summary>
    public Tree? ReplayFromScratch()
    {
        var tree = new Tree();
        var first = Log.ReadFrom(0).FirstOrDefault();
        if (first.Payload.Length > 0 && first.Zxid != ((1L << 32) | 1))
        {
            return null;
        }

        Replay(tree, Log);
        return tree;
    }

    private static void CheckContinuity(Tree tree, FileTxnLog log)
    {
        var from = tree.LastZxid;
        if (log.FirstZxid > 0 && from > 0 && log.FirstZxid > from + 1 && (log.FirstZxid >> 32) == (from >> 32))
        {
            throw new RecoveryException(
                $"the log in {log.Directory} starts at zxid 0x{log.FirstZxid:x} but the snapshot ends at 0x{from:x}: txns in between are missing");
        }
    }

    private static long Replay(Tree tree, FileTxnLog log)
    {
        var from = tree.LastZxid;
        CheckContinuity(tree, log);

        long count = 0;
        foreach (var record in log.ReadFrom(from))
        {
            Transaction txn;
            try
            {
                txn = Transaction.Deserialize(record.Payload.Span);
            }
            catch (JuteException e)
            {
                throw new RecoveryException($"log record zxid 0x{record.Zxid:x} in {log.Directory} is not a valid txn: {e.Message}", e);
            }

            tree.Apply(txn);
            count++;
        }

        return count;
    }

    /// <summary>Writes an image to the store, then applies retention to snapshots and log segments.</summary>
    public async Task<SnapshotMetadata> SaveSnapshotAsync(TreeImage image, CancellationToken cancellationToken = default)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var meta = new SnapshotMetadata
        {
            LastZxid = image.LastZxid,
            CreatedUtc = DateTimeOffset.UtcNow,
            NodeCount = image.NodeCount,
            Digest = image.Digest,
            FormatVersion = TreeImage.FormatVersion,
        };
        var pipe = new System.IO.Pipelines.Pipe();
        var writer = Task.Run(async () =>
        {
            try
            {
                await using var s = pipe.Writer.AsStream();
                image.WriteTo(s);
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
                throw;
            }
        }, cancellationToken);
        SnapshotMetadata saved;
        await using (var input = pipe.Reader.AsStream())
        {
            saved = await Store.SaveAsync(meta, input, cancellationToken);
        }

        await writer;
        await Store.RetainNewestAsync(_options.SnapRetainCount, cancellationToken);
        var retained = await Store.ListAsync(cancellationToken);
        if (retained.Count > 0)
        {
            // Keep every log record after the oldest retained snapshot, so that falling back to it still works.
            Log.PurgeBefore(retained[^1].LastZxid + 1);
        }

        _logger.LogInformation(
            "Snapshot {Id} at zxid 0x{Zxid:x}: {Nodes} nodes, {Raw} bytes raw, {Compressed} compressed, in {Ms} ms",
            saved.Id, saved.LastZxid, saved.NodeCount, saved.RawSize, saved.CompressedSize, started.ElapsedMilliseconds);
        return saved;
    }

    public async ValueTask DisposeAsync()
    {
        Log.Dispose();
        await Store.DisposeAsync();
    }
}

/// <summary>Sends stamped txns to the file log; the log's group commit reports durability.</summary>
public sealed class LogTxnSink : Processing.ITxnSink
{
    private readonly FileTxnLog _log;
    private readonly JuteWriter _buffer = new(1024);

    public LogTxnSink(FileTxnLog log, Action<long> durable, Action<StorageFailedException> failed)
    {
        _log = log;
        log.Durable += durable;
        log.Failed += failed;
    }

    public int Append(Transaction txn)
    {
        _buffer.Clear();
        txn.Write(_buffer);
        _log.Append(txn.Zxid, _buffer.WrittenSpan);
        return _buffer.Length;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
