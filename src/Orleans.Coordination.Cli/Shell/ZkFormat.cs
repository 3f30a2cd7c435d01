using System.Globalization;
using System.Text;
using Orleans.Coordination.Client;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Cli.Shell;

/// <summary>Text as zkCli (Apache ZooKeeper 3.8) prints it: Stat fields, dates, ACLs, data and error messages.</summary>
internal static class ZkFormat
{
    /// <summary>A failure the shell reports with a message and a non-zero status, as zkCli does.</summary>
    public static string ErrorMessage(KeeperException e)
    {
        var path = e.Path ?? "null";
        return e switch
        {
            NoNodeException => $"Node does not exist: {path}",
            NoChildrenForEphemeralsException => $"Ephemerals cannot have children: {path}",
            NodeExistsException => $"Node already exists: {path}",
            NotEmptyException => $"Node not empty: {path}",
            NotReadOnlyException => $"Not a read-only call: {path}",
            InvalidAclException => $"Acl is not valid : {path}",
            NoAuthException => $"Insufficient permission : {path}",
            BadArgumentsException => $"Argument is not valid : {path}",
            BadVersionException => $"version No is not valid : {path}",
            ReconfigInProgressException => "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)",
            NewConfigNoQuorumException => "No quorum of new config is connected and up-to-date with the leader of last commmitted config - try invoking reconfiguration after new servers are connected and synced",
            _ => KeeperErrorCode(e.Code, e.Path),
        };
    }

    /// <summary>KeeperException.getMessage() of the Java client: "KeeperErrorCode = NoNode for /path".</summary>
    public static string KeeperErrorCode(ErrorCode code, string? path) =>
        $"KeeperErrorCode = {CodeMessage(code)}" + (string.IsNullOrEmpty(path) ? "" : $" for {path}");

    /// <summary>KeeperException.Code's message text in the Java client.</summary>
    public static string CodeMessage(ErrorCode code) => code switch
    {
        ErrorCode.Ok => "ok",
        ErrorCode.ApiError => "APIError",
        ErrorCode.InvalidAcl => "InvalidACL",
        ErrorCode.SessionExpired => "Session expired",
        ErrorCode.InvalidCallback => "Invalid callback",
        ErrorCode.SessionMoved => "Session moved",
        ErrorCode.NotReadOnly => "Not a read-only call",
        ErrorCode.EphemeralOnLocalSession => "Ephemeral node on local session",
        ErrorCode.NoWatcher => "No such watcher",
        ErrorCode.RequestTimeout => "Request timeout",
        ErrorCode.ReconfigDisabled => "Reconfig is disabled",
        ErrorCode.SessionClosedRequireSaslAuth => "Session closed because client failed to authenticate",
        ErrorCode.QuotaExceeded => "Quota has exceeded",
        ErrorCode.ThrottledOp => "Op throttled due to high load",
        ErrorCode.UnknownSession => "Unknown session",
        _ => code.ToString(),
    };

    /// <summary>java.util.Date.toString() for a time in ms since the epoch, always in UTC ("Thu Jan 01 00:00:00 UTC 1970").</summary>
    public static string JavaDate(long epochMilliseconds)
    {
        var clamped = Math.Clamp(epochMilliseconds, -62135596800000L, 253402300799999L);
        var time = DateTimeOffset.FromUnixTimeMilliseconds(clamped).UtcDateTime;
        return time.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);
    }

    /// <summary>StatPrinter's lines.</summary>
    public static IEnumerable<string> StatLines(Stat stat, string indent = "")
    {
        yield return $"{indent}cZxid = 0x{stat.Czxid:x}";
        yield return $"{indent}ctime = {JavaDate(stat.Ctime)}";
        yield return $"{indent}mZxid = 0x{stat.Mzxid:x}";
        yield return $"{indent}mtime = {JavaDate(stat.Mtime)}";
        yield return $"{indent}pZxid = 0x{stat.Pzxid:x}";
        yield return $"{indent}cversion = {stat.Cversion}";
        yield return $"{indent}dataVersion = {stat.Version}";
        yield return $"{indent}aclVersion = {stat.Aversion}";
        yield return $"{indent}ephemeralOwner = 0x{stat.EphemeralOwner:x}";
        yield return $"{indent}dataLength = {stat.DataLength}";
        yield return $"{indent}numChildren = {stat.NumChildren}";
    }

    /// <summary>Data as zkCli prints it: the bytes as UTF-8 text, or "null" for a node without data.</summary>
    public static string Data(byte[]? data) => data is null ? "null" : Encoding.UTF8.GetString(data);

    /// <summary>A Java List.toString(): "[a, b, c]".</summary>
    public static string JavaList(IEnumerable<string> items) => "[" + string.Join(", ", items) + "]";

    /// <summary>ZooKeeper's permission string, in its order: c d r w a.</summary>
    public static string Perms(Perms perms)
    {
        var sb = new StringBuilder(5);
        if ((perms & Protocol.Perms.Create) != 0)
        {
            sb.Append('c');
        }

        if ((perms & Protocol.Perms.Delete) != 0)
        {
            sb.Append('d');
        }

        if ((perms & Protocol.Perms.Read) != 0)
        {
            sb.Append('r');
        }

        if ((perms & Protocol.Perms.Write) != 0)
        {
            sb.Append('w');
        }

        if ((perms & Protocol.Perms.Admin) != 0)
        {
            sb.Append('a');
        }

        return sb.ToString();
    }

    /// <summary>getAcl's two lines per entry: "'world,'anyone" and ": cdrwa".</summary>
    public static IEnumerable<string> AclLines(IEnumerable<Acl> acl)
    {
        foreach (var a in acl)
        {
            yield return $"'{a.Id.Scheme},'{a.Id.Ident}";
            yield return $": {Perms(a.Perms)}";
        }
    }

    /// <summary>
    /// AclParser.parse of zkCli: "scheme:id:perm[,scheme:id:perm...]". Malformed entries are reported through
    /// <paramref name="warn"/> and skipped, as zkCli does.
    /// </summary>
    public static List<Acl> ParseAcl(string text, Action<string> warn)
    {
        var result = new List<Acl>();
        foreach (var entry in text.Split(','))
        {
            var first = entry.IndexOf(':', StringComparison.Ordinal);
            var last = entry.LastIndexOf(':');
            if (first == -1 || last == -1 || first == last)
            {
                warn($"{entry} does not have the form scheme:id:perm");
                continue;
            }

            var perms = Protocol.Perms.None;
            foreach (var c in entry[(last + 1)..])
            {
                switch (c)
                {
                    case 'r':
                        perms |= Protocol.Perms.Read;
                        break;
                    case 'w':
                        perms |= Protocol.Perms.Write;
                        break;
                    case 'c':
                        perms |= Protocol.Perms.Create;
                        break;
                    case 'd':
                        perms |= Protocol.Perms.Delete;
                        break;
                    case 'a':
                        perms |= Protocol.Perms.Admin;
                        break;
                    default:
                        warn($"Unknown perm type: {c}");
                        break;
                }
            }

            result.Add(new Acl(perms, new Id(entry[..first], entry[(first + 1)..last])));
        }

        return result;
    }

    /// <summary>The client connection state as the Java client names it (ZooKeeper.States), for the prompt.</summary>
    public static string StateName(ConnectionState? state) => state switch
    {
        null => "CLOSED",
        ConnectionState.NotStarted => "NOT_CONNECTED",
        ConnectionState.Connected or ConnectionState.Reconnected => "CONNECTED",
        ConnectionState.Suspended => "CONNECTING",
        ConnectionState.ReadOnly => "CONNECTEDREADONLY",
        ConnectionState.Lost or ConnectionState.Closed => "CLOSED",
        _ => state.ToString()!.ToUpperInvariant(),
    };

    /// <summary>WatchedEvent.toString() of the Java client.</summary>
    public static string WatchedEvent(KeeperState state, EventType type, string? path) =>
        $"WatchedEvent state:{state} type:{type} path:{path ?? "null"}";
}

/// <summary>A command failed in a way zkCli reports with a message (on stderr) and status 1.</summary>
internal class CliException(string message) : Exception(message);

/// <summary>A command was given wrong arguments: its usage line is printed.</summary>
internal sealed class CliUsageException(string message) : CliException(message);
