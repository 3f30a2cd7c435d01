using System.Buffers;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Tests.Support;
using Orleans.Coordination.Protocol.Txn;

namespace Orleans.Coordination.Protocol.Tests;

/// <summary>Checks that the test helpers can fail, so passing round-trips mean something.</summary>
public class SupportTests
{
    [Fact]
    public void DeepAssert_SeesDifferentBytes()
    {
        Assert.ThrowsAny<Exception>(() => DeepAssert.Equal(new SetDataRequest("/a", [1], 0), new SetDataRequest("/a", [2], 0)));
        Assert.ThrowsAny<Exception>(() => DeepAssert.Equal(new SetDataRequest("/a", null, 0), new SetDataRequest("/a", [], 0)));
    }

    [Fact]
    public void DeepAssert_SeesDifferentListsAndNesting()
    {
        Assert.ThrowsAny<Exception>(() => DeepAssert.Equal(new StringListResponse(["a"]), new StringListResponse(["a", "b"])));
        Assert.ThrowsAny<Exception>(() => DeepAssert.Equal(new CreateRequest("/a", null, null, 0), new CreateRequest("/a", null, [], 0)));
        Assert.ThrowsAny<Exception>(() => DeepAssert.Equal(
            new MultiTxn([new MultiTxn([new CheckTxn("/a", 1)])]),
            new MultiTxn([new MultiTxn([new CheckTxn("/a", 2)])])));
        Assert.ThrowsAny<Exception>(() => DeepAssert.Equal(new DeleteTxn("/a"), new CheckTxn("/a", 0)));
        Assert.ThrowsAny<Exception>(() => DeepAssert.Equal(Samples.TypicalStat, Samples.TypicalStat with { Pzxid = 1 }));
    }

    [Fact]
    public void DeepAssert_AcceptsEqualCopies()
    {
        DeepAssert.Equal(
            new GetAclResponse([new Acl(Perms.All, new Id("world", "anyone"))], Samples.MaxStat),
            new GetAclResponse(Acl.OpenAclUnsafe.ToList(), Samples.MaxStat));
    }

    [Fact]
    public void Segments_BuildsTheRequestedSegments()
    {
        var sequence = Segments.Split([1, 2, 3, 4, 5], 1, 1, 3);
        Assert.Equal(5, sequence.Length);
        Assert.False(sequence.IsSingleSegment);
        var lengths = new List<int>();
        foreach (var memory in sequence)
        {
            lengths.Add(memory.Length);
        }

        Assert.Equal([1, 0, 2, 2], lengths);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, sequence.ToArray());
    }
}
