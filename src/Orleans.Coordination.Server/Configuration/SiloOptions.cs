namespace Orleans.Coordination.Server.Configuration;

/// <summary>
/// Every setting of a silo. Loaded from silo.json by <see cref="SiloConfigLoader"/>, which names the key
/// of any unknown, mistyped or out-of-range value; command-line <c>--key value</c> pairs override it.
/// </summary>
public sealed class SiloOptions
{
    /// <summary>This silo's id in the ensemble (1-255); also the top byte of the session ids it creates.</summary>
    public int ServerId { get; set; } = 1;

    /// <summary>Address the client port binds to.</summary>
    public string ClientAddress { get; set; } = "127.0.0.1";

    public int ClientPort { get; set; } = 2181;

    /// <summary>Directory for the transaction log and the embedded snapshot store.</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary>The basic time unit in ms: session timeouts are bounded by multiples of it and expiry is checked per tick.</summary>
    public int TickTime { get; set; } = 2000;

    /// <summary>Smallest negotiated session timeout in ms; -1 means 2 × tickTime.</summary>
    public int MinSessionTimeout { get; set; } = -1;

    /// <summary>Largest negotiated session timeout in ms; -1 means 20 × tickTime.</summary>
    public int MaxSessionTimeout { get; set; } = -1;

    /// <summary>Connections allowed from one client address; 0 means unlimited.</summary>
    public int MaxClientCnxns { get; set; } = 60;

    /// <summary>Largest frame accepted or sent (jute.maxbuffer).</summary>
    public int JuteMaxBuffer { get; set; } = Protocol.Jute.JuteLimits.DefaultMaxBuffer;

    /// <summary>A connection that has not completed its handshake within this many ms is closed.</summary>
    public int HandshakeTimeoutMs { get; set; } = 10_000;

    /// <summary>Requests a single connection may have in flight before the silo stops reading from it.</summary>
    public int MaxOutstandingRequests { get; set; } = 1000;

    /// <summary>Enables TTL nodes (zookeeper.extendedTypesEnabled).</summary>
    public bool ExtendedTypesEnabled { get; set; }

    /// <summary>How often empty containers and expired TTL nodes are reaped, in ms.</summary>
    public int ContainerCheckIntervalMs { get; set; } = 60_000;

    /// <summary>A digest id "super:base64(sha1(super:password))"; a client authenticated as it bypasses every ACL.</summary>
    public string? SuperDigest { get; set; }

    /// <summary>Four-letter words answered on the client port; "*" enables all.</summary>
    public IReadOnlyList<string> FourLetterWords { get; set; } = ["srvr"];

    /// <summary>Whether reconfig is enabled (reconfigEnabled). Standalone silos answer UNIMPLEMENTED when it is.</summary>
    public bool ReconfigEnabled { get; set; }

    /// <summary>fsync the transaction log before acknowledging. UNSAFE when false: a power loss or kernel crash loses acknowledged writes.</summary>
    public bool ForceSync { get; set; } = true;

    /// <summary>Txns between snapshots (each silo randomises it between half and the full value, as ZooKeeper does).</summary>
    public int SnapCount { get; set; } = 100_000;

    /// <summary>Snapshots kept; older ones, and the log segments only they needed, are purged.</summary>
    public int SnapRetainCount { get; set; } = 3;

    /// <summary>Snapshot store provider: "sqlite" (a file in dataDir) or "postgresql".</summary>
    public string SnapshotStoreProvider { get; set; } = "sqlite";

    /// <summary>Npgsql connection string when the provider is postgresql.</summary>
    public string? SnapshotStoreConnectionString { get; set; }

    /// <summary>PostgreSQL schema holding the snapshot tables.</summary>
    public string SnapshotStoreSchema { get; set; } = "coordination";

    /// <summary>Truncate the transaction log at damage found before its tail instead of refusing to start (loses what follows the damage).</summary>
    public bool RepairLog { get; set; }

    /// <summary>Whether the admin HTTP endpoint runs.</summary>
    public bool AdminEnabled { get; set; } = true;

    /// <summary>Address the admin HTTP endpoint binds to (loopback by default).</summary>
    public string AdminAddress { get; set; } = "127.0.0.1";

    /// <summary>Port of the admin HTTP endpoint (/commands/*, /health/*); 0 picks a free one.</summary>
    public int AdminPort { get; set; } = 8080;

    /// <summary>
    /// Bearer token for mutating admin commands (POST /commands/snapshot). Without it, those commands
    /// accept only the super digest (Authorization: Digest super:password) and are refused when neither is set.
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>The ensemble this silo belongs to (<c>ensemble</c> in silo.json); standalone when it has no other member.</summary>
    public EnsembleOptions Ensemble { get; set; } = new();

    public int EffectiveMinSessionTimeout => MinSessionTimeout > 0 ? MinSessionTimeout : 2 * TickTime;

    public int EffectiveMaxSessionTimeout => MaxSessionTimeout > 0 ? MaxSessionTimeout : 20 * TickTime;
}
