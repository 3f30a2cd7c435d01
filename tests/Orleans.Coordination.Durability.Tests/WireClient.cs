using System.Buffers.Binary;
using System.Net.Sockets;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Durability.Tests;

/// <summary>
/// A minimal pipelined ZooKeeper-protocol client for crash tests: requests go out back to back and
/// replies are matched in order. Only what the tests need.
/// </summary>
internal sealed class WireClient : IAsyncDisposable
{
    private readonly TcpClient _tcp = new() { NoDelay = true };
    private NetworkStream _stream = null!;
    private int _xid = 1;

    public long SessionId { get; private set; }

    public static async Task<WireClient> ConnectAsync(int port, int timeoutMs = 10_000)
    {
        var c = new WireClient();
        using var cts = new CancellationTokenSource(5000);
        await c._tcp.ConnectAsync("127.0.0.1", port, cts.Token);
        c._stream = c._tcp.GetStream();
        c._stream.ReadTimeout = 10_000;
        using var w = new JuteWriter();
        var f = w.BeginFrame();
        new ConnectRequest(0, 0, timeoutMs, 0, new byte[16], false).Write(w);
        w.EndFrame(f);
        await c._stream.WriteAsync(w.WrittenMemory, cts.Token);
        var frame = await c.ReadFrameAsync(cts.Token);
        var r = new JuteReader(frame);
        var resp = ConnectResponse.Read(ref r);
        if (resp.TimeOut <= 0)
        {
            throw new IOException("session refused");
        }

        c.SessionId = resp.SessionId;
        c.Passwd = resp.Passwd;
        return c;
    }

    /// <summary>Sends a request and returns its reply (header and body bytes after it).</summary>
    public async Task<(ReplyHeader Header, byte[] Body)> CallAsync(OpCode op, IJuteRecord? body, CancellationToken ct = default)
    {
        await SendAsync(op, body, ct);
        return await ReceiveAsync(ct);
    }

    public async Task SendAsync(OpCode op, IJuteRecord? body, CancellationToken ct = default)
    {
        using var w = new JuteWriter();
        var f = w.BeginFrame();
        new RequestHeader(_xid++, op).Write(w);
        body?.Write(w);
        w.EndFrame(f);
        await _stream.WriteAsync(w.WrittenMemory, ct);
    }

    public async Task<(ReplyHeader Header, byte[] Body)> ReceiveAsync(CancellationToken ct = default)
    {
        while (true)
        {
            var frame = await ReadFrameAsync(ct);
            var r = new JuteReader(frame);
            var h = ReplyHeader.Read(ref r);
            if (h.Xid == Xids.Notification)
            {
                continue;
            }

            return (h, frame[ReplyHeader.EncodedLength..]);
        }
    }

    public async Task<(byte[]? Data, Stat Stat)?> GetDataAsync(string path, CancellationToken ct = default)
    {
        var (h, body) = await CallAsync(OpCode.GetData, new PathWatchRequest(path, false), ct);
        if (h.Err == ErrorCode.NoNode)
        {
            return null;
        }

        if (h.Err != ErrorCode.Ok)
        {
            throw new IOException($"getData {path}: {h.Err}");
        }

        var r = new JuteReader(body);
        var resp = GetDataResponse.Read(ref r);
        return (resp.Data, resp.Stat);
    }

    public async Task<IReadOnlyList<string>> GetChildrenAsync(string path, CancellationToken ct = default)
    {
        var (h, body) = await CallAsync(OpCode.GetChildren, new PathWatchRequest(path, false), ct);
        if (h.Err != ErrorCode.Ok)
        {
            throw new IOException($"getChildren {path}: {h.Err}");
        }

        var r = new JuteReader(body);
        return StringListResponse.Read(ref r).Items;
    }

    /// <summary>Re-attaches to an existing session; returns false when the server answers "expired".</summary>
    public static async Task<(WireClient? Client, bool Expired)> ReattachAsync(int port, long sessionId, byte[] passwd, int timeoutMs)
    {
        var c = new WireClient();
        await c._tcp.ConnectAsync("127.0.0.1", port);
        c._stream = c._tcp.GetStream();
        using var w = new JuteWriter();
        var f = w.BeginFrame();
        new ConnectRequest(0, 0, timeoutMs, sessionId, passwd, false).Write(w);
        w.EndFrame(f);
        await c._stream.WriteAsync(w.WrittenMemory);
        var frame = await c.ReadFrameAsync(CancellationToken.None);
        var r = new JuteReader(frame);
        var resp = ConnectResponse.Read(ref r);
        if (resp.TimeOut <= 0)
        {
            await c.DisposeAsync();
            return (null, true);
        }

        c.SessionId = resp.SessionId;
        return (c, false);
    }

    public byte[] Passwd { get; private set; } = [];

    private async Task<byte[]> ReadFrameAsync(CancellationToken ct)
    {
        var len = new byte[4];
        await _stream.ReadExactlyAsync(len, ct);
        var n = BinaryPrimitives.ReadInt32BigEndian(len);
        var frame = new byte[n];
        await _stream.ReadExactlyAsync(frame, ct);
        return frame;
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
