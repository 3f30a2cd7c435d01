using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Tests.Support;

namespace Orleans.Coordination.Protocol.Tests;

/// <summary>MultiRequest and MultiResponse with every op and result type.</summary>
public class MultiRoundTripTests
{
    [Fact]
    public void MultiRequest_WithEveryWriteOp_RoundTrips()
    {
        var request = new MultiRequest(
        [
            new(OpCode.Create, new CreateRequest("/a", [1], Acl.OpenAclUnsafe, 0)),
            new(OpCode.Create2, new CreateRequest("/b", null, Samples.MixedAcl, (int)CreateMode.EphemeralSequential)),
            new(OpCode.CreateContainer, new CreateRequest("/c", [], Acl.OpenAclUnsafe, (int)CreateMode.Container)),
            new(OpCode.CreateTtl, new CreateTtlRequest("/d", [2], Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, long.MaxValue)),
            new(OpCode.Delete, new DeleteRequest("/e", -1)),
            new(OpCode.SetData, new SetDataRequest(Samples.Unicode, Samples.AllByteValues, int.MaxValue)),
            new(OpCode.Check, new CheckVersionRequest("/f", int.MinValue)),
        ]);

        var back = Codec.RoundTrip(request);
        Assert.Equal(7, back.Ops.Count);
    }

    [Fact]
    public void MultiRequest_WithReadOps_RoundTrips()
    {
        var request = new MultiRequest(
        [
            new(OpCode.GetChildren, new PathWatchRequest("/a", false)),
            new(OpCode.GetData, new PathWatchRequest("/b", false)),
            new(OpCode.GetData, new PathWatchRequest(Samples.Unicode, true)),
        ]);

        Codec.RoundTrip(request);
    }

    [Fact]
    public void MultiRequest_Empty_IsJustTheEndMarker()
    {
        var back = Codec.RoundTrip(new MultiRequest([]));
        Assert.Empty(back.Ops);
        Assert.Equal(9, Codec.Encode(new MultiRequest([])).Length);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(12)]
    [InlineData(14)]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(100)]
    public void MultiRequest_OpNotAllowedInMulti_Throws(int type)
    {
        var bytes = Hex.Concat(Hex.Int(type), "00 FFFFFFFF", "00000002 2F61 00", "FFFFFFFF 01 FFFFFFFF");
        Assert.Throws<JuteException>(() => Codec.Decode<MultiRequest>(bytes));
    }

    [Fact]
    public void MultiResponse_WithEveryResultType_RoundTrips()
    {
        var response = new MultiResponse(
        [
            new(OpCode.Create, ErrorCode.Ok, new PathRecord("/a")),
            new(OpCode.Create2, ErrorCode.Ok, new Create2Response("/b0000000001", Samples.TypicalStat)),
            new(OpCode.CreateContainer, ErrorCode.Ok, new Create2Response("/c", Samples.MaxStat)),
            new(OpCode.CreateTtl, ErrorCode.Ok, new Create2Response("/d", Samples.MinStat)),
            new(OpCode.Delete, ErrorCode.Ok, null),
            new(OpCode.SetData, ErrorCode.Ok, new StatResponse(Samples.TypicalStat)),
            new(OpCode.Check, ErrorCode.Ok, null),
            new(OpCode.GetChildren, ErrorCode.Ok, new StringListResponse(["x", "", Samples.Unicode])),
            new(OpCode.GetChildren, ErrorCode.Ok, new StringListResponse([])),
            new(OpCode.GetData, ErrorCode.Ok, new GetDataResponse(null, default)),
            new(OpCode.GetData, ErrorCode.Ok, new GetDataResponse(Samples.AllByteValues, Samples.TypicalStat)),
            MultiResult.Error(ErrorCode.NoNode),
            MultiResult.Error(ErrorCode.Ok),
            MultiResult.Error(ErrorCode.RuntimeInconsistency),
            MultiResult.Error((ErrorCode)int.MinValue),
        ]);

        var back = Codec.RoundTrip(response);
        Assert.Equal(15, back.Results.Count);
    }

    [Fact]
    public void MultiResponse_ErrorResult_TakesItsCodeFromTheBody()
    {
        var back = Codec.RoundTrip(new MultiResponse([MultiResult.Error(ErrorCode.BadVersion)]));
        var result = Assert.Single(back.Results);
        Assert.Equal(OpCode.Error, result.Type);
        Assert.Equal(ErrorCode.BadVersion, result.Err);
        Assert.Equal(new ErrorResponse(ErrorCode.BadVersion), result.Body);
    }

    [Fact]
    public void MultiResult_Error_CarriesTheCodeTwice()
    {
        var result = MultiResult.Error(ErrorCode.NodeExists);
        Assert.Equal(OpCode.Error, result.Type);
        Assert.Equal(ErrorCode.NodeExists, result.Err);
        Assert.Equal(new ErrorResponse(ErrorCode.NodeExists), result.Body);
    }

    [Fact]
    public void MultiResponse_Empty_RoundTrips()
    {
        Assert.Empty(Codec.RoundTrip(new MultiResponse([])).Results);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(9)]
    [InlineData(12)]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(-2)]
    public void MultiResponse_ResultTypeNotValid_Throws(int type)
    {
        var bytes = Hex.Concat(Hex.Int(type), "00 00000000", "00000000", "FFFFFFFF 01 FFFFFFFF");
        Assert.Throws<JuteException>(() => Codec.Decode<MultiResponse>(bytes));
    }

    [Fact]
    public void MultiRequest_EndMarkerIsRecognisedByDoneFlagAlone()
    {
        // Readers stop at done=true; any non-zero byte there is true.
        var request = Codec.Decode<MultiRequest>(Hex.Bytes("FFFFFFFF 7F FFFFFFFF"));
        Assert.Empty(request.Ops);
    }
}
