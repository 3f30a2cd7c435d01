using System.Diagnostics;

namespace Orleans.Coordination.Benchmarks;

/// <summary>
/// Collects latencies (microsecond resolution) and errors of one connection over a measured window; merged at the end.
/// Throughput counts the replies that arrive inside the window. Latency also covers the requests still in flight when
/// the window closes: their replies, however late, are latency samples (a stall across the end of the window must
/// show in p99 and max rather than drop out), and a request never answered counts its age when the run gave up.
/// </summary>
internal sealed class LatencyRecorder
{
    private readonly List<int> _micros = new(1 << 16);
    private long _windowStart;
    private long _windowEnd;

    /// <summary>Error replies and lost requests (inside the window, or in flight when it closed).</summary>
    public long Errors { get; private set; }

    /// <summary>Requests in flight on a connection that closed before their replies came.</summary>
    public long Lost { get; private set; }

    /// <summary>Replies inside the window (the throughput's count).</summary>
    public long Count { get; private set; }

    /// <summary>Requests in flight when the window closed (answered later or never; latency samples, not throughput).</summary>
    public long Late { get; private set; }

    /// <summary>Opens the window (any thread).</summary>
    public void Start(long timestamp) => Volatile.Write(ref _windowStart, timestamp);

    /// <summary>Closes the window (any thread).</summary>
    public void Stop(long timestamp) => Volatile.Write(ref _windowEnd, timestamp);

    /// <summary>A reply at <paramref name="now"/> to the request sent at <paramref name="sent"/> (Stopwatch timestamps).</summary>
    public void Record(long sent, long now, bool error)
    {
        var start = Volatile.Read(ref _windowStart);
        var end = Volatile.Read(ref _windowEnd);
        if (start == 0 || now < start)
        {
            return;
        }

        var inWindow = end == 0 || now <= end;
        if (!inWindow && sent > end)
        {
            return;
        }

        if (inWindow)
        {
            Count++;
        }
        else
        {
            Late++;
        }

        Add(sent, now);
        if (error)
        {
            Errors++;
        }
    }

    /// <summary>A request sent at <paramref name="sent"/> that the run stopped waiting for at <paramref name="now"/>.</summary>
    public void RecordUnanswered(long sent, long now)
    {
        var end = Volatile.Read(ref _windowEnd);
        if (Volatile.Read(ref _windowStart) != 0 && end != 0 && sent <= end)
        {
            Late++;
            Lost++;
            Errors++;
            Add(sent, now);
        }
    }

    /// <summary>Counts <paramref name="requests"/> that will never be answered as errors (no latency sample).</summary>
    public void RecordLost(int requests)
    {
        var now = Stopwatch.GetTimestamp();
        var start = Volatile.Read(ref _windowStart);
        var end = Volatile.Read(ref _windowEnd);
        if (start != 0 && now >= start && (end == 0 || now <= end))
        {
            Lost += requests;
            Errors += requests;
        }
    }

    private void Add(long sent, long now) =>
        _micros.Add((int)Math.Min(int.MaxValue, Stopwatch.GetElapsedTime(sent, now).Ticks / 10));

    public static (long Count, long Errors, long Lost, long Late, double P50, double P99, double P999, double Max) Merge(IEnumerable<LatencyRecorder> recorders)
    {
        var all = recorders.SelectMany(r => r._micros).ToArray();
        var count = recorders.Sum(r => r.Count);
        var errors = recorders.Sum(r => r.Errors);
        var lost = recorders.Sum(r => r.Lost);
        var late = recorders.Sum(r => r.Late);
        if (all.Length == 0)
        {
            return (count, errors, lost, late, 0, 0, 0, 0);
        }

        Array.Sort(all);
        double At(double q) => all[Math.Min(all.Length - 1, (int)(q * all.Length))] / 1000.0;
        return (count, errors, lost, late, At(0.50), At(0.99), At(0.999), all[^1] / 1000.0);
    }
}
