using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Tests.Support;

namespace Orleans.Coordination.Protocol.Tests;

/// <summary>Malformed input must always surface as <see cref="JuteException"/>.</summary>
public class DecoderRobustnessTests
{
    public static readonly TheoryData<string> KindNames = new(RecordCatalog.All.Select(k => k.Name));

    [Fact]
    public void Catalog_CoversEveryRecordType()
    {
        var recordTypes = typeof(IJuteRecord).Assembly.GetTypes()
            .Where(t => t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IJuteRecord<>)))
            .Select(t => t.Name)
            .ToHashSet();
        var covered = RecordCatalog.All.Select(k => k.Name).ToHashSet();
        Assert.Empty(recordTypes.Except(covered));
    }

    [Theory]
    [MemberData(nameof(KindNames))]
    public void Samples_Decode(string name)
    {
        var kind = RecordCatalog.Get(name);
        foreach (var sample in kind.Samples)
        {
            Assert.NotNull(kind.Read(sample));
        }
    }

    [Theory]
    [MemberData(nameof(KindNames))]
    public void EveryTruncation_ThrowsJuteException(string name)
    {
        var kind = RecordCatalog.Get(name);
        foreach (var sample in kind.Samples)
        {
            for (var length = 0; length < sample.Length; length++)
            {
                if (kind.DecodesWithoutLastByte && length == sample.Length - 1)
                {
                    continue;
                }

                var prefix = sample[..length];
                var ex = Record.Exception(() => kind.Read(prefix));
                Assert.True(ex is JuteException, $"{name}: prefix of {length}/{sample.Length} bytes gave {Describe(ex)}");
            }
        }
    }

    [Fact]
    public void ConnectRecords_WithoutTheirLastByte_AreTheOldFormat()
    {
        var request = (ConnectRequest)RecordCatalog.Get(nameof(ConnectRequest)).Read(Codec.Encode(new ConnectRequest(0, 5, 30000, 0, Samples.Passwd, true))[..^1]);
        Assert.False(request.HasReadOnlyField);
        var response = (ConnectResponse)RecordCatalog.Get(nameof(ConnectResponse)).Read(Codec.Encode(new ConnectResponse(0, 1, 2, Samples.Passwd, true))[..^1]);
        Assert.False(response.HasReadOnlyField);
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(-3)]
    [InlineData(-100)]
    [InlineData(int.MinValue)]
    public void LengthsBelowMinusOne_AreRejected(int length)
    {
        var bytes = Hex.Bytes(Hex.Int(length) + Hex.Zeros(64));
        AssertJute(bytes, static (ref JuteReader r) => r.ReadString());
        AssertJute(bytes, static (ref JuteReader r) => r.ReadStringOrEmpty());
        AssertJute(bytes, static (ref JuteReader r) => r.ReadBuffer());
        AssertJute(bytes, static (ref JuteReader r) => r.ReadBufferSpan(out _).Length);
        AssertJute(bytes, static (ref JuteReader r) => r.ReadVectorCount());
        AssertJute(bytes, static (ref JuteReader r) => r.ReadStringList());
        AssertJute(bytes, static (ref JuteReader r) => Acl.ReadList(ref r));

        // Through records: a bad path length, a bad data length, a bad ACL count.
        Assert.Throws<JuteException>(() => Codec.Decode<PathRecord>(bytes));
        Assert.Throws<JuteException>(() => Codec.Decode<CreateRequest>(Hex.Bytes("00000002 2F61" + Hex.Int(length) + Hex.Zeros(64))));
        Assert.Throws<JuteException>(() => Codec.Decode<SetAclRequest>(Hex.Bytes("00000002 2F61" + Hex.Int(length) + Hex.Zeros(64))));
        Assert.Throws<JuteException>(() => Codec.Decode<WhoAmIResponse>(bytes));
    }

    [Fact]
    public void MinusOne_IsNull()
    {
        var bytes = Hex.Bytes("FFFFFFFF");
        Assert.Null(Read(bytes, static (ref JuteReader r) => r.ReadString()));
        Assert.Equal("", Read(bytes, static (ref JuteReader r) => r.ReadStringOrEmpty()));
        Assert.Null(Read(bytes, static (ref JuteReader r) => r.ReadBuffer()));
        Assert.Equal(-1, Read(bytes, static (ref JuteReader r) => r.ReadVectorCount()));
        Assert.Null(Read(bytes, static (ref JuteReader r) => r.ReadStringList()));
        Assert.Null(Read(bytes, static (ref JuteReader r) => Acl.ReadList(ref r)));
        Assert.True(Read(bytes, static (ref JuteReader r) =>
        {
            var span = r.ReadBufferSpan(out var isNull);
            return isNull && span.IsEmpty;
        }));
        Assert.False(Read(Hex.Bytes("00000000"), static (ref JuteReader r) =>
        {
            r.ReadBufferSpan(out var isNull);
            return isNull;
        }));
    }

    [Fact]
    public void LengthAboveDefaultMax_IsRejected_EvenWhenTheBytesArePresent()
    {
        Assert.Equal(0xFFFFF, JuteLimits.DefaultMaxBuffer);
        var tooLong = new byte[4 + 0x100000];
        tooLong[1] = 0x10; // 0x00100000
        AssertJute(tooLong, static (ref JuteReader r) => r.ReadBuffer());
        AssertJute(tooLong, static (ref JuteReader r) => r.ReadString());
        AssertJute(tooLong, static (ref JuteReader r) => r.ReadVectorCount());
        Assert.Throws<JuteException>(() => Codec.Decode<BufferRecord>(tooLong));

        var huge = Hex.Bytes("7FFFFFFF" + Hex.Zeros(16));
        AssertJute(huge, static (ref JuteReader r) => r.ReadBuffer());
        AssertJute(huge, static (ref JuteReader r) => r.ReadString());
        AssertJute(huge, static (ref JuteReader r) => r.ReadStringList());
    }

    [Fact]
    public void LengthExactlyMax_IsAccepted()
    {
        var max = new byte[4 + 0xFFFFF];
        max[1] = 0x0F;
        max[2] = 0xFF;
        max[3] = 0xFF;
        var record = Codec.Decode<BufferRecord>(max);
        Assert.Equal(0xFFFFF, record.Token!.Length);
        Assert.Equal(0xFFFFF, Read(max, static (ref JuteReader r) => r.ReadString()!.Length));
    }

    [Fact]
    public void CustomMaxLength_IsEnforced()
    {
        var eight = Hex.Bytes("00000008 0102030405060708");
        var nine = Hex.Bytes("00000009 010203040506070809");
        Assert.Equal(8, Read(eight, static (ref JuteReader r) => r.ReadBuffer()!.Length, maxLength: 8));
        AssertJute(nine, static (ref JuteReader r) => r.ReadBuffer(), maxLength: 8);
        AssertJute(nine, static (ref JuteReader r) => r.ReadString(), maxLength: 8);
        AssertJute(Hex.Bytes("00000009" + Hex.Zeros(40)), static (ref JuteReader r) => r.ReadVectorCount(), maxLength: 8);
        Assert.Equal(8, new JuteReader(eight, 8).MaxLength);
        Assert.Equal(JuteLimits.DefaultMaxBuffer, new JuteReader(eight).MaxLength);
    }

    [Fact]
    public void VectorCountLargerThanRemainingBytes_IsRejected()
    {
        // Five elements announced, four bytes left.
        AssertJute(Hex.Bytes("00000005 00000000"), static (ref JuteReader r) => r.ReadVectorCount());
        AssertJute(Hex.Bytes("00000005 00000000"), static (ref JuteReader r) => r.ReadStringList());
        AssertJute(Hex.Bytes("00000005 00000000"), static (ref JuteReader r) => Acl.ReadList(ref r));
        Assert.Throws<JuteException>(() => Codec.Decode<WhoAmIResponse>(Hex.Bytes("00000005 00000000")));
        Assert.Throws<JuteException>(() => Codec.Decode<StringListResponse>(Hex.Bytes("000FFFFF 00000000")));
        Assert.Throws<JuteException>(() => Codec.Decode<GetAclResponse>(Hex.Bytes("00010000" + Hex.Zeros(68))));

        // A count equal to the remaining bytes passes the count check; reading the elements then fails cleanly.
        Assert.Equal(4, Read(Hex.Bytes("00000004 00000000"), static (ref JuteReader r) => r.ReadVectorCount()));
        AssertJute(Hex.Bytes("00000004 00000000"), static (ref JuteReader r) => r.ReadStringList());

        // Inside a transaction the reader allows int.MaxValue lengths, but the count check still applies.
        Assert.Throws<JuteException>(() => Orleans.Coordination.Protocol.Txn.Transaction.Deserialize(
            Hex.Bytes(TxnRoundTripTests.Header(14) + "7FFFFFFF 00000002")));
    }

    [Fact]
    public void AbsurdlyDeepMultiTxnNesting_IsRejected_InsteadOfOverflowingTheStack()
    {
        // A MultiTxn holding one MultiTxn holding one MultiTxn... costs 8 bytes per level, so 20,000 levels
        // fit in 160 KB. MultiTxn.Read recurses once per level with no limit: on a normal 1.5 MB thread this
        // is an uncatchable StackOverflow that kills the process. The test runs the decode on a thread with
        // a large stack so that the unbounded recursion completes and the assertion fails cleanly instead.
        const int depth = 20_000;
        var hex = TxnRoundTripTests.Header(14) + string.Concat(Enumerable.Repeat("00000001 0000000E ", depth)) + "00000000";
        var bytes = Hex.Bytes(hex);

        Exception? outcome = null;
        var finished = false;
        var thread = new Thread(
            () =>
            {
                outcome = Record.Exception(() => Orleans.Coordination.Protocol.Txn.Transaction.Deserialize(bytes));
                finished = true;
            },
            maxStackSize: 256 * 1024 * 1024);
        thread.Start();
        thread.Join();

        Assert.True(finished);
        Assert.True(outcome is JuteException, $"{depth} nested MultiTxn levels gave {Describe(outcome)}; expected a JuteException from a nesting limit");
    }

    [Fact]
    public void AnyNonZeroByte_ReadsTrue()
    {
        for (var b = 0; b < 256; b++)
        {
            var bytes = new[] { (byte)b };
            Assert.Equal(b != 0, Read(bytes, static (ref JuteReader r) => r.ReadBool()));

            var watch = Codec.Decode<PathWatchRequest>(Hex.Bytes("00000002 2F61" + Hex.Of(bytes)));
            Assert.Equal(b != 0, watch.Watch);

            var header = Codec.Decode<MultiHeader>(Hex.Bytes("00000001" + Hex.Of(bytes) + "FFFFFFFF"));
            Assert.Equal(b != 0, header.Done);

            var connect = Codec.Decode<ConnectRequest>(Hex.Bytes("00000000 0000000000000000 00007530 0000000000000000 00000000" + Hex.Of(bytes)));
            Assert.Equal(b != 0, connect.ReadOnly);
        }
    }

    [Fact]
    public void Primitives_AtTheEnd_Throw()
    {
        AssertJute([], static (ref JuteReader r) => r.ReadBool());
        AssertJute([1, 2, 3], static (ref JuteReader r) => r.ReadInt());
        AssertJute([1, 2, 3, 4, 5, 6, 7], static (ref JuteReader r) => r.ReadLong());
        AssertJute(Hex.Bytes("00000003 6162"), static (ref JuteReader r) => r.ReadString());
        AssertJute(Hex.Bytes("00000003 6162"), static (ref JuteReader r) => r.ReadBuffer());
        AssertJute(Hex.Bytes("00000003 6162"), static (ref JuteReader r) => r.ReadBufferSpan(out _).Length);
        AssertJute([1, 2], static (ref JuteReader r) => r.ReadRaw(3).Length);
    }

    [Fact]
    public void Reader_TracksPosition()
    {
        var bytes = Hex.Bytes("00000001 0000000000000002 01 00000001 61 00");
        var reader = new JuteReader(bytes);
        Assert.Equal(0, reader.Position);
        Assert.Equal(bytes.Length, reader.Remaining);
        Assert.Equal(1, reader.ReadInt());
        Assert.Equal(4, reader.Position);
        Assert.Equal(2, reader.ReadLong());
        Assert.True(reader.ReadBool());
        Assert.Equal("a", reader.ReadString());
        Assert.Equal(1, reader.Remaining);
        Assert.False(reader.AtEnd);
        Assert.Equal("00", Hex.Of(reader.ReadRaw(1)));
        Assert.True(reader.AtEnd);
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void InvalidUtf8_DecodesWithoutThrowing()
    {
        // Malformed UTF-8 must not escape as a DecoderFallbackException.
        var path = Codec.Decode<PathRecord>(Hex.Bytes("00000004 2F FF C0 80"));
        Assert.StartsWith("/", path.Path);
    }

    private delegate T ReaderFunc<out T>(ref JuteReader reader);

    private static T Read<T>(byte[] bytes, ReaderFunc<T> read, int maxLength = JuteLimits.DefaultMaxBuffer)
    {
        var reader = new JuteReader(bytes, maxLength);
        return read(ref reader);
    }

    private static void AssertJute<T>(byte[] bytes, ReaderFunc<T> read, int maxLength = JuteLimits.DefaultMaxBuffer)
    {
        var ex = Record.Exception(() => Read(bytes, read, maxLength));
        Assert.True(ex is JuteException, $"expected JuteException for {Hex.Of(bytes.AsSpan(0, Math.Min(bytes.Length, 24)))}, got {Describe(ex)}");
    }

    internal static string Describe(Exception? ex) => ex is null ? "success" : $"{ex.GetType().Name}: {ex.Message}";
}
