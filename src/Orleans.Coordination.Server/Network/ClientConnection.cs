using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Orleans.Coordination.DataTree.Watches;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Processing;

namespace Orleans.Coordination.Server.Network;

/// <summary>
/// One client connection. The network side (read loop, flush loop) lives in ClientConnection.Network.cs;
/// the state below marked "apply thread" is touched only by <see cref="SiloCore"/>'s loop. Replies and
/// notifications are encoded by the apply thread into an output buffer, which the flush loop writes out,
/// so socket writes are coalesced and never block the apply loop.
/// </summary>
public sealed partial class ClientConnection : IWatcher
{
    private static long _nextId;

    private readonly ConnectionContext _context;
    private readonly SiloCore _core;
    private readonly Lock _outLock = new();
    private readonly Channel<bool> _flushSignal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _closed = new();
    private JuteWriter _out = new(4096);
    private JuteWriter _spare = new(4096);
    private bool _closeAfterFlush;
    private int _outstanding;

    public ClientConnection(ConnectionContext context, SiloCore core)
    {
        _context = context;
        _core = core;
        Id = Interlocked.Increment(ref _nextId);
        RemoteEndPoint = context.RemoteEndPoint as IPEndPoint;
        RemoteAddress = RemoteEndPoint?.Address.IsIPv4MappedToIPv6 == true ? RemoteEndPoint.Address.MapToIPv4().ToString() : RemoteEndPoint?.Address.ToString() ?? "unknown";
        AuthIdList = [new Id("ip", RemoteAddress)];
        Established = DateTimeOffset.UtcNow;
    }

    public long Id { get; }

    public IPEndPoint? RemoteEndPoint { get; }

    public string RemoteAddress { get; }

    public DateTimeOffset Established { get; }

    /// <summary>Apply thread: the session bound by the handshake, 0 before.</summary>
    public long SessionId { get; internal set; }

    /// <summary>Apply thread: negotiated timeout.</summary>
    public int SessionTimeout { get; internal set; }

    /// <summary>Apply thread: the identities this connection holds (ip first, then added auth).</summary>
    public List<Id> AuthIdList { get; }

    public IReadOnlyList<Id> AuthIds => AuthIdList;

    /// <summary>Apply thread: requests received and not yet answered, in arrival order.</summary>
    public Queue<PendingRequest> Pending { get; } = new();

    /// <summary>Apply thread: the connection has been closed or handed over; nothing more is sent.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>Apply thread: the handshake completed (a session is bound).</summary>
    public bool HandshakeDone { get; internal set; }

    /// <summary>Apply thread: the old 44-byte connect was used, so the response omits readOnly.</summary>
    public bool LegacyConnect { get; internal set; }

    public ConnectionStats Stats { get; } = new();

    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>Apply thread: queues a notification frame (xid -1).</summary>
    public void Deliver(EventType type, string path, long zxid)
    {
        if (IsClosed)
        {
            return;
        }

        lock (_outLock)
        {
            var f = _out.BeginFrame();
            new ReplyHeader(Xids.Notification, zxid, ErrorCode.Ok).Write(_out);
            _out.WriteInt((int)type);
            _out.WriteInt((int)KeeperState.SyncConnected);
            _out.WriteString(path);
            _out.EndFrame(f);
        }

        Stats.CountSent();
        Signal();
    }

    /// <summary>Apply thread: queues a reply with an optional body. Bodies of error replies are never sent.</summary>
    public void Reply(int xid, long zxid, ErrorCode err, IJuteRecord? body)
    {
        if (IsClosed)
        {
            return;
        }

        lock (_outLock)
        {
            var f = _out.BeginFrame();
            new ReplyHeader(xid, zxid, err).Write(_out);
            if (err == ErrorCode.Ok)
            {
                body?.Write(_out);
            }

            _out.EndFrame(f);
        }

        Stats.CountSent();
        Signal();
    }

    /// <summary>Apply thread: queues a raw record as one frame (the connect response).</summary>
    public void SendFrame(IJuteRecord record)
    {
        if (IsClosed)
        {
            return;
        }

        lock (_outLock)
        {
            var f = _out.BeginFrame();
            record.Write(_out);
            _out.EndFrame(f);
        }

        Signal();
    }

    /// <summary>Apply thread: stops accepting work, sends what is queued, then closes the socket.</summary>
    public void CloseAfterFlush()
    {
        if (IsClosed)
        {
            return;
        }

        IsClosed = true;
        lock (_outLock)
        {
            _closeAfterFlush = true;
        }

        Signal();
    }

    /// <summary>Apply thread: closes at once, dropping anything queued.</summary>
    public void Abort()
    {
        IsClosed = true;
        _closed.Cancel();
    }

    internal void RequestDone() => Interlocked.Decrement(ref _outstanding);

    private void Signal() => _flushSignal.Writer.TryWrite(true);
}

/// <summary>Counters for cons/stat output; updated from any thread.</summary>
public sealed class ConnectionStats
{
    private long _received;
    private long _sent;
    private long _minLatency = long.MaxValue;
    private long _maxLatency;
    private long _totalLatency;
    private long _latencyCount;

    public long Received => Interlocked.Read(ref _received);

    public long Sent => Interlocked.Read(ref _sent);

    public long MinLatency => Interlocked.Read(ref _latencyCount) == 0 ? 0 : Interlocked.Read(ref _minLatency);

    public long MaxLatency => Interlocked.Read(ref _maxLatency);

    public long AvgLatency => Interlocked.Read(ref _latencyCount) == 0 ? 0 : Interlocked.Read(ref _totalLatency) / Interlocked.Read(ref _latencyCount);

    public long LastCxid { get; set; }

    public long LastZxid { get; set; }

    public string LastOp { get; set; } = "NA";

    public long LastLatency { get; set; }

    public long LastResponseTime { get; set; }

    public void CountReceived() => Interlocked.Increment(ref _received);

    public void CountSent() => Interlocked.Increment(ref _sent);

    public void RecordLatency(long ms)
    {
        LastLatency = ms;
        Interlocked.Add(ref _totalLatency, ms);
        Interlocked.Increment(ref _latencyCount);
        long cur;
        while (ms < (cur = Interlocked.Read(ref _minLatency)) && Interlocked.CompareExchange(ref _minLatency, ms, cur) != cur)
        {
        }

        while (ms > (cur = Interlocked.Read(ref _maxLatency)) && Interlocked.CompareExchange(ref _maxLatency, ms, cur) != cur)
        {
        }
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _received, 0);
        Interlocked.Exchange(ref _sent, 0);
        Interlocked.Exchange(ref _minLatency, long.MaxValue);
        Interlocked.Exchange(ref _maxLatency, 0);
        Interlocked.Exchange(ref _totalLatency, 0);
        Interlocked.Exchange(ref _latencyCount, 0);
        LastOp = "NA";
    }
}
