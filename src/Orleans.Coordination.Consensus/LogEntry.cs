namespace Orleans.Coordination.Consensus;

/// <summary>One replicated transaction: its zxid and the silo's opaque payload (never modified by the core).</summary>
/// <param name="Zxid">The zxid the leader stamped.</param>
/// <param name="Payload">Opaque bytes, typically a serialised txn. Treat as immutable.</param>
public readonly record struct LogEntry(long Zxid, byte[] Payload)
{
    /// <inheritdoc />
    public override string ToString() => $"{Consensus.Zxid.Format(Zxid)}({Payload.Length}B)";
}
