using System.Globalization;

namespace Orleans.Coordination.Server.Configuration;

/// <summary>Whether a member votes (elects leaders, counts towards quorums) or only replicates.</summary>
public enum EnsembleRole
{
    Voter,

    Observer,
}

/// <summary>
/// One member of the ensemble: where its peers reach it. Every silo of an ensemble shares the same list.
/// Text form (command line, as zoo.cfg's <c>server.N</c>): <c>id=host:quorumPort:electionPort[:voter|observer][;clientPort]</c>.
/// </summary>
public sealed record EnsembleMemberOptions(int Id, string Host, int QuorumPort, int ElectionPort, EnsembleRole Role = EnsembleRole.Voter, int ClientPort = 0)
{
    /// <summary>Parses the text form; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static EnsembleMemberOptions Parse(string text)
    {
        var s = text.Trim();
        var clientPort = 0;
        var semi = s.IndexOf(';');
        if (semi >= 0)
        {
            clientPort = PortOf(s[(semi + 1)..], "client port", text);
            s = s[..semi];
        }

        var eq = s.IndexOf('=');
        if (eq <= 0 || !int.TryParse(s[..eq], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            throw new FormatException($"'{text}' must look like id=host:quorumPort:electionPort[:voter|observer][;clientPort]");
        }

        var parts = s[(eq + 1)..].Split(':');
        if (parts.Length is < 3 or > 4 || parts[0].Length == 0)
        {
            throw new FormatException($"'{text}' must look like id=host:quorumPort:electionPort[:voter|observer][;clientPort]");
        }

        var role = EnsembleRole.Voter;
        if (parts.Length == 4)
        {
            role = parts[3] switch
            {
                "voter" or "participant" => EnsembleRole.Voter,
                "observer" => EnsembleRole.Observer,
                _ => throw new FormatException($"'{text}': role must be voter or observer, got '{parts[3]}'"),
            };
        }

        return new EnsembleMemberOptions(id, parts[0], PortOf(parts[1], "quorum port", text), PortOf(parts[2], "election port", text), role, clientPort);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Id}={Host}:{QuorumPort}:{ElectionPort}:{(Role == EnsembleRole.Voter ? "voter" : "observer")}" + (ClientPort > 0 ? $";{ClientPort}" : "");

    private static int PortOf(string s, string what, string text) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535
            ? p
            : throw new FormatException($"'{text}': {what} must be between 1 and 65535, got '{s}'");
}

/// <summary>
/// The <c>ensemble</c> section of silo.json. With no members (or only this silo) the silo runs standalone;
/// with more it replicates through the leader (see docs/replication.md).
/// </summary>
public sealed class EnsembleOptions
{
    /// <summary>Every member, this silo included.</summary>
    public IReadOnlyList<EnsembleMemberOptions> Members { get; set; } = [];

    /// <summary>Period of the replication tick in ms: heartbeats and failure detection count these.</summary>
    public int TickMs { get; set; } = 50;

    /// <summary>Ticks without hearing from the leader (or, for the leader, from a quorum) before a new election.</summary>
    public int SyncLimit { get; set; } = 8;

    /// <summary>Ticks allowed for discovery and synchronisation with a new leader.</summary>
    public int InitLimit { get; set; } = 40;

    /// <summary>
    /// Applied proposals each silo keeps in memory to bring a lagging or restarted follower up to date with a DIFF
    /// (ZooKeeper's commitLogCount); a follower further behind receives a snapshot.
    /// </summary>
    public int CommitLogCount { get; set; } = 5_000;

    /// <summary>Whether this configuration describes a replicated ensemble (more than one member).</summary>
    public bool IsReplicated => Members.Count > 1;
}
