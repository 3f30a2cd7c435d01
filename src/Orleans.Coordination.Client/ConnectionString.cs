using System.Globalization;
using System.Net;
using Orleans.Coordination.Client.Internal;

namespace Orleans.Coordination.Client;

/// <summary>
/// A parsed connection string: <c>host:port,host:port[/chroot]</c>. A host without a port uses 2181; IPv6
/// addresses go in brackets (<c>[::1]:2181</c>). A chroot makes every path relative to that node: requests
/// are prefixed with it and results and watch events have it stripped.
/// </summary>
public sealed class ConnectionString
{
    /// <summary>The port a host without one gets.</summary>
    public const int DefaultPort = 2181;

    private ConnectionString(IReadOnlyList<DnsEndPoint> hosts, string? chroot)
    {
        Hosts = hosts;
        Chroot = chroot;
    }

    /// <summary>The servers, in the order written.</summary>
    public IReadOnlyList<DnsEndPoint> Hosts { get; }

    /// <summary>The chroot path, or null when there is none (or it is "/").</summary>
    public string? Chroot { get; }

    /// <summary>Parses <paramref name="value"/>; throws <see cref="FormatException"/> when it is malformed.</summary>
    public static ConnectionString Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.Trim();
        string? chroot = null;
        var slash = text.IndexOf('/');
        if (slash >= 0)
        {
            chroot = text[slash..];
            text = text[..slash];
            if (chroot == "/")
            {
                chroot = null;
            }
            else if (!PathUtils.IsValid(chroot, out var why))
            {
                throw new FormatException($"invalid chroot '{chroot}': {why}");
            }
        }

        var hosts = new List<DnsEndPoint>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            hosts.Add(ParseHost(part));
        }

        if (hosts.Count == 0)
        {
            throw new FormatException($"connection string '{value}' names no host");
        }

        return new ConnectionString(hosts, chroot);
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(",", Hosts.Select(h => h.Host.Contains(':', StringComparison.Ordinal) ? $"[{h.Host}]:{h.Port}" : $"{h.Host}:{h.Port}")) + Chroot;

    private static DnsEndPoint ParseHost(string part)
    {
        string host;
        string? port = null;
        if (part.StartsWith('['))
        {
            var close = part.IndexOf(']');
            if (close < 0)
            {
                throw new FormatException($"unterminated IPv6 address in '{part}'");
            }

            host = part[1..close];
            var rest = part[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    throw new FormatException($"unexpected '{rest}' after the address in '{part}'");
                }

                port = rest[1..];
            }
        }
        else
        {
            var colon = part.LastIndexOf(':');
            host = colon < 0 ? part : part[..colon];
            port = colon < 0 ? null : part[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            throw new FormatException($"empty host in '{part}'");
        }

        var portNumber = DefaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) || portNumber is < 1 or > 65535))
        {
            throw new FormatException($"invalid port in '{part}'");
        }

        return new DnsEndPoint(host, portNumber);
    }
}
