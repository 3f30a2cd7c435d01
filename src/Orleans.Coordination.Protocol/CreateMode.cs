namespace Orleans.Coordination.Protocol;

/// <summary>Create flags as sent in CreateRequest.flags.</summary>
public enum CreateMode
{
    Persistent = 0,
    Ephemeral = 1,
    PersistentSequential = 2,
    EphemeralSequential = 3,
    Container = 4,
    PersistentWithTtl = 5,
    PersistentSequentialWithTtl = 6,
}

/// <summary>Properties of create modes.</summary>
public static class CreateModes
{
    public static bool TryParse(int flags, out CreateMode mode)
    {
        mode = (CreateMode)flags;
        return flags is >= 0 and <= 6;
    }

    public static bool IsEphemeral(this CreateMode mode) => mode is CreateMode.Ephemeral or CreateMode.EphemeralSequential;

    public static bool IsSequential(this CreateMode mode) =>
        mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential or CreateMode.PersistentSequentialWithTtl;

    public static bool IsContainer(this CreateMode mode) => mode == CreateMode.Container;

    public static bool IsTtl(this CreateMode mode) => mode is CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl;
}

/// <summary>
/// ephemeralOwner encodings for the extended node types, as Apache ZooKeeper stores them.
/// Clients see 0 for containers and TTL nodes.
/// </summary>
public static class EphemeralOwners
{
    public const long Container = unchecked((long)0x8000000000000000UL);
    public const long TtlMask = unchecked((long)0xFF00000000000000UL);
    public const long MaxTtl = (1L << 40) - 1;

    public static long ForTtl(long ttl) => TtlMask | ttl;

    public static bool IsContainer(long owner) => owner == Container;

    public static bool IsTtl(long owner) => (owner & TtlMask) == TtlMask;

    public static long TtlOf(long owner) => owner & ~TtlMask;

    /// <summary>A real session owner: not 0, not a container, not a TTL marker.</summary>
    public static bool IsSession(long owner) => owner != 0 && !IsContainer(owner) && !IsTtl(owner);

    /// <summary>The value clients see in Stat.ephemeralOwner.</summary>
    public static long Visible(long owner) => IsSession(owner) ? owner : 0;
}
