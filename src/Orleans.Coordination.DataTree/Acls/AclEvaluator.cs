using System.Security.Cryptography;
using System.Text;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Acls;

/// <summary>ACL checks, digest hashing, and the fix-up applied to ACLs on create and setACL.</summary>
public static class AclEvaluator
{
    /// <summary>True if <paramref name="ids"/> may perform <paramref name="perm"/> on a node with <paramref name="acl"/>.</summary>
    public static bool Allows(IReadOnlyList<Acl>? acl, Perms perm, IReadOnlyList<Id> ids)
    {
        if (acl is null || acl.Count == 0)
        {
            return true;
        }

        foreach (var id in ids)
        {
            if (id.Scheme == "super")
            {
                return true;
            }
        }

        foreach (var a in acl)
        {
            if ((a.Perms & perm) == 0)
            {
                continue;
            }

            if (a.Id.Scheme == "world" && a.Id.Ident == "anyone")
            {
                return true;
            }

            foreach (var id in ids)
            {
                if (id.Scheme != a.Id.Scheme)
                {
                    continue;
                }

                if (id.Scheme == "ip" ? IpMatches(a.Id.Ident, id.Ident) : id.Ident == a.Id.Ident)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>"user:" + base64(SHA1("user:password")), as ZooKeeper's DigestAuthenticationProvider stores it.</summary>
    public static string DigestId(string userPassword)
    {
        var colon = userPassword.IndexOf(':');
        var user = colon < 0 ? userPassword : userPassword[..colon];
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes(userPassword));
        return user + ":" + Convert.ToBase64String(hash);
    }

    /// <summary>
    /// Validates and expands an ACL on create/setACL: null/empty or an invalid entry gives INVALIDACL;
    /// auth ids are replaced by the caller's authenticated (non-ip) ids.
    /// </summary>
    public static ErrorCode FixUp(IReadOnlyList<Acl>? acl, IReadOnlyList<Id> authIds, out IReadOnlyList<Acl> fixedAcl)
    {
        fixedAcl = [];
        if (acl is null || acl.Count == 0)
        {
            return ErrorCode.InvalidAcl;
        }

        var result = new List<Acl>(acl.Count);
        foreach (var a in acl)
        {
            var scheme = a.Id.Scheme;
            switch (scheme)
            {
                case "world":
                    if (a.Id.Ident != "anyone")
                    {
                        return ErrorCode.InvalidAcl;
                    }

                    Add(result, a);
                    break;
                case "auth":
                    var any = false;
                    foreach (var id in authIds)
                    {
                        if (id.Scheme is "ip" or "world" or "super")
                        {
                            continue;
                        }

                        any = true;
                        Add(result, new Acl(a.Perms, id));
                    }

                    if (!any)
                    {
                        return ErrorCode.InvalidAcl;
                    }

                    break;
                case "digest":
                    // ZooKeeper's DigestAuthenticationProvider.isValid: exactly "user:hash".
                    if (a.Id.Ident.TrimEnd(':').Split(':').Length != 2)
                    {
                        return ErrorCode.InvalidAcl;
                    }

                    Add(result, a);
                    break;
                case "ip":
                    if (!IsValidIpPattern(a.Id.Ident))
                    {
                        return ErrorCode.InvalidAcl;
                    }

                    Add(result, a);
                    break;
                case "super":
                case "sasl":
                case "x509":
                    if (string.IsNullOrEmpty(a.Id.Ident))
                    {
                        return ErrorCode.InvalidAcl;
                    }

                    Add(result, a);
                    break;
                default:
                    return ErrorCode.InvalidAcl;
            }
        }

        fixedAcl = result;
        return ErrorCode.Ok;
    }

    /// <summary>getACL without ADMIN: digest ids are masked as "user:x".</summary>
    public static IReadOnlyList<Acl> Mask(IReadOnlyList<Acl> acl)
    {
        var masked = new List<Acl>(acl.Count);
        foreach (var a in acl)
        {
            if (a.Id.Scheme == "digest")
            {
                var colon = a.Id.Ident.IndexOf(':');
                var user = colon < 0 ? a.Id.Ident : a.Id.Ident[..colon];
                masked.Add(new Acl(a.Perms, new Id("digest", user + ":x")));
            }
            else
            {
                masked.Add(a);
            }
        }

        return masked;
    }

    private static void Add(List<Acl> list, Acl a)
    {
        if (!list.Contains(a))
        {
            list.Add(a);
        }
    }

    private static bool IsValidIpPattern(string pattern)
    {
        var slash = pattern.IndexOf('/');
        var addr = slash < 0 ? pattern : pattern[..slash];
        if (!System.Net.IPAddress.TryParse(addr, out var ip))
        {
            return false;
        }

        if (slash < 0)
        {
            return true;
        }

        var maxBits = ip.GetAddressBytes().Length * 8;
        return int.TryParse(pattern[(slash + 1)..], out var bits) && bits >= 0 && bits <= maxBits;
    }

    private static bool IpMatches(string pattern, string address)
    {
        var slash = pattern.IndexOf('/');
        var addr = slash < 0 ? pattern : pattern[..slash];
        if (!System.Net.IPAddress.TryParse(addr, out var net) || !System.Net.IPAddress.TryParse(address, out var ip))
        {
            return false;
        }

        var a = net.GetAddressBytes();
        var b = ip.GetAddressBytes();
        if (a.Length != b.Length)
        {
            return false;
        }

        var bits = slash < 0 ? a.Length * 8 : int.Parse(pattern[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < a.Length && bits > 0; i++, bits -= 8)
        {
            var mask = bits >= 8 ? 0xFF : (0xFF << (8 - bits)) & 0xFF;
            if ((a[i] & mask) != (b[i] & mask))
            {
                return false;
            }
        }

        return true;
    }
}
