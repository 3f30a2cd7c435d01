using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Tests.Support;
using Orleans.Coordination.Protocol.Txn;

namespace Orleans.Coordination.Protocol.Tests;

/// <summary>Every TxnBody type, alone and nested in MultiTxn, through Transaction.Serialize/Deserialize.</summary>
public class TxnRoundTripTests
{
    public static readonly TheoryData<string> BodyNames = new(AllBodies().Select(b => b.Name));

    [Theory]
    [MemberData(nameof(BodyNames))]
    public void EveryBody_RoundTripsInATransaction(string name)
    {
        var body = AllBodies().Single(b => b.Name == name).Body;
        var headers = new[]
        {
            new TxnHeader(0x0100000000000001, 7, 0x0000000200000003, 1_700_000_000_000, body.Type),
            new TxnHeader(long.MaxValue, int.MaxValue, long.MaxValue, long.MaxValue, body.Type),
            new TxnHeader(long.MinValue, int.MinValue, long.MinValue, long.MinValue, body.Type),
            new TxnHeader(0, 0, 0, 0, body.Type),
        };

        foreach (var header in headers)
        {
            AssertRoundTrip(new Transaction(header, body));
        }
    }

    [Fact]
    public void EveryTxnType_IsCovered()
    {
        var covered = AllBodies().Select(b => b.Body.Type).ToHashSet();
        Assert.True(Enum.GetValues<TxnType>().ToHashSet().SetEquals(covered));
    }

    [Fact]
    public void MultiTxn_WithEveryNonMultiBody_RoundTrips()
    {
        var outer = new MultiTxn([.. AllBodies().Select(b => b.Body).Where(b => b is not MultiTxn)]);
        var back = AssertRoundTrip(new Transaction(new TxnHeader(1, 2, 3, 4, TxnType.Multi), outer));
        Assert.Equal(outer.Ops.Count, Assert.IsType<MultiTxn>(back.Body).Ops.Count);
    }

    [Fact]
    public void NestedMultiTxn_IsRejected()
    {
        // Multi ops are never nested; the decoder refuses it, which also bounds its recursion.
        var nested = new Transaction(new TxnHeader(1, 2, 3, 4, TxnType.Multi), new MultiTxn([new MultiTxn([new CheckTxn("/deep", 3)])]));
        var bytes = nested.Serialize();
        Assert.Throws<JuteException>(() => Transaction.Deserialize(bytes));
    }

    [Fact]
    public void Header_Is32Bytes_AndComesFirst()
    {
        var transaction = new Transaction(
            new TxnHeader(0x0102030405060708, 0x11121314, 0x2122232425262728, 0x3132333435363738, TxnType.CloseSession),
            new CloseSessionTxn());
        var bytes = transaction.Serialize();
        Assert.Equal(
            Hex.Of(Hex.Bytes("0102030405060708 11121314 2122232425262728 3132333435363738 FFFFFFF5")),
            Hex.Of(bytes));
        Assert.Equal(0x2122232425262728, transaction.Zxid);
    }

    [Fact]
    public void NullFields_ReadAsDocumented()
    {
        // SetAclTxn and CreateTxn normalise a null ACL vector to empty; CreateSessionTxn a null password to empty.
        var setAcl = Deserialize(Hex.Concat(Header(7), "00000002 2F61 FFFFFFFF 00000001"));
        Assert.Empty(Assert.IsType<SetAclTxn>(setAcl.Body).Acl);

        var create = Deserialize(Hex.Concat(Header(1), "FFFFFFFF FFFFFFFF FFFFFFFF 0000000000000000 00000000 00000001"));
        var createTxn = Assert.IsType<CreateTxn>(create.Body);
        Assert.Equal("", createTxn.Path);
        Assert.Null(createTxn.Data);
        Assert.Empty(createTxn.Acl);

        var session = Deserialize(Hex.Concat(Header(-10), "00007530 FFFFFFFF"));
        Assert.Empty(Assert.IsType<CreateSessionTxn>(session.Body).Passwd);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(15)]
    [InlineData(-12)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void UnknownTxnType_Throws(int type)
    {
        Assert.Throws<JuteException>(() => Deserialize(Hex.Bytes(Header(type))));
        Assert.Throws<JuteException>(() => Deserialize(Hex.Concat(Header(14), "00000001", Hex.Int(type))));
    }

    [Fact]
    public void TxnTypes_FollowTheOpcodes()
    {
        Assert.Equal((int)OpCode.Create, (int)TxnType.Create);
        Assert.Equal((int)OpCode.Delete, (int)TxnType.Delete);
        Assert.Equal((int)OpCode.SetData, (int)TxnType.SetData);
        Assert.Equal((int)OpCode.SetAcl, (int)TxnType.SetAcl);
        Assert.Equal((int)OpCode.Check, (int)TxnType.Check);
        Assert.Equal((int)OpCode.Multi, (int)TxnType.Multi);
        Assert.Equal((int)OpCode.CreateSession, (int)TxnType.CreateSession);
        Assert.Equal((int)OpCode.CloseSession, (int)TxnType.CloseSession);
        Assert.Equal((int)OpCode.Error, (int)TxnType.Error);
    }

    internal static IEnumerable<(string Name, TxnBody Body)> AllBodies()
    {
        yield return ("Create", new CreateTxn("/a", [1, 2], Acl.OpenAclUnsafe, 0, 1, OpCode.Create));
        yield return ("CreateNullData", new CreateTxn(Samples.Unicode, null, Samples.MixedAcl, EphemeralOwners.Container, int.MinValue, OpCode.CreateContainer));
        yield return ("CreateExtremes", new CreateTxn("", Samples.AllByteValues, [], long.MaxValue, int.MaxValue, (OpCode)int.MinValue));
        yield return ("CreateTtl", new CreateTxn("/t", [], Acl.CreatorAllAcl, EphemeralOwners.ForTtl(EphemeralOwners.MaxTtl), 5, OpCode.CreateTtl));
        yield return ("Delete", new DeleteTxn("/a"));
        yield return ("DeleteUnicode", new DeleteTxn(Samples.Unicode));
        yield return ("SetData", new SetDataTxn("/a", Samples.AllByteValues, int.MaxValue));
        yield return ("SetDataNull", new SetDataTxn("", null, int.MinValue));
        yield return ("SetAcl", new SetAclTxn("/a", Samples.MixedAcl, 1));
        yield return ("SetAclEmpty", new SetAclTxn(Samples.Unicode, [], int.MinValue));
        yield return ("Check", new CheckTxn("/a", -1));
        yield return ("CheckExtremes", new CheckTxn(Samples.Unicode, int.MaxValue));
        yield return ("CreateSession", new CreateSessionTxn(30000, Samples.Passwd));
        yield return ("CreateSessionExtremes", new CreateSessionTxn(int.MinValue, []));
        yield return ("CloseSession", new CloseSessionTxn());
        yield return ("Error", new ErrorTxn(ErrorCode.NoNode));
        yield return ("ErrorExtremes", new ErrorTxn((ErrorCode)int.MaxValue));
        yield return ("MultiEmpty", new MultiTxn([]));
        yield return ("Multi", new MultiTxn([new CreateTxn("/m", null, Acl.OpenAclUnsafe, 42, 0, OpCode.Create2), new DeleteTxn("/n")]));
    }

    internal static string Header(int type) => "0000000000000001 00000002 0000000000000003 0000000000000004" + Hex.Int(type);

    private static Transaction Deserialize(byte[] bytes) => Transaction.Deserialize(bytes);

    private static Transaction AssertRoundTrip(Transaction transaction)
    {
        var bytes = transaction.Serialize();
        var back = Transaction.Deserialize(bytes);
        DeepAssert.Equal(transaction, back);
        Assert.Equal(Hex.Of(bytes), Hex.Of(back.Serialize()));

        // Read through a reader as well, and check that it consumed exactly the serialized bytes.
        var reader = new JuteReader(bytes, int.MaxValue);
        var viaReader = Transaction.Read(ref reader);
        Assert.True(reader.AtEnd);
        DeepAssert.Equal(transaction, viaReader);

        // Write into a writer that already holds data: the encoding must not depend on the offset.
        using var writer = new JuteWriter(16);
        writer.WriteInt(0x5A5A5A5A);
        transaction.Write(writer);
        Assert.Equal(Hex.Of(bytes), Hex.Of(writer.WrittenSpan[4..]));
        return back;
    }
}
