using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Framing;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client.Internal;

/// <summary>What a connection reports back to the client that owns it.</summary>
internal interface IConnectionOwner
{
    /// <summary>The next xid for a normal request (1 to 2^31-1, wrapping back to 1).</summary>
    int NextXid();

    /// <summary>A watch notification (xid -1), on the reader, in arrival order.</summary>
    void OnNotification(WatcherEvent notification);

    /// <summary>The zxid of a normal reply, when positive.</summary>
    void OnReplyZxid(long zxid);
}

/// <summary>
/// One TCP connection to one server. After the handshake a writer task drains the client's outgoing queue
/// (batching whatever is queued into one socket write and pinging after a third of the session timeout of send
/// idleness) and a reader task matches replies against the head of the pending queue; the server answers in
/// order, so a mismatch means the stream is broken. Nothing heard for two thirds of the timeout, a broken frame,
/// or any I/O error aborts the connection and fails every request on the wire with ConnectionLoss.
/// </summary>
internal sealed partial class ServerConnection : IAsyncDisposable
{
    private const int MaxBatchBytes = 64 * 1024;

    private static readonly Packet PingPacket = new Packet<bool>(OpCode.Ping, null, null, PacketKind.Ping, static (ref _) => true);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly IConnectionOwner _owner;
    private readonly int _maxFrameLength;
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _lock = new();
    private readonly Queue<Packet> _pending = new();
    private readonly Queue<Packet> _authPending = new();
    private bool _dead;
    private long _lastSend;
    private long _lastReceive;
    private Task _completion = Task.CompletedTask;

    private ServerConnection(Socket socket, DnsEndPoint endPoint, IConnectionOwner owner, int maxFrameLength)
    {
        _socket = socket;
        EndPoint = endPoint;
        _owner = owner;
        _maxFrameLength = maxFrameLength;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _lastSend = Environment.TickCount64;
        _lastReceive = _lastSend;
    }

    public DnsEndPoint EndPoint { get; }

    /// <summary>When the server was last heard from (Environment.TickCount64).</summary>
    public long LastReceive => Volatile.Read(ref _lastReceive);

    /// <summary>Why the connection ended, once it has.</summary>
    public Exception? AbortReason { get; private set; }

    /// <summary>Completes when both loops have stopped and the socket is closed.</summary>
    public Task Completion => _completion;

    public static async Task<ServerConnection> OpenAsync(DnsEndPoint endPoint, TimeSpan timeout, IConnectionOwner owner, int maxFrameLength, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            try
            {
                await socket.ConnectAsync(endPoint, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"connecting to {endPoint.Host}:{endPoint.Port} took longer than {timeout}");
            }

            return new ServerConnection(socket, endPoint, owner, maxFrameLength);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends the ConnectRequest and reads the ConnectResponse; nothing else may be on the wire yet.</summary>
    public async Task<ConnectResponse> HandshakeAsync(ConnectRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _abort.Token);
        cts.CancelAfter(timeout);
        try
        {
            using (var writer = new JuteWriter(64))
            {
                var frame = writer.BeginFrame();
                request.Write(writer);
                writer.EndFrame(frame);
                await _stream.WriteAsync(writer.WrittenMemory, cts.Token).ConfigureAwait(false);
            }

            while (true)
            {
                var result = await _input.ReadAsync(cts.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var status = FrameDecoder.TryReadFrame(ref buffer, _maxFrameLength, out var payload, out var length);
                if (status == FrameStatus.Invalid)
                {
                    throw new IOException($"invalid handshake frame length {length}");
                }

                if (status == FrameStatus.Frame)
                {
                    var response = Decode(payload);
                    _input.AdvanceTo(buffer.Start);
                    return response;
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    // A server that is behind our lastZxid, or read-only when we do not accept that, hangs up silently.
                    throw new IOException("the server closed the connection during the handshake");
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_abort.IsCancellationRequested)
        {
            throw new TimeoutException($"no handshake response from {EndPoint.Host}:{EndPoint.Port} within {timeout}");
        }

        static ConnectResponse Decode(ReadOnlySequence<byte> payload)
        {
            var bytes = payload.ToArray();
            var reader = new JuteReader(bytes);
            return ConnectResponse.Read(ref reader);
        }
    }

    /// <summary>
    /// Starts the loops: <paramref name="first"/> (auth and setWatches) goes out before anything from
    /// <paramref name="outgoing"/>.
    /// </summary>
    public void Start(TimeSpan sessionTimeout, IReadOnlyList<Packet> first, ChannelReader<Packet> outgoing)
    {
        var readTimeout = sessionTimeout * 2 / 3;
        var pingInterval = sessionTimeout / 3;
        var reader = Task.Run(() => ReadLoopAsync(readTimeout));
        var writer = Task.Run(() => WriteLoopAsync(first, outgoing, pingInterval));
        _completion = CompleteAsync(reader, writer);
    }

    /// <summary>Ends the connection; every request on the wire fails with ConnectionLoss. Idempotent.</summary>
    public void Abort(Exception reason)
    {
        List<Packet> failed;
        lock (_lock)
        {
            if (_dead)
            {
                return;
            }

            _dead = true;
            AbortReason = reason;
            failed = [.. _pending, .. _authPending];
            _pending.Clear();
            _authPending.Clear();
        }

        _abort.Cancel();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }

        foreach (var packet in failed)
        {
            packet.Fail(new ConnectionLossException(packet.Path, $"Connection to {EndPoint.Host}:{EndPoint.Port} lost: {reason.Message}", reason));
        }
    }

    public async ValueTask DisposeAsync()
    {
        Abort(new ObjectDisposedException(nameof(ServerConnection)));
        await _completion.ConfigureAwait(false);
        await _input.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _abort.Dispose();
    }

    private static async Task CompleteAsync(Task reader, Task writer)
    {
        await Task.WhenAll(reader, writer).ConfigureAwait(false);
    }
}
