using Orleans.Coordination.DataTree.Paths;

namespace Orleans.Coordination.DataTree.Tests;

public sealed class PathUtilsTests
{
    public static TheoryData<string> ValidPaths =>
    [
        "/",
        "/a",
        "/a/b/c",
        "/zookeeper",
        "/with space",
        "/.a",
        "/a.",
        "/...",
        "/a/..b",
        "/a-b_c:d@e",
        "/\u00e9t\u00e9",
        "/\u4e2d\u6587",
        "/\u00a0",
        "/\uf900",
        "/\uffef",
        "/lock-0000000001",
    ];

    public static TheoryData<string?> InvalidPaths =>
    [
        null,
        "",
        "a",
        "a/b",
        "//",
        "/a/",
        "/a//b",
        "/.",
        "/..",
        "/a/.",
        "/a/..",
        "/./a",
        "/../a",
        "/a/./b",
        "/a\0b",
        "/\0",
        "/a\u0001",
        "/\u001f",
        "/\u007f",
        "/\u0085",
        "/\u009f",
        "/\ud800",
        "/\udbff\udfff",
        "/\ue000",
        "/\uf8ff",
        "/\ufff0",
        "/\uffff",
        "/\U0001F600",
    ];

    [Theory]
    [MemberData(nameof(ValidPaths))]
    public void Valid(string path)
    {
        Assert.Null(PathUtils.Validate(path));
        Assert.True(PathUtils.IsValid(path));
    }

    [Theory]
    [MemberData(nameof(InvalidPaths))]
    public void Invalid(string? path)
    {
        Assert.NotNull(PathUtils.Validate(path));
        Assert.False(PathUtils.IsValid(path));
    }

    [Theory]
    [InlineData("/a/", "must not end with /")]
    [InlineData("a", "must start with /")]
    [InlineData("", "length must be > 0")]
    [InlineData("/a//b", "empty node name")]
    [InlineData("/a/..", "relative paths not allowed")]
    [InlineData("/a\0", "null character")]
    [InlineData("/a\u0001", "invalid character")]
    public void Reasons_say_what_is_wrong(string path, string reason) =>
        Assert.Contains(reason, PathUtils.Validate(path), StringComparison.OrdinalIgnoreCase);

    [Theory]
    [InlineData("/a", "/")]
    [InlineData("/a/b", "/a")]
    [InlineData("/a/b/c", "/a/b")]
    public void Parent(string path, string parent) => Assert.Equal(parent, PathUtils.Parent(path));

    [Theory]
    [InlineData("/a", "a")]
    [InlineData("/a/b", "b")]
    public void Name(string path, string name) => Assert.Equal(name, PathUtils.Name(path));

    [Theory]
    [InlineData("/", "a", "/a")]
    [InlineData("/a", "b", "/a/b")]
    public void Join(string parent, string child, string path) => Assert.Equal(path, PathUtils.Join(parent, child));

    [Theory]
    [InlineData("/a/b", "/a", true)]
    [InlineData("/a", "/a", true)]
    [InlineData("/a", "/", true)]
    [InlineData("/ab", "/a", false)]
    [InlineData("/a", "/a/b", false)]
    public void IsSameOrUnder(string path, string ancestor, bool expected) => Assert.Equal(expected, PathUtils.IsSameOrUnder(path, ancestor));
}
