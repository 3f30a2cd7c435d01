namespace Orleans.Coordination.Benchmarks;

/// <summary>Collects latencies (microsecond resolution) and errors; one per connection, merged at the end.</summary>
internal sealed class LatencyRecorder
{
    private readonly List<int> _micros = new(1 << 16);

    public bool Recording { get; set; }

    /// <summary>Error replies plus lost requests.</summary>
    public long Errors { get; private set; }

    /// <summary>Requests in flight on a connection that closed before their replies came.</summary>
    public long Lost { get; private set; }

    public int Count => _micros.Count;

    public void Record(TimeSpan latency, bool error)
    {
        if (!Recording)
        {
            return;
        }

        _micros.Add((int)Math.Min(int.MaxValue, latency.Ticks / 10));
        if (error)
        {
            Errors++;
        }
    }

    /// <summary>Counts <paramref name="requests"/> that will never be answered as errors (no latency sample).</summary>
    public void RecordLost(int requests)
    {
        if (!Recording)
        {
            return;
        }

        Lost += requests;
        Errors += requests;
    }

    public static (long Count, long Errors, long Lost, double P50, double P99, double P999, double Max) Merge(IEnumerable<LatencyRecorder> recorders)
    {
        var all = recorders.SelectMany(r => r._micros).ToArray();
        var errors = recorders.Sum(r => r.Errors);
        var lost = recorders.Sum(r => r.Lost);
        if (all.Length == 0)
        {
            return (0, errors, lost, 0, 0, 0, 0);
        }

        Array.Sort(all);
        double At(double q) => all[Math.Min(all.Length - 1, (int)(q * all.Length))] / 1000.0;
        return (all.Length, errors, lost, At(0.50), At(0.99), At(0.999), all[^1] / 1000.0);
    }
}
