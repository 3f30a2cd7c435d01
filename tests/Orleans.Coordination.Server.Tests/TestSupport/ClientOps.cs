using System.Text;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Server.Tests.TestSupport;

/// <summary>Typed shortcuts over <see cref="RawClient.CallAsync"/> for the common requests.</summary>
public static class ClientOps
{
    public static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    public static Task<Reply> CreateAsync(this RawClient c, string path, byte[]? data = null, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null) =>
        c.CallAsync(OpCode.Create, new CreateRequest(path, data ?? [], acl ?? Acl.OpenAclUnsafe, (int)mode));

    public static Task<Reply> Create2Async(this RawClient c, string path, byte[]? data = null, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null) =>
        c.CallAsync(OpCode.Create2, new CreateRequest(path, data ?? [], acl ?? Acl.OpenAclUnsafe, (int)mode));

    /// <summary>Creates a node and asserts success; returns the created path.</summary>
    public static async Task<string> CreateOkAsync(this RawClient c, string path, byte[]? data = null, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null)
    {
        var r = await c.CreateAsync(path, data, mode, acl);
        Assert.True(r.Err == ErrorCode.Ok, $"create {path}: {r.Err}");
        return r.Read<PathRecord>().Path;
    }

    public static Task<Reply> DeleteAsync(this RawClient c, string path, int version = -1) =>
        c.CallAsync(OpCode.Delete, new DeleteRequest(path, version));

    public static Task<Reply> ExistsAsync(this RawClient c, string path, bool watch = false) =>
        c.CallAsync(OpCode.Exists, new PathWatchRequest(path, watch));

    public static Task<Reply> GetDataAsync(this RawClient c, string path, bool watch = false) =>
        c.CallAsync(OpCode.GetData, new PathWatchRequest(path, watch));

    public static Task<Reply> GetChildrenAsync(this RawClient c, string path, bool watch = false) =>
        c.CallAsync(OpCode.GetChildren, new PathWatchRequest(path, watch));

    public static Task<Reply> SetDataAsync(this RawClient c, string path, byte[]? data, int version = -1) =>
        c.CallAsync(OpCode.SetData, new SetDataRequest(path, data, version));

    public static Task<Reply> AddWatchAsync(this RawClient c, string path, AddWatchMode mode) =>
        c.CallAsync(OpCode.AddWatch, new AddWatchRequest(path, mode));

    public static Task<Reply> PingAsync(this RawClient c) => PingCoreAsync(c);

    /// <summary>Asserts the node exists (true) or not (false) as this client sees it.</summary>
    public static async Task<bool> NodeExistsAsync(this RawClient c, string path)
    {
        var r = await c.ExistsAsync(path);
        Assert.True(r.Err is ErrorCode.Ok or ErrorCode.NoNode, $"exists {path}: {r.Err}");
        return r.Err == ErrorCode.Ok;
    }

    /// <summary>A full create-then-read round trip that must succeed: the "healthy client" check.</summary>
    public static async Task AssertHealthyAsync(this RawClient c, string path)
    {
        var payload = Bytes("payload:" + path);
        Assert.Equal(path, await c.CreateOkAsync(path, payload));
        var get = await c.GetDataAsync(path);
        Assert.Equal(ErrorCode.Ok, get.Err);
        Assert.Equal(payload, get.Read<GetDataResponse>().Data);
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails the test after <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, int pollMs = 25)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out after {timeout.TotalSeconds:0.#} s waiting for: {what}");
            await Task.Delay(pollMs);
        }
    }

    private static async Task<Reply> PingCoreAsync(RawClient c)
    {
        await c.SendPingAsync();
        return await c.ReadReplyForAsync(Xids.Ping);
    }
}
