using Orleans.Coordination.Protocol.Jute;

namespace Orleans.Coordination.Protocol.Records;

/// <summary>create2, createContainer and createTTL results: the created path and its Stat.</summary>
public sealed record Create2Response(string Path, Stat Stat) : IJuteRecord<Create2Response>
{
    public static Create2Response Read(ref JuteReader reader) => new(reader.ReadStringOrEmpty(), Stat.Read(ref reader));

    public void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        Stat.Write(writer);
    }
}

/// <summary>getData (4): the data (null as -1) and the Stat.</summary>
public sealed record GetDataResponse(byte[]? Data, Stat Stat) : IJuteRecord<GetDataResponse>
{
    public static GetDataResponse Read(ref JuteReader reader) => new(reader.ReadBuffer(), Stat.Read(ref reader));

    public void Write(JuteWriter writer)
    {
        writer.WriteBuffer(Data);
        Stat.Write(writer);
    }
}

/// <summary>
/// getData (4) as a server writes it: the same bytes as <see cref="GetDataResponse"/>, from data the server holds
/// without a copy (<paramref name="IsNull"/> writes the -1 length of null data).
/// </summary>
public sealed record GetDataReply(ReadOnlyMemory<byte> Data, bool IsNull, Stat Stat) : IJuteRecord
{
    public void Write(JuteWriter writer)
    {
        if (IsNull)
        {
            writer.WriteBuffer(null);
        }
        else
        {
            writer.WriteBuffer(Data.Span);
        }

        Stat.Write(writer);
    }
}

/// <summary>exists (3), setData (5), setACL (7): a Stat alone.</summary>
public sealed record StatResponse(Stat Stat) : IJuteRecord<StatResponse>
{
    public static StatResponse Read(ref JuteReader reader) => new(Stat.Read(ref reader));

    public void Write(JuteWriter writer) => Stat.Write(writer);
}

/// <summary>getACL (6).</summary>
public sealed record GetAclResponse(IReadOnlyList<Acl> Acl, Stat Stat) : IJuteRecord<GetAclResponse>
{
    public static GetAclResponse Read(ref JuteReader reader) => new(Records.Acl.ReadList(ref reader) ?? [], Stat.Read(ref reader));

    public void Write(JuteWriter writer)
    {
        Records.Acl.WriteList(writer, Acl);
        Stat.Write(writer);
    }
}

/// <summary>getChildren (8), getEphemerals (103): a vector of strings.</summary>
public sealed record StringListResponse(IReadOnlyList<string> Items) : IJuteRecord<StringListResponse>
{
    public static StringListResponse Read(ref JuteReader reader) => new(reader.ReadStringList() ?? []);

    public void Write(JuteWriter writer) => writer.WriteStringList(Items);
}

/// <summary>getChildren2 (12).</summary>
public sealed record GetChildren2Response(IReadOnlyList<string> Children, Stat Stat) : IJuteRecord<GetChildren2Response>
{
    public static GetChildren2Response Read(ref JuteReader reader) => new(reader.ReadStringList() ?? [], Stat.Read(ref reader));

    public void Write(JuteWriter writer)
    {
        writer.WriteStringList(Children);
        Stat.Write(writer);
    }
}

/// <summary>getAllChildrenNumber (104).</summary>
public sealed record CountResponse(int TotalNumber) : IJuteRecord<CountResponse>
{
    public static CountResponse Read(ref JuteReader reader) => new(reader.ReadInt());

    public void Write(JuteWriter writer) => writer.WriteInt(TotalNumber);
}

/// <summary>addWatch's body and the result of a failed op in multi.</summary>
public sealed record ErrorResponse(ErrorCode Err) : IJuteRecord<ErrorResponse>
{
    public static ErrorResponse Read(ref JuteReader reader) => new((ErrorCode)reader.ReadInt());

    public void Write(JuteWriter writer) => writer.WriteInt((int)Err);
}

/// <summary>whoAmI (107).</summary>
public sealed record WhoAmIResponse(IReadOnlyList<ClientInfo> ClientInfo) : IJuteRecord<WhoAmIResponse>
{
    public static WhoAmIResponse Read(ref JuteReader reader)
    {
        var count = reader.ReadVectorCount();
        var list = new List<ClientInfo>(Math.Max(0, count));
        for (var i = 0; i < count; i++)
        {
            list.Add(Records.ClientInfo.Read(ref reader));
        }

        return new(list);
    }

    public void Write(JuteWriter writer)
    {
        writer.WriteInt(ClientInfo.Count);
        foreach (var c in ClientInfo)
        {
            c.Write(writer);
        }
    }
}

/// <summary>A watch notification's body (xid -1).</summary>
public sealed record WatcherEvent(EventType Type, KeeperState State, string Path) : IJuteRecord<WatcherEvent>
{
    public static WatcherEvent Read(ref JuteReader reader) => new((EventType)reader.ReadInt(), (KeeperState)reader.ReadInt(), reader.ReadStringOrEmpty());

    public void Write(JuteWriter writer)
    {
        writer.WriteInt((int)Type);
        writer.WriteInt((int)State);
        writer.WriteString(Path);
    }
}
