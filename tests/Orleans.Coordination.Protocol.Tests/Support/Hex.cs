namespace Orleans.Coordination.Protocol.Tests.Support;

/// <summary>
/// Builds expected byte arrays from hex text written by hand, so golden tests never depend on the
/// encoder they check. Whitespace, '|' and '_' are ignored and may separate fields.
/// </summary>
internal static class Hex
{
    public static byte[] Bytes(string hex)
    {
        var clean = new string(hex.Where(c => !char.IsWhiteSpace(c) && c != '|' && c != '_').ToArray());
        return Convert.FromHexString(clean);
    }

    public static byte[] Concat(params string[] parts) => Bytes(string.Concat(parts));

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    /// <summary>A big-endian int32 as hex text, built with shifts.</summary>
    public static string Int(int value) =>
        Of([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);

    /// <summary><paramref name="count"/> zero bytes as hex text.</summary>
    public static string Zeros(int count) => new('0', count * 2);
}
