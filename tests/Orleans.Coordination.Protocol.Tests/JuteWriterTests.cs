using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Tests.Support;

namespace Orleans.Coordination.Protocol.Tests;

public class JuteWriterTests
{
    [Fact]
    public void Grows_PastItsInitialCapacity()
    {
        using var writer = new JuteWriter(1);
        for (var i = 0; i < 10_000; i++)
        {
            writer.WriteInt(i);
        }

        Assert.Equal(40_000, writer.Length);
        var reader = new JuteReader(writer.WrittenSpan);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.Equal(i, reader.ReadInt());
        }
    }

    [Fact]
    public void LongUnicodeString_GrowsCorrectly()
    {
        var text = string.Concat(Enumerable.Repeat(Samples.Unicode, 2000));
        using var writer = new JuteWriter(16);
        writer.WriteString(text);
        var reader = new JuteReader(writer.WrittenSpan);
        Assert.Equal(text, reader.ReadString());
        Assert.True(reader.AtEnd);
    }

    [Fact]
    public void WrittenMemory_SpanAndToArray_Agree()
    {
        using var writer = new JuteWriter();
        writer.WriteLong(0x0102030405060708);
        Assert.Equal("0102030405060708", Hex.Of(writer.WrittenSpan));
        Assert.Equal("0102030405060708", Hex.Of(writer.WrittenMemory.Span));
        Assert.Equal("0102030405060708", Hex.Of(writer.ToArray()));
    }

    [Fact]
    public void Clear_StartsOver()
    {
        using var writer = new JuteWriter();
        writer.WriteInt(1);
        writer.Clear();
        Assert.Equal(0, writer.Length);
        writer.WriteInt(2);
        Assert.Equal("00000002", Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void Consume_DropsTheFront()
    {
        using var writer = new JuteWriter();
        writer.WriteInt(0x01020304);
        writer.WriteInt(0x05060708);
        writer.Consume(3);
        Assert.Equal("0405060708", Hex.Of(writer.WrittenSpan));
        writer.Consume(0);
        Assert.Equal(5, writer.Length);
        writer.Consume(100);
        Assert.Equal(0, writer.Length);
        writer.WriteBool(true);
        Assert.Equal("01", Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void Consume_ThenFrameAfterIt()
    {
        using var writer = new JuteWriter();
        var first = writer.BeginFrame();
        writer.WriteInt(7);
        writer.EndFrame(first);
        writer.Consume(8);

        var second = writer.BeginFrame();
        writer.WriteInt(9);
        writer.EndFrame(second);
        Assert.Equal(0, second);
        Assert.Equal("0000000400000009", Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void Dispose_Twice_IsHarmless()
    {
        var writer = new JuteWriter();
        writer.WriteInt(1);
        writer.Dispose();
        Assert.Equal(0, writer.Length);
        writer.Dispose();
    }

    [Fact]
    public void WriteStringList_WritesCountThenStrings()
    {
        Assert.Equal(
            Hex.Of(Hex.Bytes("00000003 00000001 61 00000000 00000002 C3A9")),
            Hex.Of(Codec.Encode(w => w.WriteStringList(["a", "", "é"]))));
    }

    [Fact]
    public void WriteRaw_CopiesBytes()
    {
        Assert.Equal("DEADBEEF", Hex.Of(Codec.Encode(w => w.WriteRaw(Hex.Bytes("DEADBEEF")))));
    }

    [Fact]
    public void RecordsWrittenBackToBack_ReadBackInOrder()
    {
        using var writer = new JuteWriter();
        new RequestHeader(3, OpCode.GetData).Write(writer);
        new PathWatchRequest("/a", true).Write(writer);
        new RequestHeader(4, OpCode.Exists).Write(writer);
        new PathWatchRequest("/b", false).Write(writer);

        var reader = new JuteReader(writer.WrittenSpan);
        Assert.Equal(new RequestHeader(3, OpCode.GetData), RequestHeader.Read(ref reader));
        Assert.Equal(new PathWatchRequest("/a", true), PathWatchRequest.Read(ref reader));
        Assert.Equal(new RequestHeader(4, OpCode.Exists), RequestHeader.Read(ref reader));
        Assert.Equal(new PathWatchRequest("/b", false), PathWatchRequest.Read(ref reader));
        Assert.True(reader.AtEnd);
    }
}
