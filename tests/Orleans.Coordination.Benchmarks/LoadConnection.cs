using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Benchmarks;

/// <summary>
/// One ZooKeeper-protocol connection driven at a fixed number of requests in flight. Deliberately
/// minimal (no watches, no session resumption) so that the load generator measures the server, not
/// a client. When the server closes the connection, the load loops count the requests in flight as
/// lost and open a new session on the next server of the list, as a ZooKeeper client would.
/// </summary>
internal sealed class LoadConnection : IAsyncDisposable
{
    // A stopped run waits this long for the replies still in flight; a silent server must not hang it.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<(string Host, int Port)> _servers;
    private readonly int _sessionTimeoutMs;
    private readonly byte[] _readBuffer = new byte[1 << 20];
    private TcpClient _tcp = new();
    private NetworkStream _stream = null!;
    private int _serverIndex;
    private int _readStart;
    private int _readEnd;
    private int _nextXid = 1;

    private LoadConnection(IReadOnlyList<(string Host, int Port)> servers, int serverIndex, int sessionTimeoutMs)
    {
        _servers = servers;
        _serverIndex = serverIndex % servers.Count;
        _sessionTimeoutMs = sessionTimeoutMs;
    }

    /// <summary>How many times this connection opened a new session after losing one.</summary>
    public int Reconnects { get; private set; }

    /// <summary>The server this connection talks to now.</summary>
    public (string Host, int Port) Server => _servers[_serverIndex];

    public static Task<LoadConnection> ConnectAsync(string host, int port, int timeoutMs = 30_000) =>
        ConnectAsync([(host, port)], 0, timeoutMs);

    /// <summary>
    /// Opens a session on <paramref name="servers"/>[<paramref name="index"/> mod n]; when that server
    /// refuses, tries the following ones once each before giving up.
    /// </summary>
    public static async Task<LoadConnection> ConnectAsync(IReadOnlyList<(string Host, int Port)> servers, int index, int timeoutMs = 30_000)
    {
        var c = new LoadConnection(servers, index, timeoutMs);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await c.OpenAsync(CancellationToken.None);
                return c;
            }
            catch (Exception e) when (IsConnectionFailure(e) && attempt + 1 < servers.Count)
            {
                c._serverIndex = (c._serverIndex + 1) % servers.Count;
            }
        }
    }

    private async Task OpenAsync(CancellationToken cancel)
    {
        _tcp.Dispose();
        _tcp = new TcpClient { NoDelay = true };
        _readStart = 0;
        _readEnd = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(ConnectTimeout);
        var (host, port) = _servers[_serverIndex];
        await _tcp.ConnectAsync(host, port, timeout.Token);
        _stream = _tcp.GetStream();
        using var w = new JuteWriter();
        var f = w.BeginFrame();
        new ConnectRequest(0, 0, _sessionTimeoutMs, 0, new byte[16], false).Write(w);
        w.EndFrame(f);
        await _stream.WriteAsync(w.WrittenMemory, timeout.Token);
        var frame = await ReadFrameAsync(timeout.Token);
        var r = new JuteReader(frame.Span);
        var resp = ConnectResponse.Read(ref r);
        if (resp.TimeOut <= 0)
        {
            throw new IOException($"session refused by {host}:{port}");
        }
    }

    /// <summary>
    /// Opens a new session on the next server of the list (then the one after, and so on, pausing
    /// briefly after each failure) until one accepts or <paramref name="giveUp"/> is cancelled.
    /// </summary>
    private async Task<bool> ReconnectAsync(CancellationToken giveUp)
    {
        while (!giveUp.IsCancellationRequested)
        {
            _serverIndex = (_serverIndex + 1) % _servers.Count;
            try
            {
                await OpenAsync(giveUp);
                Reconnects++;
                return true;
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                try
                {
                    await Task.Delay(100, giveUp);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        return false;
    }

    private static bool IsConnectionFailure(Exception e) =>
        e is IOException or SocketException or OperationCanceledException or ObjectDisposedException;

    /// <summary>
    /// Runs <paramref name="workload"/> requests with <paramref name="inFlight"/> outstanding until
    /// <paramref name="stop"/>. A closed connection costs the requests in flight (recorded as lost)
    /// and a reconnect to the next server; the run goes on there.
    /// </summary>
    public async Task RunAsync(int inFlight, Workload workload, LatencyRecorder recorder, CancellationToken stop)
    {
        var sent = new Queue<long>();
        using var w = new JuteWriter(1 << 16);
        using var drain = new CancellationTokenSource();
        using var onStop = stop.Register(() => drain.CancelAfter(DrainTimeout));
        var seq = 0;
        var rounds = 0;
        while (!stop.IsCancellationRequested || sent.Count > 0)
        {
            try
            {
                if ((++rounds & 15) == 0)
                {
                    // Socket reads complete synchronously while replies are buffered, so a connection to a fast
                    // server could keep a thread-pool thread to itself and starve the others for seconds (their
                    // replies waiting in the socket buffers count as server latency): take turns.
                    await Task.Yield();
                }

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
                    await _stream.WriteAsync(w.WrittenMemory, drain.Token);
                }

                if (sent.Count == 0)
                {
                    break;
                }

                // Read at least one reply, then whatever else is already buffered.
                do
                {
                    var frame = await ReadFrameAsync(drain.Token);
                    var err = BinaryPrimitives.ReadInt32BigEndian(frame.Span[12..]);
                    var xid = BinaryPrimitives.ReadInt32BigEndian(frame.Span);
                    if (xid < 0)
                    {
                        continue;
                    }

                    recorder.Record(sent.Dequeue(), Stopwatch.GetTimestamp(), err != 0);
                }
                while (sent.Count > 0 && HasBufferedFrame());
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                if (stop.IsCancellationRequested)
                {
                    // The drain gave up (or the connection closed while draining): what was sent before the
                    // window closed and never answered still counts, with its age now as its latency.
                    var now = Stopwatch.GetTimestamp();
                    foreach (var s in sent)
                    {
                        recorder.RecordUnanswered(s, now);
                    }
                }
                else
                {
                    recorder.RecordLost(sent.Count);
                }

                sent.Clear();
                if (stop.IsCancellationRequested || !await ReconnectAsync(stop))
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Sends one request whose body <paramref name="writeCreate"/> writes (a create) and waits for its
    /// reply. On a closed connection it retries on the next server (the create may then answer
    /// NodeExists if the first attempt was applied: the caller only needs the node to exist).
    /// </summary>
    public async Task<int> RunOnceAsync(Action<JuteWriter> writeCreate)
    {
        using var w = new JuteWriter();
        while (true)
        {
            w.Clear();
            var f = w.BeginFrame();
            w.WriteInt(_nextXid++);
            w.WriteInt((int)OpCode.Create);
            writeCreate(w);
            w.EndFrame(f);
            try
            {
                await _stream.WriteAsync(w.WrittenMemory);
                var frame = await ReadFrameAsync(CancellationToken.None);
                return BinaryPrimitives.ReadInt32BigEndian(frame.Span[12..]);
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                if (!await ReconnectAsync(giveUp.Token))
                {
                    throw new IOException("no server accepted a session", e);
                }
            }
        }
    }

    /// <summary>
    /// Runs exactly <paramref name="count"/> requests of <paramref name="workload"/> with
    /// <paramref name="inFlight"/> outstanding; returns how many failed. Requests in flight on a
    /// connection that closes count as failed; the rest go to the next server (giving up when no
    /// server accepts a session within <paramref name="reconnectTimeout"/>).
    /// </summary>
    public async Task<long> RunCountAsync(int inFlight, Workload workload, int count, TimeSpan? reconnectTimeout = null)
    {
        long errors = 0;
        using var w = new JuteWriter(1 << 16);
        var sent = 0;
        var received = 0;
        while (received < count)
        {
            try
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
                    var frame = await ReadFrameAsync(CancellationToken.None);
                    if (BinaryPrimitives.ReadInt32BigEndian(frame.Span) >= 0)
                    {
                        received++;
                        errors += BinaryPrimitives.ReadInt32BigEndian(frame.Span[12..]) != 0 ? 1 : 0;
                    }
                }
                while (received < sent && HasBufferedFrame());
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                errors += sent - received;
                received = sent;
                using var giveUp = new CancellationTokenSource(reconnectTimeout ?? TimeSpan.FromSeconds(60));
                if (received < count && !await ReconnectAsync(giveUp.Token))
                {
                    throw new IOException($"no server of {string.Join(',', _servers.Select(s => $"{s.Host}:{s.Port}"))} accepted a session", e);
                }
            }
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
            var frame = await ReadFrameAsync(CancellationToken.None);
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

    private async ValueTask<ReadOnlyMemory<byte>> ReadFrameAsync(CancellationToken cancel)
    {
        await FillAsync(4, cancel);
        var len = BinaryPrimitives.ReadInt32BigEndian(_readBuffer.AsSpan(_readStart));
        await FillAsync(4 + len, cancel);
        var frame = _readBuffer.AsMemory(_readStart + 4, len);
        _readStart += 4 + len;
        return frame;
    }

    private async ValueTask FillAsync(int needed, CancellationToken cancel)
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
            var n = await _stream.ReadAsync(_readBuffer.AsMemory(_readEnd), cancel);
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
        catch (Exception e) when (IsConnectionFailure(e) || e is InvalidOperationException)
        {
            // Already closed by the server: nothing to close.
        }

        _tcp.Dispose();
    }
}
