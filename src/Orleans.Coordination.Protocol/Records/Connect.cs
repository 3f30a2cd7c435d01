using Orleans.Coordination.Protocol.Jute;

namespace Orleans.Coordination.Protocol.Records;

/// <summary>
/// The first frame of a connection (45 bytes; 44 for clients from 3.3 and earlier, which omit readOnly).
/// </summary>
public sealed record ConnectRequest(
    int ProtocolVersion,
    long LastZxidSeen,
    int TimeOut,
    long SessionId,
    byte[] Passwd,
    bool ReadOnly,
    bool HasReadOnlyField = true) : IJuteRecord<ConnectRequest>
{
    public static ConnectRequest Read(ref JuteReader reader)
    {
        var protocolVersion = reader.ReadInt();
        var lastZxid = reader.ReadLong();
        var timeout = reader.ReadInt();
        var sessionId = reader.ReadLong();
        var passwd = reader.ReadBuffer() ?? [];
        if (reader.AtEnd)
        {
            return new(protocolVersion, lastZxid, timeout, sessionId, passwd, false, HasReadOnlyField: false);
        }

        return new(protocolVersion, lastZxid, timeout, sessionId, passwd, reader.ReadBool());
    }

    public void Write(JuteWriter writer)
    {
        writer.WriteInt(ProtocolVersion);
        writer.WriteLong(LastZxidSeen);
        writer.WriteInt(TimeOut);
        writer.WriteLong(SessionId);
        writer.WriteBuffer(Passwd);
        if (HasReadOnlyField)
        {
            writer.WriteBool(ReadOnly);
        }
    }
}

/// <summary>The server's answer to <see cref="ConnectRequest"/> (37 bytes; 36 to old clients).</summary>
public sealed record ConnectResponse(
    int ProtocolVersion,
    int TimeOut,
    long SessionId,
    byte[] Passwd,
    bool ReadOnly,
    bool HasReadOnlyField = true) : IJuteRecord<ConnectResponse>
{
    public const int PasswordLength = 16;

    /// <summary>The response that tells a client its session is expired or its password wrong.</summary>
    public static ConnectResponse Expired(bool hasReadOnlyField) => new(0, 0, 0, new byte[PasswordLength], false, hasReadOnlyField);

    public static ConnectResponse Read(ref JuteReader reader)
    {
        var protocolVersion = reader.ReadInt();
        var timeout = reader.ReadInt();
        var sessionId = reader.ReadLong();
        var passwd = reader.ReadBuffer() ?? [];
        if (reader.AtEnd)
        {
            return new(protocolVersion, timeout, sessionId, passwd, false, HasReadOnlyField: false);
        }

        return new(protocolVersion, timeout, sessionId, passwd, reader.ReadBool());
    }

    public void Write(JuteWriter writer)
    {
        writer.WriteInt(ProtocolVersion);
        writer.WriteInt(TimeOut);
        writer.WriteLong(SessionId);
        writer.WriteBuffer(Passwd);
        if (HasReadOnlyField)
        {
            writer.WriteBool(ReadOnly);
        }
    }
}
