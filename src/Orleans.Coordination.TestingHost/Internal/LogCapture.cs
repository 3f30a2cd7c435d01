namespace Orleans.Coordination.TestingHost.Internal;

/// <summary>The last lines every silo of a cluster logged, kept in memory (a ring) for failure reports.</summary>
internal sealed class LogCapture(int capacity)
{
    private readonly Queue<string> _lines = new();

    public void Add(string line)
    {
        if (capacity <= 0)
        {
            return;
        }

        lock (_lines)
        {
            if (_lines.Count == capacity)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line);
        }
    }

    public IReadOnlyList<string> Snapshot()
    {
        lock (_lines)
        {
            return [.. _lines];
        }
    }
}
