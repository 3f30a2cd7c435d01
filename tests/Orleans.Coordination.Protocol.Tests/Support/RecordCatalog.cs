using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;

namespace Orleans.Coordination.Protocol.Tests.Support;

/// <summary>One decodable record kind: how to read it, and valid encodings of it.</summary>
/// <param name="Name">Display name.</param>
/// <param name="Read">Decodes one record from the start of the bytes.</param>
/// <param name="Samples">Valid encodings.</param>
/// <param name="DecodesWithoutLastByte">
/// True for the connect records, whose trailing readOnly bool is optional: dropping exactly that byte
/// leaves a valid old-style record.
/// </param>
internal sealed record RecordKind(string Name, Func<byte[], object> Read, IReadOnlyList<byte[]> Samples, bool DecodesWithoutLastByte = false);

/// <summary>Every decodable record in the protocol library, with sample encodings.</summary>
internal static class RecordCatalog
{
    public static readonly IReadOnlyList<RecordKind> All = Build();

    public static RecordKind Get(string name) => All.Single(k => k.Name == name);

    private static List<RecordKind> Build()
    {
        var stat = Samples.TypicalStat;
        var kinds = new List<RecordKind>
        {
            Kind(Id.Anyone, new Id(Samples.Unicode, "")),
            Kind(new Acl(Perms.All, Id.Anyone), new Acl(Perms.Read, new Id("digest", "u:h"))),
            Kind(new ClientInfo("ip", "127.0.0.1")),
            Kind(new ConnectRequest(0, 5, 30000, 0, Samples.Passwd, true)) with { DecodesWithoutLastByte = true },
            Kind(new ConnectResponse(0, 30000, 9, Samples.Passwd, false)) with { DecodesWithoutLastByte = true },
            Kind(new RequestHeader(1, OpCode.Create)),
            Kind(new ReplyHeader(1, 2, ErrorCode.NoNode)),
            Kind(new MultiHeader(1, false, -1)),
            Kind(stat),
            Kind(new CreateRequest("/a", [1, 2], Samples.MixedAcl, 0), new CreateRequest("/b", null, null, 1)),
            Kind(new CreateTtlRequest("/t", [1], Acl.OpenAclUnsafe, 5, 1000)),
            Kind(new DeleteRequest("/a", -1)),
            Kind(new CheckVersionRequest("/a", 3)),
            Kind(new PathWatchRequest("/a", true)),
            Kind(new PathRecord(Samples.Unicode)),
            Kind(new SetDataRequest("/a", [1, 2, 3], 4)),
            Kind(new SetAclRequest("/a", Samples.MixedAcl, 2)),
            Kind(new WatchesRequest("/a", WatcherType.Any)),
            Kind(new AddWatchRequest("/a", AddWatchMode.PersistentRecursive)),
            Kind(new AuthPacket(0, "digest", "a:b"u8.ToArray())),
            Kind(new ReconfigRequest("j", null, "m", -1)),
            Kind(new BufferRecord([1, 2, 3])),
            Kind(new Create2Response("/a", stat)),
            Kind(new GetDataResponse([7], stat), new GetDataResponse(null, stat)),
            Kind(new StatResponse(stat)),
            Kind(new GetAclResponse(Samples.MixedAcl, stat)),
            Kind(new StringListResponse(["a", "bc", ""])),
            Kind(new GetChildren2Response(["a", "b"], stat)),
            Kind(new CountResponse(12)),
            Kind(new ErrorResponse(ErrorCode.NoNode)),
            Kind(new WhoAmIResponse([new ClientInfo("ip", "::1"), new ClientInfo("digest", "bob")])),
            Kind(new WatcherEvent(EventType.NodeCreated, KeeperState.SyncConnected, "/a")),
            Kind(
                new MultiRequest(
                [
                    new(OpCode.Create, new CreateRequest("/a", [1], Acl.OpenAclUnsafe, 0)),
                    new(OpCode.CreateTtl, new CreateTtlRequest("/t", null, Acl.OpenAclUnsafe, 5, 9)),
                    new(OpCode.Delete, new DeleteRequest("/b", 1)),
                    new(OpCode.SetData, new SetDataRequest("/c", [2], -1)),
                    new(OpCode.Check, new CheckVersionRequest("/d", 0)),
                ]),
                new MultiRequest([new(OpCode.GetData, new PathWatchRequest("/a", false)), new(OpCode.GetChildren, new PathWatchRequest("/", false))])),
            Kind(
                new MultiResponse(
                [
                    new(OpCode.Create, ErrorCode.Ok, new PathRecord("/a")),
                    new(OpCode.Create2, ErrorCode.Ok, new Create2Response("/b", stat)),
                    new(OpCode.Delete, ErrorCode.Ok, null),
                    new(OpCode.SetData, ErrorCode.Ok, new StatResponse(stat)),
                    new(OpCode.Check, ErrorCode.Ok, null),
                    new(OpCode.GetChildren, ErrorCode.Ok, new StringListResponse(["x"])),
                    new(OpCode.GetData, ErrorCode.Ok, new GetDataResponse([1], stat)),
                    MultiResult.Error(ErrorCode.NoNode),
                ])),
            new(
                "SetWatchesRequest.v1",
                bytes =>
                {
                    var reader = new JuteReader(bytes);
                    return SetWatchesRequest.Read(ref reader, version2: false);
                },
                [Codec.Encode(new SetWatchesRequest(3, ["/a"], ["/b"], ["/c", "/d"], [], [], false).Write)]),
            new(
                "SetWatchesRequest.v2",
                bytes =>
                {
                    var reader = new JuteReader(bytes);
                    return SetWatchesRequest.Read(ref reader, version2: true);
                },
                [Codec.Encode(new SetWatchesRequest(3, ["/a"], [], ["/c"], ["/p"], ["/r"], true).Write)]),
            new(
                "Transaction",
                bytes => Transaction.Deserialize(bytes),
                [
                    .. TxnSamples().Select(b => new Transaction(new TxnHeader(1, 2, 3, 4, b.Type), b).Serialize()),
                ]),
        };

        // Each TxnBody type read on its own with a bounded reader, as a log reader would.
        foreach (var body in TxnSamples())
        {
            var type = body.Type;
            kinds.Add(new(
                $"TxnBody.{type}",
                bytes =>
                {
                    var reader = new JuteReader(bytes);
                    return TxnBody.Read(type, ref reader);
                },
                [Codec.Encode(body.Write)]));
        }

        return kinds;
    }

    private static IEnumerable<TxnBody> TxnSamples()
    {
        yield return new CreateTxn("/a", [1], Samples.MixedAcl, 7, 1, OpCode.Create);
        yield return new DeleteTxn("/a");
        yield return new SetDataTxn("/a", [1, 2], 3);
        yield return new SetAclTxn("/a", Acl.OpenAclUnsafe, 1);
        yield return new CheckTxn("/a", 2);
        yield return new CreateSessionTxn(30000, Samples.Passwd);
        yield return new CloseSessionTxn();
        yield return new ErrorTxn(ErrorCode.BadVersion);
        yield return new MultiTxn([new DeleteTxn("/x"), new CloseSessionTxn()]);
    }

    private static RecordKind Kind<T>(params T[] samples)
        where T : IJuteRecord<T> =>
        new(
            typeof(T).Name,
            bytes =>
            {
                var reader = new JuteReader(bytes);
                return T.Read(ref reader);
            },
            samples.Select(s => Codec.Encode(s)).ToList());
}
