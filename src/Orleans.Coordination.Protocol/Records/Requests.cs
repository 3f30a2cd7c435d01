using Orleans.Coordination.Protocol.Jute;

namespace Orleans.Coordination.Protocol.Records;

/// <summary>create (1), create2 (15), createContainer (19).</summary>
public sealed record CreateRequest(string Path, byte[]? Data, IReadOnlyList<Acl>? Acl, int Flags) : IJuteRecord<CreateRequest>
{
    public static CreateRequest Read(ref JuteReader reader) =>
        new(reader.ReadStringOrEmpty(), reader.ReadBuffer(), Records.Acl.ReadList(ref reader), reader.ReadInt());

    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        Records.Acl.WriteList(writer, Acl);
        writer.WriteInt(Flags);
    }
}

/// <summary>createTTL (21).</summary>
public sealed record CreateTtlRequest(string Path, byte[]? Data, IReadOnlyList<Acl>? Acl, int Flags, long Ttl) : IJuteRecord<CreateTtlRequest>
{
    public static CreateTtlRequest Read(ref JuteReader reader) =>
        new(reader.ReadStringOrEmpty(), reader.ReadBuffer(), Records.Acl.ReadList(ref reader), reader.ReadInt(), reader.ReadLong());

    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        Records.Acl.WriteList(writer, Acl);
        writer.WriteInt(Flags);
        writer.WriteLong(Ttl);
    }
}

/// <summary>delete (2).</summary>
public sealed record DeleteRequest(string Path, int Version) : IJuteRecord<DeleteRequest>
{
    public static DeleteRequest Read(ref JuteReader reader) => new(reader.ReadStringOrEmpty(), reader.ReadInt());

    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt(Version);
    }
}

/// <summary>check (13), only valid inside multi.</summary>
public sealed record CheckVersionRequest(string Path, int Version) : IJuteRecord<CheckVersionRequest>
{
    public static CheckVersionRequest Read(ref JuteReader reader) => new(reader.ReadStringOrEmpty(), reader.ReadInt());

    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt(Version);
    }
}

/// <summary>exists (3), getData (4), getChildren (8), getChildren2 (12): a path and a watch flag.</summary>
public sealed record PathWatchRequest(string Path, bool Watch) : IJuteRecord<PathWatchRequest>
{
    public static PathWatchRequest Read(ref JuteReader reader) => new(reader.ReadStringOrEmpty(), reader.ReadBool());

    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBool(Watch);
    }
}

/// <summary>
/// Requests whose body is a single path: getACL (6), sync (9), getEphemerals (103),
/// getAllChildrenNumber (104); also the responses create (1) and sync (9).
/// </summary>
public sealed record PathRecord(string Path) : IJuteRecord<PathRecord>
{
    public static PathRecord Read(ref JuteReader reader) => new(reader.ReadStringOrEmpty());

    public void Write(JuteWriter writer) => writer.WriteString(Path);
}

/// <summary>setData (5).</summary>
public sealed record SetDataRequest(string Path, byte[]? Data, int Version) : IJuteRecord<SetDataRequest>
{
    public static SetDataRequest Read(ref JuteReader reader) => new(reader.ReadStringOrEmpty(), reader.ReadBuffer(), reader.ReadInt());

    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteInt(Version);
    }
}

/// <summary>setACL (7); the version is checked against aversion.</summary>
public sealed record SetAclRequest(string Path, IReadOnlyList<Acl>? Acl, int Version) : IJuteRecord<SetAclRequest>
{
    public static SetAclRequest Read(ref JuteReader reader) => new(reader.ReadStringOrEmpty(), Records.Acl.ReadList(ref reader), reader.ReadInt());

    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        Records.Acl.WriteList(writer, Acl);
        writer.WriteInt(Version);
    }
}

/// <summary>checkWatches (17) and removeWatches (18).</summary>
public sealed record WatchesRequest(string Path, WatcherType Type) : IJuteRecord<WatchesRequest>
{
    public static WatchesRequest Read(ref JuteReader reader) => new(reader.ReadStringOrEmpty(), (WatcherType)reader.ReadInt());

    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt((int)Type);
    }
}

/// <summary>addWatch (106).</summary>
public sealed record AddWatchRequest(string Path, AddWatchMode Mode) : IJuteRecord<AddWatchRequest>
{
    public static AddWatchRequest Read(ref JuteReader reader) => new(reader.ReadStringOrEmpty(), (AddWatchMode)reader.ReadInt());

    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt((int)Mode);
    }
}

/// <summary>auth (100), sent with xid -4.</summary>
public sealed record AuthPacket(int Type, string Scheme, byte[]? Auth) : IJuteRecord<AuthPacket>
{
    public static AuthPacket Read(ref JuteReader reader) => new(reader.ReadInt(), reader.ReadStringOrEmpty(), reader.ReadBuffer());

    public void Write(JuteWriter writer)
    {
        writer.WriteInt(Type);
        writer.WriteString(Scheme);
        writer.WriteBuffer(Auth);
    }
}

/// <summary>setWatches (101) and setWatches2 (105, which adds the persistent lists).</summary>
public sealed record SetWatchesRequest(
    long RelativeZxid,
    IReadOnlyList<string> DataWatches,
    IReadOnlyList<string> ExistWatches,
    IReadOnlyList<string> ChildWatches,
    IReadOnlyList<string> PersistentWatches,
    IReadOnlyList<string> PersistentRecursiveWatches,
    bool IsVersion2) : IJuteRecord
{
    public static SetWatchesRequest Read(ref JuteReader reader, bool version2)
    {
        var zxid = reader.ReadLong();
        var data = reader.ReadStringList() ?? [];
        var exist = reader.ReadStringList() ?? [];
        var child = reader.ReadStringList() ?? [];
        if (!version2)
        {
            return new(zxid, data, exist, child, [], [], false);
        }

        var persistent = reader.ReadStringList() ?? [];
        var recursive = reader.ReadStringList() ?? [];
        return new(zxid, data, exist, child, persistent, recursive, true);
    }

    public void Write(JuteWriter writer)
    {
        writer.WriteLong(RelativeZxid);
        writer.WriteStringList(DataWatches);
        writer.WriteStringList(ExistWatches);
        writer.WriteStringList(ChildWatches);
        if (IsVersion2)
        {
            writer.WriteStringList(PersistentWatches);
            writer.WriteStringList(PersistentRecursiveWatches);
        }
    }
}

/// <summary>reconfig (16).</summary>
public sealed record ReconfigRequest(string? JoiningServers, string? LeavingServers, string? NewMembers, long CurConfigId) : IJuteRecord<ReconfigRequest>
{
    public static ReconfigRequest Read(ref JuteReader reader) => new(reader.ReadString(), reader.ReadString(), reader.ReadString(), reader.ReadLong());

    public void Write(JuteWriter writer)
    {
        writer.WriteString(JoiningServers);
        writer.WriteString(LeavingServers);
        writer.WriteString(NewMembers);
        writer.WriteLong(CurConfigId);
    }
}

/// <summary>sasl (102) request and response: one token buffer. Also deleteContainer's path-as-buffer body.</summary>
public sealed record BufferRecord(byte[]? Token) : IJuteRecord<BufferRecord>
{
    public static BufferRecord Read(ref JuteReader reader) => new(reader.ReadBuffer());

    public void Write(JuteWriter writer) => writer.WriteBuffer(Token);
}
