using System.Globalization;
using System.Text;
using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Server.Diagnostics;

/// <summary>A Prometheus histogram with fixed buckets; safe to record from any thread.</summary>
public sealed class Histogram(string name, string help, double[] bounds)
{
    private readonly long[] _counts = new long[bounds.Length + 1];
    private long _count;
    private long _sumMicros;

    public string Name { get; } = name;

    public string Help { get; } = help;

    public long Count => Interlocked.Read(ref _count);

    /// <summary>Records a value in the histogram's unit (seconds for latencies, bytes for sizes).</summary>
    public void Record(double value)
    {
        var i = 0;
        while (i < bounds.Length && value > bounds[i])
        {
            i++;
        }

        Interlocked.Increment(ref _counts[i]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sumMicros, (long)(value * 1_000_000));
    }

    public void WriteTo(StringBuilder sb, string labels = "")
    {
        var sep = labels.Length > 0 ? "," : "";
        long cumulative = 0;
        for (var i = 0; i < bounds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _counts[i]);
            sb.Append(CultureInfo.InvariantCulture, $"{Name}_bucket{{{labels}{sep}le=\"{bounds[i].ToString("G", CultureInfo.InvariantCulture)}\"}} {cumulative}\n");
        }

        cumulative += Interlocked.Read(ref _counts[^1]);
        sb.Append(CultureInfo.InvariantCulture, $"{Name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}\n");
        var braces = labels.Length > 0 ? "{" + labels + "}" : "";
        sb.Append(CultureInfo.InvariantCulture, $"{Name}_sum{braces} {(Interlocked.Read(ref _sumMicros) / 1_000_000.0).ToString("G", CultureInfo.InvariantCulture)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"{Name}_count{braces} {Interlocked.Read(ref _count)}\n");
    }
}

/// <summary>One metric of /metrics read at scrape time: its samples are (labels without braces, value).</summary>
/// <param name="Name">Prometheus name.</param>
/// <param name="Help">The HELP text.</param>
/// <param name="Type">"gauge" or "counter".</param>
/// <param name="Samples">One sample per label set; "" for no labels.</param>
public sealed record MetricFamily(string Name, string Help, string Type, IReadOnlyList<(string Labels, double Value)> Samples)
{
    public static MetricFamily Gauge(string name, string help, double value) => new(name, help, "gauge", [("", value)]);
}

/// <summary>
/// The silo's metrics, exposed at /metrics in the Prometheus text format. Names are documented in
/// docs/operations.md.
/// </summary>
public sealed class SiloMetrics
{
    private static readonly double[] LatencyBounds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
    private static readonly double[] SizeBounds = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576];
    private readonly Dictionary<OpCode, Histogram> _requestLatency = [];
    private long _proposals;
    private long _commits;
    private long _snapshots;
    private long _lastProposalSize = -1;
    private long _minProposalSize = -1;
    private long _maxProposalSize = -1;

    public SiloMetrics()
    {
        foreach (var op in Enum.GetValues<OpCode>())
        {
            _requestLatency[op] = new Histogram("coord_request_latency_seconds", "Time from a request's arrival to its reply, by op", LatencyBounds);
        }
    }

    public Histogram FsyncLatency { get; } = new("coord_fsync_latency_seconds", "Time from a txn's append to the log to the group commit that made it durable", LatencyBounds);

    public Histogram ProposalSize { get; } = new("coord_proposal_size_bytes", "Serialized size of each txn", SizeBounds);

    public Histogram SnapshotDuration { get; } = new("coord_snapshot_duration_seconds", "Time to write a snapshot to the store", [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300]);

    public Histogram SnapshotSize { get; } = new("coord_snapshot_size_bytes", "Compressed size of each snapshot", [1e4, 1e5, 1e6, 1e7, 1e8, 1e9]);

    public long Proposals => Interlocked.Read(ref _proposals);

    public long Commits => Interlocked.Read(ref _commits);

    public void RecordRequest(OpCode op, double seconds)
    {
        if (_requestLatency.TryGetValue(op, out var h))
        {
            h.Record(seconds);
        }
    }

    /// <summary>Last, smallest and largest txn size in bytes since start (-1 before the first), as srvr's "Proposal sizes".</summary>
    public (long Last, long Min, long Max) ProposalSizes =>
        (Interlocked.Read(ref _lastProposalSize), Interlocked.Read(ref _minProposalSize), Interlocked.Read(ref _maxProposalSize));

    public void CountProposal(int bytes)
    {
        Interlocked.Increment(ref _proposals);
        ProposalSize.Record(bytes);

        // Proposals are stamped on the apply thread only, so plain read-then-write is enough here.
        Interlocked.Exchange(ref _lastProposalSize, bytes);
        if (_minProposalSize < 0 || bytes < _minProposalSize)
        {
            Interlocked.Exchange(ref _minProposalSize, bytes);
        }

        if (bytes > _maxProposalSize)
        {
            Interlocked.Exchange(ref _maxProposalSize, bytes);
        }
    }

    public void CountCommit() => Interlocked.Increment(ref _commits);

    public void CountSnapshot(double seconds, long bytes)
    {
        Interlocked.Increment(ref _snapshots);
        SnapshotDuration.Record(seconds);
        SnapshotSize.Record(bytes);
    }

    /// <summary>Renders every metric; <paramref name="families"/> are point-in-time values read on the apply thread.</summary>
    public string Render(IReadOnlyList<MetricFamily> families)
    {
        var sb = new StringBuilder();
        foreach (var f in families)
        {
            sb.Append(CultureInfo.InvariantCulture, $"# HELP {f.Name} {f.Help}\n# TYPE {f.Name} {f.Type}\n");
            foreach (var (labels, value) in f.Samples)
            {
                var braces = labels.Length > 0 ? "{" + labels + "}" : "";
                sb.Append(CultureInfo.InvariantCulture, $"{f.Name}{braces} {value.ToString("G", CultureInfo.InvariantCulture)}\n");
            }
        }

        Counter(sb, "coord_proposals_total", "Txns stamped by this silo", Proposals);
        Counter(sb, "coord_commits_total", "Txns applied by this silo", Commits);
        Counter(sb, "coord_snapshots_total", "Snapshots written", Interlocked.Read(ref _snapshots));

        sb.Append("# HELP coord_request_latency_seconds Time from a request's arrival to its reply, by op\n# TYPE coord_request_latency_seconds histogram\n");
        foreach (var (op, h) in _requestLatency)
        {
            if (h.Count > 0)
            {
                h.WriteTo(sb, $"op=\"{OpNames.Metric(op)}\"");
            }
        }

        foreach (var h in new[] { FsyncLatency, ProposalSize, SnapshotDuration, SnapshotSize })
        {
            sb.Append(CultureInfo.InvariantCulture, $"# HELP {h.Name} {h.Help}\n# TYPE {h.Name} histogram\n");
            h.WriteTo(sb);
        }

        return sb.ToString();
    }

    private static void Counter(StringBuilder sb, string name, string help, long value) =>
        sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n");
}
