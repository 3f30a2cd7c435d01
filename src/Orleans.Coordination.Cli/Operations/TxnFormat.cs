using System.Globalization;
using System.Text;
using System.Text.Json;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;

namespace Orleans.Coordination.Cli.Operations;

/// <summary>Transactions as text (zkTxnLogToolkit's layout, one line per record) and as JSON.</summary>
internal static class TxnFormat
{
    /// <summary>Java's DateFormat SHORT date, LONG time (en-US), in UTC: "11/22/26, 5:50:42 AM UTC".</summary>
    public static string ToolkitTime(long epochMilliseconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(epochMilliseconds, -62135596800000L, 253402300799999L)).UtcDateTime
            .ToString("M/d/yy, h:mm:ss tt 'UTC'", CultureInfo.InvariantCulture);

    public static string IsoTime(long epochMilliseconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(epochMilliseconds, -62135596800000L, 253402300799999L))
            .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>"11/22/26, 5:50:47 AM UTC session 0x1 cxid 0x1 zxid 0x3 create /a,hello,[31,s{'world,'anyone}],false,1".</summary>
    public static string Line(Transaction txn)
    {
        var h = txn.Header;
        var (type, details) = Describe(txn.Body);
        return $"{ToolkitTime(h.Time)} session 0x{h.SessionId:x} cxid 0x{h.Cxid:x} zxid 0x{h.Zxid:x} {type}{(details.Length > 0 ? " " + details : "")}";
    }

    /// <summary>The path a txn is about, or null (sessions, errors, multi).</summary>
    public static string? PathOf(TxnBody body) => body switch
    {
        CreateTxn c => c.Path,
        DeleteTxn d => d.Path,
        SetDataTxn s => s.Path,
        SetAclTxn a => a.Path,
        CheckTxn k => k.Path,
        _ => null,
    };

    /// <summary>The operation name as ZooKeeper's Request.op2String gives it.</summary>
    public static string TypeName(TxnBody body) => body switch
    {
        CreateTxn { RequestType: OpCode.CreateContainer } => "createContainer",
        CreateTxn { RequestType: OpCode.CreateTtl } => "createTtl",
        CreateTxn => "create",
        DeleteTxn => "delete",
        SetDataTxn => "setData",
        SetAclTxn => "setACL",
        CheckTxn => "check",
        MultiTxn => "multi",
        CreateSessionTxn => "createSession",
        CloseSessionTxn => "closeSession",
        ErrorTxn => "error",
        _ => body.Type.ToString(),
    };

    private static (string Type, string Details) Describe(TxnBody body)
    {
        var type = TypeName(body);
        var details = body switch
        {
            CreateTxn { RequestType: OpCode.CreateContainer } c => $"{c.Path},{DataText(c.Data)},{AclList(c.Acl)},{c.ParentCversion}",
            CreateTxn { RequestType: OpCode.CreateTtl } c => $"{c.Path},{DataText(c.Data)},{AclList(c.Acl)},{c.ParentCversion},{EphemeralOwners.TtlOf(c.EphemeralOwner)}",
            CreateTxn c => $"{c.Path},{DataText(c.Data)},{AclList(c.Acl)},{(EphemeralOwners.IsSession(c.EphemeralOwner) ? "true" : "false")},{c.ParentCversion}",
            DeleteTxn d => $"'{d.Path}",
            SetDataTxn s => $"{s.Path},{DataText(s.Data)},{s.Version}",
            SetAclTxn a => $"'{a.Path},{JuteAcl(a.Acl)},{a.Version}",
            CheckTxn k => $"'{k.Path},{k.Version}",
            CreateSessionTxn s => s.TimeOut.ToString(CultureInfo.InvariantCulture),
            CloseSessionTxn => "",
            ErrorTxn e => ((int)e.Err).ToString(CultureInfo.InvariantCulture),
            MultiTxn m => "[" + string.Join("; ", m.Ops.Select(op => Describe(op) is var (t, d) && d.Length > 0 ? $"{t} {d}" : t)) + "]",
            _ => "",
        };
        return (type, details);
    }

    /// <summary>Data as readable text when it is printable UTF-8, otherwise "#" and hex (as old zkTxnLogToolkit did).</summary>
    public static string DataText(byte[]? data)
    {
        if (data is null || data.Length == 0)
        {
            return "";
        }

        if (PrintableText(data) is { } text)
        {
            return text;
        }

        return "#" + Convert.ToHexStringLower(data);
    }

    private static string? PrintableText(byte[] data)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(data);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        return text.Any(c => char.IsControl(c) && c != '\t') ? null : text;
    }

    private static string AclList(IReadOnlyList<Acl> acl) =>
        "[" + string.Join(", ", acl.Select(a => $"{(int)a.Perms},s{{'{a.Id.Scheme},'{a.Id.Ident}}}")) + "]";

    private static string JuteAcl(IReadOnlyList<Acl> acl) =>
        "v{" + string.Join(",", acl.Select(a => $"s{{{(int)a.Perms},s{{'{a.Id.Scheme},'{a.Id.Ident}}}}}")) + "}";

    /// <summary>Writes one record as a JSON object.</summary>
    public static void WriteJson(Utf8JsonWriter w, Transaction txn)
    {
        var h = txn.Header;
        w.WriteStartObject();
        w.WriteString("zxid", $"0x{h.Zxid:x}");
        w.WriteNumber("epoch", h.Zxid >> 32);
        w.WriteNumber("counter", h.Zxid & 0xffffffffL);
        w.WriteString("time", IsoTime(h.Time));
        w.WriteNumber("timeMs", h.Time);
        w.WriteString("session", $"0x{h.SessionId:x}");
        w.WriteNumber("cxid", h.Cxid);
        WriteBody(w, txn.Body);
        w.WriteEndObject();
    }

    private static void WriteBody(Utf8JsonWriter w, TxnBody body)
    {
        w.WriteString("type", TypeName(body));
        if (PathOf(body) is { } path)
        {
            w.WriteString("path", path);
        }

        switch (body)
        {
            case CreateTxn c:
                WriteData(w, c.Data);
                WriteAcl(w, c.Acl);
                w.WriteString("ephemeralOwner", $"0x{c.EphemeralOwner:x}");
                w.WriteBoolean("ephemeral", EphemeralOwners.IsSession(c.EphemeralOwner));
                if (EphemeralOwners.IsTtl(c.EphemeralOwner))
                {
                    w.WriteNumber("ttl", EphemeralOwners.TtlOf(c.EphemeralOwner));
                }

                w.WriteNumber("parentCversion", c.ParentCversion);
                w.WriteString("requestType", c.RequestType.ToString());
                break;
            case SetDataTxn s:
                WriteData(w, s.Data);
                w.WriteNumber("version", s.Version);
                break;
            case SetAclTxn a:
                WriteAcl(w, a.Acl);
                w.WriteNumber("version", a.Version);
                break;
            case CheckTxn k:
                w.WriteNumber("version", k.Version);
                break;
            case CreateSessionTxn s:
                w.WriteNumber("timeout", s.TimeOut);
                break;
            case ErrorTxn e:
                w.WriteNumber("err", (int)e.Err);
                w.WriteString("errName", e.Err.ToString());
                break;
            case MultiTxn m:
                w.WriteStartArray("ops");
                foreach (var op in m.Ops)
                {
                    w.WriteStartObject();
                    WriteBody(w, op);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
        }
    }

    public static void WriteData(Utf8JsonWriter w, byte[]? data)
    {
        if (data is null)
        {
            w.WriteNull("data");
            return;
        }

        w.WriteBase64String("data", data);
        if (data.Length > 0 && PrintableText(data) is { } text)
        {
            w.WriteString("dataText", text);
        }
    }

    public static void WriteAcl(Utf8JsonWriter w, IReadOnlyList<Acl> acl)
    {
        w.WriteStartArray("acl");
        foreach (var a in acl)
        {
            w.WriteStartObject();
            w.WriteString("perms", Shell.ZkFormat.Perms(a.Perms));
            w.WriteNumber("permBits", (int)a.Perms);
            w.WriteString("scheme", a.Id.Scheme);
            w.WriteString("id", a.Id.Ident);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
