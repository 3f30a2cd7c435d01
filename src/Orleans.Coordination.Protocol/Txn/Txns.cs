using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Protocol.Txn;

/// <summary>Types of state changes. Values follow the opcodes where one exists.</summary>
public enum TxnType
{
    Create = 1,
    Delete = 2,
    SetData = 5,
    SetAcl = 7,
    Check = 13,
    Multi = 14,
    CreateSession = -10,
    CloseSession = -11,
    Error = -1,
}

/// <summary>
/// Who asked for a change, when, and the zxid the sequencer stamped on it. Time is the leader's clock
/// in ms, so that every silo derives the same ctime/mtime.
/// </summary>
public readonly record struct TxnHeader(long SessionId, int Cxid, long Zxid, long Time, TxnType Type)
{
    public void Write(JuteWriter writer)
    {
        writer.WriteLong(SessionId);
        writer.WriteInt(Cxid);
        writer.WriteLong(Zxid);
        writer.WriteLong(Time);
        writer.WriteInt((int)Type);
    }

    public static TxnHeader Read(ref JuteReader reader) =>
        new(reader.ReadLong(), reader.ReadInt(), reader.ReadLong(), reader.ReadLong(), (TxnType)reader.ReadInt());
}

/// <summary>The body of a change. Applying it is deterministic: every silo reaches the same tree.</summary>
public abstract record TxnBody
{
    public abstract TxnType Type { get; }

    public abstract void Write(JuteWriter writer);

    public static TxnBody Read(TxnType type, ref JuteReader reader) => type switch
    {
        TxnType.Create => CreateTxn.Read(ref reader),
        TxnType.Delete => new DeleteTxn(reader.ReadStringOrEmpty()),
        TxnType.SetData => new SetDataTxn(reader.ReadStringOrEmpty(), reader.ReadBuffer(), reader.ReadInt()),
        TxnType.SetAcl => new SetAclTxn(reader.ReadStringOrEmpty(), Acl.ReadList(ref reader) ?? [], reader.ReadInt()),
        TxnType.Check => new CheckTxn(reader.ReadStringOrEmpty(), reader.ReadInt()),
        TxnType.Multi => MultiTxn.Read(ref reader),
        TxnType.CreateSession => new CreateSessionTxn(reader.ReadInt(), reader.ReadBuffer() ?? []),
        TxnType.CloseSession => new CloseSessionTxn(),
        TxnType.Error => new ErrorTxn((ErrorCode)reader.ReadInt()),
        _ => throw new JuteException($"unknown txn type {(int)type}"),
    };
}

/// <summary>
/// Creates a node. <see cref="EphemeralOwner"/> is the stored value (session id, container marker, TTL
/// marker or 0). <see cref="ParentCversion"/> is the parent's stored cversion after this create.
/// </summary>
public sealed record CreateTxn(string Path, byte[]? Data, IReadOnlyList<Acl> Acl, long EphemeralOwner, int ParentCversion, OpCode RequestType) : TxnBody
{
    public override TxnType Type => TxnType.Create;

    public static CreateTxn Read(ref JuteReader reader) => new(
        reader.ReadStringOrEmpty(),
        reader.ReadBuffer(),
        Records.Acl.ReadList(ref reader) ?? [],
        reader.ReadLong(),
        reader.ReadInt(),
        (OpCode)reader.ReadInt());

    public override void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        Records.Acl.WriteList(writer, Acl);
        writer.WriteLong(EphemeralOwner);
        writer.WriteInt(ParentCversion);
        writer.WriteInt((int)RequestType);
    }
}

public sealed record DeleteTxn(string Path) : TxnBody
{
    public override TxnType Type => TxnType.Delete;

    public override void Write(JuteWriter writer) => writer.WriteString(Path);
}

/// <summary>Sets data; <see cref="Version"/> is the node's version after the change.</summary>
public sealed record SetDataTxn(string Path, byte[]? Data, int Version) : TxnBody
{
    public override TxnType Type => TxnType.SetData;

    public override void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteBuffer(Data);
        writer.WriteInt(Version);
    }
}

/// <summary>Sets the ACL; <see cref="Version"/> is the node's aversion after the change.</summary>
public sealed record SetAclTxn(string Path, IReadOnlyList<Acl> Acl, int Version) : TxnBody
{
    public override TxnType Type => TxnType.SetAcl;

    public override void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        Records.Acl.WriteList(writer, Acl);
        writer.WriteInt(Version);
    }
}

/// <summary>A version check inside multi; changes nothing.</summary>
public sealed record CheckTxn(string Path, int Version) : TxnBody
{
    public override TxnType Type => TxnType.Check;

    public override void Write(JuteWriter writer)
    {
        writer.WriteString(Path);
        writer.WriteInt(Version);
    }
}

/// <summary>Opens a session whose id is the header's SessionId.</summary>
public sealed record CreateSessionTxn(int TimeOut, byte[] Passwd) : TxnBody
{
    public override TxnType Type => TxnType.CreateSession;

    public override void Write(JuteWriter writer)
    {
        writer.WriteInt(TimeOut);
        writer.WriteBuffer(Passwd);
    }
}

/// <summary>Closes (or expires) the header's session and deletes its ephemeral nodes.</summary>
public sealed record CloseSessionTxn : TxnBody
{
    public override TxnType Type => TxnType.CloseSession;

    public override void Write(JuteWriter writer)
    {
    }
}

/// <summary>A failed op inside multi.</summary>
public sealed record ErrorTxn(ErrorCode Err) : TxnBody
{
    public override TxnType Type => TxnType.Error;

    public override void Write(JuteWriter writer) => writer.WriteInt((int)Err);
}

/// <summary>An atomic group of changes sharing one zxid.</summary>
public sealed record MultiTxn(IReadOnlyList<TxnBody> Ops) : TxnBody
{
    public override TxnType Type => TxnType.Multi;

    public static MultiTxn Read(ref JuteReader reader)
    {
        var count = reader.ReadVectorCount();
        var ops = new List<TxnBody>(Math.Max(0, count));
        for (var i = 0; i < count; i++)
        {
            var type = (TxnType)reader.ReadInt();
            if (type == TxnType.Multi)
            {
                // Multi ops are never nested; refusing here also bounds decoding recursion.
                throw new JuteException("a multi txn cannot contain another multi");
            }

            ops.Add(TxnBody.Read(type, ref reader));
        }

        return new(ops);
    }

    public override void Write(JuteWriter writer)
    {
        writer.WriteInt(Ops.Count);
        foreach (var op in Ops)
        {
            writer.WriteInt((int)op.Type);
            op.Write(writer);
        }
    }
}

/// <summary>A header and body: the unit the sequencer stamps, the log stores and every silo applies.</summary>
public sealed record Transaction(TxnHeader Header, TxnBody Body)
{
    public long Zxid => Header.Zxid;

    public void Write(JuteWriter writer)
    {
        Header.Write(writer);
        Body.Write(writer);
    }

    public byte[] Serialize()
    {
        using var w = new JuteWriter();
        Write(w);
        return w.ToArray();
    }

    public static Transaction Read(ref JuteReader reader)
    {
        var header = TxnHeader.Read(ref reader);
        return new(header, TxnBody.Read(header.Type, ref reader));
    }

    public static Transaction Deserialize(ReadOnlySpan<byte> bytes)
    {
        var reader = new JuteReader(bytes, int.MaxValue);
        return Read(ref reader);
    }
}
