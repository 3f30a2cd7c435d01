namespace Orleans.Coordination.Protocol.Jute;

/// <summary>Limits shared by encoder, decoder and framing.</summary>
public static class JuteLimits
{
    /// <summary>ZooKeeper's default jute.maxbuffer: 0xFFFFF bytes (1 MiB - 1).</summary>
    public const int DefaultMaxBuffer = 0xFFFFF;
}
