using System.Diagnostics;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>Session expiry, keep-alive, close and re-attach, with tickTime 100 ms (timeouts 200..2000 ms).</summary>
public sealed class SessionTests
{
    private const int Tick = 100;

    private static Task<TestSilo> StartAsync() => TestSilo.StartAsync(o => o.TickTime = Tick);

    [Fact]
    public async Task Silent_session_expires_its_ephemerals_go_and_watchers_hear_NodeDeleted()
    {
        await using var silo = await StartAsync();
        await using var watcher = await silo.ConnectAsync(2000);
        await using var doomed = await silo.ConnectAsync(300);
        Assert.Equal(300, doomed.NegotiatedTimeout);

        // The create is the doomed session's last packet: timed from before it is sent, as the server counts from when
        // it read it (the reply comes only after the fsync, which can take a few ms on a busy machine).
        var lastSent = Stopwatch.StartNew();
        await doomed.CreateOkAsync("/eph", mode: CreateMode.Ephemeral);
        var exists = await watcher.ExistsAsync("/eph", watch: true);
        Assert.Equal(doomed.SessionId, exists.Read<StatResponse>().Stat.EphemeralOwner);

        // The watcher keeps its own session alive while it waits for the event.
        Reply? ev = null;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (ev is null && DateTime.UtcNow < deadline)
        {
            if (await watcher.HasFrameWithinAsync(TimeSpan.FromMilliseconds(100)))
            {
                ev = await watcher.NextEventAsync();
                break;
            }

            await watcher.PingAsync();
        }

        Assert.NotNull(ev);
        var elapsed = lastSent.ElapsedMilliseconds;
        Assert.Equal(EventType.NodeDeleted, ev.Event.Type);
        Assert.Equal("/eph", ev.Event.Path);
        Assert.Equal(KeeperState.SyncConnected, ev.Event.State);
        Assert.True(ev.Zxid > 0, "a NodeDeleted caused by expiry carries the closeSession txn's zxid");
        Assert.True(elapsed >= 300, $"session expired {elapsed} ms after its last packet, before its 300 ms timeout");

        Assert.False(await watcher.NodeExistsAsync("/eph"));

        // The expired session's connection is closed by the server.
        await doomed.ReadUntilClosedAsync();
    }

    [Fact]
    public async Task Expired_session_is_closed_even_when_its_socket_was_already_gone()
    {
        await using var silo = await StartAsync();
        await using var observer = await silo.ConnectAsync(2000);
        await using (var gone = await silo.ConnectAsync(200))
        {
            await gone.CreateOkAsync("/gone-eph", mode: CreateMode.Ephemeral);
        }

        // The ephemeral survives the disconnect until the session times out.
        await ClientOps.EventuallyAsync(async () => !await observer.NodeExistsAsync("/gone-eph"), TimeSpan.FromSeconds(10), "/gone-eph to be removed by expiry");
    }

    [Fact]
    public async Task Pings_keep_a_session_alive_past_several_timeouts()
    {
        await using var silo = await StartAsync();
        await using var c = await silo.ConnectAsync(600);
        Assert.Equal(600, c.NegotiatedTimeout);
        await c.CreateOkAsync("/kept", mode: CreateMode.Ephemeral);

        // Four timeouts' worth of time, pinging every ~100 ms.
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < 2400)
        {
            await Task.Delay(100);
            var pong = await c.PingAsync();
            Assert.Equal(Xids.Ping, pong.Xid);
            Assert.Equal(ErrorCode.Ok, pong.Err);
            Assert.Empty(pong.Body);
            Assert.True(pong.Zxid >= c.LastZxid, "a ping reply carries the server's last zxid");
        }

        var stat = (await c.ExistsAsync("/kept")).Read<StatResponse>().Stat;
        Assert.Equal(c.SessionId, stat.EphemeralOwner);
        await c.AssertHealthyAsync("/still-working");
    }

    [Fact]
    public async Task Any_request_counts_as_a_sign_of_life()
    {
        await using var silo = await StartAsync();
        await using var c = await silo.ConnectAsync(600);
        await c.CreateOkAsync("/busy", mode: CreateMode.Ephemeral);
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < 2000)
        {
            await Task.Delay(100);
            Assert.Equal(ErrorCode.Ok, (await c.GetDataAsync("/busy")).Err);
        }
    }

    [Fact]
    public async Task CloseSession_replies_then_closes_the_socket_and_removes_ephemerals()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var other = await silo.ConnectAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/e1", mode: CreateMode.Ephemeral);
        await c.CreateOkAsync("/p");
        await c.CreateOkAsync("/p/e2", mode: CreateMode.EphemeralSequential);
        Assert.Equal(ErrorCode.Ok, (await other.ExistsAsync("/e1", watch: true)).Err);

        var xid = await c.SendAsync(OpCode.CloseSession, null);
        var frames = await c.AssertClosedAsync();
        var reply = Assert.Single(frames);
        Assert.Equal((xid, ErrorCode.Ok), (reply.Xid, reply.Err));
        Assert.Empty(reply.Body);
        Assert.True(reply.Zxid > 0);

        var ev = await other.NextEventAsync();
        Assert.Equal((EventType.NodeDeleted, "/e1"), (ev.Event.Type, ev.Event.Path));
        Assert.False(await other.NodeExistsAsync("/e1"));
        var children = (await other.GetChildrenAsync("/p")).Read<StringListResponse>().Items;
        Assert.Empty(children);
        Assert.True(await other.NodeExistsAsync("/p"));

        // The session is gone: re-attaching is refused as expired.
        var (again, hs) = await RawClient.ReattachAsync(silo.Port, c.SessionId, c.Passwd);
        await using (again)
        {
            Assert.Equal((0, 0L), (hs.Response.TimeOut, hs.Response.SessionId));
            await again.AssertClosedWithoutReplyAsync();
        }
    }

    [Fact]
    public async Task CloseSession_reply_is_delivered_even_with_requests_pipelined_behind_it()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var other = await silo.ConnectAsync();
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/e", mode: CreateMode.Ephemeral);
        await c.SendRawAsync(RawClient.Concat(
            RawClient.EncodeRequest(50, OpCode.CloseSession, null),
            RawClient.EncodeRequest(51, OpCode.Exists, new PathWatchRequest("/e", false)),
            RawClient.EncodeRequest(52, OpCode.Create, new CreateRequest("/late", [], Acl.OpenAclUnsafe, 0))));
        var frames = await c.AssertClosedAsync();
        var reply = Assert.Single(frames);
        Assert.Equal((50, ErrorCode.Ok), (reply.Xid, reply.Err));
        Assert.False(await other.NodeExistsAsync("/e"));
        Assert.False(await other.NodeExistsAsync("/late"));
    }

    [Fact]
    public async Task Reattach_after_expiry_gets_the_expired_response()
    {
        await using var silo = await StartAsync();
        await using var observer = await silo.ConnectAsync(2000);
        long sessionId;
        byte[] passwd;
        await using (var c = await silo.ConnectAsync(200))
        {
            sessionId = c.SessionId;
            passwd = c.Passwd;
            await c.CreateOkAsync("/short-lived", mode: CreateMode.Ephemeral);
            await c.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));
        }

        await ClientOps.EventuallyAsync(async () => !await observer.NodeExistsAsync("/short-lived"), TimeSpan.FromSeconds(10), "expiry to remove /short-lived");
        var (again, hs) = await RawClient.ReattachAsync(silo.Port, sessionId, passwd, timeoutMs: 2000);
        await using (again)
        {
            Assert.Equal(37, hs.PayloadLength);
            Assert.Equal(0, hs.Response.TimeOut);
            Assert.Equal(0, hs.Response.SessionId);
            Assert.Equal(new byte[16], hs.Response.Passwd);
            await again.AssertClosedWithoutReplyAsync();
        }
    }

    [Fact]
    public async Task Requests_on_an_expired_session_are_not_served()
    {
        await using var silo = await StartAsync();
        await using var observer = await silo.ConnectAsync(2000);
        await using var c = await silo.ConnectAsync(200);
        await c.CreateOkAsync("/x", mode: CreateMode.Ephemeral);
        await ClientOps.EventuallyAsync(async () => !await observer.NodeExistsAsync("/x"), TimeSpan.FromSeconds(10), "expiry of the silent session");

        // The server has closed the connection; a request written now gets no success reply.
        try
        {
            await c.SendAsync(OpCode.Create, new CreateRequest("/zombie", [], Acl.OpenAclUnsafe, 0));
        }
        catch (IOException)
        {
        }

        var frames = await c.AssertClosedAsync();
        Assert.DoesNotContain(frames, f => f.Err == ErrorCode.Ok);
        Assert.False(await observer.NodeExistsAsync("/zombie"));
    }

    [Fact]
    public async Task Session_survives_a_dropped_connection_and_reattaches_within_its_timeout()
    {
        await using var silo = await StartAsync();
        await using var observer = await silo.ConnectAsync(2000);
        long sessionId;
        byte[] passwd;
        long lastZxid;
        await using (var c = await silo.ConnectAsync(2000))
        {
            await c.CreateOkAsync("/survivor", mode: CreateMode.Ephemeral);
            (sessionId, passwd, lastZxid) = (c.SessionId, c.Passwd, c.LastZxid);
        }

        await Task.Delay(300);
        Assert.True(await observer.NodeExistsAsync("/survivor"), "the ephemeral went with the connection, not the session");
        var (again, hs) = await RawClient.ReattachAsync(silo.Port, sessionId, passwd, timeoutMs: 2000, lastZxid: lastZxid);
        await using (again)
        {
            Assert.Equal(sessionId, hs.Response.SessionId);
            Assert.Equal(sessionId, (await again.ExistsAsync("/survivor")).Read<StatResponse>().Stat.EphemeralOwner);
            Assert.Equal(ErrorCode.NodeExists, (await again.CreateAsync("/survivor", mode: CreateMode.Ephemeral)).Err);
        }
    }

    [Fact]
    public async Task Reattached_session_keeps_its_ephemerals_and_expires_on_its_new_timeout()
    {
        await using var silo = await StartAsync();
        await using var observer = await silo.ConnectAsync(2000);
        await using var first = await silo.ConnectAsync(2000);
        await first.CreateOkAsync("/mine", mode: CreateMode.Ephemeral);
        var (second, hs) = await RawClient.ReattachAsync(silo.Port, first.SessionId, first.Passwd, timeoutMs: 200, lastZxid: first.LastZxid);
        await using (second)
        {
            Assert.Equal(200, hs.Response.TimeOut);
            Assert.True(await second.NodeExistsAsync("/mine"));

            // Silent now: the session goes after about 200 ms, not 2000.
            var sw = Stopwatch.StartNew();
            await second.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));
            Assert.True(sw.ElapsedMilliseconds < 1900, $"took {sw.ElapsedMilliseconds} ms: the old 2000 ms timeout still applied");
            Assert.False(await observer.NodeExistsAsync("/mine"));
        }
    }
}
