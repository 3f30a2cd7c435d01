namespace Orleans.Coordination.Consensus;

/// <summary>
/// Zxid arithmetic: a zxid is <c>epoch &lt;&lt; 32 | counter</c>. Within one epoch the leader stamps counters
/// 1, 2, 3, ... without gaps, so a replica's log is a sequence of dense per-epoch runs.
/// </summary>
public static class Zxid
{
    /// <summary>The largest counter an epoch can use; the leader must start a new epoch after it.</summary>
    public const long MaxCounter = 0xFFFF_FFFFL;

    /// <summary>Builds the zxid for <paramref name="counter"/> in <paramref name="epoch"/>.</summary>
    public static long Make(long epoch, long counter) => (epoch << 32) | (counter & MaxCounter);

    /// <summary>The epoch part of <paramref name="zxid"/>.</summary>
    public static long EpochOf(long zxid) => zxid >>> 32;

    /// <summary>The counter part of <paramref name="zxid"/>.</summary>
    public static long CounterOf(long zxid) => zxid & MaxCounter;

    /// <summary>
    /// Whether <paramref name="next"/> may directly follow <paramref name="previous"/> in a gap-free history:
    /// the next counter of the same epoch, or the first counter of a later epoch (0, the empty history, is
    /// followed by the first counter of some epoch).
    /// </summary>
    public static bool IsSuccessor(long previous, long next) =>
        next > previous
        && (EpochOf(next) == EpochOf(previous) ? CounterOf(next) == CounterOf(previous) + 1 : CounterOf(next) == 1);

    /// <summary>Formats a zxid as <c>0xEEEE:CCCC</c> (epoch:counter, hexadecimal) for logs and traces.</summary>
    public static string Format(long zxid) => $"{EpochOf(zxid):x}:{CounterOf(zxid):x}";
}
