using System.Buffers.Binary;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Tests.Support;

namespace Orleans.Coordination.Protocol.Tests;

/// <summary>
/// Byte-exact checks against the layouts in docs/zookeeper-wire-protocol.md. Every expected array is
/// hand-written hex, never produced by JuteWriter.
/// </summary>
public class GoldenBytesTests
{
    // ConnectRequest: protocolVersion 0, lastZxidSeen 0x100000005, timeOut 30000, sessionId 0x0123456789ABCDEF,
    // passwd A0..AF, readOnly true.
    private const string ConnectRequestHex =
        "00000000" +                                // [0]  protocolVersion
        "0000000100000005" +                        // [4]  lastZxidSeen
        "00007530" +                                // [12] timeOut = 30000
        "0123456789ABCDEF" +                        // [16] sessionId
        "00000010 A0A1A2A3A4A5A6A7A8A9AAABACADAEAF" + // [24] passwd: length 16 + 16 bytes
        "01";                                       // [44] readOnly

    private const string PasswdHex = "A0A1A2A3A4A5A6A7A8A9AAABACADAEAF";

    [Fact]
    public void ConnectRequest_Is45Bytes_AtTheDocumentedOffsets()
    {
        var expected = Hex.Bytes(ConnectRequestHex);
        Assert.Equal(45, expected.Length);

        var request = new ConnectRequest(0, 0x0000000100000005, 30000, 0x0123456789ABCDEF, Samples.Passwd, true);
        var written = Codec.Encode(request);
        Assert.Equal(Hex.Of(expected), Hex.Of(written));

        Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian(written.AsSpan(0)));
        Assert.Equal(0x0000000100000005, BinaryPrimitives.ReadInt64BigEndian(written.AsSpan(4)));
        Assert.Equal(30000, BinaryPrimitives.ReadInt32BigEndian(written.AsSpan(12)));
        Assert.Equal(0x0123456789ABCDEF, BinaryPrimitives.ReadInt64BigEndian(written.AsSpan(16)));
        Assert.Equal(16, BinaryPrimitives.ReadInt32BigEndian(written.AsSpan(24)));
        Assert.Equal(PasswdHex, Hex.Of(written.AsSpan(28, 16)));
        Assert.Equal(1, written[44]);

        var read = Codec.Decode<ConnectRequest>(expected);
        Assert.Equal(0, read.ProtocolVersion);
        Assert.Equal(0x0000000100000005, read.LastZxidSeen);
        Assert.Equal(30000, read.TimeOut);
        Assert.Equal(0x0123456789ABCDEF, read.SessionId);
        Assert.Equal(Samples.Passwd, read.Passwd);
        Assert.True(read.ReadOnly);
        Assert.True(read.HasReadOnlyField);
    }

    [Fact]
    public void ConnectRequest_Frame_Is49Bytes()
    {
        using var writer = new JuteWriter();
        var start = writer.BeginFrame();
        new ConnectRequest(0, 0x0000000100000005, 30000, 0x0123456789ABCDEF, Samples.Passwd, true).Write(writer);
        writer.EndFrame(start);
        Assert.Equal(Hex.Of(Hex.Bytes("0000002D" + ConnectRequestHex)), Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void ConnectRequest_ReadOnlyFalse_IsZeroByte()
    {
        var request = Codec.Decode<ConnectRequest>(Hex.Bytes(ConnectRequestHex[..^2] + "00"));
        Assert.False(request.ReadOnly);
        Assert.True(request.HasReadOnlyField);
    }

    [Fact]
    public void OldConnectRequest_44Bytes_HasNoReadOnlyField_AndItsResponseIs36Bytes()
    {
        var old = Hex.Bytes(ConnectRequestHex[..^2]);
        Assert.Equal(44, old.Length);

        var request = Codec.Decode<ConnectRequest>(old);
        Assert.False(request.HasReadOnlyField);
        Assert.False(request.ReadOnly);
        Assert.Equal(30000, request.TimeOut);
        Assert.Equal(0x0123456789ABCDEF, request.SessionId);
        Assert.Equal(Samples.Passwd, request.Passwd);

        // Writing it back reproduces the 44 bytes.
        Assert.Equal(Hex.Of(old), Hex.Of(Codec.Encode(request)));

        var response = new ConnectResponse(0, 30000, 0x0123456789ABCDEF, Samples.Passwd, false, request.HasReadOnlyField);
        using var writer = new JuteWriter();
        var start = writer.BeginFrame();
        response.Write(writer);
        writer.EndFrame(start);

        var expected = Hex.Bytes(
            "00000024" +          // frame length 36
            "00000000" +          // protocolVersion
            "00007530" +          // timeOut
            "0123456789ABCDEF" +  // sessionId
            "00000010" + PasswdHex);
        Assert.Equal(40, expected.Length);
        Assert.Equal(Hex.Of(expected), Hex.Of(writer.WrittenSpan));

        var readBack = Codec.Decode<ConnectResponse>(expected[4..]);
        Assert.False(readBack.HasReadOnlyField);
    }

    [Fact]
    public void ConnectResponse_Is37Bytes_AtTheDocumentedOffsets()
    {
        var expected = Hex.Bytes(
            "00000000" +                      // [0]  protocolVersion
            "00009C40" +                      // [4]  timeOut = 40000
            "7FEDCBA987654321" +              // [8]  sessionId
            "00000010" + PasswdHex +          // [16] passwd
            "01");                            // [36] readOnly
        Assert.Equal(37, expected.Length);

        var response = new ConnectResponse(0, 40000, 0x7FEDCBA987654321, Samples.Passwd, true);
        var written = Codec.Encode(response);
        Assert.Equal(Hex.Of(expected), Hex.Of(written));
        Assert.Equal(40000, BinaryPrimitives.ReadInt32BigEndian(written.AsSpan(4)));
        Assert.Equal(0x7FEDCBA987654321, BinaryPrimitives.ReadInt64BigEndian(written.AsSpan(8)));
        Assert.Equal(16, BinaryPrimitives.ReadInt32BigEndian(written.AsSpan(16)));
        Assert.Equal(1, written[36]);

        var read = Codec.Decode<ConnectResponse>(expected);
        Assert.Equal(40000, read.TimeOut);
        Assert.Equal(0x7FEDCBA987654321, read.SessionId);
        Assert.Equal(Samples.Passwd, read.Passwd);
        Assert.True(read.ReadOnly);
        Assert.True(read.HasReadOnlyField);
    }

    [Fact]
    public void ConnectResponse_Expired_Bytes()
    {
        var expected = Hex.Bytes("00000000 00000000 0000000000000000 00000010" + Hex.Zeros(16) + "00");
        Assert.Equal(Hex.Of(expected), Hex.Of(Codec.Encode(ConnectResponse.Expired(true))));
        Assert.Equal(Hex.Of(expected[..36]), Hex.Of(Codec.Encode(ConnectResponse.Expired(false))));
    }

    [Fact]
    public void Stat_Is68Bytes_AtTheDocumentedOffsets()
    {
        var expected = Hex.Bytes(
            "0102030405060708" + // [0]  czxid
            "1112131415161718" + // [8]  mzxid
            "2122232425262728" + // [16] ctime
            "3132333435363738" + // [24] mtime
            "41424344" +         // [32] version
            "FFFFFFFE" +         // [36] cversion = -2
            "51525354" +         // [40] aversion
            "6162636465666768" + // [44] ephemeralOwner
            "71727374" +         // [52] dataLength
            "00000003" +         // [56] numChildren
            "8182838485868788"); // [60] pzxid (negative)
        Assert.Equal(68, expected.Length);

        var stat = new Stat(
            Czxid: 0x0102030405060708,
            Mzxid: 0x1112131415161718,
            Ctime: 0x2122232425262728,
            Mtime: 0x3132333435363738,
            Version: 0x41424344,
            Cversion: -2,
            Aversion: 0x51525354,
            EphemeralOwner: 0x6162636465666768,
            DataLength: 0x71727374,
            NumChildren: 3,
            Pzxid: unchecked((long)0x8182838485868788));

        var written = Codec.Encode(stat);
        Assert.Equal(Hex.Of(expected), Hex.Of(written));
        Assert.Equal(stat, Codec.Decode<Stat>(expected));

        Assert.Equal(stat.Czxid, BinaryPrimitives.ReadInt64BigEndian(written.AsSpan(0)));
        Assert.Equal(stat.Mzxid, BinaryPrimitives.ReadInt64BigEndian(written.AsSpan(8)));
        Assert.Equal(stat.Ctime, BinaryPrimitives.ReadInt64BigEndian(written.AsSpan(16)));
        Assert.Equal(stat.Mtime, BinaryPrimitives.ReadInt64BigEndian(written.AsSpan(24)));
        Assert.Equal(stat.Version, BinaryPrimitives.ReadInt32BigEndian(written.AsSpan(32)));
        Assert.Equal(stat.Cversion, BinaryPrimitives.ReadInt32BigEndian(written.AsSpan(36)));
        Assert.Equal(stat.Aversion, BinaryPrimitives.ReadInt32BigEndian(written.AsSpan(40)));
        Assert.Equal(stat.EphemeralOwner, BinaryPrimitives.ReadInt64BigEndian(written.AsSpan(44)));
        Assert.Equal(stat.DataLength, BinaryPrimitives.ReadInt32BigEndian(written.AsSpan(52)));
        Assert.Equal(stat.NumChildren, BinaryPrimitives.ReadInt32BigEndian(written.AsSpan(56)));
        Assert.Equal(stat.Pzxid, BinaryPrimitives.ReadInt64BigEndian(written.AsSpan(60)));
        Assert.Equal(68, Stat.EncodedLength);
    }

    [Fact]
    public void ReplyHeader_Is16Bytes()
    {
        var expected = Hex.Bytes("00000007 | 000000020000000A | FFFFFF9B");
        var header = new ReplyHeader(7, 0x000000020000000A, ErrorCode.NoNode);
        Assert.Equal(Hex.Of(expected), Hex.Of(Codec.Encode(header)));
        Assert.Equal(header, Codec.Decode<ReplyHeader>(expected));
        Assert.Equal(16, ReplyHeader.EncodedLength);
    }

    [Fact]
    public void RequestHeader_Is8Bytes()
    {
        Assert.Equal("0000000100000004", Hex.Of(Codec.Encode(new RequestHeader(1, OpCode.GetData))));
        Assert.Equal("FFFFFFFE0000000B", Hex.Of(Codec.Encode(new RequestHeader(Xids.Ping, OpCode.Ping))));
        Assert.Equal("FFFFFFFC00000064", Hex.Of(Codec.Encode(new RequestHeader(Xids.Auth, OpCode.Auth))));
        Assert.Equal("FFFFFFF800000065", Hex.Of(Codec.Encode(new RequestHeader(Xids.SetWatches, OpCode.SetWatches))));
        Assert.Equal("7FFFFFFFFFFFFFF5", Hex.Of(Codec.Encode(new RequestHeader(int.MaxValue, OpCode.CloseSession))));
        Assert.Equal(new RequestHeader(2, OpCode.Create2), Codec.Decode<RequestHeader>(Hex.Bytes("00000002 0000000F")));
    }

    [Fact]
    public void MultiHeader_Is9Bytes()
    {
        Assert.Equal("0000000100FFFFFFFF", Hex.Of(Codec.Encode(new MultiHeader(1, false, -1))));
        Assert.Equal("FFFFFFFF01FFFFFFFF", Hex.Of(Codec.Encode(MultiHeader.End)));
        Assert.Equal("FFFFFFFF00FFFFFF92", Hex.Of(Codec.Encode(new MultiHeader(-1, false, (int)ErrorCode.NodeExists))));
        Assert.Equal(new MultiHeader(13, false, 0), Codec.Decode<MultiHeader>(Hex.Bytes("0000000D 00 00000000")));
    }

    [Fact]
    public void MultiRequest_CreateDeleteSetDataCheck_ThenEndMarker()
    {
        var expected = Hex.Bytes(
            // create: header (1, false, -1), then CreateRequest("/a", "x", OPEN_ACL_UNSAFE, 0)
            "00000001 00 FFFFFFFF" +
            "00000002 2F61" +
            "00000001 78" +
            "00000001 0000001F 00000005 776F726C64 00000006 616E796F6E65" +
            "00000000" +
            // delete: header (2, false, -1), then DeleteRequest("/b", -1)
            "00000002 00 FFFFFFFF" +
            "00000002 2F62 FFFFFFFF" +
            // setData: header (5, false, -1), then SetDataRequest("/c", "yz", 5)
            "00000005 00 FFFFFFFF" +
            "00000002 2F63 00000002 797A 00000005" +
            // check: header (13, false, -1), then CheckVersionRequest("/d", 7)
            "0000000D 00 FFFFFFFF" +
            "00000002 2F64 00000007" +
            // end marker (-1, true, -1)
            "FFFFFFFF 01 FFFFFFFF");

        var request = new MultiRequest(
        [
            new(OpCode.Create, new CreateRequest("/a", "x"u8.ToArray(), Acl.OpenAclUnsafe, 0)),
            new(OpCode.Delete, new DeleteRequest("/b", -1)),
            new(OpCode.SetData, new SetDataRequest("/c", "yz"u8.ToArray(), 5)),
            new(OpCode.Check, new CheckVersionRequest("/d", 7)),
        ]);

        Assert.Equal(Hex.Of(expected), Hex.Of(Codec.Encode(request)));

        var read = Codec.Decode<MultiRequest>(expected);
        DeepAssert.Equal(request, read);
        Assert.Equal([OpCode.Create, OpCode.Delete, OpCode.SetData, OpCode.Check], read.Ops.Select(o => o.Type));
    }

    [Fact]
    public void MultiResponse_Op2Failed_EveryResultIsAnError()
    {
        // Four ops; the second failed with NONODE. Earlier ops carry 0, later ones RUNTIMEINCONSISTENCY (-2).
        var expected = Hex.Bytes(
            "FFFFFFFF 00 00000000 | 00000000" +
            "FFFFFFFF 00 FFFFFF9B | FFFFFF9B" +
            "FFFFFFFF 00 FFFFFFFE | FFFFFFFE" +
            "FFFFFFFF 00 FFFFFFFE | FFFFFFFE" +
            "FFFFFFFF 01 FFFFFFFF");

        var response = new MultiResponse(
        [
            MultiResult.Error(ErrorCode.Ok),
            MultiResult.Error(ErrorCode.NoNode),
            MultiResult.Error(ErrorCode.RuntimeInconsistency),
            MultiResult.Error(ErrorCode.RuntimeInconsistency),
        ]);

        Assert.Equal(Hex.Of(expected), Hex.Of(Codec.Encode(response)));

        var read = Codec.Decode<MultiResponse>(expected);
        Assert.All(read.Results, r => Assert.Equal(OpCode.Error, r.Type));
        Assert.Equal([ErrorCode.Ok, ErrorCode.NoNode, ErrorCode.RuntimeInconsistency, ErrorCode.RuntimeInconsistency], read.Results.Select(r => r.Err));
    }

    [Fact]
    public void MultiResponse_Success_DeleteAndCheckHaveNoBody()
    {
        var expected = Hex.Bytes(
            "00000001 00 00000000 | 00000002 2F61" +         // create -> CreateResponse{path}
            "00000002 00 00000000" +                         // delete -> nothing
            "00000005 00 00000000 |" + Hex.Zeros(68) +       // setData -> Stat
            "0000000D 00 00000000" +                         // check -> nothing
            "0000000F 00 00000000 | 00000002 2F65" + Hex.Zeros(68) + // create2 -> path + Stat
            "FFFFFFFF 01 FFFFFFFF");

        var response = new MultiResponse(
        [
            new(OpCode.Create, ErrorCode.Ok, new PathRecord("/a")),
            new(OpCode.Delete, ErrorCode.Ok, null),
            new(OpCode.SetData, ErrorCode.Ok, new StatResponse(default)),
            new(OpCode.Check, ErrorCode.Ok, null),
            new(OpCode.Create2, ErrorCode.Ok, new Create2Response("/e", default)),
        ]);

        Assert.Equal(Hex.Of(expected), Hex.Of(Codec.Encode(response)));
        DeepAssert.Equal(response, Codec.Decode<MultiResponse>(expected));
    }

    [Fact]
    public void MultiRead_Response_GetChildrenAndGetData()
    {
        var expected = Hex.Bytes(
            "00000008 00 00000000 | 00000002 00000001 78 00000001 79" + // getChildren -> ["x", "y"]
            "00000004 00 00000000 | FFFFFFFF" + Hex.Zeros(68) +        // getData -> null data + Stat
            "FFFFFFFF 00 FFFFFF9B | FFFFFF9B" +                        // getData of a missing node
            "FFFFFFFF 01 FFFFFFFF");

        var response = new MultiResponse(
        [
            new(OpCode.GetChildren, ErrorCode.Ok, new StringListResponse(["x", "y"])),
            new(OpCode.GetData, ErrorCode.Ok, new GetDataResponse(null, default)),
            MultiResult.Error(ErrorCode.NoNode),
        ]);

        Assert.Equal(Hex.Of(expected), Hex.Of(Codec.Encode(response)));
        DeepAssert.Equal(response, Codec.Decode<MultiResponse>(expected));
    }

    [Fact]
    public void WatcherNotification_Frame()
    {
        var expected = Hex.Bytes(
            "0000001E" +                                    // frame length 30
            "FFFFFFFF 0000000100000009 00000000" +          // ReplyHeader(xid -1, zxid, err 0)
            "00000003 00000003 00000002 2F61");             // WatcherEvent(NodeDataChanged, SyncConnected, "/a")

        using var writer = new JuteWriter();
        var start = writer.BeginFrame();
        new ReplyHeader(Xids.Notification, 0x0000000100000009, ErrorCode.Ok).Write(writer);
        new WatcherEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, "/a").Write(writer);
        writer.EndFrame(start);

        Assert.Equal(Hex.Of(expected), Hex.Of(writer.WrittenSpan));

        var reader = new JuteReader(expected.AsSpan(4));
        Assert.Equal(new ReplyHeader(-1, 0x0000000100000009, ErrorCode.Ok), ReplyHeader.Read(ref reader));
        Assert.Equal(new WatcherEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, "/a"), WatcherEvent.Read(ref reader));
        Assert.True(reader.AtEnd);
    }

    [Fact]
    public void AddWatchReply_ErrorResponseIs4Bytes()
    {
        Assert.Equal("00000000", Hex.Of(Codec.Encode(new ErrorResponse(ErrorCode.Ok))));

        var expected = Hex.Bytes("00000014 | 00000009 0000000000000010 00000000 | 00000000");
        using var writer = new JuteWriter();
        var start = writer.BeginFrame();
        new ReplyHeader(9, 0x10, ErrorCode.Ok).Write(writer);
        new ErrorResponse(ErrorCode.Ok).Write(writer);
        writer.EndFrame(start);
        Assert.Equal(Hex.Of(expected), Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void PingReply_IsHeaderOnly()
    {
        using var writer = new JuteWriter();
        var start = writer.BeginFrame();
        new ReplyHeader(Xids.Ping, 0x0000000100000002, ErrorCode.Ok).Write(writer);
        writer.EndFrame(start);
        Assert.Equal("00000010" + "FFFFFFFE" + "0000000100000002" + "00000000", Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void BeginFrameEndFrame_PatchTheLengthOfEachFrame()
    {
        using var writer = new JuteWriter(16);
        var first = writer.BeginFrame();
        writer.WriteInt(0x01020304);
        writer.WriteBool(true);
        writer.EndFrame(first);

        var empty = writer.BeginFrame();
        writer.EndFrame(empty);

        var third = writer.BeginFrame();
        writer.WriteString("/abc");
        writer.WriteLong(-1);
        writer.EndFrame(third);

        Assert.Equal(0, first);
        Assert.Equal(9, empty);
        Assert.Equal(13, third);
        Assert.Equal(
            Hex.Of(Hex.Bytes(
                "00000005 01020304 01" +
                "00000000" +
                "00000010 00000004 2F616263 FFFFFFFFFFFFFFFF")),
            Hex.Of(writer.WrittenSpan));
    }

    [Fact]
    public void BeginFrameEndFrame_LargeFrameGrowsTheBuffer()
    {
        using var writer = new JuteWriter(16);
        writer.WriteInt(7);
        var start = writer.BeginFrame();
        var data = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        writer.WriteBuffer(data);
        writer.EndFrame(start);

        var bytes = writer.ToArray();
        Assert.Equal(4 + 4 + 4 + 5000, bytes.Length);
        Assert.Equal("00000007" + "0000138C" + "00001388", Hex.Of(bytes.AsSpan(0, 12)));
        Assert.Equal(data, bytes[12..]);
    }

    [Fact]
    public void NullStringBufferAndVector_AreMinusOne_EmptyIsZero()
    {
        Assert.Equal("FFFFFFFF", Hex.Of(Codec.Encode(w => w.WriteString(null))));
        Assert.Equal("FFFFFFFF", Hex.Of(Codec.Encode(w => w.WriteBuffer((byte[]?)null))));
        Assert.Equal("FFFFFFFF", Hex.Of(Codec.Encode(w => w.WriteStringList(null))));
        Assert.Equal("FFFFFFFF", Hex.Of(Codec.Encode(w => Acl.WriteList(w, null))));
        Assert.Equal("00000000", Hex.Of(Codec.Encode(w => w.WriteString(""))));
        Assert.Equal("00000000", Hex.Of(Codec.Encode(w => w.WriteBuffer(Array.Empty<byte>()))));
        Assert.Equal("00000000", Hex.Of(Codec.Encode(w => w.WriteBuffer(ReadOnlySpan<byte>.Empty))));
        Assert.Equal("00000000", Hex.Of(Codec.Encode(w => w.WriteStringList([]))));
        Assert.Equal("00", Hex.Of(Codec.Encode(w => w.WriteBool(false))));
        Assert.Equal("01", Hex.Of(Codec.Encode(w => w.WriteBool(true))));
        Assert.Equal("80000000", Hex.Of(Codec.Encode(w => w.WriteInt(int.MinValue))));
        Assert.Equal("7FFFFFFFFFFFFFFF", Hex.Of(Codec.Encode(w => w.WriteLong(long.MaxValue))));
    }

    [Fact]
    public void GetDataResponse_NullData_IsMinusOneThenStat()
    {
        var expected = Hex.Bytes("FFFFFFFF" + Hex.Zeros(68));
        Assert.Equal(Hex.Of(expected), Hex.Of(Codec.Encode(new GetDataResponse(null, default))));
        Assert.Null(Codec.Decode<GetDataResponse>(expected).Data);
    }

    [Fact]
    public void CreateRequest_Layout()
    {
        // path, data, acl vector, flags
        var expected = Hex.Bytes(
            "00000006 2F6C6F636B2D" +                          // "/lock-"
            "FFFFFFFF" +                                       // null data
            "00000002" +
            "00000001 00000005 776F726C64 00000006 616E796F6E65" + // READ world:anyone
            "0000001F 00000004 61757468 00000000" +            // ALL auth:
            "00000003");                                       // EPHEMERAL_SEQUENTIAL

        var request = new CreateRequest("/lock-", null, [new(Perms.Read, Id.Anyone), new(Perms.All, Id.AuthIds)], 3);
        Assert.Equal(Hex.Of(expected), Hex.Of(Codec.Encode(request)));
        DeepAssert.Equal(request, Codec.Decode<CreateRequest>(expected));
    }

    [Fact]
    public void SetWatches_V1AndV2_Layout()
    {
        var v1 = Hex.Bytes(
            "0000000000000064" +          // relativeZxid 100
            "00000001 00000002 2F64" +    // data ["/d"]
            "00000000" +                  // exist []
            "00000001 00000002 2F63");    // child ["/c"]
        var v2 = Hex.Bytes(Hex.Of(v1) +
            "00000001 00000002 2F70" +    // persistent ["/p"]
            "00000000");                  // persistentRecursive []

        var request1 = new SetWatchesRequest(100, ["/d"], [], ["/c"], [], [], false);
        var request2 = new SetWatchesRequest(100, ["/d"], [], ["/c"], ["/p"], [], true);
        Assert.Equal(Hex.Of(v1), Hex.Of(Codec.Encode(request1.Write)));
        Assert.Equal(Hex.Of(v2), Hex.Of(Codec.Encode(request2.Write)));
    }

    [Fact]
    public void AuthPacket_Layout()
    {
        var expected = Hex.Bytes("00000000 | 00000006 646967657374 | 00000007 626F623A707764");
        var packet = new AuthPacket(0, "digest", "bob:pwd"u8.ToArray());
        Assert.Equal(Hex.Of(expected), Hex.Of(Codec.Encode(packet)));
        DeepAssert.Equal(packet, Codec.Decode<AuthPacket>(expected));
    }

    [Fact]
    public void CreateTtlRequest_Layout()
    {
        var expected = Hex.Bytes("00000002 2F74 | 00000000 | 00000000 | 00000005 | 000000000000EA60");
        var request = new CreateTtlRequest("/t", [], [], 5, 60000);
        Assert.Equal(Hex.Of(expected), Hex.Of(Codec.Encode(request)));
    }
}
