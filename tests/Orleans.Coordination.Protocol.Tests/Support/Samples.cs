using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Protocol.Tests.Support;

/// <summary>Field values shared by the round-trip, truncation and fuzz tests.</summary>
internal static class Samples
{
    /// <summary>Two-, three- and four-byte UTF-8 sequences, including a non-BMP character (surrogate pair).</summary>
    public const string Unicode = "/ünïcödé/日本語/\U0001F600/Ω";

    public static readonly Stat MaxStat = new(
        long.MaxValue, long.MaxValue, long.MaxValue, long.MaxValue,
        int.MaxValue, int.MaxValue, int.MaxValue, long.MaxValue,
        int.MaxValue, int.MaxValue, long.MaxValue);

    public static readonly Stat MinStat = new(
        long.MinValue, long.MinValue, long.MinValue, long.MinValue,
        int.MinValue, int.MinValue, int.MinValue, long.MinValue,
        int.MinValue, int.MinValue, long.MinValue);

    public static readonly Stat TypicalStat = new(
        0x0000000100000002, 0x0000000100000007, 1_700_000_000_123, 1_700_000_555_456,
        3, -1, 2, 0x0123456789ABCDEF, 11, 4, 0x0000000100000009);

    public static readonly Stat[] Stats = [default, TypicalStat, MaxStat, MinStat];

    public static readonly List<Acl> MixedAcl =
    [
        new(Perms.All, Id.Anyone),
        new(Perms.Read | Perms.Admin, new Id("digest", "bob:vvAGdXlZ2t0yvY1EAnVwG4IxgYQ=")),
        new(Perms.None, new Id("ip", "10.0.0.0/8")),
        new((Perms)int.MinValue, new Id("", "")),
        new((Perms)int.MaxValue, new Id(Unicode, Unicode)),
    ];

    public static readonly byte[] AllByteValues = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

    /// <summary>A 16-byte session password.</summary>
    public static readonly byte[] Passwd = Enumerable.Range(0xA0, 16).Select(i => (byte)i).ToArray();
}
