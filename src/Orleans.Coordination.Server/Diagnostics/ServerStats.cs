namespace Orleans.Coordination.Server.Diagnostics;

/// <summary>Server-wide counters behind srvr, stat and mntr; safe to read from any thread.</summary>
public sealed class ServerStats
{
    private long _received;
    private long _sent;
    private long _committed;
    private long _expired;
    private long _minLatency = long.MaxValue;
    private long _maxLatency;
    private long _totalLatency;
    private long _latencyCount;

    public long Received => Interlocked.Read(ref _received);

    public long Sent => Interlocked.Read(ref _sent);

    public long Committed => Interlocked.Read(ref _committed);

    public long ExpiredSessions => Interlocked.Read(ref _expired);

    public long MinLatency => Interlocked.Read(ref _latencyCount) == 0 ? 0 : Interlocked.Read(ref _minLatency);

    public long MaxLatency => Interlocked.Read(ref _maxLatency);

    public double AvgLatency => Interlocked.Read(ref _latencyCount) == 0 ? 0 : (double)Interlocked.Read(ref _totalLatency) / Interlocked.Read(ref _latencyCount);

    public void CountReceived() => Interlocked.Increment(ref _received);

    public void CountCommitted() => Interlocked.Increment(ref _committed);

    public void CountExpired() => Interlocked.Increment(ref _expired);

    public void RecordLatency(long ms)
    {
        Interlocked.Increment(ref _sent);
        Interlocked.Add(ref _totalLatency, ms);
        Interlocked.Increment(ref _latencyCount);
        if (ms < Interlocked.Read(ref _minLatency))
        {
            Interlocked.Exchange(ref _minLatency, ms);
        }

        if (ms > Interlocked.Read(ref _maxLatency))
        {
            Interlocked.Exchange(ref _maxLatency, ms);
        }
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _received, 0);
        Interlocked.Exchange(ref _sent, 0);
        Interlocked.Exchange(ref _minLatency, long.MaxValue);
        Interlocked.Exchange(ref _maxLatency, 0);
        Interlocked.Exchange(ref _totalLatency, 0);
        Interlocked.Exchange(ref _latencyCount, 0);
    }
}
