using Microsoft.Extensions.Logging;
using Orleans.Coordination.Consensus;
using Orleans.Coordination.Consensus.Messages;
using Orleans.Coordination.DataTree.Prep;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Quorum;
using Tree = Orleans.Coordination.DataTree.Tree.DataTree;

namespace Orleans.Coordination.Server.Processing;

/// <summary>Sends encoded replication messages to peers (the silo host's quorum and election transports).</summary>
public interface IPeerNetwork
{
    /// <summary>Queues <paramref name="message"/> for <paramref name="serverId"/>; election messages use the election port.</summary>
    void Send(int serverId, byte[] message, bool election);

    /// <summary>Whether the outbound connection to <paramref name="serverId"/> is up.</summary>
    bool IsConnected(int serverId);
}

/// <summary>A replication message from a peer, decoded on the network thread.</summary>
public sealed record PeerMessageWork(int From, ReplicaMessage Message) : WorkItem;

/// <summary>One period of the replication clock.</summary>
public sealed record ReplicaTickWork : WorkItem
{
    public static readonly ReplicaTickWork Instance = new();
}

// The silo as an ensemble member: the apply loop owns a ReplicaCore (src/Orleans.Coordination.Consensus) and carries
// out its outputs. The leader preps every write (its own clients' and those forwarded by followers) and proposes the
// txn; every silo applies what the core hands back as committed, in zxid order, and answers the clients it holds.
public sealed partial class SiloCore
{
    private readonly ReplicaCore? _replica;
    private readonly Dictionary<long, PendingRequest> _forwardedById = [];
    private readonly Dictionary<(long Session, int Cxid), long> _forwardedByTxn = [];
    private readonly Dictionary<long, PendingRequest> _syncs = [];
    private readonly HashSet<long> _touched = [];
    private readonly JuteWriter _txnWriter = new(1024);
    private readonly Dictionary<long, (Proposal Message, byte[] Bytes)> _encodedProposals = [];
    private IPeerNetwork? _network;
    private Task? _replicaTicker;
    private ReplicaStatus _status = new(ReplicaRole.Looking, -1, 0, false);
    private long _nextForwardId;
    private long _nextSyncId;
    private long _elections;
    private long _lookingSince;
    private double _lastElectionMs;
    private long _nextTouchReport;
    private long _compactTo;
    private long _snapshotsInstalled;
    private volatile TaskCompletionSource? _pause;

    /// <summary>Whether this silo is a member of a replicated ensemble (more than one member).</summary>
    public bool IsReplicated => _replica is not null;

    /// <summary>Whether this silo leads its ensemble and serves (standalone silos always do).</summary>
    public bool IsLeader => _replica is null || (_status.Role == ReplicaRole.Leading && _status.IsServing);

    private bool Forwards => _replica is not null && _status.Role != ReplicaRole.Leading;

    /// <summary>Connects the core to the peer transports (before <see cref="Start"/>).</summary>
    public void AttachNetwork(IPeerNetwork network) => _network = network;

    /// <summary>
    /// Called by the transports (any thread) with a message from a peer: decoded here, processed on the apply loop.
    /// A blocked peer (<see cref="Links"/>) is dropped, as a partition would drop it.
    /// </summary>
    public void DeliverPeerMessage(int from, ReadOnlyMemory<byte> bytes)
    {
        if (_replica is null || Links.IsBlocked(from))
        {
            return;
        }

        ReplicaMessage message;
        try
        {
            message = MessageCodec.Decode(bytes.Span);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            _logger.LogWarning("Dropping a malformed replication message from server {From}: {Reason}", from, e.Message);
            return;
        }

        Post(new PeerMessageWork(from, message));
    }

    /// <summary>
    /// Called by the quorum transport (any thread) when a peer's connection to this silo closed: if it was the
    /// leader, this silo starts an election now rather than after syncLimit ticks.
    /// </summary>
    public void PeerDisconnected(int from)
    {
        if (_replica is not null && !Links.IsBlocked(from))
        {
            Post(new ActionWork(() => _replica.PeerDisconnected(from)));
        }
    }

    /// <summary>Freezes the apply loop (a test hook: like SIGSTOP, nothing is processed until <see cref="Resume"/>).</summary>
    public void Pause() => _pause ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets a paused apply loop run again.</summary>
    public void Resume()
    {
        var p = _pause;
        _pause = null;
        p?.TrySetResult();
    }

    private static ReplicaCore CreateReplica(SiloOptions options, Persistence.SiloStorage storage)
    {
        var ensemble = options.Ensemble;
        var epochs = storage.EpochValues switch
        {
            [var current, var accepted, var leader] => new EpochState(current, accepted, (int)leader),
            [var last] => new EpochState(last, last, -1), // a standalone silo's data joining an ensemble
            _ => new EpochState(0, 0, -1),
        };
        var replicaOptions = new ReplicaOptions
        {
            ServerId = options.ServerId,
            Members = [.. ensemble.Members.Select(m => new EnsembleMember(m.Id, m.Role == EnsembleRole.Voter ? MemberRole.Voter : MemberRole.Observer))],
            SyncLimitTicks = ensemble.SyncLimit,
            InitLimitTicks = ensemble.InitLimit,
            CommitLogCount = ensemble.CommitLogCount,
        };
        try
        {
            return new ReplicaCore(replicaOptions, new ReplicaDurableState
            {
                Epochs = epochs,
                SnapshotZxid = storage.Tree.LastZxid,
                CommittedZxid = storage.Tree.LastZxid,
                Log = [.. storage.PendingLog.Select(r => new LogEntry(r.Zxid, r.Payload.ToArray()))],
                Incarnation = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            });
        }
        catch (ArgumentException e)
        {
            throw new Persistence.RecoveryException($"the durable state in {Path.GetFullPath(options.DataDir)} cannot start replication: {e.Message}", e);
        }
    }

    /// <summary>
    /// After a snapshot at <paramref name="zxid"/> is durable: the core forgets log records up to the snapshot before
    /// it, so followers a little behind still get a DIFF rather than a whole snapshot.
    /// </summary>
    private void SnapshotSaved(long zxid)
    {
        if (_replica is null)
        {
            return;
        }

        if (_compactTo > 0)
        {
            _replica.Compact(_compactTo);
        }

        _compactTo = zxid;
    }

    private void StartReplica()
    {
        _lookingSince = Environment.TickCount64;
        _elections = 1;
        Post(new ActionWork(() => _replica!.Start()));
        _replicaTicker = ReplicaTickAsync();
    }

    private async Task ReplicaTickAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Options.Ensemble.TickMs));
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            if (_pause is null)
            {
                Post(ReplicaTickWork.Instance);
            }
        }
    }

    private ReplicationView BuildReplicationView()
    {
        if (_replica is null)
        {
            return new("standalone", Options.ServerId, -1, Epoch, IsServing, Tree.LastZxid, _durableZxid, Tree.LastZxid, Tree.LastZxid, 0, 0, 0, []);
        }

        var phases = _status.Role == ReplicaRole.Leading ? _replica.PeerPhases : new Dictionary<int, string>();
        var peers = Options.Ensemble.Members.Where(m => m.Id != Options.ServerId).Select(m => new PeerView(
            m.Id,
            m.Role == EnsembleRole.Voter ? "voter" : "observer",
            m.Host,
            m.QuorumPort,
            m.ElectionPort,
            m.ClientPort,
            _network?.IsConnected(m.Id) ?? false,
            phases.TryGetValue(m.Id, out var phase) ? phase.ToLowerInvariant() : "")).ToList();
        var synced = _status.Role == ReplicaRole.Leading
            ? 1 + Options.Ensemble.Members.Count(m => m.Role == EnsembleRole.Voter && m.Id != Options.ServerId && phases.TryGetValue(m.Id, out var p) && p == "Active")
            : 0;
        return new ReplicationView(
            ModeName(_status.Role),
            Options.ServerId,
            _status.LeaderId,
            _status.Epoch,
            IsServing,
            _replica.LastLoggedZxid,
            _replica.DurableZxid,
            _replica.CommittedZxid,
            Tree.LastZxid,
            _elections,
            _lastElectionMs,
            _replica.ProtocolViolations,
            peers)
        { SyncedVoters = synced, SnapshotsInstalled = _snapshotsInstalled };
    }

    private static string ModeName(ReplicaRole role) => role switch
    {
        ReplicaRole.Leading => "leader",
        ReplicaRole.Following => "follower",
        ReplicaRole.Observing => "observer",
        _ => "looking",
    };

    /// <summary>Carries out everything the core asked for; inputs made while doing so are drained too.</summary>
    private void RunReplica()
    {
        for (var round = 0; round < 64; round++)
        {
            var outputs = _replica!.TakeOutputs();
            _encodedProposals.Clear();
            if (outputs.Count == 0)
            {
                return;
            }

            foreach (var output in outputs)
            {
                try
                {
                    CarryOut(output);
                }
                catch (Storage.StorageFailedException e)
                {
                    FailStorage(e);
                    return;
                }
            }
        }
    }

    private void CarryOut(ReplicaOutput output)
    {
        switch (output)
        {
            case SendMessage m:
                if (!Links.IsBlocked(m.To))
                {
                    _network?.Send(m.To, Encode(m.Message), m.Message is Notification);
                }

                break;
            case AppendToLog a:
                foreach (var e in a.Entries)
                {
                    _storage!.Log.Append(e.Zxid, e.Payload);
                }

                break;
            case TruncateLog t:
                _logger.LogWarning("Truncating the log after zxid 0x{Zxid:x}: proposals after it never committed", t.AfterZxid);
                _storage!.Log.TruncateAfter(t.AfterZxid);
                break;
            case PersistEpochs p:
                _storage!.WriteEpochValues([p.Epochs.CurrentEpoch, p.Epochs.AcceptedEpoch, p.Epochs.AcceptedLeaderId]);
                _replica!.EpochPersisted(p.Epochs);
                break;
            case InstallSnapshot s:
                InstallLeaderSnapshot(s.Zxid, s.Data);
                break;
            case SnapshotRequested:
                ServeSnapshot();
                break;
            case ApplyCommitted c:
                ApplyCommittedEntry(c.Entry);
                break;
            case StatusChanged s:
                OnStatusChanged(s.Status);
                break;
            case ForwardedRequest f:
                OnForwardedRequest(f);
                break;
            case ForwardReplyReceived r:
                OnForwardReply(r);
                break;
            case SyncCompleted s:
                if (_syncs.Remove(s.SyncId, out var done))
                {
                    done.WaitZxid = s.Zxid;
                    Drain(done.Connection);
                }

                break;
            case SyncFailed f:
                if (_syncs.Remove(f.SyncId, out var failed))
                {
                    // The client sees a connection loss and retries its sync elsewhere.
                    failed.Connection.Abort();
                }

                break;
        }
    }

    /// <summary>
    /// Encodes a message for the transport. A leader sends every follower the same proposals (same records, same
    /// commit point), each follower's in turn within one batch of outputs: those share one encoding.
    /// </summary>
    private byte[] Encode(ReplicaMessage message)
    {
        if (message is not Proposal p || p.Records.Count == 0)
        {
            return MessageCodec.Encode(message);
        }

        // Records follow PrevZxid contiguously in the leader's log, so the same start, count and last record mean the
        // same records.
        if (_encodedProposals.TryGetValue(p.PrevZxid, out var seen)
            && p.Epoch == seen.Message.Epoch && p.CommitZxid == seen.Message.CommitZxid
            && p.Records.Count == seen.Message.Records.Count && p.Records[^1].Zxid == seen.Message.Records[^1].Zxid
            && ReferenceEquals(p.Records[^1].Payload, seen.Message.Records[^1].Payload))
        {
            return seen.Bytes;
        }

        var bytes = MessageCodec.Encode(p);
        _encodedProposals[p.PrevZxid] = (p, bytes);
        return bytes;
    }

    private void OnStatusChanged(ReplicaStatus status)
    {
        var previous = _status;
        _status = status;
        if (!status.IsServing)
        {
            if (IsServing || previous.IsServing)
            {
                _logger.LogWarning("Server {Id} stops serving: {Role}, leader {Leader}, epoch {Epoch}", Options.ServerId, status.Role, status.LeaderId, status.Epoch);
                _elections++;
                _lookingSince = Environment.TickCount64;
            }

            IsServing = false;
            DropClients();
            return;
        }

        if (!previous.IsServing || previous.Role != status.Role)
        {
            _lastElectionMs = Environment.TickCount64 - _lookingSince;
            _logger.LogInformation(
                "Server {Id} serving as {Role} of epoch {Epoch} (leader {Leader}) after {Ms} ms",
                Options.ServerId, ModeName(status.Role), status.Epoch, status.LeaderId, _lastElectionMs);
        }

        if (status.Role == ReplicaRole.Leading && (previous.Role != ReplicaRole.Leading || !previous.IsServing))
        {
            // The initial history is committed and applied in this same batch of outputs, before any request is prepped.
            _lastStampedZxid = Math.Max(_replica!.LastLoggedZxid, Tree.LastZxid);
            _preparer.Reset();
            _proposals.Clear();

            // Every session gets a full timeout to reach this leader (through any silo), as after a restart.
            var now = Environment.TickCount64;
            foreach (var s in Tree.Sessions.Values)
            {
                if (_sessions.IsLive(s.SessionId))
                {
                    _sessions.SetTimeout(s.SessionId, s.TimeOut, now);
                }
                else
                {
                    _sessions.Add(s.SessionId, s.TimeOut, now);
                }
            }

            _nextContainerCheck = now + Options.ContainerCheckIntervalMs;
        }

        IsServing = true;
    }

    /// <summary>Not serving: every client is disconnected (they reconnect to a serving silo) and pending work is dropped.</summary>
    private void DropClients()
    {
        foreach (var c in _connections.ToList())
        {
            c.Abort();
        }

        _waiting.Clear();
        _forwardedById.Clear();
        _forwardedByTxn.Clear();
        _syncs.Clear();
        _proposals.Clear();
        _preparer.Reset();
    }

    /// <summary>Leader: stamps the next zxid on a prepared body and proposes it to the ensemble.</summary>
    private void Propose(long sessionId, int cxid, TxnBody body, PendingRequest? pending)
    {
        var zxid = _replica!.NextProposalZxid;
        var txn = new Transaction(new TxnHeader(sessionId, cxid, zxid, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), body.Type), body);
        _txnWriter.Clear();
        txn.Write(_txnWriter);
        var result = zxid == 0 ? default : _replica.Propose(_txnWriter.ToArray());
        if (zxid == 0 || !result.Accepted || result.Zxid != zxid)
        {
            // Leadership is being lost: the status change that follows disconnects every client.
            _logger.LogWarning("Cannot propose (zxid 0x{Zxid:x}): {Reason}", zxid, zxid == 0 ? "not an established leader" : result.Rejection.ToString());
            _preparer.Reset();
            pending?.Connection.Abort();
            return;
        }

        _lastStampedZxid = zxid;
        if (pending is not null)
        {
            pending.TxnZxid = zxid;
            pending.WaitZxid = zxid;
        }

        _proposals.Enqueue((txn, pending, System.Diagnostics.Stopwatch.GetTimestamp()));
        Metrics.CountProposal(_txnWriter.Length);
    }

    private void ApplyCommittedEntry(LogEntry entry)
    {
        Transaction txn;
        PendingRequest? pending = null;
        long appendedAt = 0;
        while (_proposals.Count > 0 && _proposals.Peek().Txn.Zxid < entry.Zxid)
        {
            _proposals.Dequeue();
        }

        if (_proposals.Count > 0 && _proposals.Peek().Txn.Zxid == entry.Zxid)
        {
            (txn, pending, appendedAt) = _proposals.Dequeue();
        }
        else
        {
            try
            {
                txn = Transaction.Deserialize(entry.Payload);
            }
            catch (JuteException e)
            {
                // Every silo would fail the same way: this is a bug, never a reason to diverge silently.
                _logger.LogCritical("Committed txn 0x{Zxid:x} cannot be decoded ({Reason}); this silo stops serving", entry.Zxid, e.Message);
                FailStorage(new Storage.StorageFailedException($"committed txn 0x{entry.Zxid:x} cannot be decoded: {e.Message}", e));
                return;
            }

            if (txn.Zxid != entry.Zxid)
            {
                txn = txn with { Header = txn.Header with { Zxid = entry.Zxid } };
            }
        }

        if (appendedAt != 0)
        {
            Metrics.FsyncLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(appendedAt).TotalSeconds);
        }

        var results = Tree.Apply(txn);
        _preparer.Applied(txn.Zxid);
        Stats.CountCommitted();
        Metrics.CountCommit();
        _txnsSinceSnapshot++;
        AfterApply(txn);
        if (pending is null && _forwardedByTxn.Remove((txn.Header.SessionId, txn.Header.Cxid), out var forwardId)
            && _forwardedById.Remove(forwardId, out var forwarded))
        {
            pending = forwarded;
        }

        if (pending is not null)
        {
            pending.Results = results;
            pending.TxnZxid = txn.Zxid;
            pending.WaitZxid = txn.Zxid;
            Drain(pending.Connection);
        }

        DrainWaiting();
        if (_txnsSinceSnapshot >= _snapshotThreshold)
        {
            StartSnapshot();
        }
    }

    /// <summary>Follower: sends a client's write to the leader; it is answered when its txn comes back committed.</summary>
    private void ForwardWrite(RequestWork work, PendingRequest pending)
    {
        var conn = work.Connection;
        var id = ++_nextForwardId;
        if (!_replica!.Forward(id, ForwardCodec.Request(conn.SessionId, conn.AuthIds, work.Xid, work.Type, work.Request)))
        {
            conn.Abort();
            return;
        }

        pending.WaitZxid = long.MaxValue;
        _forwardedById[id] = pending;
        _forwardedByTxn[(conn.SessionId, work.Xid)] = id;
    }

    /// <summary>Follower: asks the leader to create a session accepted here; the handshake is answered on commit.</summary>
    private void ForwardCreateSession(long sessionId, int timeout, byte[] passwd, PendingRequest pending)
    {
        var id = ++_nextForwardId;
        if (!_replica!.Forward(id, ForwardCodec.CreateSession(sessionId, timeout, passwd)))
        {
            pending.Connection.Abort();
            return;
        }

        pending.WaitZxid = long.MaxValue;
        _forwardedById[id] = pending;
        _forwardedByTxn[(sessionId, 0)] = id;
    }

    /// <summary>Starts a linearizable sync; the pending reply is released once this silo applied the leader's commit point.</summary>
    private void StartSync(PendingRequest pending)
    {
        var id = ++_nextSyncId;
        pending.WaitZxid = long.MaxValue;
        _syncs[id] = pending;
        _replica!.RequestSync(id);
    }

    /// <summary>Leader: a follower's client asked for a write (or a session, or keeps sessions alive).</summary>
    private void OnForwardedRequest(ForwardedRequest f)
    {
        ForwardCodec.Forwarded m;
        try
        {
            m = ForwardCodec.Decode(f.Payload, Options.JuteMaxBuffer);
        }
        catch (JuteException e)
        {
            _logger.LogWarning("Malformed forwarded request from server {Origin}: {Reason}", f.Origin, e.Message);
            _replica!.ReplyToForward(f.Origin, f.RequestId, ForwardCodec.Error(ErrorCode.MarshallingError, _lastStampedZxid));
            return;
        }

        var now = Environment.TickCount64;
        switch (m.Kind)
        {
            case ForwardKind.Touch:
                foreach (var s in m.Sessions)
                {
                    _sessions.Touch(s, now);
                }

                return;
            case ForwardKind.CreateSession:
                if (!Tree.Sessions.ContainsKey(m.SessionId))
                {
                    _sessions.Add(m.SessionId, m.Timeout, now);
                    Propose(m.SessionId, 0, new CreateSessionTxn(m.Timeout, m.Passwd), null);
                }

                return;
        }

        if (m.Type == OpCode.CloseSession)
        {
            if (_sessions.IsLive(m.SessionId))
            {
                CloseSession(m.SessionId, null, m.Xid);
            }
            else
            {
                _replica!.ReplyToForward(f.Origin, f.RequestId, ForwardCodec.Error(ErrorCode.SessionExpired, _lastStampedZxid));
            }

            return;
        }

        if (!_sessions.Touch(m.SessionId, now))
        {
            _replica!.ReplyToForward(f.Origin, f.RequestId, ForwardCodec.Error(ErrorCode.SessionExpired, _lastStampedZxid));
            return;
        }

        var prep = _preparer.Prepare(m.Type, m.Request, m.SessionId, m.AuthIds, _lastStampedZxid + 1);
        if (prep.Body is not null)
        {
            Propose(m.SessionId, m.Xid, prep.Body, null);
        }
        else if (m.Type == OpCode.Multi)
        {
            _replica!.ReplyToForward(f.Origin, f.RequestId, ForwardCodec.FailedMulti(prep.MultiResults ?? [], _lastStampedZxid));
        }
        else
        {
            _replica!.ReplyToForward(f.Origin, f.RequestId, ForwardCodec.Error(prep.Err, _lastStampedZxid));
        }
    }

    /// <summary>Follower: the leader answered a forwarded request without a txn (a prep error), or is not the leader.</summary>
    private void OnForwardReply(ForwardReplyReceived r)
    {
        if (!_forwardedById.Remove(r.RequestId, out var pending))
        {
            return;
        }

        _forwardedByTxn.Remove((pending.Connection.SessionId, pending.Xid));
        if (r.Status != ForwardStatus.Reply || r.Payload.Length == 0)
        {
            pending.Connection.Abort();
            return;
        }

        try
        {
            var reader = new JuteReader(r.Payload.AsSpan(1), int.MaxValue);
            switch ((ForwardAnswer)r.Payload[0])
            {
                case ForwardAnswer.Error:
                    pending.Kind = PendingKind.Immediate;
                    pending.Err = (ErrorCode)reader.ReadInt();
                    pending.WaitZxid = reader.ReadLong();
                    if (pending.Err == ErrorCode.SessionExpired)
                    {
                        pending.CloseAfter = true;
                    }

                    break;
                case ForwardAnswer.FailedMulti:
                    pending.Kind = PendingKind.FailedMulti;
                    pending.WaitZxid = reader.ReadLong();
                    pending.MultiResults = MultiResponse.Read(ref reader).Results;
                    break;
                default:
                    throw new JuteException($"unknown answer kind {r.Payload[0]}");
            }
        }
        catch (JuteException e)
        {
            _logger.LogWarning("Malformed answer from the leader to request {Id}: {Reason}", r.RequestId, e.Message);
            pending.Connection.Abort();
            return;
        }

        Drain(pending.Connection);
    }

    /// <summary>
    /// Follower: tells the leader which sessions sent something here since the last report, so that they do not
    /// expire (as ZooKeeper's followers report session touches with their pings).
    /// </summary>
    private void ReportSessions(long now)
    {
        if (now < _nextTouchReport || !IsServing || _touched.Count == 0)
        {
            return;
        }

        _nextTouchReport = now + Math.Max(10, Options.TickTime / 2);
        if (_replica!.Forward(0, ForwardCodec.Touch(_touched)))
        {
            _touched.Clear();
        }
    }

    /// <summary>Follower: replaces the tree with the leader's snapshot, stores it, then tells the core.</summary>
    private void InstallLeaderSnapshot(long zxid, byte[] data)
    {
        Tree tree;
        try
        {
            using var inflate = new System.IO.Compression.ZLibStream(new MemoryStream(data, writable: false), System.IO.Compression.CompressionMode.Decompress);
            tree = Tree.Load(inflate, $"snapshot from the leader at zxid 0x{zxid:x}");
        }
        catch (Exception e) when (e is InvalidDataException or DataTree.Tree.SnapshotFormatException or Storage.StorageCorruptedException or JuteException)
        {
            _logger.LogError("The leader's snapshot at zxid 0x{Zxid:x} is unusable: {Reason}", zxid, e.Message);
            return;
        }

        DropClients();
        FillConfigNode(tree);
        Tree = tree;
        _preparer = new Preparer(tree, new PrepOptions(Options.ExtendedTypesEnabled));
        var now = Environment.TickCount64;
        foreach (var s in tree.Sessions.Values)
        {
            _sessions.Add(s.SessionId, s.TimeOut, now);
        }

        _txnsSinceSnapshot = 0;
        _snapshotsInstalled++;
        _logger.LogInformation("Installed the leader's snapshot at zxid 0x{Zxid:x} ({Nodes} nodes)", zxid, tree.NodeCount);
        var image = tree.CaptureImage();
        var previous = _snapshotTask ?? Task.CompletedTask;
        _snapshotTask = previous.ContinueWith(async _ =>
        {
            try
            {
                await _storage!.SaveSnapshotAsync(image).ConfigureAwait(false);
                Post(new ActionWork(() => _replica!.SnapshotInstalled(zxid)));
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Storing the leader's snapshot at zxid 0x{Zxid:x} failed", zxid);
            }
        }, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Leader: a follower needs a snapshot; an image of the applied tree is captured here and encoded aside.</summary>
    private void ServeSnapshot()
    {
        var image = Tree.CaptureImage();
        _ = Task.Run(() =>
        {
            // Compressed: a SNAP travels as one message, bounded by the transport's frame limit.
            using var buffer = new MemoryStream();
            using (var deflate = new System.IO.Compression.ZLibStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            {
                image.WriteTo(deflate);
            }

            return buffer.ToArray();
        }).ContinueWith(
            t =>
            {
                if (t.IsFaulted)
                {
                    _logger.LogError(t.Exception!.GetBaseException(), "Encoding a snapshot for a follower failed");
                    return;
                }

                Post(new ActionWork(() => _replica!.SnapshotReady(image.LastZxid, t.Result)));
            },
            TaskScheduler.Default);
    }
}
