namespace Orleans.Coordination.Server.Sessions;

/// <summary>
/// Expiry bookkeeping for live sessions (apply thread only). A session expires when no packet has
/// arrived within its timeout; deadlines are rounded up to the next tick, as ZooKeeper's buckets are.
/// </summary>
public sealed class SessionTracker(int tickTime)
{
    private readonly Dictionary<long, Entry> _sessions = [];

    private sealed class Entry(int timeout)
    {
        public int Timeout { get; set; } = timeout;

        public long ExpiresAt { get; set; }

        public bool Closing { get; set; }
    }

    public int Count => _sessions.Count;

    public void Add(long sessionId, int timeout, long now)
    {
        var e = new Entry(timeout);
        _sessions[sessionId] = e;
        e.ExpiresAt = Deadline(now, timeout);
    }

    public bool IsLive(long sessionId) => _sessions.TryGetValue(sessionId, out var e) && !e.Closing;

    /// <summary>Renews the deadline; false if the session is unknown or closing.</summary>
    public bool Touch(long sessionId, long now)
    {
        if (!_sessions.TryGetValue(sessionId, out var e) || e.Closing)
        {
            return false;
        }

        e.ExpiresAt = Deadline(now, e.Timeout);
        return true;
    }

    public void SetTimeout(long sessionId, int timeout, long now)
    {
        if (_sessions.TryGetValue(sessionId, out var e))
        {
            e.Timeout = timeout;
            e.ExpiresAt = Deadline(now, timeout);
        }
    }

    /// <summary>Marks a session as closing: no more requests are accepted for it.</summary>
    public void MarkClosing(long sessionId)
    {
        if (_sessions.TryGetValue(sessionId, out var e))
        {
            e.Closing = true;
        }
    }

    public void Remove(long sessionId) => _sessions.Remove(sessionId);

    /// <summary>Sessions past their deadline and not yet closing.</summary>
    public List<long> TakeExpired(long now)
    {
        List<long>? expired = null;
        foreach (var (id, e) in _sessions)
        {
            if (!e.Closing && e.ExpiresAt <= now)
            {
                (expired ??= []).Add(id);
            }
        }

        return expired ?? [];
    }

    public IEnumerable<(long SessionId, int Timeout, long ExpiresAt)> All() =>
        _sessions.Select(kv => (kv.Key, kv.Value.Timeout, kv.Value.ExpiresAt));

    private long Deadline(long now, int timeout)
    {
        var t = now + timeout;
        return ((t / tickTime) + 1) * tickTime;
    }
}
