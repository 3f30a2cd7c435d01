using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Orleans.Coordination.Server.Quorum;

/// <summary>A member of the ensemble as the transport knows it.</summary>
public sealed record PeerAddress(int ServerId, string Host, int QuorumPort);

/// <summary>
/// Messages between silos: length-framed, batched into as few socket writes as possible, and
/// re-established after a connection breaks. Each silo keeps one outbound connection per peer for what it
/// sends and accepts one inbound connection per peer for what it receives, so no connection is ever
/// shared by two writers. A silo only accepts peers named in its configuration: the first frame of an
/// inbound connection is a handshake carrying the sender's server id and the ensemble's cluster id.
/// Messages queued while a peer is unreachable are kept up to a bound and then the oldest are dropped:
/// the replication protocol above tolerates loss (it retransmits what matters).
/// </summary>
public sealed class PeerTransport : IAsyncDisposable
{
    /// <summary>Largest message accepted from a peer: a whole (compressed) snapshot travels as one message.</summary>
    public const int MaxMessageLength = 512 * 1024 * 1024;

    private const int HandshakeMagic = 0x4F435150; // "OCQP"
    private const int MaxQueuedPerPeer = 100_000;

    private readonly int _selfId;
    private readonly long _clusterId;
    private readonly Dictionary<int, PeerAddress> _peers;
    private readonly Action<int, ReadOnlyMemory<byte>> _deliver;
    private readonly Action<int>? _disconnected;
    private readonly ILogger _logger;
    private readonly Dictionary<int, Outbound> _outbound = [];
    private readonly CancellationTokenSource _stop = new();

    /// <param name="selfId">This silo's server id.</param>
    /// <param name="clusterId">Identifies the ensemble; peers with another id are refused.</param>
    /// <param name="peers">Every other member.</param>
    /// <param name="deliver">
    /// Called (on a network thread) with the sender's id and each message received. The bytes are valid only during the
    /// call (they are the connection's receive buffer): decode or copy them before returning.
    /// </param>
    /// <param name="logger">Connection events.</param>
    /// <param name="disconnected">Called (on a network thread) when an accepted peer's inbound connection ends.</param>
    public PeerTransport(int selfId, long clusterId, IEnumerable<PeerAddress> peers, Action<int, ReadOnlyMemory<byte>> deliver, ILogger logger, Action<int>? disconnected = null)
    {
        _disconnected = disconnected;
        _selfId = selfId;
        _clusterId = clusterId;
        _peers = peers.Where(p => p.ServerId != selfId).ToDictionary(p => p.ServerId);
        _deliver = deliver;
        _logger = logger;
        foreach (var p in _peers.Values)
        {
            var o = new Outbound(this, p);
            _outbound[p.ServerId] = o;
            o.Start(_stop.Token);
        }
    }

    /// <summary>Peers currently connected outbound (for status output).</summary>
    public IEnumerable<int> ConnectedPeers => _outbound.Values.Where(o => o.Connected).Select(o => o.Peer.ServerId);

    /// <summary>Queues a message for a peer; never blocks.</summary>
    public void Send(int serverId, ReadOnlyMemory<byte> message)
    {
        if (_outbound.TryGetValue(serverId, out var o))
        {
            o.Enqueue(message);
        }
    }

    /// <summary>Serves one inbound connection (called by the quorum port's connection handler).</summary>
    public async Task AcceptAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var from = 0;

        // Kestrel asks open connections to close when the silo shuts down: stop reading then, not at a timeout.
        var closing = connection.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, closing);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(stop.Token);
                var buffer = result.Buffer;
                while (TryReadFrame(ref buffer, out var frame))
                {
                    if (from == 0)
                    {
                        from = CheckHandshake(frame, connection.RemoteEndPoint);
                        continue;
                    }

                    Deliver(from, frame);
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or OperationCanceledException or ConnectionResetException)
        {
            if (e is InvalidDataException)
            {
                _logger.LogWarning("Refusing quorum connection from {Remote}: {Reason}", connection.RemoteEndPoint, e.Message);
            }
        }
        finally
        {
            if (from != 0 && !stop.IsCancellationRequested)
            {
                _logger.LogInformation("Connection from server {Id} closed", from);
                _disconnected?.Invoke(from);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        foreach (var o in _outbound.Values)
        {
            await o.DisposeAsync();
        }
    }

    private int CheckHandshake(ReadOnlySequence<byte> frame, EndPoint? remote)
    {
        Span<byte> h = stackalloc byte[16];
        if (frame.Length != 16)
        {
            throw new InvalidDataException($"bad handshake length {frame.Length}");
        }

        frame.CopyTo(h);
        if (BinaryPrimitives.ReadInt32BigEndian(h) != HandshakeMagic)
        {
            throw new InvalidDataException("not a silo (bad handshake magic)");
        }

        var id = BinaryPrimitives.ReadInt32BigEndian(h[4..]);
        var cluster = BinaryPrimitives.ReadInt64BigEndian(h[8..]);
        if (cluster != _clusterId)
        {
            throw new InvalidDataException($"server {id} belongs to another ensemble");
        }

        if (!_peers.ContainsKey(id))
        {
            throw new InvalidDataException($"server id {id} is not a member of this ensemble");
        }

        _logger.LogInformation("Quorum connection from server {Id} ({Remote})", id, remote);
        return id;
    }

    /// <summary>
    /// Hands one frame to the callback straight from the receive buffer when it is contiguous (almost always), else
    /// through a pooled copy: the message is decoded during the call, so nothing per message is allocated here.
    /// </summary>
    private void Deliver(int from, in ReadOnlySequence<byte> frame)
    {
        if (frame.IsSingleSegment)
        {
            _deliver(from, frame.First);
            return;
        }

        var length = (int)frame.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.CopyTo(rented);
            _deliver(from, rented.AsMemory(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < 4)
        {
            return false;
        }

        Span<byte> len = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(len);
        var n = BinaryPrimitives.ReadInt32BigEndian(len);
        if (n < 0 || n > MaxMessageLength)
        {
            throw new InvalidDataException($"bad frame length {n}");
        }

        if (buffer.Length < 4 + n)
        {
            return false;
        }

        frame = buffer.Slice(4, n);
        buffer = buffer.Slice(4 + n);
        return true;
    }

    /// <summary>The sending side towards one peer: a queue and a writer loop that reconnects.</summary>
    private sealed class Outbound(PeerTransport owner, PeerAddress peer) : IAsyncDisposable
    {
        private readonly Channel<ReadOnlyMemory<byte>> _queue = Channel.CreateBounded<ReadOnlyMemory<byte>>(
            new BoundedChannelOptions(MaxQueuedPerPeer) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

        private Task? _loop;

        public PeerAddress Peer => peer;

        public bool Connected { get; private set; }

        public void Start(CancellationToken stop) => _loop = Task.Run(() => RunAsync(stop));

        public void Enqueue(ReadOnlyMemory<byte> message) => _queue.Writer.TryWrite(message);

        public async ValueTask DisposeAsync()
        {
            _queue.Writer.TryComplete();
            if (_loop is not null)
            {
                try
                {
                    await _loop;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        private async Task RunAsync(CancellationToken stop)
        {
            var backoff = TimeSpan.FromMilliseconds(50);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    connectTimeout.CancelAfter(TimeSpan.FromSeconds(5));
                    await socket.ConnectAsync(peer.Host, peer.QuorumPort, connectTimeout.Token);
                    await using var stream = new NetworkStream(socket, ownsSocket: false);
                    var handshake = new byte[20];
                    BinaryPrimitives.WriteInt32BigEndian(handshake, 16);
                    BinaryPrimitives.WriteInt32BigEndian(handshake.AsSpan(4), HandshakeMagic);
                    BinaryPrimitives.WriteInt32BigEndian(handshake.AsSpan(8), owner._selfId);
                    BinaryPrimitives.WriteInt64BigEndian(handshake.AsSpan(12), owner._clusterId);
                    await stream.WriteAsync(handshake, stop);
                    Connected = true;
                    backoff = TimeSpan.FromMilliseconds(50);
                    owner._logger.LogInformation("Connected to server {Id} at {Host}:{Port}", peer.ServerId, peer.Host, peer.QuorumPort);
                    await PumpAsync(stream, stop);
                    return;
                }
                catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
                {
                    if (stop.IsCancellationRequested)
                    {
                        return;
                    }

                    if (Connected)
                    {
                        owner._logger.LogInformation("Lost connection to server {Id}: {Reason}", peer.ServerId, e.Message);
                    }

                    Connected = false;
                    await Task.Delay(backoff, stop).ContinueWith(_ => { }, TaskScheduler.Default);
                    backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 1000));
                }
            }
        }

        /// <summary>Writes queued messages, as many per write as are waiting (batching).</summary>
        private async Task PumpAsync(NetworkStream stream, CancellationToken stop)
        {
            var reader = _queue.Reader;
            var batch = new ArrayBufferWriter<byte>(64 * 1024);
            while (await reader.WaitToReadAsync(stop))
            {
                batch.ResetWrittenCount();
                while (batch.WrittenCount < 1 << 20 && reader.TryRead(out var message))
                {
                    var span = batch.GetSpan(4 + message.Length);
                    BinaryPrimitives.WriteInt32BigEndian(span, message.Length);
                    message.Span.CopyTo(span[4..]);
                    batch.Advance(4 + message.Length);
                }

                await stream.WriteAsync(batch.WrittenMemory, stop);
            }
        }
    }
}
