using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Coordination.Client.Internal;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client;

/// <summary>
/// A client of a ZooKeeper-compatible coordination service (our silos or Apache ZooKeeper 3.6+).
/// <para>
/// One client is one session over one TCP connection at a time; any number of requests may be in flight and
/// they are answered in the order they were issued. When the connection breaks the client reconnects (to another
/// host of the connection string when there are several) and keeps the session, re-sending credentials and
/// re-registering watches; requests that were on the wire fail with <see cref="ConnectionLossException"/>, requests
/// issued while reconnecting wait for the new connection. State transitions are reported by <see cref="StateChanged"/>.
/// </para>
/// <para>
/// The client connects on <see cref="ConnectAsync"/> or on its first operation. <see cref="DisposeAsync"/> closes the
/// session, which deletes its ephemeral nodes at once.
/// </para>
/// </summary>
public sealed partial class CoordinationClient : IAsyncDisposable, IConnectionOwner
{
    private readonly CoordinationClientOptions _options;
    private readonly ILogger _logger;
    private readonly DnsEndPoint[] _hosts;
    private readonly string? _chroot;
    private readonly RetryPolicy _defaultRetry;
    private readonly Channel<Packet> _outgoing = Channel.CreateUnbounded<Packet>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly WatchRegistry _watches = new();
    private readonly EventDispatcher _events;
    private readonly List<(string Scheme, byte[] Auth)> _authInfo = [];
    private readonly Lock _stateLock = new();

    private long _sessionId;
    private byte[] _sessionPassword;
    private long _lastZxid;
    private int _negotiatedTimeout;
    private ConnectionState _state = ConnectionState.NotStarted;
    private int _xid;
    private int _hostIndex;
    private bool _everConnected;
    private ServerConnection? _connection;
    private Task? _loopTask;
    private CancellationTokenSource? _loopStop;
    private TaskCompletionSource? _firstConnect;
    private bool _disposing;
    private Task? _disposeTask;
    private volatile bool _sessionClosed;

    /// <summary>Creates a client from options; nothing is sent until <see cref="ConnectAsync"/> or the first operation.</summary>
    public CoordinationClient(CoordinationClientOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.SessionTimeout, TimeSpan.Zero, nameof(options.SessionTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ConnectTimeout, TimeSpan.Zero, nameof(options.ConnectTimeout));
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        var parsed = Client.ConnectionString.Parse(options.ConnectionString);
        _hosts = [.. parsed.Hosts];
        if (options.ShuffleHosts)
        {
            Random.Shared.Shuffle(_hosts);
        }

        _chroot = parsed.Chroot;
        _defaultRetry = options.Retry.ToPolicy();
        _sessionId = options.SessionId;
        if (options.SessionPassword is { } password && password.Length != ConnectResponse.PasswordLength)
        {
            throw new ArgumentException($"a session password has {ConnectResponse.PasswordLength} bytes", nameof(options));
        }

        _sessionPassword = options.SessionPassword?.ToArray() ?? new byte[ConnectResponse.PasswordLength];
        foreach (var auth in options.Authentication)
        {
            _authInfo.Add((auth.Scheme, Encoding.UTF8.GetBytes(auth.Credentials)));
        }

        _events = new EventDispatcher(_logger);
    }

    /// <summary>Creates a client for <paramref name="connectionString"/> (<c>host:port,host:port[/chroot]</c>).</summary>
    public CoordinationClient(string connectionString, TimeSpan? sessionTimeout = null, ILogger? logger = null)
        : this(new CoordinationClientOptions { ConnectionString = connectionString, SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(30) }, logger)
    {
    }

    /// <summary>
    /// Every connection state transition, in order, raised on the client's event thread (the thread that also runs
    /// watch callbacks). Handlers should be quick; an exception from one is logged and ignored.
    /// </summary>
    public event EventHandler<ConnectionStateChangedEventArgs>? StateChanged;

    /// <summary>The current state.</summary>
    public ConnectionState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>Whether a connection is up (<see cref="ConnectionState.Connected"/>, <see cref="ConnectionState.Reconnected"/> or <see cref="ConnectionState.ReadOnly"/>).</summary>
    public bool IsConnected => State is ConnectionState.Connected or ConnectionState.Reconnected or ConnectionState.ReadOnly;

    /// <summary>The session id; 0 before the first connection.</summary>
    public long SessionId => Interlocked.Read(ref _sessionId);

    /// <summary>A copy of the session's 16-byte password (with <see cref="SessionId"/>, enough to resume the session elsewhere).</summary>
    public byte[] SessionPassword
    {
        get
        {
            lock (_stateLock)
            {
                return [.. _sessionPassword];
            }
        }
    }

    /// <summary>The session timeout the server granted; zero before the first connection.</summary>
    public TimeSpan SessionTimeout => TimeSpan.FromMilliseconds(Volatile.Read(ref _negotiatedTimeout));

    /// <summary>The highest zxid seen in a reply: sent on reconnect so that no server takes the client back in time.</summary>
    public long LastZxid => Interlocked.Read(ref _lastZxid);

    /// <summary>The chroot of the connection string, or null.</summary>
    public string? Chroot => _chroot;

    /// <summary>The server of the current connection, or null while disconnected.</summary>
    public DnsEndPoint? CurrentServer
    {
        get
        {
            lock (_stateLock)
            {
                return _connection?.EndPoint;
            }
        }
    }

    /// <summary>
    /// Starts the client and waits until its first connection is up. Hosts are tried in turn until
    /// <see cref="CoordinationClientOptions.ConnectTimeout"/> runs out, which throws <see cref="ConnectionLossException"/>
    /// and leaves the client as it was (it can be started again). Returns at once when already connected once.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        Task first;
        lock (_stateLock)
        {
            ObjectDisposedException.ThrowIf(_disposing, this);
            if (_state == ConnectionState.Lost && !_options.RenewSessionOnExpiry)
            {
                throw new SessionExpiredException(message: "The session has expired; create a new client.");
            }

            if (_loopTask is null)
            {
                _firstConnect = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _loopStop = new CancellationTokenSource();
                var stop = _loopStop.Token;
                _loopTask = Task.Run(() => RunAsync(stop), CancellationToken.None);
            }

            first = _firstConnect!.Task;
        }

        try
        {
            await first.WaitAsync(_options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            if (await AbandonFirstConnectAsync(first).ConfigureAwait(false))
            {
                throw new ConnectionLossException(message: $"Could not connect to {string.Join(",", _hosts.Select(h => $"{h.Host}:{h.Port}"))} within {_options.ConnectTimeout}");
            }
        }
    }

    /// <summary>
    /// Closes the session (so its ephemeral nodes go at once) and the connection. Requests still outstanding fail
    /// with <see cref="ConnectionLossException"/>, watchers get a Closed event, and the state becomes
    /// <see cref="ConnectionState.Closed"/>. Later calls throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        lock (_stateLock)
        {
            _disposeTask ??= DisposeCoreAsync();
            return new ValueTask(_disposeTask);
        }
    }

    /// <summary>
    /// Test hook: breaks the current TCP connection as a network failure would. Requests on the wire fail with
    /// <see cref="ConnectionLossException"/>; the client reconnects and keeps its session.
    /// </summary>
    public void DropConnectionForTesting()
    {
        ServerConnection? connection;
        lock (_stateLock)
        {
            connection = _connection;
        }

        connection?.Abort(new IOException("connection dropped for testing"));
    }

    int IConnectionOwner.NextXid()
    {
        while (true)
        {
            var current = Volatile.Read(ref _xid);
            var next = current == int.MaxValue ? 1 : current + 1;
            if (Interlocked.CompareExchange(ref _xid, next, current) == current)
            {
                return next;
            }
        }
    }

    void IConnectionOwner.OnReplyZxid(long zxid)
    {
        var current = Interlocked.Read(ref _lastZxid);
        while (zxid > current)
        {
            var seen = Interlocked.CompareExchange(ref _lastZxid, zxid, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    void IConnectionOwner.OnNotification(WatcherEvent notification)
    {
        if (notification.Type == EventType.None)
        {
            return;
        }

        var path = PathUtils.Strip(_chroot, notification.Path);
        var e = new WatchEvent(notification.Type, notification.State, path);
        foreach (var watcher in _watches.Trigger(notification.Type, path))
        {
            watcher.Deliver(e);
        }
    }

    /// <summary>Queues a request and waits for its reply, connecting first if the client was never started.</summary>
    private async Task<T> SubmitAsync<T>(
        OpCode op,
        IJuteRecord? request,
        string? path,
        ReplyParser<T> parser,
        CancellationToken cancellationToken,
        WatchRegistration? watch = null,
        ErrorHandler<T>? onError = null,
        PacketKind kind = PacketKind.Request,
        bool duringDispose = false)
    {
        cancellationToken.ThrowIfCancellationRequested();
        bool started;
        lock (_stateLock)
        {
            started = _loopTask is not null;
        }

        if (!started && !duringDispose)
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
        }

        var packet = new Packet<T>(op, request, path, kind, parser, onError) { Watch = watch };
        lock (_stateLock)
        {
            if (_disposing && !duringDispose || _state == ConnectionState.Closed)
            {
                throw new ObjectDisposedException(nameof(CoordinationClient));
            }

            if (_state == ConnectionState.Lost && !_options.RenewSessionOnExpiry)
            {
                throw new SessionExpiredException(path);
            }

            _outgoing.Writer.TryWrite(packet);
        }

        if (!cancellationToken.CanBeCanceled)
        {
            return await packet.Task.ConfigureAwait(false);
        }

        using (cancellationToken.UnsafeRegister(static (state, token) => ((Packet<T>)state!).Cancel(token), packet))
        {
            return await packet.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Fails every request still waiting to be sent. Call with the state lock held.</summary>
    private void FailQueuedLocked(Func<Packet, Exception> error)
    {
        while (_outgoing.Reader.TryRead(out var packet))
        {
            packet.Fail(error(packet));
        }
    }

    private void SetStateLocked(ConnectionState state)
    {
        var previous = _state;
        if (previous == state)
        {
            return;
        }

        _state = state;
        var args = new ConnectionStateChangedEventArgs(previous, state, Interlocked.Read(ref _sessionId));
        // Posted under the lock, so handlers see transitions in the order they happened.
        _events.Post(() => StateChanged?.Invoke(this, args));
    }

    private string ToServerPath(string path) => PathUtils.Prepend(_chroot, path);

    private string ToClientPath(string serverPath) => PathUtils.Strip(_chroot, serverPath);
}
