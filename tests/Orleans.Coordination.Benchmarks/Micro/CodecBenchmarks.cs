using BenchmarkDotNet.Attributes;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Benchmarks.Micro;

/// <summary>
/// Jute codec round trips as the server sees them: encode a framed request (or a Stat) into a
/// reused <see cref="JuteWriter"/>, then decode it back into records.
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private readonly JuteWriter _writer = new(4096);
    private PathWatchRequest _getData = null!;
    private SetDataRequest _setData = null!;
    private MultiRequest _multi = null!;
    private Stat _stat;

    [GlobalSetup]
    public void Setup()
    {
        var kib = new byte[1024];
        var small = new byte[100];
        new Random(42).NextBytes(kib);
        new Random(43).NextBytes(small);
        _getData = new PathWatchRequest("/bench-0123abcd/k123", false);
        _setData = new SetDataRequest("/bench-0123abcd/k123", kib, -1);
        _multi = new MultiRequest(
        [
            new MultiOp(OpCode.Check, new CheckVersionRequest("/bench-0123abcd/k1", 3)),
            new MultiOp(OpCode.SetData, new SetDataRequest("/bench-0123abcd/k1", small, -1)),
            new MultiOp(OpCode.Create, new CreateRequest("/bench-0123abcd/c1", small, Acl.OpenAclUnsafe, 0)),
        ]);
        _stat = new Stat(0x1_0000_0042, 0x1_0000_0077, 1_700_000_000_000, 1_700_000_000_123, 7, 2, 0, 0, 1024, 1, 0x1_0000_0043);
    }

    [GlobalCleanup]
    public void Cleanup() => _writer.Dispose();

    [Benchmark(Description = "GetData request encode+decode")]
    public int GetDataRequest()
    {
        Encode(OpCode.GetData, _getData);
        var r = new JuteReader(_writer.WrittenSpan[4..]);
        var header = RequestHeader.Read(ref r);
        var body = PathWatchRequest.Read(ref r);
        return header.Xid + body.Path.Length;
    }

    [Benchmark(Description = "SetData 1 KiB request encode+decode")]
    public int SetDataRequest1KiB()
    {
        Encode(OpCode.SetData, _setData);
        var r = new JuteReader(_writer.WrittenSpan[4..]);
        var header = RequestHeader.Read(ref r);
        var body = SetDataRequest.Read(ref r);
        return header.Xid + body.Data!.Length;
    }

    [Benchmark(Description = "Stat encode+decode")]
    public long StatRoundTrip()
    {
        _writer.Clear();
        _stat.Write(_writer);
        var r = new JuteReader(_writer.WrittenSpan);
        return Stat.Read(ref r).Mzxid;
    }

    [Benchmark(Description = "Multi (check, setData, create) encode+decode")]
    public int Multi3Ops()
    {
        Encode(OpCode.Multi, _multi);
        var r = new JuteReader(_writer.WrittenSpan[4..]);
        var header = RequestHeader.Read(ref r);
        var body = MultiRequest.Read(ref r);
        return header.Xid + body.Ops.Count;
    }

    private void Encode(OpCode op, IJuteRecord body)
    {
        _writer.Clear();
        var frame = _writer.BeginFrame();
        new RequestHeader(17, op).Write(_writer);
        body.Write(_writer);
        _writer.EndFrame(frame);
    }
}
