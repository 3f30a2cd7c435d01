using Microsoft.Extensions.Logging;

namespace Orleans.Coordination.Storage.Log;

/// <summary>Settings of a <see cref="FileTxnLog"/>.</summary>
public sealed class TxnLogOptions
{
    /// <summary>Default size of a preallocated segment: 64 MiB.</summary>
    public const long DefaultSegmentSize = 64L * 1024 * 1024;

    /// <summary>Smallest allowed segment size.</summary>
    public const long MinSegmentSize = 4096;

    /// <summary>Largest allowed segment size: 1 GiB (a segment is scanned in memory at recovery).</summary>
    public const long MaxSegmentSize = 1L << 30;

    /// <summary>Bytes each segment is preallocated with; a record that does not fit starts a new segment.</summary>
    public long SegmentSize { get; init; } = DefaultSegmentSize;

    /// <summary>
    /// When false, no fsync is ever issued and records are reported durable once written to the
    /// OS. UNSAFE: a power loss or kernel crash loses acknowledged records. Benchmarks and tests only.
    /// </summary>
    public bool ForceSync { get; init; } = true;

    /// <summary>
    /// When true, damage before the tail of the log is repaired by truncating the log at the
    /// damage (with a warning) instead of failing <see cref="FileTxnLog.Open"/> with
    /// <see cref="LogCorruptedException"/>. Everything after the damage is lost.
    /// </summary>
    public bool Repair { get; init; }

    /// <summary>
    /// Append blocks while this many bytes of records wait for the flusher (backpressure when
    /// the disk is slower than the appender). Default 64 MiB.
    /// </summary>
    public int MaxPendingBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>The files; <see cref="PhysicalLogFileSystem"/> unless a test injects another.</summary>
    public ILogFileSystem FileSystem { get; init; } = PhysicalLogFileSystem.Instance;

    /// <summary>Receives recovery warnings (torn tail truncated, repair) and flusher failures.</summary>
    public ILogger? Logger { get; init; }

    internal void Validate()
    {
        if (SegmentSize is < MinSegmentSize or > MaxSegmentSize)
        {
            throw new ArgumentOutOfRangeException(nameof(SegmentSize), SegmentSize,
                $"SegmentSize must be between {MinSegmentSize} and {MaxSegmentSize} bytes.");
        }

        if (MaxPendingBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPendingBytes), MaxPendingBytes, "MaxPendingBytes must be positive.");
        }

        ArgumentNullException.ThrowIfNull(FileSystem);
    }
}
