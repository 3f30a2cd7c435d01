using Orleans.Coordination.Consensus.Messages;

namespace Orleans.Coordination.Consensus;

// ReplicaCore: Zab as a deterministic state machine (one instance per server).
//
// Inputs:  Start, Tick, Receive(from, message), Persisted(zxid), EpochPersisted(state), SnapshotInstalled(zxid),
//          SnapshotReady(zxid, bytes), Propose(payload), Forward/ReplyToForward, RequestSync(id), Compact(zxid).
// Outputs: drained with TakeOutputs(): SendMessage, AppendToLog, TruncateLog, PersistEpochs, InstallSnapshot,
//          SnapshotRequested, ApplyCommitted, StatusChanged, ForwardedRequest, ForwardReplyReceived, SyncCompleted,
//          SyncFailed. Nothing else leaves the core: no sockets, threads, clocks, randomness or files.
//
// Phases (ZooKeeper's names in capitals):
//  1. Election (Looking): fast leader election. Voters exchange Notifications carrying a vote
//     (currentEpoch, lastZxid, serverId), adopt better votes, and decide once a quorum of voters shares their vote
//     (after FinalizeWaitTicks without a better one). A looking server also joins a leader that says it is Leading
//     when a quorum of voters report following it. Observers never vote; they only learn the leader that way.
//  2. Discovery: each follower sends FOLLOWERINFO(acceptedEpoch, currentEpoch, lastZxid). Once the leader has it
//     from a quorum of voters (itself included) it proposes NEWEPOCH e = 1 + max acceptedEpoch, makes e its own
//     durable acceptedEpoch, and waits for a quorum of ACKEPOCH. A follower acknowledges an epoch only if it is
//     newer than its acceptedEpoch, or equal and proposed by the same leader (the leader id is persisted with the
//     epoch), and only after acceptedEpoch is durable: so two leaders can never both gather a quorum for one
//     epoch. If a voter's (currentEpoch, lastZxid) is ahead of the leader's, the leader steps down: its history
//     might miss committed transactions.
//  3. Synchronisation: the leader's whole log is its initial history H. Each follower gets DIFF (its last zxid is
//     in H: the rest of H), TRUNC (it has records H lacks: drop them, then the rest of H) or SNAP (H's records it
//     needs were compacted: the shell's snapshot of applied state at a committed zxid Z, then H after Z), followed
//     by NEWLEADER. A follower acknowledges NEWLEADER only when everything it was sent is durable (Persisted,
//     SnapshotInstalled) and, after that, currentEpoch = e is durable (ZOOKEEPER-3911/4394/4643/4646/4685). A
//     snapshot being installed holds back every later log append until SnapshotInstalled, so the log never
//     continues past a snapshot that is not on disk (ZOOKEEPER-3642, 2678). The leader needs its own H durable and
//     its own currentEpoch = e durable too. It is established when a quorum of voters (itself included) acked
//     NEWLEADER; H is then committed.
//  4. Broadcast: Propose stamps zxid = e << 32 | counter, appends locally (AppendToLog) and replicates to every
//     active follower in PROPOSALs that name the zxid they follow (prevZxid); a follower appends only at its log's
//     end, otherwise it NACKs with its last zxid and the leader resends from there, so no log ever has a gap.
//     Followers ACK cumulatively once records are durable. The leader commits the highest zxid durable on a quorum
//     of voters (itself after Persisted) and tells followers by COMMIT or piggybacked on PROPOSAL and PING;
//     observers get INFORM with committed records only. Every server hands committed records to the shell
//     (ApplyCommitted) strictly in zxid order.
//  Liveness: the leader pings every HeartbeatTicks; a follower that hears nothing for SyncLimitTicks, or a leader
//  that has not heard from a quorum for SyncLimitTicks, goes back to election; discovery plus synchronisation must
//  finish within InitLimitTicks. Followers forward writes (ForwardRequest) and syncs (SyncRequest) to the leader.
//  A sync is linearizable: the leader notes its commit point, confirms with a quorum ping round that it still
//  leads, answers, and the follower completes once it has applied that far.
//
// Invariants (checked by the simulator after every step):
//  - at most one leader is established per epoch;
//  - every server's applied sequence is a prefix of one history; a committed txn is never lost or reordered;
//  - a record is acknowledged only once durable, so every committed txn stays durable on a quorum;
//  - logs are gap-free (Zxid.IsSuccessor between neighbours) and truncation never removes a committed record.
//
// Durability: the core never assumes one file is durable before another (log, epoch file, snapshot store); it
// waits for Persisted / EpochPersisted / SnapshotInstalled. Within the log, appends and truncations apply in order.
//
// Threading: not thread-safe. The shell calls every input from one thread (the silo's apply loop) and drains
// TakeOutputs after each batch of inputs. README.md in this folder gives the integration contract for the silo.

/// <summary>
/// One server's replication core: Zab-style election, discovery, synchronisation and broadcast as a pure state
/// machine. See the design comment at the top of this file for messages, phases and invariants.
/// </summary>
public sealed partial class ReplicaCore
{
    private readonly ReplicaOptions _options;
    private readonly int _id;
    private readonly bool _isObserver;
    private readonly int[] _voters;
    private readonly HashSet<int> _voterSet;
    private readonly HashSet<int> _memberSet;
    private readonly int _quorum;
    private readonly long _incarnation;
    private List<ReplicaOutput> _outputs = [];
    private bool _started;

    private long _now;
    private ReplicaRole _role = ReplicaRole.Looking;
    private int _leaderId = -1;
    private long _epoch;
    private bool _serving;
    private ReplicaStatus? _reportedStatus;

    private EpochState _epochs;
    private EpochState _durableEpochs;

    /// <summary>Creates the core for one server from its configuration and the state it found on disk.</summary>
    /// <exception cref="ArgumentException">The options are invalid, or the durable state is inconsistent (log not ascending, gaps).</exception>
    public ReplicaCore(ReplicaOptions options, ReplicaDurableState state)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(state);
        options.Validate();
        _options = options;
        _id = options.ServerId;
        _isObserver = options.Members.First(m => m.Id == _id).Role == MemberRole.Observer;
        _voters = [.. options.Members.Where(m => m.Role == MemberRole.Voter).Select(m => m.Id).Order()];
        _voterSet = [.. _voters];
        _memberSet = [.. options.Members.Select(m => m.Id)];
        _quorum = (_voters.Length / 2) + 1;
        _incarnation = state.Incarnation;
        _epochs = _durableEpochs = state.Epochs;
        LoadLog(state);
    }

    /// <summary>This server's id.</summary>
    public int ServerId => _id;

    /// <summary>The current role.</summary>
    public ReplicaRole Role => _role;

    /// <summary>The leader this server is with, or -1.</summary>
    public int LeaderId => _leaderId;

    /// <summary>The epoch being led or followed once known, else 0.</summary>
    public long Epoch => _epoch;

    /// <summary>Whether this server may serve writes (see <see cref="ReplicaStatus.IsServing"/>).</summary>
    public bool IsServing => _serving;

    /// <summary>The latest status (also reported through <see cref="StatusChanged"/>).</summary>
    public ReplicaStatus Status => new(_role, _leaderId, _epoch, _serving);

    /// <summary>The epoch record as last requested (it may not be durable yet).</summary>
    public EpochState Epochs => _epochs;

    /// <summary>The epoch record known durable.</summary>
    public EpochState DurableEpochs => _durableEpochs;

    /// <summary>The last zxid in the log (durable or not); the snapshot point when the log is empty.</summary>
    public long LastLoggedZxid => LastLogged;

    /// <summary>Every log record up to here is known durable.</summary>
    public long DurableZxid => DurablePoint;

    /// <summary>The highest zxid known committed.</summary>
    public long CommittedZxid => _committed;

    /// <summary>The last zxid handed to the shell with <see cref="ApplyCommitted"/> (or the installed snapshot's).</summary>
    public long AppliedZxid => _delivered;

    /// <summary>Zxid below which log records were compacted away (the snapshot point).</summary>
    public long SnapshotZxid => _base;

    /// <summary>Number of records held in memory for synchronising followers.</summary>
    public int RetainedRecords => _log.Count;

    /// <summary>Ticks seen so far.</summary>
    public long Now => _now;

    /// <summary>
    /// Messages from peers that broke the protocol (a TRUNC below the commit point, a history with a gap, and so on).
    /// The core refuses them and looks for a leader again; a non-zero count means a peer or the core has a bug.
    /// </summary>
    public long ProtocolViolations { get; private set; }

    /// <summary>Description of the last protocol violation, if any.</summary>
    public string? LastViolation { get; private set; }

    /// <summary>
    /// Starts the core: hands back the records already known committed (<see cref="ReplicaDurableState.CommittedZxid"/>)
    /// and begins looking for a leader. Call once, before any other input.
    /// </summary>
    public void Start()
    {
        if (_started)
        {
            throw new InvalidOperationException("Start was already called");
        }

        _started = true;
        DeliverCommitted();
        StartLooking();
    }

    /// <summary>Advances the core's clock by one tick: timeouts, heartbeats and retransmissions.</summary>
    public void Tick()
    {
        EnsureStarted();
        _now++;
        switch (_role)
        {
            case ReplicaRole.Looking:
                TickElection();
                break;
            case ReplicaRole.Leading:
                TickLeader();
                break;
            default:
                TickFollower();
                break;
        }
    }

    /// <summary>Handles a message that server <paramref name="from"/> sent.</summary>
    public void Receive(int from, ReplicaMessage message)
    {
        EnsureStarted();
        ArgumentNullException.ThrowIfNull(message);
        if (from == _id || !_memberSet.Contains(from))
        {
            return;
        }

        switch (message)
        {
            case Notification m:
                OnNotification(from, m);
                break;
            case FollowerInfo or AckEpoch or AckNewLeader or SnapNeeded or Ack or Nack or PingAck or ForwardRequest or SyncRequest:
                if (_role == ReplicaRole.Leading)
                {
                    ReceiveAsLeader(from, message);
                }
                else if (message is ForwardRequest fr)
                {
                    Send(from, new ForwardReply(fr.RequestId, ForwardStatus.NotLeader, []));
                }
                else if (message is SyncRequest sr)
                {
                    Send(from, new SyncReply(0, sr.SyncId, -1));
                }

                break;
            default:
                if (_role is ReplicaRole.Following or ReplicaRole.Observing && from == _leaderId)
                {
                    ReceiveAsFollower(message);
                }

                break;
        }
    }

    /// <summary>
    /// The shell's log made every record appended so far with a zxid up to <paramref name="upToZxid"/> durable
    /// (ITxnLog's Durable event). Reports may be late or repeated; they never need to be exact.
    /// </summary>
    public void Persisted(long upToZxid)
    {
        EnsureStarted();
        if (_fenceHigh != 0)
        {
            // A report about records appended before a truncation is not about the records that replaced them.
            if (upToZxid <= _fenceHigh)
            {
                upToZxid = Math.Min(upToZxid, _fenceLow);
            }
            else
            {
                _fenceHigh = 0;
            }
        }

        upToZxid = Math.Min(upToZxid, LastLogged);
        if (upToZxid <= _durable)
        {
            return;
        }

        _durable = upToZxid;
        OnDurableAdvanced();
    }

    /// <summary>The shell made <paramref name="epochs"/> (from a <see cref="PersistEpochs"/> output) durable.</summary>
    public void EpochPersisted(EpochState epochs)
    {
        EnsureStarted();
        if (epochs.AcceptedEpoch < _durableEpochs.AcceptedEpoch
            || (epochs.AcceptedEpoch == _durableEpochs.AcceptedEpoch && epochs.CurrentEpoch < _durableEpochs.CurrentEpoch))
        {
            return;
        }

        _durableEpochs = epochs;
        OnEpochsDurable();
    }

    /// <summary>The shell durably installed the snapshot of an <see cref="InstallSnapshot"/> output.</summary>
    public void SnapshotInstalled(long zxid)
    {
        EnsureStarted();
        if (!_installPending || zxid != _installZxid)
        {
            return;
        }

        _installPending = false;
        _durable = Math.Max(_durable, zxid);
        if (_heldAppends is { Count: > 0 } held)
        {
            foreach (var entry in held)
            {
                EmitAppend(entry);
            }
        }

        _heldAppends = null;
        OnDurableAdvanced();
    }

    /// <summary>
    /// (Leader) answer to <see cref="SnapshotRequested"/>: <paramref name="data"/> is the applied state at
    /// <paramref name="zxid"/>, which must not be later than <see cref="AppliedZxid"/>.
    /// </summary>
    public void SnapshotReady(long zxid, byte[] data)
    {
        EnsureStarted();
        ArgumentNullException.ThrowIfNull(data);
        if (zxid > _delivered)
        {
            throw new ArgumentOutOfRangeException(nameof(zxid), $"snapshot at {Zxid.Format(zxid)} is later than the applied point {Zxid.Format(_delivered)}");
        }

        OnSnapshotReady(zxid, data);
    }

    /// <summary>
    /// (Leader) stamps <paramref name="payload"/> with the next zxid and proposes it. The payload is committed when
    /// it comes back as <see cref="ApplyCommitted"/>; if leadership is lost first, its fate is decided by the next
    /// leader (it may still commit).
    /// </summary>
    public ProposeResult Propose(byte[] payload)
    {
        EnsureStarted();
        ArgumentNullException.ThrowIfNull(payload);
        return ProposeAsLeader(payload);
    }

    /// <summary>
    /// The shell took a durable snapshot that covers every zxid up to <paramref name="zxid"/>: the core may forget
    /// log records up to there (followers further behind get a SNAP). Clamped to <see cref="AppliedZxid"/>.
    /// </summary>
    public void Compact(long zxid)
    {
        EnsureStarted();
        CompactLog(zxid);
    }

    /// <summary>Returns everything the shell must do, in order, and clears the outbox.</summary>
    public List<ReplicaOutput> TakeOutputs()
    {
        FlushLeader();
        FlushFollower();
        var outputs = _outputs;
        _outputs = [];
        return outputs;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"#{_id} {_role} leader={_leaderId} epoch={_epoch} serving={_serving} last={Zxid.Format(LastLogged)} durable={Zxid.Format(DurablePoint)} committed={Zxid.Format(_committed)} applied={Zxid.Format(_delivered)} epochs={_epochs.CurrentEpoch}/{_epochs.AcceptedEpoch}";

    private void EnsureStarted()
    {
        if (!_started)
        {
            throw new InvalidOperationException("call Start first");
        }
    }

    private void Send(int to, ReplicaMessage message) => _outputs.Add(new SendMessage(to, message));

    private void RequestEpochs(EpochState epochs)
    {
        _epochs = epochs;
        _outputs.Add(new PersistEpochs(epochs));
    }

    private void UpdateStatus()
    {
        var status = Status;
        if (status != _reportedStatus)
        {
            _reportedStatus = status;
            _outputs.Add(new StatusChanged(status));
        }
    }

    private void Violation(string what)
    {
        ProtocolViolations++;
        LastViolation = $"#{_id} at tick {_now}: {what}";
    }

    private void OnDurableAdvanced()
    {
        if (_role == ReplicaRole.Leading)
        {
            LeaderDurableAdvanced();
        }
        else if (_role != ReplicaRole.Looking)
        {
            FollowerDurableAdvanced();
        }
    }

    private void OnEpochsDurable()
    {
        if (_role == ReplicaRole.Leading)
        {
            LeaderEpochsDurable();
        }
        else if (_role != ReplicaRole.Looking)
        {
            FollowerEpochsDurable();
        }
    }

    /// <summary>Leaves the current role: pending syncs fail, leader and follower state is dropped.</summary>
    private void LeaveRole()
    {
        ResetLeader();
        ResetFollower();
        _serving = false;
    }
}
