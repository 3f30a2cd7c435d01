using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;
using Orleans.Coordination.Server.Network;

namespace Orleans.Coordination.Server.Processing;

public sealed partial class SiloCore
{
    /// <summary>Live sessions (id, timeout, deadline), for dumps.</summary>
    public IEnumerable<(long SessionId, int Timeout, long ExpiresAt)> SessionDeadlines => _sessions.All();

    public IReadOnlyCollection<ClientConnection> Connections => _connections;

    /// <summary>Called by the network layer when a connection is accepted; false rejects it.</summary>
    public bool TryAdmit(ClientConnection connection)
    {
        var max = Options.MaxClientCnxns;
        lock (_connectionsByAddress)
        {
            _connectionsByAddress.TryGetValue(connection.RemoteAddress, out var n);
            if (max > 0 && n >= max)
            {
                return false;
            }

            _connectionsByAddress[connection.RemoteAddress] = n + 1;
            return true;
        }
    }

    private void ProcessConnect(ConnectWork work)
    {
        var conn = work.Connection;
        var req = work.Request;
        _connections.Add(conn);
        if (!IsServing)
        {
            conn.Abort();
            return;
        }

        conn.LegacyConnect = !req.HasReadOnlyField;

        // The lastZxid rule: a client that has seen more than this silo has applied must not be served here yet. An
        // ensemble member is usually only a commit or two behind (the client's last silo just died, or a sync is
        // finishing), so the handshake waits up to syncLimit ticks for the apply loop to catch up, instead of sending
        // the client round its server list with growing back-off; a silo still behind after that refuses, as
        // ZooKeeper does, and the client goes elsewhere.
        if (req.LastZxidSeen > Tree.LastZxid && _replica is not null && !_deferredConnects.ContainsKey(conn))
        {
            _deferredConnects[conn] = (work, Environment.TickCount64 + ((long)Options.Ensemble.TickMs * Options.Ensemble.SyncLimit));
            return;
        }

        _deferredConnects.Remove(conn);
        if (req.LastZxidSeen > Tree.LastZxid)
        {
            _logger.LogInformation(
                "Refusing session 0x{Session:x} from {Remote}: client has seen zxid 0x{Client:x}, this silo is at 0x{Ours:x}",
                req.SessionId, conn.RemoteEndPoint, req.LastZxidSeen, Tree.LastZxid);
            conn.Abort();
            return;
        }

        var timeout = Math.Clamp(req.TimeOut, Options.EffectiveMinSessionTimeout, Options.EffectiveMaxSessionTimeout);
        var now = Environment.TickCount64;
        conn.SessionTimeout = timeout;
        if (req.SessionId == 0)
        {
            var sessionId = _nextSessionId++;
            var passwd = RandomNumberGenerator.GetBytes(ConnectResponse.PasswordLength);
            conn.SessionId = sessionId;
            conn.HandshakeDone = true;
            _connectionsBySession[sessionId] = conn;
            _sessions.Add(sessionId, timeout, now);
            var pending = new PendingRequest
            {
                Connection = conn,
                Xid = 0,
                Type = OpCode.CreateSession,
                Kind = PendingKind.Connect,
                ConnectResponse = new ConnectResponse(0, timeout, sessionId, passwd, false, !conn.LegacyConnect),
            };
            conn.Pending.Enqueue(pending);
            if (Forwards)
            {
                ForwardCreateSession(sessionId, timeout, passwd, pending);
            }
            else
            {
                Stamp(sessionId, 0, new CreateSessionTxn(timeout, passwd), pending);
            }

            return;
        }

        // Re-attach: any other connection holding the session is closed.
        if (_connectionsBySession.TryGetValue(req.SessionId, out var previous) && previous != conn)
        {
            _connectionsBySession.Remove(req.SessionId);
            previous.Abort();
        }

        if (!Tree.Sessions.TryGetValue(req.SessionId, out var entry)
            || !_sessions.IsLive(req.SessionId)
            || !CryptographicOperations.FixedTimeEquals(entry.Passwd, req.Passwd))
        {
            conn.Pending.Enqueue(new PendingRequest
            {
                Connection = conn,
                Xid = 0,
                Type = OpCode.CreateSession,
                Kind = PendingKind.Connect,
                ConnectResponse = ConnectResponse.Expired(!conn.LegacyConnect),
                CloseAfter = true,
            });
            Drain(conn);
            return;
        }

        conn.SessionId = req.SessionId;
        conn.HandshakeDone = true;
        if (Forwards)
        {
            _touched.Add(req.SessionId);
        }

        _connectionsBySession[req.SessionId] = conn;
        _sessions.SetTimeout(req.SessionId, timeout, now);
        conn.Pending.Enqueue(new PendingRequest
        {
            Connection = conn,
            Xid = 0,
            Type = OpCode.CreateSession,
            Kind = PendingKind.Connect,
            ConnectResponse = new ConnectResponse(0, timeout, req.SessionId, entry.Passwd, false, !conn.LegacyConnect),
        });
        Drain(conn);
    }

    private void ProcessConnectionClosed(ClientConnection conn)
    {
        if (!_connections.Remove(conn))
        {
            ReleaseAddress(conn);
            return;
        }

        ReleaseAddress(conn);
        conn.Abort();
        _waiting.Remove(conn);
        _deferredConnects.Remove(conn);
        Tree.Watches.RemoveWatcher(conn);
        if (conn.SessionId != 0 && _connectionsBySession.TryGetValue(conn.SessionId, out var holder) && holder == conn)
        {
            _connectionsBySession.Remove(conn.SessionId);
        }
    }

    private void ReleaseAddress(ClientConnection conn)
    {
        lock (_connectionsByAddress)
        {
            if (_connectionsByAddress.TryGetValue(conn.RemoteAddress, out var n))
            {
                if (n <= 1)
                {
                    _connectionsByAddress.Remove(conn.RemoteAddress);
                }
                else
                {
                    _connectionsByAddress[conn.RemoteAddress] = n - 1;
                }
            }
        }
    }

    /// <summary>
    /// Handshakes waiting for this silo to apply the zxid their client has seen: those now caught up proceed, those past
    /// their deadline are refused, those whose connection closed are forgotten. Called after every batch of work.
    /// </summary>
    private void RetryDeferredConnects()
    {
        if (_deferredConnects.Count == 0)
        {
            return;
        }

        var now = Environment.TickCount64;
        foreach (var (conn, (work, deadline)) in _deferredConnects.ToList())
        {
            if (conn.IsClosed)
            {
                _deferredConnects.Remove(conn);
            }
            else if (work.Request.LastZxidSeen <= Tree.LastZxid || now >= deadline || !IsServing)
            {
                ProcessConnect(work); // proceeds, or refuses now that the entry exists
            }
        }
    }

    private void ProcessTick()
    {
        var now = Environment.TickCount64;
        if (_replica is not null && !IsLeader)
        {
            // Sessions are expired by the leader alone; followers keep the ones they hold alive there.
            if (Forwards)
            {
                ReportSessions(now);
            }

            return;
        }

        foreach (var sessionId in _sessions.TakeExpired(now))
        {
            _logger.LogInformation("Expiring session 0x{Session:x}", sessionId);
            Stats.CountExpired();
            CloseSession(sessionId, null);
        }

        if (now >= _nextContainerCheck)
        {
            _nextContainerCheck = now + Options.ContainerCheckIntervalMs;
            ReapContainers();
        }
    }

    /// <summary>Starts closing a session: no more requests are accepted, and a closeSession txn is stamped.</summary>
    private void CloseSession(long sessionId, PendingRequest? pending, int cxid = 0)
    {
        _sessions.MarkClosing(sessionId);
        var prep = _preparer.Prepare(OpCode.CloseSession, null, sessionId, [], _lastStampedZxid + 1);
        Stamp(sessionId, pending?.Xid ?? cxid, prep.Body!, pending);
    }

    /// <summary>Effects of an applied txn beyond the tree: session bookkeeping.</summary>
    private void AfterApply(Transaction txn)
    {
        var h = txn.Header;
        if (h.Type == TxnType.CreateSession && _replica is not null && !_sessions.IsLive(h.SessionId) && txn.Body is CreateSessionTxn created)
        {
            // Sessions are global: every member tracks every session, so that any of them can take over as leader.
            _sessions.Add(h.SessionId, created.TimeOut, Environment.TickCount64);
        }

        if (h.Type == TxnType.CloseSession)
        {
            _sessions.Remove(h.SessionId);
            if (_connectionsBySession.Remove(h.SessionId, out var conn))
            {
                // An expired session's connection is closed; a closeSession request's connection is
                // closed after its reply (see the pending entry's CloseAfter).
                if (conn.Pending.Count == 0 || conn.Pending.All(p => p.Type != OpCode.CloseSession))
                {
                    conn.Abort();
                }
            }
        }
    }

    /// <summary>Deletes empty containers that once had children and TTL nodes past their TTL.</summary>
    private void ReapContainers()
    {
        var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var candidates = new List<string>();
        foreach (var path in Tree.Containers)
        {
            var node = Tree.Get(path);
            if (node is { NumChildren: 0, Cversion: > 0 })
            {
                candidates.Add(path);
            }
        }

        foreach (var path in Tree.TtlNodes)
        {
            var node = Tree.Get(path);
            if (node is { NumChildren: 0 } && nowMs - node.Mtime > EphemeralOwners.TtlOf(node.EphemeralOwner))
            {
                candidates.Add(path);
            }
        }

        foreach (var path in candidates)
        {
            var prep = _preparer.Prepare(OpCode.DeleteContainer, new PathRecord(path), 0, [], _lastStampedZxid + 1);
            if (prep.Body is not null)
            {
                Stamp(0, 0, prep.Body, null);
            }
        }
    }
}
