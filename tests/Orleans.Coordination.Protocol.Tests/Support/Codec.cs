using Orleans.Coordination.Protocol.Jute;

namespace Orleans.Coordination.Protocol.Tests.Support;

/// <summary>Encode/decode helpers around <see cref="JuteWriter"/> and <see cref="JuteReader"/>.</summary>
internal static class Codec
{
    public static byte[] Encode(IJuteRecord record)
    {
        using var writer = new JuteWriter();
        record.Write(writer);
        return writer.ToArray();
    }

    public static byte[] Encode(Action<JuteWriter> write)
    {
        using var writer = new JuteWriter();
        write(writer);
        return writer.ToArray();
    }

    /// <summary>Decodes one record and asserts that it used every byte.</summary>
    public static T Decode<T>(byte[] bytes)
        where T : IJuteRecord<T>
    {
        var reader = new JuteReader(bytes);
        var value = T.Read(ref reader);
        Assert.True(reader.AtEnd, $"{typeof(T).Name} left {reader.Remaining} of {bytes.Length} bytes unread");
        return value;
    }

    /// <summary>
    /// Writes <paramref name="value"/>, reads it back, and checks the copy is structurally equal and
    /// re-encodes to the same bytes.
    /// </summary>
    public static T RoundTrip<T>(T value)
        where T : IJuteRecord<T>
    {
        var bytes = Encode(value);
        var back = Decode<T>(bytes);
        DeepAssert.Equal(value, back);
        Assert.Equal(Hex.Of(bytes), Hex.Of(Encode(back)));
        return back;
    }
}
