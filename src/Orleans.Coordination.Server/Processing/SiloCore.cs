using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orleans.Coordination.DataTree.Prep;
using Orleans.Coordination.Protocol.Txn;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Diagnostics;
using Orleans.Coordination.Server.Network;
using Orleans.Coordination.Server.Persistence;
using Orleans.Coordination.Server.Sessions;
using Tree = Orleans.Coordination.DataTree.Tree.DataTree;

namespace Orleans.Coordination.Server.Processing;

/// <summary>
/// The silo's single apply loop: every request, handshake, durability notice and tick is a
/// <see cref="WorkItem"/> processed here in order, so the tree, the prep state, sessions and watch tables
/// need no locks. Writes flow Prep (validate, build txn) → stamp zxid → sink (durable) → apply in zxid
/// order → watch events → replies in each connection's request order.
/// </summary>
public sealed partial class SiloCore : IAsyncDisposable
{
    private readonly Channel<WorkItem> _work = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _logger;
    private Preparer _preparer;
    private readonly SessionTracker _sessions;
    private readonly Queue<(Transaction Txn, PendingRequest? Pending, long AppendedAt)> _proposals = new();
    private readonly Dictionary<long, ClientConnection> _connectionsBySession = [];
    private readonly HashSet<ClientConnection> _connections = [];
    private readonly HashSet<ClientConnection> _waiting = [];
    private readonly Dictionary<ClientConnection, (ConnectWork Work, long Deadline)> _deferredConnects = [];
    private readonly Dictionary<string, int> _connectionsByAddress = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly SiloStorage? _storage;
    private ITxnSink _sink;
    private long _txnsSinceSnapshot;
    private long _snapshotThreshold;
    private Task? _snapshotTask;
    private Task? _loop;
    private Task? _ticker;
    private long _lastStampedZxid;
    private long _durableZxid;
    private long _nextSessionId;
    private long _nextContainerCheck;
    private long _standaloneEpoch;

    public SiloCore(SiloOptions options, ILogger logger, SiloStorage? storage = null)
    {
        Options = options;
        _logger = logger;
        _storage = storage;
        Tree = storage?.Tree ?? new Tree();
        FillConfigNode(Tree);
        _preparer = new Preparer(Tree, new PrepOptions(options.ExtendedTypesEnabled));
        _sessions = new SessionTracker(options.TickTime);
        _sink = storage is null
            ? new InMemoryTxnSink(z => Post(new DurableWork(z)))
            : new LogTxnSink(storage.Log, z => Post(new DurableWork(z)), e => Post(new ActionWork(() => FailStorage(e))));
        Epoch = storage?.Epoch ?? 1;
        _lastStampedZxid = Epoch << 32;
        _durableZxid = Tree.LastZxid;
        _snapshotThreshold = NextSnapshotThreshold();
        _nextSessionId = ((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 24) >>> 8) | ((long)options.ServerId << 56);
        Stats = new ServerStats();
        if (options.Ensemble.IsReplicated)
        {
            _replica = CreateReplica(options, storage ?? throw new ArgumentException("an ensemble member needs storage", nameof(storage)));
            _lastStampedZxid = Tree.LastZxid;
        }
    }

    public SiloOptions Options { get; }

    /// <summary>
    /// Writes this silo's view of the ensemble into /zookeeper/config (empty when standalone), on every tree it starts
    /// from or installs: the node is local configuration, not replicated state (see DataTree.SetConfig).
    /// </summary>
    private void FillConfigNode(Tree tree) => tree.SetConfig(ZooKeeperConfigText.For(Options.Ensemble), ZooKeeperConfigText.StaticVersion);

    /// <summary>The replicated state. Read it only on the apply thread (see <see cref="InvokeAsync{T}"/>).</summary>
    public Tree Tree { get; private set; }

    public ServerStats Stats { get; }

    /// <summary>Histograms and counters behind /metrics.</summary>
    public SiloMetrics Metrics { get; } = new();

    /// <summary>The epoch of the zxids this silo stamps (standalone) or follows (ensemble member; 0 while looking).</summary>
    public long Epoch
    {
        get => _replica is null ? _standaloneEpoch : _status.Epoch;
        private set => _standaloneEpoch = value;
    }

    /// <summary>The client port actually bound (the option may say 0).</summary>
    public int ClientPort { get; internal set; }

    /// <summary>Whether the silo is serving clients.</summary>
    public bool IsServing { get; private set; }

    /// <summary>This silo's view of its ensemble (mode, leader, zxids, peers). Read on the apply thread.</summary>
    public Quorum.ReplicationView Replication => BuildReplicationView();

    /// <summary>Test hook for partitions: peers whose messages this silo drops in both directions.</summary>
    public Quorum.PeerLinks Links { get; } = new();

    public void Post(WorkItem item) => _work.Writer.TryWrite(item);

    /// <summary>Runs <paramref name="func"/> on the apply thread and returns its result.</summary>
    public Task<T> InvokeAsync<T>(Func<T> func)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(new ActionWork(() =>
        {
            try
            {
                tcs.SetResult(func());
            }
            catch (Exception e)
            {
                tcs.SetException(e);
            }
        }));
        return tcs.Task;
    }

    public void Start()
    {
        // Sessions recovered from disk get a full timeout to reconnect.
        var now = Environment.TickCount64;
        foreach (var s in Tree.Sessions.Values)
        {
            _sessions.Add(s.SessionId, s.TimeOut, now);
        }

        // An ensemble member serves only once it has joined an established leader (StatusChanged).
        IsServing = _replica is null;
        _nextContainerCheck = Environment.TickCount64 + Options.ContainerCheckIntervalMs;
        _loop = Task.Factory.StartNew(LoopAsync, TaskCreationOptions.LongRunning).Unwrap();
        _ticker = TickAsync();
        if (_replica is not null)
        {
            StartReplica();
        }
    }

    public async ValueTask DisposeAsync()
    {
        IsServing = false;
        _stop.Cancel();
        Resume();
        _work.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        foreach (var ticker in new[] { _ticker, _replicaTicker })
        {
            try
            {
                if (ticker is not null)
                {
                    await ticker.ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (_snapshotTask is not null)
        {
            try
            {
                await _snapshotTask.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _logger.LogWarning("Snapshot in progress at shutdown failed: {Reason}", e.Message);
            }
        }

        await _sink.DisposeAsync();
    }

    private async Task LoopAsync()
    {
        var reader = _work.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (_pause is { } pause)
            {
                await pause.Task.ConfigureAwait(false);
            }

            // A bounded batch, then the replication core's outputs: batching inputs is what batches proposals,
            // and the bound keeps a busy client port from starving the core.
            for (var n = 0; n < 512 && reader.TryRead(out var item); n++)
            {
                try
                {
                    Process(item);
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "Apply loop failed on {Item}", item.GetType().Name);
                    if (item is RequestWork rw)
                    {
                        rw.Connection.Abort();
                    }
                }
            }

            if (_replica is not null)
            {
                try
                {
                    RunReplica();
                    RetryDeferredConnects();
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "Carrying out replication outputs failed");
                }
            }
        }
    }

    private async Task TickAsync()
    {
        var period = TimeSpan.FromMilliseconds(Math.Clamp(Options.TickTime / 4, 5, 500));
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            Post(TickWork.Instance);
        }
    }

    private void Process(WorkItem item)
    {
        switch (item)
        {
            case RequestWork r:
                ProcessRequest(r);
                break;
            case DurableWork d:
                if (_replica is null)
                {
                    ProcessDurable(d.Zxid);
                }
                else
                {
                    _durableZxid = Math.Max(_durableZxid, d.Zxid);
                    _replica.Persisted(d.Zxid);
                }

                break;
            case PeerMessageWork m:
                _replica?.Receive(m.From, m.Message);
                break;
            case ReplicaTickWork:
                _replica?.Tick();
                break;
            case ConnectWork c:
                ProcessConnect(c);
                break;
            case ConnectionClosedWork c:
                ProcessConnectionClosed(c.Connection);
                break;
            case TickWork:
                ProcessTick();
                break;
            case FourLetterWork f:
                f.Result.TrySetResult(FourLetterWords.Answer(this, f.Word, f.Connection));
                break;
            case ActionWork a:
                a.Action();
                break;
        }
    }

    /// <summary>Stamps the next zxid on a prepared body and hands it to the sink (standalone) or proposes it (leader).</summary>
    private void Stamp(long sessionId, int cxid, TxnBody body, PendingRequest? pending)
    {
        if (_replica is not null)
        {
            Propose(sessionId, cxid, body, pending);
            return;
        }

        var zxid = ++_lastStampedZxid;
        var txn = new Transaction(new TxnHeader(sessionId, cxid, zxid, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), body.Type), body);
        if (pending is not null)
        {
            pending.TxnZxid = zxid;
            pending.WaitZxid = zxid;
        }

        _proposals.Enqueue((txn, pending, System.Diagnostics.Stopwatch.GetTimestamp()));
        Metrics.CountProposal(_sink.Append(txn));
    }

    /// <summary>Applies every proposal now durable, in zxid order, then answers whoever can be answered.</summary>
    private void ProcessDurable(long zxid)
    {
        if (zxid <= _durableZxid)
        {
            return;
        }

        _durableZxid = zxid;
        while (_proposals.Count > 0 && _proposals.Peek().Txn.Zxid <= zxid)
        {
            var (txn, pending, appendedAt) = _proposals.Dequeue();
            Metrics.FsyncLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(appendedAt).TotalSeconds);
            var results = Tree.Apply(txn);
            _preparer.Applied(txn.Zxid);
            Stats.CountCommitted();
            Metrics.CountCommit();
            _txnsSinceSnapshot++;
            AfterApply(txn);

            // Answer right after each txn, before the next is applied: a read queued behind this write must
            // see exactly the state it produced, and reply zxids must never go backwards on a connection.
            if (pending is not null)
            {
                pending.Results = results;
                Drain(pending.Connection);
            }

            DrainWaiting();
        }

        if (_txnsSinceSnapshot >= _snapshotThreshold)
        {
            StartSnapshot();
        }
    }
}
