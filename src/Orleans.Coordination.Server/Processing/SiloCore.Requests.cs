using Microsoft.Extensions.Logging;
using Orleans.Coordination.DataTree.Acls;
using Orleans.Coordination.DataTree.Paths;
using Orleans.Coordination.DataTree.Tree;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Diagnostics;
using Orleans.Coordination.Server.Network;

namespace Orleans.Coordination.Server.Processing;

public sealed partial class SiloCore
{
    private void ProcessRequest(RequestWork work)
    {
        var conn = work.Connection;
        if (!IsServing)
        {
            conn.Abort();
            conn.RequestDone();
            return;
        }

        if (conn.IsClosed)
        {
            // Closing after a reply (closeSession, auth failure, unimplemented op): that reply must still go out.
            conn.RequestDone();
            return;
        }

        Stats.CountReceived();
        conn.Stats.LastCxid = work.Xid;
        conn.Stats.LastOp = OpNames.Short(work.Type);

        if (!_sessions.Touch(conn.SessionId, Environment.TickCount64))
        {
            // The session expired or is closing: tell the client and drop the connection.
            Enqueue(work, PendingKind.Immediate, ErrorCode.SessionExpired, closeAfter: true);
            return;
        }

        if (Forwards)
        {
            _touched.Add(conn.SessionId);
        }

        switch (work.Type)
        {
            case OpCode.Ping:
                Enqueue(work, PendingKind.Immediate, ErrorCode.Ok);
                break;
            case OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl
                or OpCode.Delete or OpCode.SetData or OpCode.SetAcl:
                PrepareWrite(work);
                break;
            case OpCode.Multi:
                PrepareMulti(work);
                break;
            case OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2 or OpCode.GetAcl
                or OpCode.GetEphemerals or OpCode.GetAllChildrenNumber or OpCode.MultiRead or OpCode.WhoAmI:
                Enqueue(work, PendingKind.Read, ErrorCode.Ok);
                break;
            case OpCode.Sync when _replica is not null && PathUtils.IsValid(((PathRecord)work.Request!).Path):
                // Answered once this silo has applied the leader's commit point, confirmed by a quorum.
                StartSync(Enqueue(work, PendingKind.Immediate, ErrorCode.Ok));
                break;
            case OpCode.Sync:
                // Answered once everything stamped before it is applied.
                Enqueue(work, PendingKind.Immediate, PathUtils.IsValid(((PathRecord)work.Request!).Path) ? ErrorCode.Ok : ErrorCode.BadArguments, waitZxid: _lastStampedZxid);
                break;
            case OpCode.Auth:
                ProcessAuth(work);
                break;
            case OpCode.SetWatches or OpCode.SetWatches2:
                ProcessSetWatches(work);
                break;
            case OpCode.CheckWatches or OpCode.RemoveWatches:
                ProcessWatchRemoval(work);
                break;
            case OpCode.AddWatch:
                ProcessAddWatch(work);
                break;
            case OpCode.CloseSession:
                var pending = Enqueue(work, PendingKind.Write, ErrorCode.Ok, closeAfter: true);
                if (Forwards)
                {
                    _sessions.MarkClosing(conn.SessionId);
                    ForwardWrite(work, pending);
                }
                else
                {
                    CloseSession(conn.SessionId, pending);
                }

                break;
            case OpCode.Reconfig:
                // Standalone: ZooKeeper answers RECONFIGDISABLED unless reconfig is enabled, then UNIMPLEMENTED.
                Enqueue(work, PendingKind.Immediate, Options.ReconfigEnabled ? ErrorCode.Unimplemented : ErrorCode.ReconfigDisabled);
                break;
            case OpCode.Sasl:
                Enqueue(work, PendingKind.Immediate, ErrorCode.Unimplemented);
                break;
            default:
                // check outside multi, unknown and internal opcodes: UNIMPLEMENTED, then the connection closes.
                _logger.LogWarning("Unimplemented opcode {Type} from {Remote}; closing the connection", (int)work.Type, conn.RemoteEndPoint);
                Enqueue(work, PendingKind.Immediate, ErrorCode.Unimplemented, closeAfter: true);
                break;
        }

        Drain(conn);
    }

    private PendingRequest Enqueue(RequestWork work, PendingKind kind, ErrorCode err, bool closeAfter = false, long waitZxid = 0)
    {
        var p = new PendingRequest
        {
            Connection = work.Connection,
            Xid = work.Xid,
            Type = work.Type,
            Request = work.Request,
            Kind = kind,
            ReceivedAt = work.ReceivedAt,
            Err = err,
            CloseAfter = closeAfter,
            WaitZxid = waitZxid,
        };
        work.Connection.Pending.Enqueue(p);
        return p;
    }

    private void PrepareWrite(RequestWork work)
    {
        var conn = work.Connection;
        if (Forwards)
        {
            // Only the leader knows every outstanding change, so only it can validate a write.
            ForwardWrite(work, Enqueue(work, PendingKind.Write, ErrorCode.Ok));
            return;
        }

        var prep = _preparer.Prepare(work.Type, work.Request, conn.SessionId, conn.AuthIds, _lastStampedZxid + 1);
        if (prep.Body is null)
        {
            // Failed writes are answered after everything stamped before them, so that the error
            // never reflects a change that might not commit.
            Enqueue(work, PendingKind.Immediate, prep.Err, waitZxid: _lastStampedZxid);
            return;
        }

        var pending = Enqueue(work, PendingKind.Write, ErrorCode.Ok);
        Stamp(conn.SessionId, work.Xid, prep.Body, pending);
    }

    private void PrepareMulti(RequestWork work)
    {
        var conn = work.Connection;
        if (work.Request is not MultiRequest multi || multi.Ops.Any(o => o.Type is OpCode.GetData or OpCode.GetChildren) || HasBadCreateFlags(multi))
        {
            Enqueue(work, PendingKind.Immediate, ErrorCode.MarshallingError, waitZxid: _lastStampedZxid);
            return;
        }

        if (multi.Ops.Count == 0)
        {
            Enqueue(work, PendingKind.Write, ErrorCode.Ok, waitZxid: _lastStampedZxid).Results = [];
            return;
        }

        if (Forwards)
        {
            ForwardWrite(work, Enqueue(work, PendingKind.Write, ErrorCode.Ok));
            return;
        }

        var prep = _preparer.Prepare(OpCode.Multi, multi, conn.SessionId, conn.AuthIds, _lastStampedZxid + 1);
        if (prep.Body is null)
        {
            var failed = Enqueue(work, PendingKind.FailedMulti, ErrorCode.Ok, waitZxid: _lastStampedZxid);
            failed.MultiResults = prep.MultiResults;
            return;
        }

        var pending = Enqueue(work, PendingKind.Write, ErrorCode.Ok);
        Stamp(conn.SessionId, work.Xid, prep.Body, pending);
    }

    private static bool HasBadCreateFlags(MultiRequest multi) => multi.Ops.Any(o => o.Request switch
    {
        CreateRequest c => !CreateModes.TryParse(c.Flags, out _),
        CreateTtlRequest t => !CreateModes.TryParse(t.Flags, out _),
        _ => false,
    });

    private void ProcessAuth(RequestWork work)
    {
        var conn = work.Connection;
        var auth = (AuthPacket)work.Request!;
        if (auth.Scheme == "digest")
        {
            // As ZooKeeper's digest provider: any bytes are hashed; "user:password" is the useful form.
            var text = System.Text.Encoding.UTF8.GetString(auth.Auth ?? []);
            var digestId = AclEvaluator.DigestId(text);
            AddAuthId(conn, new Id("digest", digestId));
            if (Options.SuperDigest is not null && digestId == Options.SuperDigest)
            {
                AddAuthId(conn, new Id("super", ""));
            }

            Enqueue(work, PendingKind.Immediate, ErrorCode.Ok);
            return;
        }

        _logger.LogWarning("Authentication failed for scheme '{Scheme}' from {Remote}", auth.Scheme, conn.RemoteEndPoint);
        Enqueue(work, PendingKind.Immediate, ErrorCode.AuthFailed, closeAfter: true);
    }

    private static void AddAuthId(ClientConnection conn, Id id)
    {
        if (!conn.AuthIdList.Contains(id))
        {
            conn.AuthIdList.Add(id);
        }
    }

    private void ProcessSetWatches(RequestWork work)
    {
        var conn = work.Connection;
        var req = ((SetWatchesBody)work.Request!).Request;
        var rel = req.RelativeZxid;
        var watches = Tree.Watches;

        // Events owed for changes the client missed carry zxid -1 and precede the (bodiless) reply.
        foreach (var path in req.DataWatches)
        {
            var node = Tree.Get(path);
            if (node is null)
            {
                conn.Deliver(EventType.NodeDeleted, path, -1);
            }
            else if (node.Mzxid > rel)
            {
                conn.Deliver(EventType.NodeDataChanged, path, -1);
            }
            else
            {
                watches.AddDataWatch(path, conn);
            }
        }

        foreach (var path in req.ExistWatches)
        {
            if (Tree.Get(path) is null)
            {
                watches.AddDataWatch(path, conn);
            }
            else
            {
                conn.Deliver(EventType.NodeCreated, path, -1);
            }
        }

        foreach (var path in req.ChildWatches)
        {
            var node = Tree.Get(path);
            if (node is null)
            {
                conn.Deliver(EventType.NodeDeleted, path, -1);
            }
            else if (node.Pzxid > rel)
            {
                conn.Deliver(EventType.NodeChildrenChanged, path, -1);
            }
            else
            {
                watches.AddChildWatch(path, conn);
            }
        }

        foreach (var path in req.PersistentWatches)
        {
            watches.AddPersistentWatch(path, conn, recursive: false);
        }

        foreach (var path in req.PersistentRecursiveWatches)
        {
            watches.AddPersistentWatch(path, conn, recursive: true);
        }

        Enqueue(work, PendingKind.Immediate, ErrorCode.Ok);
    }

    private void ProcessWatchRemoval(RequestWork work)
    {
        var conn = work.Connection;
        var req = (WatchesRequest)work.Request!;
        if (!PathUtils.IsValid(req.Path) || req.Type is < WatcherType.Children or > WatcherType.PersistentRecursive)
        {
            Enqueue(work, PendingKind.Immediate, ErrorCode.BadArguments);
            return;
        }

        var found = work.Type == OpCode.CheckWatches
            ? Tree.Watches.Contains(req.Path, conn, req.Type)
            : Tree.Watches.Remove(req.Path, conn, req.Type);
        Enqueue(work, PendingKind.Immediate, found ? ErrorCode.Ok : ErrorCode.NoWatcher);
    }

    private void ProcessAddWatch(RequestWork work)
    {
        var conn = work.Connection;
        var req = (AddWatchRequest)work.Request!;
        if (!PathUtils.IsValid(req.Path) || req.Mode is not (AddWatchMode.Persistent or AddWatchMode.PersistentRecursive))
        {
            Enqueue(work, PendingKind.Immediate, ErrorCode.BadArguments);
            return;
        }

        Tree.Watches.AddPersistentWatch(req.Path, conn, req.Mode == AddWatchMode.PersistentRecursive);
        Enqueue(work, PendingKind.Read, ErrorCode.Ok);
    }

    /// <summary>Drains connections whose head request waits for an applied zxid (reads, syncs, failed writes behind others' writes).</summary>
    private void DrainWaiting()
    {
        if (_waiting.Count == 0)
        {
            return;
        }

        foreach (var c in _waiting.ToList())
        {
            Drain(c);
        }
    }

    /// <summary>Answers every request at the head of the connection's queue that can be answered now.</summary>
    private void Drain(ClientConnection conn)
    {
        var queue = conn.Pending;
        while (queue.Count > 0)
        {
            var p = queue.Peek();
            if (p.Kind == PendingKind.Write ? p.Results is null : p.WaitZxid > Tree.LastZxid)
            {
                // Blocked on someone else's txn: look again after the next apply.
                if (p.Kind != PendingKind.Write && !conn.IsClosed)
                {
                    _waiting.Add(conn);
                }
                else
                {
                    _waiting.Remove(conn);
                }

                return;
            }

            queue.Dequeue();
            Answer(p);
            if (p.CloseAfter)
            {
                conn.CloseAfterFlush();
                queue.Clear();
                break;
            }
        }

        _waiting.Remove(conn);
    }

    private void Answer(PendingRequest p)
    {
        var conn = p.Connection;
        if (p.Kind == PendingKind.Connect)
        {
            conn.SendFrame(p.ConnectResponse!);
            return;
        }

        conn.RequestDone();
        var lastZxid = Tree.LastZxid;
        switch (p.Kind)
        {
            case PendingKind.Read:
                AnswerRead(p, lastZxid);
                break;
            case PendingKind.Write:
                AnswerWrite(p);
                break;
            case PendingKind.FailedMulti:
                conn.Reply(p.Xid, lastZxid, ErrorCode.Ok, new MultiResponse(p.MultiResults!));
                break;
            default:
                // Auth replies carry zxid 0, as ZooKeeper sends them; everything else the last applied zxid.
                conn.Reply(p.Xid, p.Type == OpCode.Auth ? 0 : lastZxid, p.Err, p.Type == OpCode.Sync && p.Err == ErrorCode.Ok ? p.Request : null);
                break;
        }

        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(p.ReceivedAt);
        var latency = (long)elapsed.TotalMilliseconds;
        Metrics.RecordRequest(p.Type, elapsed.TotalSeconds);
        conn.Stats.RecordLatency(latency);
        conn.Stats.LastZxid = lastZxid;
        conn.Stats.LastResponseTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Stats.RecordLatency(latency);
    }

    private void AnswerWrite(PendingRequest p)
    {
        var conn = p.Connection;
        var zxid = p.TxnZxid != 0 ? p.TxnZxid : Tree.LastZxid;
        var results = p.Results!;
        if (p.Type == OpCode.CloseSession)
        {
            conn.Reply(p.Xid, zxid, ErrorCode.Ok, null);
            return;
        }

        if (p.Type == OpCode.Multi)
        {
            var ops = ((MultiRequest)p.Request!).Ops;
            var list = new List<MultiResult>(results.Count);
            for (var i = 0; i < results.Count; i++)
            {
                list.Add(MultiResultFor(ops[i].Type, results[i]));
            }

            conn.Reply(p.Xid, zxid, ErrorCode.Ok, new MultiResponse(list));
            return;
        }

        var r = results[0];
        if (r.Err != ErrorCode.Ok)
        {
            conn.Reply(p.Xid, zxid, r.Err, null);
            return;
        }

        IJuteRecord? body = p.Type switch
        {
            OpCode.Create => new PathRecord(r.Path!),
            OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => new Create2Response(r.Path!, r.Stat),
            OpCode.SetData or OpCode.SetAcl => new StatResponse(r.Stat),
            _ => null,
        };
        conn.Reply(p.Xid, zxid, ErrorCode.Ok, body);
    }

    private static MultiResult MultiResultFor(OpCode type, OpResult r)
    {
        if (r.Err != ErrorCode.Ok)
        {
            return MultiResult.Error(r.Err);
        }

        return type switch
        {
            OpCode.Create => new MultiResult(OpCode.Create, ErrorCode.Ok, new PathRecord(r.Path!)),
            OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => new MultiResult(OpCode.Create2, ErrorCode.Ok, new Create2Response(r.Path!, r.Stat)),
            OpCode.SetData => new MultiResult(OpCode.SetData, ErrorCode.Ok, new StatResponse(r.Stat)),
            OpCode.Delete => new MultiResult(OpCode.Delete, ErrorCode.Ok, null),
            _ => new MultiResult(OpCode.Check, ErrorCode.Ok, null),
        };
    }
}
