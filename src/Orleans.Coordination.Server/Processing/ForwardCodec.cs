using System.Buffers;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Server.Processing;

/// <summary>What a follower asks of the leader's shell through <c>ReplicaCore.Forward</c>.</summary>
internal enum ForwardKind : byte
{
    /// <summary>A client's write: session, auth ids, then the request frame as the client sent it.</summary>
    Request = 1,

    /// <summary>A new session accepted on the follower: id, negotiated timeout, password.</summary>
    CreateSession = 2,

    /// <summary>Sessions with a live connection on the follower: they must not expire. No reply.</summary>
    Touch = 3,
}

/// <summary>The leader shell's answer to a forwarded request that produced no txn.</summary>
internal enum ForwardAnswer : byte
{
    /// <summary>The request failed prep: an error code, sent once <c>WaitZxid</c> is applied.</summary>
    Error = 1,

    /// <summary>A multi failed prep: per-op results.</summary>
    FailedMulti = 2,
}

/// <summary>
/// Byte layouts of forwarded requests and their answers (jute encoding, big-endian). They travel inside the
/// replication core's ForwardRequest/ForwardReply messages, which are opaque to it.
/// </summary>
internal static class ForwardCodec
{
    public static byte[] Request(long sessionId, IReadOnlyList<Id> authIds, int xid, OpCode type, IJuteRecord? request)
    {
        using var w = new JuteWriter(256);
        w.WriteRaw([(byte)ForwardKind.Request]);
        w.WriteLong(sessionId);
        w.WriteInt(authIds.Count);
        foreach (var id in authIds)
        {
            id.Write(w);
        }

        w.WriteInt(xid);
        w.WriteInt((int)type);
        request?.Write(w);
        return w.ToArray();
    }

    public static byte[] CreateSession(long sessionId, int timeout, byte[] passwd)
    {
        using var w = new JuteWriter(64);
        w.WriteRaw([(byte)ForwardKind.CreateSession]);
        w.WriteLong(sessionId);
        w.WriteInt(timeout);
        w.WriteBuffer(passwd);
        return w.ToArray();
    }

    public static byte[] Touch(IReadOnlyCollection<long> sessions)
    {
        using var w = new JuteWriter(8 + (8 * sessions.Count));
        w.WriteRaw([(byte)ForwardKind.Touch]);
        w.WriteInt(sessions.Count);
        foreach (var s in sessions)
        {
            w.WriteLong(s);
        }

        return w.ToArray();
    }

    public static byte[] Error(ErrorCode err, long waitZxid)
    {
        using var w = new JuteWriter(16);
        w.WriteRaw([(byte)ForwardAnswer.Error]);
        w.WriteInt((int)err);
        w.WriteLong(waitZxid);
        return w.ToArray();
    }

    public static byte[] FailedMulti(IReadOnlyList<MultiResult> results, long waitZxid)
    {
        using var w = new JuteWriter(64);
        w.WriteRaw([(byte)ForwardAnswer.FailedMulti]);
        w.WriteLong(waitZxid);
        new MultiResponse(results).Write(w);
        return w.ToArray();
    }

    /// <summary>A decoded forwarded message.</summary>
    public sealed record Forwarded(ForwardKind Kind, long SessionId)
    {
        public IReadOnlyList<Id> AuthIds { get; init; } = [];

        public int Xid { get; init; }

        public OpCode Type { get; init; }

        public IJuteRecord? Request { get; init; }

        public int Timeout { get; init; }

        public byte[] Passwd { get; init; } = [];

        public IReadOnlyList<long> Sessions { get; init; } = [];
    }

    /// <summary>Decodes a forwarded message; throws <see cref="JuteException"/> when it is malformed.</summary>
    public static Forwarded Decode(byte[] payload, int maxBuffer)
    {
        if (payload.Length == 0)
        {
            throw new JuteException("empty forwarded request");
        }

        var kind = (ForwardKind)payload[0];
        var r = new JuteReader(payload.AsSpan(1), int.MaxValue);
        switch (kind)
        {
            case ForwardKind.Request:
            {
                var sessionId = r.ReadLong();
                var n = r.ReadInt();
                if (n is < 0 or > 1024)
                {
                    throw new JuteException($"bad auth id count {n}");
                }

                var ids = new List<Id>(n);
                for (var i = 0; i < n; i++)
                {
                    ids.Add(Id.Read(ref r));
                }

                var consumed = payload.Length - 1 - r.Remaining;
                var (xid, type, request) = Network.ClientConnection.DecodeRequest(new ReadOnlySequence<byte>(payload, 1 + consumed, payload.Length - 1 - consumed), maxBuffer);
                return new Forwarded(kind, sessionId) { AuthIds = ids, Xid = xid, Type = type, Request = request };
            }

            case ForwardKind.CreateSession:
            {
                var sessionId = r.ReadLong();
                var timeout = r.ReadInt();
                var passwd = r.ReadBuffer() ?? [];
                return new Forwarded(kind, sessionId) { Timeout = timeout, Passwd = passwd };
            }

            case ForwardKind.Touch:
            {
                var n = r.ReadInt();
                if (n < 0 || n > r.Remaining / 8)
                {
                    throw new JuteException($"bad session count {n}");
                }

                var sessions = new long[n];
                for (var i = 0; i < n; i++)
                {
                    sessions[i] = r.ReadLong();
                }

                return new Forwarded(kind, 0) { Sessions = sessions };
            }

            default:
                throw new JuteException($"unknown forwarded kind {(int)kind}");
        }
    }
}
