using System.Security.Cryptography;
using System.Text;
using Orleans.Coordination.DataTree.Acls;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Tests;

public sealed class AclEvaluatorTests
{
    private static readonly Id Localhost = new("ip", "127.0.0.1");

    private static IReadOnlyList<Id> Ids(params Id[] ids) => ids;

    [Fact]
    public void Digest_id_is_user_colon_base64_sha1_of_user_colon_password()
    {
        // The value ZooKeeper's documentation gives for super:admin.
        Assert.Equal("super:xQJmxLMiHGwaqBvst5y6rkB6HQs=", AclEvaluator.DigestId("super:admin"));
        var expected = "bob:" + Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes("bob:s3cret:with:colons")));
        Assert.Equal(expected, AclEvaluator.DigestId("bob:s3cret:with:colons"));
    }

    [Fact]
    public void Empty_or_null_acl_allows_everything()
    {
        Assert.True(AclEvaluator.Allows([], Perms.Admin, Ids(Localhost)));
        Assert.True(AclEvaluator.Allows(null, Perms.Delete, []));
    }

    [Fact]
    public void World_anyone_allows_only_its_permission_bits()
    {
        IReadOnlyList<Acl> acl = [new Acl(Perms.Read | Perms.Create, Id.Anyone)];
        Assert.True(AclEvaluator.Allows(acl, Perms.Read, []));
        Assert.True(AclEvaluator.Allows(acl, Perms.Create, Ids(Localhost)));
        Assert.False(AclEvaluator.Allows(acl, Perms.Write, Ids(Localhost)));
        Assert.False(AclEvaluator.Allows(acl, Perms.Admin, Ids(Localhost)));
    }

    [Fact]
    public void Digest_acl_matches_the_exact_id_only()
    {
        var bob = new Id("digest", AclEvaluator.DigestId("bob:pw"));
        IReadOnlyList<Acl> acl = [new Acl(Perms.All, bob)];
        Assert.True(AclEvaluator.Allows(acl, Perms.Write, Ids(Localhost, bob)));
        Assert.False(AclEvaluator.Allows(acl, Perms.Write, Ids(Localhost, new Id("digest", AclEvaluator.DigestId("bob:wrong")))));
        Assert.False(AclEvaluator.Allows(acl, Perms.Write, Ids(Localhost, new Id("sasl", bob.Ident))));
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("127.0.0.1", "127.0.0.2", false)]
    [InlineData("10.0.0.0/8", "10.200.3.4", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("192.168.1.0/24", "192.168.1.77", true)]
    [InlineData("192.168.1.0/24", "192.168.2.1", false)]
    [InlineData("192.168.1.128/25", "192.168.1.200", true)]
    [InlineData("192.168.1.128/25", "192.168.1.100", false)]
    [InlineData("1.2.3.4/32", "1.2.3.4", true)]
    [InlineData("1.2.3.4/32", "1.2.3.5", false)]
    [InlineData("0.0.0.0/0", "8.8.8.8", true)]
    [InlineData("fe80::/16", "fe80::1", true)]
    [InlineData("fe80::/16", "fe81::1", false)]
    [InlineData("::1", "::1", true)]
    [InlineData("127.0.0.1", "::1", false)]
    public void Ip_acl_matches_addresses_and_cidr_ranges(string pattern, string address, bool expected)
    {
        IReadOnlyList<Acl> acl = [new Acl(Perms.Read, new Id("ip", pattern))];
        Assert.Equal(expected, AclEvaluator.Allows(acl, Perms.Read, Ids(new Id("ip", address))));
    }

    [Fact]
    public void Super_bypasses_every_check()
    {
        IReadOnlyList<Acl> acl = [new Acl(Perms.Read, new Id("digest", "someone:hash"))];
        var super = Ids(Localhost, new Id("super", ""));
        foreach (var perm in new[] { Perms.Read, Perms.Write, Perms.Create, Perms.Delete, Perms.Admin })
        {
            Assert.True(AclEvaluator.Allows(acl, perm, super));
        }
    }

    [Fact]
    public void Fix_up_rejects_null_empty_and_invalid_entries()
    {
        Assert.Equal(ErrorCode.InvalidAcl, AclEvaluator.FixUp(null, Ids(Localhost), out _));
        Assert.Equal(ErrorCode.InvalidAcl, AclEvaluator.FixUp([], Ids(Localhost), out _));
        foreach (var bad in new[]
        {
            new Id("world", "someone"),
            new Id("unknown", "x"),
            new Id("digest", "no-colon"),
            new Id("ip", "not-an-ip"),
            new Id("ip", "10.0.0.0/33"),
            new Id("ip", "10.0.0.0/-1"),
            new Id("ip", "10.0.0.0/x"),
            new Id("ip", "::1/129"),
        })
        {
            Assert.True(
                AclEvaluator.FixUp([new Acl(Perms.All, Id.Anyone), new Acl(Perms.Read, bad)], Ids(Localhost), out _) == ErrorCode.InvalidAcl,
                $"{bad} should be rejected");
        }
    }

    [Theory]
    [InlineData("bob:")]
    [InlineData("bob:hash:extra")]
    public void Fix_up_rejects_digest_ids_that_are_not_exactly_two_colon_separated_parts(string ident)
    {
        // ZooKeeper's DigestAuthenticationProvider.isValid: id.split(":").length == 2 (Java drops trailing empty parts).
        Assert.Equal(ErrorCode.InvalidAcl, AclEvaluator.FixUp([new Acl(Perms.All, new Id("digest", ident))], Ids(Localhost), out _));
    }

    [Fact]
    public void Fix_up_keeps_valid_entries_and_drops_duplicates()
    {
        IReadOnlyList<Acl> acl =
        [
            new Acl(Perms.All, Id.Anyone),
            new Acl(Perms.Read, new Id("ip", "10.0.0.0/8")),
            new Acl(Perms.Read, new Id("digest", "bob:hash=")),
            new Acl(Perms.All, Id.Anyone),
        ];
        Assert.Equal(ErrorCode.Ok, AclEvaluator.FixUp(acl, Ids(Localhost), out var fixedAcl));
        Assert.Equal(acl.Take(3), fixedAcl);
    }

    [Fact]
    public void Auth_is_replaced_by_the_callers_authenticated_ids_not_ip()
    {
        var bob = new Id("digest", AclEvaluator.DigestId("bob:pw"));
        var carol = new Id("digest", AclEvaluator.DigestId("carol:pw"));
        Assert.Equal(ErrorCode.Ok, AclEvaluator.FixUp([new Acl(Perms.Read | Perms.Write, Id.AuthIds)], Ids(Localhost, bob, carol), out var fixedAcl));
        Assert.Equal([new Acl(Perms.Read | Perms.Write, bob), new Acl(Perms.Read | Perms.Write, carol)], fixedAcl);

        // Only an ip (or super) id: nothing to put in place of auth.
        Assert.Equal(ErrorCode.InvalidAcl, AclEvaluator.FixUp(Acl.CreatorAllAcl, Ids(Localhost), out _));
        Assert.Equal(ErrorCode.InvalidAcl, AclEvaluator.FixUp(Acl.CreatorAllAcl, Ids(Localhost, new Id("super", "")), out _));
    }

    [Fact]
    public void Mask_hides_digest_hashes_for_callers_without_admin()
    {
        IReadOnlyList<Acl> acl =
        [
            new Acl(Perms.All, new Id("digest", AclEvaluator.DigestId("bob:pw"))),
            new Acl(Perms.Read, Id.Anyone),
            new Acl(Perms.Read, new Id("ip", "10.0.0.1")),
        ];
        Assert.Equal(
            [new Acl(Perms.All, new Id("digest", "bob:x")), new Acl(Perms.Read, Id.Anyone), new Acl(Perms.Read, new Id("ip", "10.0.0.1"))],
            AclEvaluator.Mask(acl));
    }
}
