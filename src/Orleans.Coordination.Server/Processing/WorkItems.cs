using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Network;

namespace Orleans.Coordination.Server.Processing;

/// <summary>An input to the apply loop. Everything that reads or changes silo state arrives as one.</summary>
public abstract record WorkItem;

public sealed record ConnectWork(ClientConnection Connection, ConnectRequest Request) : WorkItem;

/// <summary>A decoded request; <paramref name="ReceivedAt"/> is a Stopwatch timestamp.</summary>
public sealed record RequestWork(ClientConnection Connection, int Xid, OpCode Type, IJuteRecord? Request, long ReceivedAt) : WorkItem;

public sealed record ConnectionClosedWork(ClientConnection Connection) : WorkItem;

public sealed record DurableWork(long Zxid) : WorkItem;

public sealed record TickWork : WorkItem
{
    public static readonly TickWork Instance = new();
}

public sealed record FourLetterWork(ClientConnection Connection, string Word, TaskCompletionSource<string> Result) : WorkItem;

/// <summary>Runs an arbitrary action on the apply thread (tests, admin, snapshots).</summary>
public sealed record ActionWork(Action Action) : WorkItem;

/// <summary>What kind of answer a pending request needs once it reaches the head of its connection's queue.</summary>
public enum PendingKind
{
    /// <summary>Executed against the tree when it reaches the head.</summary>
    Read,

    /// <summary>Answered with the results its txn produced when applied.</summary>
    Write,

    /// <summary>Answered with a precomputed error code, or a header-only OK.</summary>
    Immediate,

    /// <summary>A failed multi: results computed by prep.</summary>
    FailedMulti,

    /// <summary>The handshake: answered with the connect response.</summary>
    Connect,
}

/// <summary>A request waiting for its reply, in its connection's arrival order.</summary>
public sealed class PendingRequest
{
    public required ClientConnection Connection { get; init; }

    public required int Xid { get; init; }

    public required OpCode Type { get; init; }

    public IJuteRecord? Request { get; init; }

    public required PendingKind Kind { get; set; }

    public long ReceivedAt { get; init; }

    /// <summary>The reply may be sent once the tree has applied this zxid.</summary>
    public long WaitZxid { get; set; }

    /// <summary>For writes: the txn's zxid; its results arrive when it is applied.</summary>
    public long TxnZxid { get; set; }

    public IReadOnlyList<DataTree.Tree.OpResult>? Results { get; set; }

    public ErrorCode Err { get; set; }

    public IReadOnlyList<MultiResult>? MultiResults { get; set; }

    /// <summary>Close the connection after this reply (closeSession, auth failure, unimplemented op).</summary>
    public bool CloseAfter { get; set; }

    /// <summary>For the handshake: the response to send.</summary>
    public ConnectResponse? ConnectResponse { get; set; }
}
