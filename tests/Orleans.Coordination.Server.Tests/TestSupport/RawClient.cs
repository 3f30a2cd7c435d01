using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Server.Tests.TestSupport;

/// <summary>Raised when the server closed (or reset) the connection while the test expected more bytes.</summary>
public sealed class ConnectionClosedException(string message) : Exception(message);

/// <summary>One frame from the server after the handshake: a reply or a notification (xid -1).</summary>
public sealed class Reply(ReplyHeader header, byte[] body)
{
    public ReplyHeader Header { get; } = header;

    /// <summary>Everything after the 16-byte ReplyHeader.</summary>
    public byte[] Body { get; } = body;

    public int Xid => Header.Xid;

    public long Zxid => Header.Zxid;

    public ErrorCode Err => Header.Err;

    public bool IsNotification => Header.Xid == Xids.Notification;

    /// <summary>Decodes the body as <typeparamref name="T"/> and checks that nothing is left over.</summary>
    public T Read<T>()
        where T : IJuteRecord<T>
    {
        var reader = new JuteReader(Body, int.MaxValue);
        var record = T.Read(ref reader);
        Assert.True(reader.AtEnd, $"{reader.Remaining} bytes left after decoding {typeof(T).Name} (xid {Xid})");
        return record;
    }

    public WatcherEvent Event
    {
        get
        {
            Assert.True(IsNotification, $"frame with xid {Xid} is not a notification");
            return Read<WatcherEvent>();
        }
    }

    public override string ToString() => IsNotification
        ? $"notification {Event.Type} {Event.Path} zxid={Zxid}"
        : $"reply xid={Xid} zxid=0x{Zxid:x} err={Err} body={Body.Length}B";
}

/// <summary>The connect response and the size of its payload (37, or 36 for a legacy client).</summary>
public sealed record Handshake(ConnectResponse Response, int PayloadLength);

/// <summary>
/// A ZooKeeper client at the byte level, for tests: it sends exactly what it is told (valid or not),
/// and reads frames from a private buffer so a timed-out read never loses bytes. Every wait is bounded.
/// </summary>
public sealed class RawClient : IAsyncDisposable
{
    /// <summary>Default bound on any single wait.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly Queue<Reply> _events = new();
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _eof;
    private int _nextXid = 1;

    private RawClient(TcpClient tcp, int port)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        Port = port;
    }

    /// <summary>The server port this client is connected to.</summary>
    public int Port { get; }

    public long SessionId { get; private set; }

    public byte[] Passwd { get; private set; } = new byte[16];

    public int NegotiatedTimeout { get; private set; }

    /// <summary>Highest zxid seen in a normal reply (what a real client sends as lastZxidSeen).</summary>
    public long LastZxid { get; private set; }

    /// <summary>The server's close arrived as a reset (RST) rather than an orderly end of stream.</summary>
    public bool ClosedByReset { get; private set; }

    /// <summary>Notifications read while waiting for a reply, oldest first.</summary>
    public IReadOnlyCollection<Reply> PendingEvents => _events;

    /// <summary>Opens a TCP connection and sends nothing.</summary>
    public static async Task<RawClient> OpenAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await tcp.ConnectAsync("127.0.0.1", port, cts.Token);
        return new RawClient(tcp, port);
    }

    /// <summary>Opens a connection and creates a new session.</summary>
    public static async Task<RawClient> ConnectAsync(int port, int timeoutMs = 30_000)
    {
        var c = await OpenAsync(port);
        var hs = await c.HandshakeAsync(new ConnectRequest(0, 0, timeoutMs, 0, new byte[16], false));
        Assert.True(hs.Response.TimeOut > 0, "new session refused");
        return c;
    }

    /// <summary>Opens a connection and re-attaches to an existing session.</summary>
    public static async Task<(RawClient Client, Handshake Handshake)> ReattachAsync(int port, long sessionId, byte[] passwd, int timeoutMs = 30_000, long lastZxid = 0)
    {
        var c = await OpenAsync(port);
        var hs = await c.HandshakeAsync(new ConnectRequest(0, lastZxid, timeoutMs, sessionId, passwd, false));
        return (c, hs);
    }

    /// <summary>Sends a ConnectRequest and reads the ConnectResponse.</summary>
    public async Task<Handshake> HandshakeAsync(ConnectRequest request)
    {
        await SendConnectAsync(request);
        return await ReadConnectResponseAsync();
    }

    public Task SendConnectAsync(ConnectRequest request)
    {
        using var w = new JuteWriter();
        var f = w.BeginFrame();
        request.Write(w);
        w.EndFrame(f);
        return SendRawAsync(w.ToArray());
    }

    public async Task<Handshake> ReadConnectResponseAsync(TimeSpan? timeout = null)
    {
        var payload = await ReadFrameAsync(timeout);
        var reader = new JuteReader(payload, int.MaxValue);
        var response = ConnectResponse.Read(ref reader);
        Assert.True(reader.AtEnd, "bytes left after the ConnectResponse");
        if (response.TimeOut > 0)
        {
            SessionId = response.SessionId;
            Passwd = response.Passwd;
            NegotiatedTimeout = response.TimeOut;
        }

        return new Handshake(response, payload.Length);
    }

    /// <summary>The xid the next <see cref="SendAsync(OpCode, IJuteRecord?)"/> will use.</summary>
    public int NextXid => _nextXid;

    /// <summary>Sends a request with the next xid; returns that xid.</summary>
    public async Task<int> SendAsync(OpCode type, IJuteRecord? body)
    {
        var xid = _nextXid++;
        await SendAsync(xid, type, body);
        return xid;
    }

    /// <summary>Sends a request with a chosen xid and opcode (any values, valid or not).</summary>
    public Task SendAsync(int xid, OpCode type, IJuteRecord? body) => SendRawAsync(EncodeRequest(xid, type, body));

    /// <summary>Encodes one framed request.</summary>
    public static byte[] EncodeRequest(int xid, OpCode type, IJuteRecord? body)
    {
        using var w = new JuteWriter();
        var f = w.BeginFrame();
        new RequestHeader(xid, type).Write(w);
        body?.Write(w);
        w.EndFrame(f);
        return w.ToArray();
    }

    /// <summary>Joins frames so they go out in one write, as a pipelining client sends them.</summary>
    public static byte[] Concat(params byte[][] frames) => frames.SelectMany(f => f).ToArray();

    public Task SendPingAsync() => SendAsync(Xids.Ping, OpCode.Ping, null);

    public async Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await _stream.WriteAsync(bytes, cts.Token);
        await _stream.FlushAsync(cts.Token);
    }

    /// <summary>Half-closes the socket: the server sees end of stream.</summary>
    public void ShutdownSend() => _tcp.Client.Shutdown(SocketShutdown.Send);

    /// <summary>Reads the next frame after the handshake, whatever it is.</summary>
    public async Task<Reply> ReadReplyAsync(TimeSpan? timeout = null)
    {
        var payload = await ReadFrameAsync(timeout);
        var reader = new JuteReader(payload, int.MaxValue);
        var header = ReplyHeader.Read(ref reader);
        var reply = new Reply(header, payload.AsSpan(ReplyHeader.EncodedLength).ToArray());
        if (!reply.IsNotification && reply.Xid > 0 && reply.Zxid > LastZxid)
        {
            LastZxid = reply.Zxid;
        }

        return reply;
    }

    /// <summary>
    /// Sends a request and returns its reply. Notifications that arrive first are kept in
    /// <see cref="PendingEvents"/>; a reply for any other xid fails the test (the server answered out of order).
    /// </summary>
    public async Task<Reply> CallAsync(OpCode type, IJuteRecord? body, TimeSpan? timeout = null)
    {
        var xid = await SendAsync(type, body);
        return await ReadReplyForAsync(xid, timeout);
    }

    /// <summary>Reads frames until the reply with <paramref name="xid"/>, keeping notifications.</summary>
    public async Task<Reply> ReadReplyForAsync(int xid, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var r = await ReadReplyAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            if (r.IsNotification)
            {
                _events.Enqueue(r);
                continue;
            }

            Assert.True(r.Xid == xid, $"expected the reply to xid {xid}, got {r}");
            return r;
        }
    }

    /// <summary>The next notification: one already read, or the next frame (which must be one).</summary>
    public async Task<Reply> NextEventAsync(TimeSpan? timeout = null)
    {
        if (_events.Count > 0)
        {
            return _events.Dequeue();
        }

        var r = await ReadReplyAsync(timeout);
        Assert.True(r.IsNotification, $"expected a notification, got {r}");
        return r;
    }

    /// <summary>Takes every notification read so far.</summary>
    public List<Reply> DrainEvents()
    {
        var list = _events.ToList();
        _events.Clear();
        return list;
    }

    /// <summary>True if a complete frame arrives within <paramref name="wait"/> (the frame stays buffered).</summary>
    public async Task<bool> HasFrameWithinAsync(TimeSpan wait)
    {
        if (_events.Count > 0)
        {
            return true;
        }

        try
        {
            await FillAsync(4, wait);
            var len = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start));
            await FillAsync(4 + len, wait);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (ConnectionClosedException)
        {
            return true;
        }
    }

    /// <summary>Reads one length-prefixed frame's payload.</summary>
    public async Task<byte[]> ReadFrameAsync(TimeSpan? timeout = null)
    {
        var wait = timeout ?? DefaultTimeout;
        await FillAsync(4, wait);
        var len = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start));
        if (len < 0 || len > 64 * 1024 * 1024)
        {
            throw new InvalidDataException($"server sent frame length {len}");
        }

        await FillAsync(4 + len, wait);
        var payload = _buffer.AsSpan(_start + 4, len).ToArray();
        _start += 4 + len;
        return payload;
    }

    /// <summary>
    /// Waits until the server closes the connection (end of stream or reset) and returns every byte it
    /// sent before closing that had not been read yet. Throws <see cref="TimeoutException"/> if it stays open.
    /// </summary>
    public async Task<byte[]> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!_eof)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException("the server did not close the connection");
            }

            await ReadMoreAsync(left);
        }

        var rest = _buffer.AsSpan(_start, _end - _start).ToArray();
        _start = _end;
        return rest;
    }

    /// <summary>Asserts the server closes the connection without sending anything more.</summary>
    public async Task AssertClosedWithoutReplyAsync(TimeSpan? timeout = null)
    {
        var rest = await ReadUntilClosedAsync(timeout);
        Assert.True(rest.Length == 0, $"expected no bytes before close, got {rest.Length}: {Convert.ToHexString(rest.AsSpan(0, Math.Min(64, rest.Length)))}");
    }

    /// <summary>Asserts the server closes the connection; the frames it sent first are returned as replies.</summary>
    public async Task<List<Reply>> AssertClosedAsync(TimeSpan? timeout = null)
    {
        var rest = await ReadUntilClosedAsync(timeout);
        var frames = new List<Reply>();
        var at = 0;
        while (at + 4 <= rest.Length)
        {
            var len = BinaryPrimitives.ReadInt32BigEndian(rest.AsSpan(at));
            Assert.True(at + 4 + len <= rest.Length, "server sent a partial frame before closing");
            var reader = new JuteReader(rest.AsSpan(at + 4, len), int.MaxValue);
            var header = ReplyHeader.Read(ref reader);
            frames.Add(new Reply(header, rest.AsSpan(at + 4 + ReplyHeader.EncodedLength, len - ReplyHeader.EncodedLength).ToArray()));
            at += 4 + len;
        }

        Assert.Equal(rest.Length, at);
        return frames;
    }

    /// <summary>Sends a four-letter word on this (fresh) connection and returns the text the server writes before closing.</summary>
    public async Task<string> FourLetterWordAsync(string word, TimeSpan? timeout = null)
    {
        await SendRawAsync(Encoding.ASCII.GetBytes(word));
        return Encoding.UTF8.GetString(await ReadUntilClosedAsync(timeout));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _tcp.Client.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _tcp.Dispose();
        await Task.CompletedTask;
    }

    private async Task FillAsync(int count, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        while (_end - _start < count)
        {
            if (_eof)
            {
                throw new ConnectionClosedException($"connection closed with {_end - _start} of {count} bytes buffered");
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"waited {wait.TotalMilliseconds} ms for {count} bytes, have {_end - _start}");
            }

            await ReadMoreAsync(left);
        }
    }

    private async Task ReadMoreAsync(TimeSpan wait)
    {
        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }

        if (_end == _buffer.Length)
        {
            var live = _end - _start;
            var next = live * 2 > _buffer.Length ? new byte[_buffer.Length * 2] : _buffer;
            Buffer.BlockCopy(_buffer, _start, next, 0, live);
            _buffer = next;
            _start = 0;
            _end = live;
        }

        using var cts = new CancellationTokenSource(wait);
        int n;
        try
        {
            n = await _stream.ReadAsync(_buffer.AsMemory(_end), cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"no bytes within {wait.TotalMilliseconds:0} ms");
        }
        catch (IOException)
        {
            // A reset counts as closed.
            ClosedByReset = true;
            n = 0;
        }
        catch (SocketException)
        {
            ClosedByReset = true;
            n = 0;
        }

        if (n == 0)
        {
            _eof = true;
        }

        _end += n;
    }
}
