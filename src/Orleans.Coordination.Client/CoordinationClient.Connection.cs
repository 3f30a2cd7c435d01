using Microsoft.Extensions.Logging;
using Orleans.Coordination.Client.Internal;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client;

public sealed partial class CoordinationClient
{
    /// <summary>Path characters per setWatches batch, as the Java client splits them.</summary>
    private const int SetWatchesBatchChars = 128 * 1024;

    /// <summary>
    /// The connection loop: connect, hand-shake, run until the connection breaks, repeat with the next host.
    /// Ends when the client is disposed, the session is closed, or the session expires (unless renewing).
    /// </summary>
    private async Task RunAsync(CancellationToken stop)
    {
        var failures = 0;
        var firstAttempt = true;
        var disconnectedAt = Environment.TickCount64;
        while (!stop.IsCancellationRequested && !_sessionClosed)
        {
            try
            {
                if (!firstAttempt)
                {
                    await Task.Delay(ReconnectDelay(failures), stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }

            firstAttempt = false;
            if (LocalExpiryDue(disconnectedAt))
            {
                // Cut off longer than the session can live: the servers have expired it (Curator and ZooKeeper 3.9 agree).
                ExpireSession($"no server reachable for {Environment.TickCount64 - disconnectedAt} ms, longer than the session could live");
                if (!_options.RenewSessionOnExpiry)
                {
                    return;
                }

                disconnectedAt = Environment.TickCount64;
                continue;
            }

            var host = _hosts[_hostIndex++ % _hosts.Length];
            ServerConnection? connection = null;
            var established = false;
            try
            {
                var timeout = PerHostConnectTimeout(disconnectedAt);
                connection = await ServerConnection.OpenAsync(host, timeout, this, _options.MaxFrameLength, stop).ConfigureAwait(false);
                var request = new ConnectRequest(
                    0,
                    Interlocked.Read(ref _lastZxid),
                    (int)Math.Clamp(_options.SessionTimeout.TotalMilliseconds, 1, int.MaxValue),
                    Interlocked.Read(ref _sessionId),
                    SessionPassword,
                    _options.CanBeReadOnly);
                var response = await connection.HandshakeAsync(request, timeout, stop).ConfigureAwait(false);
                if (response.TimeOut <= 0)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    connection = null;
                    ExpireSession($"{host.Host}:{host.Port} reports the session 0x{request.SessionId:x} as expired");
                    if (!_options.RenewSessionOnExpiry)
                    {
                        return;
                    }

                    disconnectedAt = Environment.TickCount64;
                    continue;
                }

                established = Establish(connection, response);
                if (!established)
                {
                    continue;
                }

                failures = 0;
                await connection.Completion.ConfigureAwait(false);
                if (!stop.IsCancellationRequested && !_sessionClosed)
                {
                    _logger.LogWarning("Connection to {Host}:{Port} lost ({Reason}); reconnecting session 0x{SessionId:x}", host.Host, host.Port, connection.AbortReason?.Message, SessionId);
                }
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                failures++;
                _logger.LogInformation("Could not connect to {Host}:{Port}: {Reason}", host.Host, host.Port, e.Message);
            }
            catch (OperationCanceledException)
            {
                // Disposed or abandoned while connecting.
            }
            finally
            {
                if (connection is not null)
                {
                    lock (_stateLock)
                    {
                        if (_connection == connection)
                        {
                            _connection = null;
                        }
                    }

                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }

            if (established)
            {
                // Measured from when the server was last heard, as the server measures from when it last heard us.
                disconnectedAt = connection?.LastReceive ?? Environment.TickCount64;
                if (!stop.IsCancellationRequested && !_sessionClosed)
                {
                    OnDisconnected();
                }
            }
        }
    }

    /// <summary>Takes the session from a successful handshake and starts the connection's loops.</summary>
    private bool Establish(ServerConnection connection, ConnectResponse response)
    {
        bool reconnect;
        lock (_stateLock)
        {
            if (_disposing && _sessionClosed)
            {
                return false;
            }

            var previousSession = Interlocked.Read(ref _sessionId);
            Interlocked.Exchange(ref _sessionId, response.SessionId);
            _sessionPassword = response.Passwd.Length == ConnectResponse.PasswordLength ? response.Passwd : [.. response.Passwd];
            Volatile.Write(ref _negotiatedTimeout, response.TimeOut);
            _connection = connection;
            // After Lost, a renewed session is reported as Reconnected, as Curator does.
            reconnect = _everConnected || _state == ConnectionState.Lost;
            _everConnected = true;

            if (reconnect)
            {
                // Persistent streams learn that events may have been missed while the connection was down.
                foreach (var watcher in _watches.All(clear: false))
                {
                    if (watcher.WantsConnectionEvents)
                    {
                        watcher.Deliver(new WatchEvent(EventType.None, KeeperState.SyncConnected, null));
                    }
                }
            }

            connection.Start(TimeSpan.FromMilliseconds(response.TimeOut), BuildReconnectPackets(), _outgoing.Reader);
            SetStateLocked(response.ReadOnly ? ConnectionState.ReadOnly : reconnect ? ConnectionState.Reconnected : ConnectionState.Connected);
            _logger.LogInformation(
                "{What} session 0x{SessionId:x} on {Host}:{Port} (timeout {Timeout} ms{ReadOnly})",
                previousSession == response.SessionId ? "Resumed" : "Established",
                response.SessionId,
                connection.EndPoint.Host,
                connection.EndPoint.Port,
                response.TimeOut,
                response.ReadOnly ? ", read-only" : "");
        }

        lock (_stateLock)
        {
            // A first attempt that found its session expired has faulted the task; a renewed session replaces it.
            if (_firstConnect is { Task.IsFaulted: true })
            {
                _firstConnect = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _firstConnect?.TrySetResult();
        }

        return true;
    }

    private void OnDisconnected()
    {
        lock (_stateLock)
        {
            if (_state is ConnectionState.Lost or ConnectionState.Closed)
            {
                return;
            }

            SetStateLocked(ConnectionState.Suspended);
            foreach (var watcher in _watches.All(clear: false))
            {
                if (watcher.WantsConnectionEvents)
                {
                    watcher.Deliver(new WatchEvent(EventType.None, KeeperState.Disconnected, null));
                }
            }
        }
    }

    /// <summary>The session is gone: Lost, every queued request fails, every watcher gets Expired and is dropped.</summary>
    private void ExpireSession(string reason)
    {
        _logger.LogWarning("Session 0x{SessionId:x} lost: {Reason}", SessionId, reason);
        lock (_stateLock)
        {
            _connection = null;
            SetStateLocked(ConnectionState.Lost);
            FailQueuedLocked(p => new SessionExpiredException(p.Path));
            var expired = new WatchEvent(EventType.None, KeeperState.Expired, null);
            foreach (var watcher in _watches.All(clear: true))
            {
                watcher.Deliver(expired);
                watcher.Finish();
            }

            if (_options.RenewSessionOnExpiry)
            {
                Interlocked.Exchange(ref _sessionId, 0);
                _sessionPassword = new byte[ConnectResponse.PasswordLength];
            }
        }

        _firstConnect?.TrySetException(new SessionExpiredException(message: $"Session expired: {reason}"));
    }

    /// <summary>Auth packets for every stored credential, then setWatches for every watch, as Java sends them.</summary>
    private List<Packet> BuildReconnectPackets()
    {
        var packets = new List<Packet>();
        lock (_authInfo)
        {
            foreach (var (scheme, auth) in _authInfo)
            {
                var packet = new Packet<bool>(OpCode.Auth, new AuthPacket(0, scheme, auth), null, PacketKind.Auth, static (ref JuteReader _) => true);
                packets.Add(packet);
                _ = ObserveAuthAsync(packet.Task, (scheme, auth));
            }
        }

        var snapshot = _watches.Snapshot();
        if (snapshot.IsEmpty)
        {
            return packets;
        }

        var relativeZxid = Interlocked.Read(ref _lastZxid);
        var lists = new[] { snapshot.Data, snapshot.Exist, snapshot.Child, snapshot.Persistent, snapshot.PersistentRecursive };
        var batch = NewBatch();
        var chars = 0;
        for (var i = 0; i < lists.Length; i++)
        {
            foreach (var path in lists[i])
            {
                var serverPath = ToServerPath(path);
                if (chars > 0 && chars + serverPath.Length > SetWatchesBatchChars)
                {
                    packets.Add(SetWatchesPacket(relativeZxid, batch));
                    batch = NewBatch();
                    chars = 0;
                }

                batch[i].Add(serverPath);
                chars += serverPath.Length;
            }
        }

        if (chars > 0)
        {
            packets.Add(SetWatchesPacket(relativeZxid, batch));
        }

        return packets;

        static List<string>[] NewBatch() => [[], [], [], [], []];
    }

    private Packet SetWatchesPacket(long relativeZxid, List<string>[] batch)
    {
        var version2 = batch[3].Count + batch[4].Count > 0;
        var record = new SetWatchesRequest(relativeZxid, batch[0], batch[1], batch[2], batch[3], batch[4], version2);
        var packet = new Packet<bool>(version2 ? OpCode.SetWatches2 : OpCode.SetWatches, new RecordWriter(record.Write), null, PacketKind.Request, static (ref JuteReader _) => true);
        _ = ObserveAsync(packet.Task, "re-registering watches");
        return packet;
    }

    /// <summary>Credentials the server rejects are forgotten, so the next connection does not fail the same way.</summary>
    private async Task ObserveAuthAsync(Task task, (string Scheme, byte[] Auth) entry)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (AuthFailedException)
        {
            lock (_authInfo)
            {
                _authInfo.Remove(entry);
            }

            _logger.LogWarning("The server rejected the {Scheme} credentials; they are dropped", entry.Scheme);
        }
        catch (ConnectionLossException)
        {
            // The next connection sends them again.
        }
    }

    private async Task ObserveAsync(Task task, string what)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (ConnectionLossException)
        {
            // The next connection sends it again.
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Failed {What}", what);
        }
    }

    /// <summary>Stops a first connection that timed out; false when it connected in the meantime.</summary>
    private async Task<bool> AbandonFirstConnectAsync(Task first)
    {
        Task? loop;
        ServerConnection? connection;
        lock (_stateLock)
        {
            if (first.IsCompletedSuccessfully || _firstConnect?.Task != first || _loopTask is null)
            {
                return !first.IsCompletedSuccessfully;
            }

            loop = _loopTask;
            connection = _connection;
            _loopStop!.Cancel();
            _loopTask = null;
        }

        connection?.Abort(new TimeoutException("connect timed out"));
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogDebug(e, "Connection loop ended with an error");
        }

        lock (_stateLock)
        {
            if (first.IsCompletedSuccessfully)
            {
                // Connected just before the loop stopped: nothing to keep it alive now, so behave as a failed start.
                _everConnected = false;
                SetStateLocked(ConnectionState.NotStarted);
            }

            FailQueuedLocked(p => new ConnectionLossException(p.Path, "Could not connect"));
            _firstConnect?.TrySetException(new ConnectionLossException(message: "Could not connect"));
            _firstConnect = null;
        }

        return true;
    }

    private async Task DisposeCoreAsync()
    {
        Task? loop;
        bool closeSession;
        lock (_stateLock)
        {
            _disposing = true;
            loop = _loopTask;
            closeSession = loop is not null && _everConnected && _state is not (ConnectionState.Lost or ConnectionState.NotStarted);
        }

        if (closeSession)
        {
            await CloseSessionAsync().ConfigureAwait(false);
        }

        ServerConnection? connection;
        lock (_stateLock)
        {
            _loopStop?.Cancel();
            connection = _connection;
        }

        connection?.Abort(new ObjectDisposedException(nameof(CoordinationClient)));
        if (loop is not null)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _logger.LogDebug(e, "Connection loop ended with an error");
            }
        }

        lock (_stateLock)
        {
            FailQueuedLocked(p => new ConnectionLossException(p.Path, "The client was disposed"));
            SetStateLocked(ConnectionState.Closed);
            var closed = new WatchEvent(EventType.None, KeeperState.Closed, null);
            foreach (var watcher in _watches.All(clear: true))
            {
                watcher.Deliver(closed);
                watcher.Finish();
            }
        }

        _firstConnect?.TrySetException(new ObjectDisposedException(nameof(CoordinationClient)));
        _loopStop?.Dispose();
        await _events.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Sends closeSession, retrying across a reconnect, for a bounded time.</summary>
    private async Task CloseSessionAsync()
    {
        var budget = TimeSpan.FromMilliseconds(Math.Min(_options.SessionTimeout.TotalMilliseconds, 3000));
        using var cts = new CancellationTokenSource(budget);
        while (!cts.IsCancellationRequested && !_sessionClosed)
        {
            try
            {
                await SubmitAsync(OpCode.CloseSession, null, null, (ref JuteReader _) =>
                {
                    // Set on the reader, before the server hangs up, so the loop does not reconnect.
                    _sessionClosed = true;
                    return true;
                }, cts.Token, duringDispose: true).ConfigureAwait(false);
                _logger.LogInformation("Closed session 0x{SessionId:x}", SessionId);
                return;
            }
            catch (ConnectionLossException)
            {
                // Try again on the next connection.
            }
            catch (Exception e) when (e is OperationCanceledException or KeeperException or ObjectDisposedException)
            {
                _logger.LogInformation("Could not close session 0x{SessionId:x}: {Reason}", SessionId, e.Message);
                return;
            }
        }
    }

    private bool LocalExpiryDue(long disconnectedAt)
    {
        var timeout = Volatile.Read(ref _negotiatedTimeout);
        return _everConnected && timeout > 0 && Interlocked.Read(ref _sessionId) != 0
            && Environment.TickCount64 - disconnectedAt > timeout * 4L / 3;
    }

    /// <summary>
    /// The session timeout shared among the hosts (as Java does), at least 1 s, but never past the moment the
    /// session must be given up for lost.
    /// </summary>
    private TimeSpan PerHostConnectTimeout(long disconnectedAt)
    {
        var timeout = Volatile.Read(ref _negotiatedTimeout);
        var basis = timeout > 0 ? TimeSpan.FromMilliseconds(timeout) : _options.SessionTimeout;
        var perHost = basis / _hosts.Length;
        if (perHost < TimeSpan.FromSeconds(1))
        {
            perHost = TimeSpan.FromSeconds(1);
        }

        if (_everConnected && timeout > 0)
        {
            var left = TimeSpan.FromMilliseconds(disconnectedAt + (timeout * 4L / 3) - Environment.TickCount64);
            perHost = TimeSpan.FromTicks(Math.Clamp(left.Ticks, TimeSpan.FromMilliseconds(200).Ticks, perHost.Ticks));
        }

        return perHost;
    }

    /// <summary>A random pause before reconnecting, growing with consecutive failures up to 1 s, so clients do not stampede.</summary>
    private static TimeSpan ReconnectDelay(int failures)
    {
        var ceiling = Math.Min(1000, 50 << Math.Min(failures, 5));
        return TimeSpan.FromMilliseconds(Random.Shared.Next(0, ceiling + 1));
    }

    /// <summary>Lets a record that is not an <see cref="IJuteRecord"/> travel as one.</summary>
    private sealed class RecordWriter(Action<JuteWriter> write) : IJuteRecord
    {
        public void Write(JuteWriter writer) => write(writer);
    }
}
