using System.Buffers;
using Orleans.Coordination.Protocol.Framing;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Tests.Support;

namespace Orleans.Coordination.Protocol.Tests;

public class FrameDecoderTests
{
    private const int Max = JuteLimits.DefaultMaxBuffer;

    private static readonly byte[] Frame = Hex.Bytes("00000006 0A0B0C0D0E0F");

    [Fact]
    public void CompleteFrame_SingleSegment()
    {
        var buffer = new ReadOnlySequence<byte>(Frame);
        Assert.Equal(FrameStatus.Frame, FrameDecoder.TryReadFrame(ref buffer, Max, out var payload, out var length));
        Assert.Equal(6, length);
        Assert.Equal("0A0B0C0D0E0F", Hex.Of(payload.ToArray()));
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void CompleteFrame_SplitAtEveryPoint()
    {
        for (var cut = 0; cut <= Frame.Length; cut++)
        {
            var buffer = Segments.Split(Frame, cut);
            Assert.False(buffer.IsSingleSegment && cut > 0 && cut < Frame.Length);
            Assert.Equal(FrameStatus.Frame, FrameDecoder.TryReadFrame(ref buffer, Max, out var payload, out var length));
            Assert.Equal(6, length);
            Assert.Equal("0A0B0C0D0E0F", Hex.Of(payload.ToArray()));
            Assert.True(buffer.IsEmpty);
        }
    }

    [Fact]
    public void CompleteFrame_ThreeSegmentsAtEveryPairOfPoints()
    {
        for (var a = 0; a <= Frame.Length; a++)
        {
            for (var b = a; b <= Frame.Length; b++)
            {
                var buffer = Segments.Split(Frame, a, b);
                Assert.Equal(FrameStatus.Frame, FrameDecoder.TryReadFrame(ref buffer, Max, out var payload, out _));
                Assert.Equal("0A0B0C0D0E0F", Hex.Of(payload.ToArray()));
                Assert.True(buffer.IsEmpty);
            }
        }
    }

    [Fact]
    public void LengthPrefix_SplitIntoOneByteSegments()
    {
        var buffer = Segments.Split(Frame, 1, 2, 3);
        Assert.True(FrameDecoder.TryPeekLength(buffer, out var length));
        Assert.Equal(6, length);
        Assert.Equal(FrameStatus.Frame, FrameDecoder.TryReadFrame(ref buffer, Max, out var payload, out _));
        Assert.Equal(6, payload.Length);
    }

    [Fact]
    public void Incomplete_PrefixShorterThanFourBytes()
    {
        for (var length = 0; length < 4; length++)
        {
            var buffer = Segments.Split(Frame[..length], length / 2);
            var before = buffer;
            Assert.False(FrameDecoder.TryPeekLength(buffer, out _));
            Assert.Equal(FrameStatus.Incomplete, FrameDecoder.TryReadFrame(ref buffer, Max, out _, out _));
            Assert.Equal(before.Length, buffer.Length);
        }
    }

    [Fact]
    public void Incomplete_PayloadSplitAcrossSegmentsAndNotAllThere()
    {
        for (var have = 4; have < Frame.Length; have++)
        {
            for (var cut = 0; cut <= have; cut++)
            {
                var buffer = Segments.Split(Frame[..have], cut);
                Assert.Equal(FrameStatus.Incomplete, FrameDecoder.TryReadFrame(ref buffer, Max, out var payload, out var length));
                Assert.Equal(6, length);
                Assert.True(payload.IsEmpty);
                Assert.Equal(have, buffer.Length);
            }
        }
    }

    [Theory]
    [InlineData("FFFFFFFF")]
    [InlineData("FFFFFFFE")]
    [InlineData("80000000")]
    [InlineData("FFF4FFFD")]
    public void NegativeLength_IsInvalid(string prefix)
    {
        var buffer = Segments.Split(Hex.Bytes(prefix + "0102030405"), 2);
        Assert.Equal(FrameStatus.Invalid, FrameDecoder.TryReadFrame(ref buffer, Max, out _, out var length));
        Assert.True(length < 0);
    }

    [Fact]
    public void LengthAboveMax_IsInvalid_WithoutWaitingForThePayload()
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("00100000"));
        Assert.Equal(FrameStatus.Invalid, FrameDecoder.TryReadFrame(ref buffer, Max, out _, out var length));
        Assert.Equal(0x100000, length);

        var small = new ReadOnlySequence<byte>(Hex.Bytes("00000011" + Hex.Zeros(17)));
        Assert.Equal(FrameStatus.Invalid, FrameDecoder.TryReadFrame(ref small, 16, out _, out _));

        var huge = new ReadOnlySequence<byte>(Hex.Bytes("7FFFFFFF"));
        Assert.Equal(FrameStatus.Invalid, FrameDecoder.TryReadFrame(ref huge, Max, out _, out _));
    }

    [Fact]
    public void LengthExactlyMax_IsAccepted()
    {
        var small = Segments.Split(Hex.Bytes("00000010" + Hex.Zeros(16)), 9);
        Assert.Equal(FrameStatus.Frame, FrameDecoder.TryReadFrame(ref small, 16, out var smallPayload, out _));
        Assert.Equal(16, smallPayload.Length);

        var data = new byte[4 + Max];
        data[1] = 0x0F;
        data[2] = 0xFF;
        data[3] = 0xFF;
        data[^1] = 0x42;

        var partial = Segments.Split(data[..1000], 500);
        Assert.Equal(FrameStatus.Incomplete, FrameDecoder.TryReadFrame(ref partial, Max, out _, out var declared));
        Assert.Equal(Max, declared);

        var buffer = Segments.Split(data, 3, 70_000, 500_000);
        Assert.Equal(FrameStatus.Frame, FrameDecoder.TryReadFrame(ref buffer, Max, out var payload, out var length));
        Assert.Equal(Max, length);
        Assert.Equal(Max, payload.Length);
        Assert.Equal(0x42, payload.Slice(Max - 1).FirstSpan[0]);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void ZeroLengthFrame_IsAFrameWithAnEmptyPayload()
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("00000000 00000001 AA"));
        Assert.Equal(FrameStatus.Frame, FrameDecoder.TryReadFrame(ref buffer, Max, out var payload, out var length));
        Assert.Equal(0, length);
        Assert.True(payload.IsEmpty);
        Assert.Equal(5, buffer.Length);
    }

    [Fact]
    public void TwoFramesBackToBack()
    {
        var data = Hex.Bytes("00000002 0102 | 00000003 0A0B0C | 0000");
        for (var cut = 0; cut <= data.Length; cut++)
        {
            var buffer = Segments.Split(data, cut);

            Assert.Equal(FrameStatus.Frame, FrameDecoder.TryReadFrame(ref buffer, Max, out var first, out _));
            Assert.Equal("0102", Hex.Of(first.ToArray()));

            Assert.Equal(FrameStatus.Frame, FrameDecoder.TryReadFrame(ref buffer, Max, out var second, out _));
            Assert.Equal("0A0B0C", Hex.Of(second.ToArray()));

            // The two bytes of a third prefix are kept for the next read.
            Assert.Equal(FrameStatus.Incomplete, FrameDecoder.TryReadFrame(ref buffer, Max, out _, out _));
            Assert.Equal(2, buffer.Length);
        }
    }

    [Fact]
    public void FramesWrittenByJuteWriter_DecodeBack()
    {
        using var writer = new JuteWriter();
        for (var i = 0; i < 10; i++)
        {
            var start = writer.BeginFrame();
            writer.WriteString(new string('x', i * 37));
            writer.EndFrame(start);
        }

        var bytes = writer.ToArray();
        var buffer = Segments.Split(bytes, 5, 100, 101, 900);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(FrameStatus.Frame, FrameDecoder.TryReadFrame(ref buffer, Max, out var payload, out _));
            var reader = new JuteReader(payload.ToArray());
            Assert.Equal(new string('x', i * 37), reader.ReadString());
            Assert.True(reader.AtEnd);
        }

        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void FourLetterWord_AsLength_IsInvalidAsAFrame()
    {
        var buffer = new ReadOnlySequence<byte>("ruok"u8.ToArray());
        Assert.True(FrameDecoder.TryPeekLength(buffer, out var length));
        Assert.Equal(0x72756F6B, length);
        Assert.Equal(FrameStatus.Invalid, FrameDecoder.TryReadFrame(ref buffer, Max, out _, out _));
    }
}
