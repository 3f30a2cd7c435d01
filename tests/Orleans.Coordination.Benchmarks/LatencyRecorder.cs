namespace Orleans.Coordination.Benchmarks;

/// <summary>Collects latencies (microsecond resolution) and errors; one per connection, merged at the end.</summary>
internal sealed class LatencyRecorder
{
    private readonly List<int> _micros = new(1 << 16);

    public bool Recording { get; set; }

    public long Errors { get; private set; }

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

    public static (long Count, long Errors, double P50, double P99, double P999, double Max) Merge(IEnumerable<LatencyRecorder> recorders)
    {
        var all = recorders.SelectMany(r => r._micros).ToArray();
        var errors = recorders.Sum(r => r.Errors);
        if (all.Length == 0)
        {
            return (0, errors, 0, 0, 0, 0);
        }

        Array.Sort(all);
        double At(double q) => all[Math.Min(all.Length - 1, (int)(q * all.Length))] / 1000.0;
        return (all.Length, errors, At(0.50), At(0.99), At(0.999), all[^1] / 1000.0);
    }
}
