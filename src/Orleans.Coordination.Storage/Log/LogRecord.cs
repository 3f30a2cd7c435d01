namespace Orleans.Coordination.Storage.Log;

/// <summary>One transaction log record: its zxid and the caller's opaque payload.</summary>
public readonly record struct LogRecord(long Zxid, ReadOnlyMemory<byte> Payload);
