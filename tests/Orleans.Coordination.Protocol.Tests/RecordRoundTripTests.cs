using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Tests.Support;

namespace Orleans.Coordination.Protocol.Tests;

/// <summary>Write-then-read for every client record, with null, empty, unicode and extreme values.</summary>
public class RecordRoundTripTests
{
    [Fact]
    public void Id_RoundTrips()
    {
        Codec.RoundTrip(Id.Anyone);
        Codec.RoundTrip(Id.AuthIds);
        Codec.RoundTrip(new Id("", ""));
        Codec.RoundTrip(new Id(Samples.Unicode, "user:" + new string('x', 5000)));
    }

    [Fact]
    public void Id_NullStrings_ReadAsEmpty()
    {
        // kazoo sends Id("auth","") with the id as -1.
        var id = Codec.Decode<Id>(Hex.Bytes("00000004 61757468 | FFFFFFFF"));
        Assert.Equal("auth", id.Scheme);
        Assert.Equal("", id.Ident);

        var both = Codec.Decode<Id>(Hex.Bytes("FFFFFFFF FFFFFFFF"));
        Assert.Equal(new Id("", ""), both);
    }

    [Fact]
    public void Acl_RoundTrips()
    {
        foreach (var acl in Samples.MixedAcl)
        {
            Codec.RoundTrip(acl);
        }
    }

    [Fact]
    public void AclList_RoundTrips_IncludingNullAndEmpty()
    {
        IReadOnlyList<Acl>?[] lists = [null, [], Acl.OpenAclUnsafe, Acl.CreatorAllAcl, Acl.ReadAclUnsafe, Samples.MixedAcl];
        foreach (var list in lists)
        {
            var bytes = Codec.Encode(w => Acl.WriteList(w, list));
            var reader = new JuteReader(bytes);
            var back = Acl.ReadList(ref reader);
            Assert.True(reader.AtEnd);
            DeepAssert.Equal(list is null ? null : list.ToList(), back);
        }
    }

    [Fact]
    public void BuiltInAcls_MatchReference()
    {
        Assert.Equal(new Id("world", "anyone"), Id.Anyone);
        Assert.Equal(new Id("auth", ""), Id.AuthIds);
        Assert.Equal([new Acl((Perms)31, new Id("world", "anyone"))], Acl.OpenAclUnsafe);
        Assert.Equal([new Acl((Perms)31, new Id("auth", ""))], Acl.CreatorAllAcl);
        Assert.Equal([new Acl((Perms)1, new Id("world", "anyone"))], Acl.ReadAclUnsafe);
    }

    [Fact]
    public void ClientInfo_RoundTrips()
    {
        Codec.RoundTrip(new ClientInfo("ip", "127.0.0.1"));
        Codec.RoundTrip(new ClientInfo("digest", "bob"));
        Codec.RoundTrip(new ClientInfo("", ""));
        Codec.RoundTrip(new ClientInfo(Samples.Unicode, Samples.Unicode));
        Assert.Equal(new ClientInfo("", ""), Codec.Decode<ClientInfo>(Hex.Bytes("FFFFFFFF FFFFFFFF")));
    }

    [Fact]
    public void ConnectRequest_RoundTrips()
    {
        Codec.RoundTrip(new ConnectRequest(0, 0, 30000, 0, new byte[16], false));
        Codec.RoundTrip(new ConnectRequest(0, 0x0000000500000001, 4000, 0x7234567890ABCDEF, Samples.Passwd, true));
        Codec.RoundTrip(new ConnectRequest(int.MaxValue, long.MaxValue, int.MaxValue, long.MaxValue, Samples.AllByteValues, true));
        Codec.RoundTrip(new ConnectRequest(int.MinValue, long.MinValue, int.MinValue, long.MinValue, [], false));
        var old = Codec.RoundTrip(new ConnectRequest(0, 9, 10000, 77, Samples.Passwd, false, HasReadOnlyField: false));
        Assert.False(old.HasReadOnlyField);
    }

    [Fact]
    public void ConnectRequest_NullPasswd_ReadsAsEmpty()
    {
        var request = Codec.Decode<ConnectRequest>(Hex.Bytes("00000000 0000000000000000 00007530 0000000000000000 FFFFFFFF 00"));
        Assert.Empty(request.Passwd);
        Assert.True(request.HasReadOnlyField);
    }

    [Fact]
    public void ConnectResponse_RoundTrips()
    {
        Codec.RoundTrip(new ConnectResponse(0, 40000, 0x0100000000000001, Samples.Passwd, false));
        Codec.RoundTrip(new ConnectResponse(0, 40000, 0x0100000000000001, Samples.Passwd, true));
        Codec.RoundTrip(new ConnectResponse(int.MinValue, int.MaxValue, long.MinValue, [], false));
        Codec.RoundTrip(new ConnectResponse(int.MaxValue, int.MinValue, long.MaxValue, Samples.AllByteValues, true));
        var old = Codec.RoundTrip(new ConnectResponse(0, 4000, 5, Samples.Passwd, false, HasReadOnlyField: false));
        Assert.False(old.HasReadOnlyField);
        Codec.RoundTrip(ConnectResponse.Expired(true));
        Codec.RoundTrip(ConnectResponse.Expired(false));
    }

    [Fact]
    public void ConnectResponse_Expired_IsZeroTimeoutZeroSessionAndSixteenZeroBytes()
    {
        var expired = ConnectResponse.Expired(true);
        Assert.Equal(0, expired.TimeOut);
        Assert.Equal(0, expired.SessionId);
        Assert.Equal(new byte[16], expired.Passwd);
        Assert.Equal(16, ConnectResponse.PasswordLength);
        Assert.True(expired.HasReadOnlyField);
        Assert.False(ConnectResponse.Expired(false).HasReadOnlyField);
    }

    [Fact]
    public void Headers_RoundTrip()
    {
        int[] ints = [0, 1, -1, -2, -4, -8, int.MaxValue, int.MinValue];
        long[] longs = [0, 1, -1, long.MaxValue, long.MinValue, 0x0000000100000000];
        foreach (var i in ints)
        {
            Codec.RoundTrip(new RequestHeader(i, (OpCode)i));
            Codec.RoundTrip(new MultiHeader(i, true, i));
            Codec.RoundTrip(new MultiHeader(i, false, ~i));
            foreach (var l in longs)
            {
                Codec.RoundTrip(new ReplyHeader(i, l, (ErrorCode)i));
            }
        }

        Codec.RoundTrip(MultiHeader.End);
        Assert.Equal(new MultiHeader(-1, true, -1), MultiHeader.End);
    }

    [Fact]
    public void Stat_RoundTrips()
    {
        foreach (var stat in Samples.Stats)
        {
            Assert.Equal(stat, Codec.RoundTrip(stat));
            Assert.Equal(Stat.EncodedLength, Codec.Encode(stat).Length);
        }
    }

    [Fact]
    public void CreateRequest_RoundTrips()
    {
        Codec.RoundTrip(new CreateRequest("/a", [1, 2, 3], Acl.OpenAclUnsafe, (int)CreateMode.EphemeralSequential));
        Codec.RoundTrip(new CreateRequest("/a", null, null, 0));
        Codec.RoundTrip(new CreateRequest("", [], [], -1));
        Codec.RoundTrip(new CreateRequest(Samples.Unicode, Samples.AllByteValues, Samples.MixedAcl, int.MaxValue));
        Codec.RoundTrip(new CreateRequest("/x", new byte[70_000], Acl.CreatorAllAcl, int.MinValue));
    }

    [Fact]
    public void CreateRequest_NullPath_ReadsAsEmpty()
    {
        var request = Codec.Decode<CreateRequest>(Hex.Bytes("FFFFFFFF | FFFFFFFF | FFFFFFFF | 00000004"));
        Assert.Equal("", request.Path);
        Assert.Null(request.Data);
        Assert.Null(request.Acl);
        Assert.Equal(4, request.Flags);
    }

    [Fact]
    public void CreateTtlRequest_RoundTrips()
    {
        Codec.RoundTrip(new CreateTtlRequest("/ttl", [9], Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 1));
        Codec.RoundTrip(new CreateTtlRequest("/ttl", null, null, (int)CreateMode.PersistentSequentialWithTtl, (1L << 40) - 1));
        Codec.RoundTrip(new CreateTtlRequest("", [], [], int.MinValue, long.MinValue));
        Codec.RoundTrip(new CreateTtlRequest(Samples.Unicode, Samples.AllByteValues, Samples.MixedAcl, int.MaxValue, long.MaxValue));
    }

    [Fact]
    public void DeleteRequest_RoundTrips()
    {
        Codec.RoundTrip(new DeleteRequest("/a", -1));
        Codec.RoundTrip(new DeleteRequest("", int.MinValue));
        Codec.RoundTrip(new DeleteRequest(Samples.Unicode, int.MaxValue));
    }

    [Fact]
    public void CheckVersionRequest_RoundTrips()
    {
        Codec.RoundTrip(new CheckVersionRequest("/a", 0));
        Codec.RoundTrip(new CheckVersionRequest("", int.MinValue));
        Codec.RoundTrip(new CheckVersionRequest(Samples.Unicode, int.MaxValue));
    }

    [Fact]
    public void PathWatchRequest_RoundTrips()
    {
        Codec.RoundTrip(new PathWatchRequest("/a", true));
        Codec.RoundTrip(new PathWatchRequest("/a", false));
        Codec.RoundTrip(new PathWatchRequest("", false));
        Codec.RoundTrip(new PathWatchRequest(Samples.Unicode, true));
    }

    [Fact]
    public void PathRecord_RoundTrips()
    {
        Codec.RoundTrip(new PathRecord("/"));
        Codec.RoundTrip(new PathRecord(""));
        Codec.RoundTrip(new PathRecord(Samples.Unicode));
        Codec.RoundTrip(new PathRecord(new string('p', 100_000)));
        Assert.Equal("", Codec.Decode<PathRecord>(Hex.Bytes("FFFFFFFF")).Path);
    }

    [Fact]
    public void SetDataRequest_RoundTrips()
    {
        Codec.RoundTrip(new SetDataRequest("/a", [0], -1));
        Codec.RoundTrip(new SetDataRequest("/a", null, 0));
        Codec.RoundTrip(new SetDataRequest("", [], int.MinValue));
        Codec.RoundTrip(new SetDataRequest(Samples.Unicode, Samples.AllByteValues, int.MaxValue));
    }

    [Fact]
    public void SetAclRequest_RoundTrips()
    {
        Codec.RoundTrip(new SetAclRequest("/a", Acl.OpenAclUnsafe, -1));
        Codec.RoundTrip(new SetAclRequest("/a", null, 0));
        Codec.RoundTrip(new SetAclRequest("", [], int.MinValue));
        Codec.RoundTrip(new SetAclRequest(Samples.Unicode, Samples.MixedAcl, int.MaxValue));
    }

    [Fact]
    public void WatchesRequest_RoundTrips()
    {
        foreach (var type in Enum.GetValues<WatcherType>())
        {
            Codec.RoundTrip(new WatchesRequest("/w", type));
        }

        Codec.RoundTrip(new WatchesRequest("", (WatcherType)int.MinValue));
        Codec.RoundTrip(new WatchesRequest(Samples.Unicode, (WatcherType)int.MaxValue));
    }

    [Fact]
    public void AddWatchRequest_RoundTrips()
    {
        Codec.RoundTrip(new AddWatchRequest("/w", AddWatchMode.Persistent));
        Codec.RoundTrip(new AddWatchRequest("/w", AddWatchMode.PersistentRecursive));
        Codec.RoundTrip(new AddWatchRequest("", (AddWatchMode)int.MinValue));
        Codec.RoundTrip(new AddWatchRequest(Samples.Unicode, (AddWatchMode)int.MaxValue));
    }

    [Fact]
    public void AuthPacket_RoundTrips()
    {
        Codec.RoundTrip(new AuthPacket(0, "digest", "bob:secret"u8.ToArray()));
        Codec.RoundTrip(new AuthPacket(0, "digest", null));
        Codec.RoundTrip(new AuthPacket(int.MinValue, "", []));
        Codec.RoundTrip(new AuthPacket(int.MaxValue, Samples.Unicode, Samples.AllByteValues));
    }

    [Fact]
    public void SetWatchesRequest_V1_RoundTrips()
    {
        var request = new SetWatchesRequest(0x0000000300000042, ["/d1", "/d2"], ["/e"], [Samples.Unicode, ""], [], [], false);
        var bytes = Codec.Encode(request.Write);
        var back = ReadSetWatches(bytes, version2: false);
        DeepAssert.Equal(request, back);
        Assert.False(back.IsVersion2);

        var extremes = new SetWatchesRequest(long.MinValue, [], [], [], [], [], false);
        DeepAssert.Equal(extremes, ReadSetWatches(Codec.Encode(extremes.Write), version2: false));
        var max = new SetWatchesRequest(long.MaxValue, [], [], [], [], [], false);
        DeepAssert.Equal(max, ReadSetWatches(Codec.Encode(max.Write), version2: false));
    }

    [Fact]
    public void SetWatchesRequest_V1_DoesNotWriteThePersistentLists()
    {
        // Version 1 ignores the persistent lists even when they are set.
        var request = new SetWatchesRequest(1, ["/d"], [], [], ["/p"], ["/r"], false);
        var bytes = Codec.Encode(request.Write);
        Assert.Equal(8 + (4 + 4 + 2) + 4 + 4, bytes.Length);
        var back = ReadSetWatches(bytes, version2: false);
        Assert.Empty(back.PersistentWatches);
        Assert.Empty(back.PersistentRecursiveWatches);
    }

    [Fact]
    public void SetWatchesRequest_V2_RoundTrips()
    {
        var request = new SetWatchesRequest(0x0000000300000042, ["/d"], ["/e1", "/e2"], ["/c"], ["/p", Samples.Unicode], ["/r", ""], true);
        var back = ReadSetWatches(Codec.Encode(request.Write), version2: true);
        DeepAssert.Equal(request, back);
        Assert.True(back.IsVersion2);

        var empty = new SetWatchesRequest(long.MaxValue, [], [], [], [], [], true);
        DeepAssert.Equal(empty, ReadSetWatches(Codec.Encode(empty.Write), version2: true));
    }

    [Fact]
    public void SetWatchesRequest_NullVectors_ReadAsEmpty()
    {
        var v1 = ReadSetWatches(Hex.Bytes("0000000000000007 FFFFFFFF FFFFFFFF FFFFFFFF"), version2: false);
        Assert.Equal(7, v1.RelativeZxid);
        Assert.Empty(v1.DataWatches);
        Assert.Empty(v1.ExistWatches);
        Assert.Empty(v1.ChildWatches);

        var v2 = ReadSetWatches(Hex.Bytes("0000000000000007 FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF"), version2: true);
        Assert.Empty(v2.PersistentWatches);
        Assert.Empty(v2.PersistentRecursiveWatches);
    }

    [Fact]
    public void ReconfigRequest_RoundTrips()
    {
        Codec.RoundTrip(new ReconfigRequest(null, null, null, -1));
        Codec.RoundTrip(new ReconfigRequest("", "", "", 0));
        Codec.RoundTrip(new ReconfigRequest("server.4=h:2888:3888;2181", "1,2", null, long.MaxValue));
        Codec.RoundTrip(new ReconfigRequest(Samples.Unicode, null, Samples.Unicode, long.MinValue));
    }

    [Fact]
    public void BufferRecord_RoundTrips()
    {
        Codec.RoundTrip(new BufferRecord(null));
        Codec.RoundTrip(new BufferRecord([]));
        Codec.RoundTrip(new BufferRecord(Samples.AllByteValues));
        Codec.RoundTrip(new BufferRecord("/container"u8.ToArray()));
    }

    [Fact]
    public void Create2Response_RoundTrips()
    {
        foreach (var stat in Samples.Stats)
        {
            Codec.RoundTrip(new Create2Response("/a0000000001", stat));
        }

        Codec.RoundTrip(new Create2Response("", default));
        Codec.RoundTrip(new Create2Response(Samples.Unicode, Samples.MaxStat));
    }

    [Fact]
    public void GetDataResponse_RoundTrips()
    {
        Codec.RoundTrip(new GetDataResponse(null, Samples.TypicalStat));
        Codec.RoundTrip(new GetDataResponse([], default));
        Codec.RoundTrip(new GetDataResponse(Samples.AllByteValues, Samples.MaxStat));
        Codec.RoundTrip(new GetDataResponse(new byte[JuteLimits.DefaultMaxBuffer], Samples.MinStat));
    }

    [Fact]
    public void StatResponse_RoundTrips()
    {
        foreach (var stat in Samples.Stats)
        {
            Codec.RoundTrip(new StatResponse(stat));
        }
    }

    [Fact]
    public void GetAclResponse_RoundTrips()
    {
        Codec.RoundTrip(new GetAclResponse([], default));
        Codec.RoundTrip(new GetAclResponse(Acl.OpenAclUnsafe, Samples.TypicalStat));
        Codec.RoundTrip(new GetAclResponse(Samples.MixedAcl, Samples.MinStat));
    }

    [Fact]
    public void GetAclResponse_NullVector_ReadsAsEmpty()
    {
        var response = Codec.Decode<GetAclResponse>(Hex.Concat("FFFFFFFF", Hex.Zeros(68)));
        Assert.Empty(response.Acl);
    }

    [Fact]
    public void StringListResponse_RoundTrips()
    {
        Codec.RoundTrip(new StringListResponse([]));
        Codec.RoundTrip(new StringListResponse(["a"]));
        Codec.RoundTrip(new StringListResponse(["zookeeper", "", Samples.Unicode, "lock-0000000001"]));
        Codec.RoundTrip(new StringListResponse(Enumerable.Range(0, 1000).Select(i => $"child-{i:D10}").ToList()));
        Assert.Empty(Codec.Decode<StringListResponse>(Hex.Bytes("FFFFFFFF")).Items);
    }

    [Fact]
    public void StringListResponse_NullElement_ReadsAsEmpty()
    {
        var response = Codec.Decode<StringListResponse>(Hex.Bytes("00000002 FFFFFFFF 00000001 61"));
        Assert.Equal(["", "a"], response.Items);
    }

    [Fact]
    public void GetChildren2Response_RoundTrips()
    {
        Codec.RoundTrip(new GetChildren2Response([], default));
        Codec.RoundTrip(new GetChildren2Response(["quota", "config"], Samples.TypicalStat));
        Codec.RoundTrip(new GetChildren2Response([Samples.Unicode, ""], Samples.MaxStat));
        Assert.Empty(Codec.Decode<GetChildren2Response>(Hex.Concat("FFFFFFFF", Hex.Zeros(68))).Children);
    }

    [Fact]
    public void CountResponse_RoundTrips()
    {
        foreach (var n in new[] { 0, 1, -1, int.MaxValue, int.MinValue })
        {
            Codec.RoundTrip(new CountResponse(n));
        }
    }

    [Fact]
    public void ErrorResponse_RoundTrips()
    {
        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            Codec.RoundTrip(new ErrorResponse(code));
        }

        Codec.RoundTrip(new ErrorResponse((ErrorCode)int.MinValue));
        Codec.RoundTrip(new ErrorResponse((ErrorCode)int.MaxValue));
    }

    [Fact]
    public void WhoAmIResponse_RoundTrips()
    {
        Codec.RoundTrip(new WhoAmIResponse([]));
        Codec.RoundTrip(new WhoAmIResponse([new ClientInfo("ip", "127.0.0.1")]));
        Codec.RoundTrip(new WhoAmIResponse([new ClientInfo("ip", "::1"), new ClientInfo("digest", "bob"), new ClientInfo(Samples.Unicode, "")]));
        Assert.Empty(Codec.Decode<WhoAmIResponse>(Hex.Bytes("FFFFFFFF")).ClientInfo);
    }

    [Fact]
    public void WatcherEvent_RoundTrips()
    {
        foreach (var type in Enum.GetValues<EventType>())
        {
            foreach (var state in Enum.GetValues<KeeperState>())
            {
                Codec.RoundTrip(new WatcherEvent(type, state, "/w"));
            }
        }

        Codec.RoundTrip(new WatcherEvent(EventType.None, KeeperState.SyncConnected, ""));
        Codec.RoundTrip(new WatcherEvent((EventType)int.MinValue, (KeeperState)int.MaxValue, Samples.Unicode));
        Assert.Equal("", Codec.Decode<WatcherEvent>(Hex.Bytes("FFFFFFFF 00000003 FFFFFFFF")).Path);
    }

    [Fact]
    public void Unicode_IsEncodedAsUtf8WithByteLength()
    {
        var bytes = Codec.Encode(new PathRecord("/é\U0001F600"));
        // '/' 1 byte, 'é' 2 bytes, U+1F600 4 bytes: length 7, not the 4 UTF-16 code units.
        Assert.Equal(Hex.Of(Hex.Bytes("00000007 2F C3A9 F09F9880")), Hex.Of(bytes));
    }

    private static SetWatchesRequest ReadSetWatches(byte[] bytes, bool version2)
    {
        var reader = new JuteReader(bytes);
        var request = SetWatchesRequest.Read(ref reader, version2);
        Assert.True(reader.AtEnd);
        return request;
    }
}
