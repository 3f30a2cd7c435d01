using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Benchmarks;

/// <summary>What one connection sends: the op of the n-th request and its body.</summary>
internal sealed class Workload(string op, string prefix, int keys, byte[] payload, int readPercent)
{
    private static readonly IReadOnlyList<Acl> Open = Acl.OpenAclUnsafe;

    public string Name => op;

    public OpCode OpFor(int n) => op switch
    {
        "set" => OpCode.SetData,
        "get" => OpCode.GetData,
        "exists" => OpCode.Exists,
        "create" => OpCode.Create,
        "delete" => OpCode.Delete,
        "multi" => OpCode.Multi,
        "mix" => IsRead(n) ? OpCode.GetData : OpCode.SetData,
        _ => throw new ArgumentException($"unknown op '{op}'"),
    };

    public void WriteBody(int n, JuteWriter w)
    {
        var key = Key(n % keys);
        switch (OpFor(n))
        {
            case OpCode.SetData:
                w.WriteString(key);
                w.WriteBuffer(payload);
                w.WriteInt(-1);
                break;
            case OpCode.GetData or OpCode.Exists:
                w.WriteString(key);
                w.WriteBool(false);
                break;
            case OpCode.Create:
                w.WriteString($"{prefix}/c{n}");
                w.WriteBuffer(payload);
                Acl.WriteList(w, Open);
                w.WriteInt(0);
                break;
            case OpCode.Delete:
                w.WriteString($"{prefix}/c{n}");
                w.WriteInt(-1);
                break;
            default:
                new MultiRequest(
                [
                    new MultiOp(OpCode.Check, new CheckVersionRequest(key, -1)),
                    new MultiOp(OpCode.SetData, new SetDataRequest(key, payload, -1)),
                ]).Write(w);
                break;
        }
    }

    public string Key(int i) => $"{prefix}/k{i}";

    private bool IsRead(int n) => (int)((uint)(n * 2654435761u) % 100) < readPercent;
}
