using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Benchmarks;

/// <summary>
/// One ZooKeeper-protocol connection driven at a fixed number of requests in flight. Deliberately
/// minimal (no watches, no reconnect) so that the load generator measures the server, not a client.
/// </summary>
internal sealed class LoadConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp = new() { NoDelay = true };
    private NetworkStream _stream = null!;
    private readonly byte[] _readBuffer = new byte[1 << 20];
    private int _readStart;
    private int _readEnd;
    private int _nextXid = 1;

    public static async Task<LoadConnection> ConnectAsync(string host, int port, int timeoutMs = 30_000)
    {
        var c = new LoadConnection();
        await c._tcp.ConnectAsync(host, port);
        c._stream = c._tcp.GetStream();
        using var w = new JuteWriter();
        var f = w.BeginFrame();
        new ConnectRequest(0, 0, timeoutMs, 0, new byte[16], false).Write(w);
        w.EndFrame(f);
        await c._stream.WriteAsync(w.WrittenMemory);
        var frame = await c.ReadFrameAsync();
        var r = new JuteReader(frame.Span);
        var resp = ConnectResponse.Read(ref r);
        if (resp.TimeOut <= 0)
        {
            throw new InvalidOperationException("session refused");
        }

        return c;
    }

    /// <summary>Runs <paramref name="workload"/> requests with <paramref name="inFlight"/> outstanding until <paramref name="stop"/>.</summary>
    public async Task RunAsync(int inFlight, Workload workload, LatencyRecorder recorder, CancellationToken stop)
    {
        var sent = new Queue<long>();
        using var w = new JuteWriter(1 << 16);
        var seq = 0;
        while (!stop.IsCancellationRequested || sent.Count > 0)
        {
            w.Clear();
            while (!stop.IsCancellationRequested && sent.Count < inFlight)
            {
                var f = w.BeginFrame();
                w.WriteInt(_nextXid++);
                var n = seq++;
                w.WriteInt((int)workload.OpFor(n));
                workload.WriteBody(n, w);
                w.EndFrame(f);
                sent.Enqueue(Stopwatch.GetTimestamp());
            }

            if (w.Length > 0)
            {
                await _stream.WriteAsync(w.WrittenMemory);
            }

            if (sent.Count == 0)
            {
                break;
            }

            // Read at least one reply, then whatever else is already buffered.
            do
            {
                var frame = await ReadFrameAsync();
                var err = BinaryPrimitives.ReadInt32BigEndian(frame.Span[12..]);
                var xid = BinaryPrimitives.ReadInt32BigEndian(frame.Span);
                if (xid < 0)
                {
                    continue;
                }

                var started = sent.Dequeue();
                recorder.Record(Stopwatch.GetElapsedTime(started), err != 0);
            }
            while (sent.Count > 0 && HasBufferedFrame());
        }
    }

    /// <summary>Sends one request whose body <paramref name="writeCreate"/> writes (a create) and waits for its reply.</summary>
    public async Task<int> RunOnceAsync(Action<JuteWriter> writeCreate)
    {
        using var w = new JuteWriter();
        var f = w.BeginFrame();
        w.WriteInt(_nextXid++);
        w.WriteInt((int)OpCode.Create);
        writeCreate(w);
        w.EndFrame(f);
        await _stream.WriteAsync(w.WrittenMemory);
        var frame = await ReadFrameAsync();
        return BinaryPrimitives.ReadInt32BigEndian(frame.Span[12..]);
    }

    /// <summary>Runs exactly <paramref name="count"/> requests of <paramref name="workload"/> with <paramref name="inFlight"/> outstanding; returns how many failed.</summary>
    public async Task<long> RunCountAsync(int inFlight, Workload workload, int count)
    {
        long errors = 0;
        using var w = new JuteWriter(1 << 16);
        var sent = 0;
        var received = 0;
        while (received < count)
        {
            w.Clear();
            while (sent < count && sent - received < inFlight)
            {
                var f = w.BeginFrame();
                w.WriteInt(_nextXid++);
                w.WriteInt((int)workload.OpFor(sent));
                workload.WriteBody(sent, w);
                w.EndFrame(f);
                sent++;
            }

            if (w.Length > 0)
            {
                await _stream.WriteAsync(w.WrittenMemory);
            }

            do
            {
                var frame = await ReadFrameAsync();
                if (BinaryPrimitives.ReadInt32BigEndian(frame.Span) >= 0)
                {
                    received++;
                    errors += BinaryPrimitives.ReadInt32BigEndian(frame.Span[12..]) != 0 ? 1 : 0;
                }
            }
            while (received < sent && HasBufferedFrame());
        }

        return errors;
    }

    /// <summary>Sends raw request frames and returns the next non-notification reply's error code.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> frames) => await _stream.WriteAsync(frames);

    /// <summary>Reads frames until a notification (xid -1) arrives.</summary>
    public async Task WaitForNotificationAsync()
    {
        while (true)
        {
            var frame = await ReadFrameAsync();
            if (BinaryPrimitives.ReadInt32BigEndian(frame.Span) == -1)
            {
                return;
            }
        }
    }

    public int NextXid() => _nextXid++;

    private bool HasBufferedFrame()
    {
        var available = _readEnd - _readStart;
        return available >= 4 && available >= 4 + BinaryPrimitives.ReadInt32BigEndian(_readBuffer.AsSpan(_readStart));
    }

    private async ValueTask<ReadOnlyMemory<byte>> ReadFrameAsync()
    {
        await FillAsync(4);
        var len = BinaryPrimitives.ReadInt32BigEndian(_readBuffer.AsSpan(_readStart));
        await FillAsync(4 + len);
        var frame = _readBuffer.AsMemory(_readStart + 4, len);
        _readStart += 4 + len;
        return frame;
    }

    private async ValueTask FillAsync(int needed)
    {
        if (_readEnd - _readStart >= needed)
        {
            return;
        }

        if (_readStart > 0)
        {
            Buffer.BlockCopy(_readBuffer, _readStart, _readBuffer, 0, _readEnd - _readStart);
            _readEnd -= _readStart;
            _readStart = 0;
        }

        while (_readEnd < needed)
        {
            var n = await _stream.ReadAsync(_readBuffer.AsMemory(_readEnd));
            if (n == 0)
            {
                throw new IOException("server closed the connection");
            }

            _readEnd += n;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var w = new JuteWriter();
            var f = w.BeginFrame();
            w.WriteInt(_nextXid++);
            w.WriteInt((int)OpCode.CloseSession);
            w.EndFrame(f);
            await _stream.WriteAsync(w.WrittenMemory);
        }
        catch (IOException)
        {
        }

        _tcp.Dispose();
    }
}
