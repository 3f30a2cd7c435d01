using Orleans.Coordination.Client.Internal;

namespace Orleans.Coordination.Client.Tests;

/// <summary>Parsing and path rules; no server needed.</summary>
public sealed class ConnectionStringTests
{
    [Fact]
    public void Parses_hosts_ports_ipv6_and_chroot()
    {
        var cs = ConnectionString.Parse(" zk1:2181, zk2 ,[::1]:2182/app/sub");
        Assert.Equal(["zk1:2181", "zk2:2181", "::1:2182"], cs.Hosts.Select(h => $"{h.Host}:{h.Port}"));
        Assert.Equal("/app/sub", cs.Chroot);
        Assert.Equal("zk1:2181,zk2:2181,[::1]:2182/app/sub", cs.ToString());
        Assert.Null(ConnectionString.Parse("h:1/").Chroot);
        Assert.Throws<FormatException>(() => ConnectionString.Parse(""));
        Assert.Throws<FormatException>(() => ConnectionString.Parse("h:notaport"));
        Assert.Throws<FormatException>(() => ConnectionString.Parse("h:1/bad/"));
        Assert.Throws<FormatException>(() => ConnectionString.Parse("h:70000"));
    }

    [Theory]
    [InlineData("/", true)]
    [InlineData("/a/b-c_d.e", true)]
    [InlineData("", false)]
    [InlineData("a", false)]
    [InlineData("/a/", false)]
    [InlineData("/a//b", false)]
    [InlineData("/a/./b", false)]
    [InlineData("/a/..", false)]
    [InlineData("/a\u0000", false)]
    [InlineData("/a\u0001", false)]
    [InlineData("/\ud83d\ude00", false)]
    public void Validates_paths_like_zookeeper(string path, bool valid)
    {
        Assert.Equal(valid, PathUtils.IsValid(path, out _));
    }

    [Fact]
    public void Chroot_translation()
    {
        Assert.Equal("/app", PathUtils.Prepend("/app", "/"));
        Assert.Equal("/app/x", PathUtils.Prepend("/app", "/x"));
        Assert.Equal("/", PathUtils.Strip("/app", "/app"));
        Assert.Equal("/x", PathUtils.Strip("/app", "/app/x"));
        Assert.Equal("/apple", PathUtils.Strip("/app", "/apple"));
        Assert.Equal("/zookeeper/config", PathUtils.Strip("/app", "/zookeeper/config"));
        Assert.Equal(["/a/b", "/a", "/"], PathUtils.SelfAndAncestors("/a/b"));
    }
}
