using Orleans.Coordination.Protocol.Txn;

namespace Orleans.Coordination.Server.Processing;

/// <summary>
/// Where stamped txns go to become durable. The sink reports durability by calling the callback it was
/// created with (from any thread) with the highest zxid now on disk; txns are appended in zxid order.
/// </summary>
public interface ITxnSink : IAsyncDisposable
{
    /// <summary>Appends a txn; returns its serialized size in bytes.</summary>
    int Append(Transaction txn);
}

/// <summary>No durability: every txn is reported durable as soon as it is appended.</summary>
public sealed class InMemoryTxnSink(Action<long> durable) : ITxnSink
{
    public int Append(Transaction txn)
    {
        durable(txn.Zxid);
        return 0;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
