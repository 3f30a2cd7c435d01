using Orleans.Coordination.Protocol.Jute;

namespace Orleans.Coordination.Protocol.Records;

/// <summary>An identity: scheme plus id (e.g. world:anyone, digest:user:hash, ip:127.0.0.1).</summary>
public sealed record Id(string Scheme, string Ident) : IJuteRecord<Id>
{
    public static readonly Id Anyone = new("world", "anyone");
    public static readonly Id AuthIds = new("auth", "");

    public static Id Read(ref JuteReader reader) => new(reader.ReadStringOrEmpty(), reader.ReadStringOrEmpty());

    public void Write(JuteWriter writer)
    {
        writer.WriteString(Scheme);
        writer.WriteString(Ident);
    }

    public override string ToString() => $"{Scheme}:{Ident}";
}

/// <summary>One access-control entry.</summary>
public sealed record Acl(Perms Perms, Id Id) : IJuteRecord<Acl>
{
    public static readonly IReadOnlyList<Acl> OpenAclUnsafe = [new(Perms.All, Id.Anyone)];
    public static readonly IReadOnlyList<Acl> CreatorAllAcl = [new(Perms.All, Id.AuthIds)];
    public static readonly IReadOnlyList<Acl> ReadAclUnsafe = [new(Perms.Read, Id.Anyone)];

    public static Acl Read(ref JuteReader reader) => new((Perms)reader.ReadInt(), Id.Read(ref reader));

    public void Write(JuteWriter writer)
    {
        writer.WriteInt((int)Perms);
        Id.Write(writer);
    }

    public static List<Acl>? ReadList(ref JuteReader reader)
    {
        var count = reader.ReadVectorCount();
        if (count < 0)
        {
            return null;
        }

        var list = new List<Acl>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(Read(ref reader));
        }

        return list;
    }

    public static void WriteList(JuteWriter writer, IReadOnlyList<Acl>? acl)
    {
        if (acl is null)
        {
            writer.WriteInt(-1);
            return;
        }

        writer.WriteInt(acl.Count);
        foreach (var a in acl)
        {
            a.Write(writer);
        }
    }
}

/// <summary>An authenticated identity as whoAmI reports it.</summary>
public sealed record ClientInfo(string AuthScheme, string User) : IJuteRecord<ClientInfo>
{
    public static ClientInfo Read(ref JuteReader reader) => new(reader.ReadStringOrEmpty(), reader.ReadStringOrEmpty());

    public void Write(JuteWriter writer)
    {
        writer.WriteString(AuthScheme);
        writer.WriteString(User);
    }
}
