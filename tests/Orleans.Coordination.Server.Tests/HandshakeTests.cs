using System.Diagnostics;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>The ConnectRequest/ConnectResponse exchange as a client observes it.</summary>
public sealed class HandshakeTests
{
    private static ConnectRequest NewSession(int timeout, bool legacy = false, long lastZxid = 0) =>
        new(0, lastZxid, timeout, 0, new byte[16], false, HasReadOnlyField: !legacy);

    [Fact]
    public async Task New_session_gets_an_id_a_16_byte_password_and_a_37_byte_response()
    {
        await using var silo = await TestSilo.StartAsync(o => o.TickTime = 100);
        await using var c = await RawClient.OpenAsync(silo.Port);
        var hs = await c.HandshakeAsync(NewSession(1000));
        Assert.Equal(37, hs.PayloadLength);
        Assert.Equal(0, hs.Response.ProtocolVersion);
        Assert.Equal(1000, hs.Response.TimeOut);
        Assert.NotEqual(0, hs.Response.SessionId);
        Assert.Equal(16, hs.Response.Passwd.Length);
        Assert.False(hs.Response.ReadOnly);
        Assert.True(hs.Response.HasReadOnlyField);

        // The session works, and a second one gets a different id.
        await c.AssertHealthyAsync("/n");
        await using var d = await silo.ConnectAsync();
        Assert.NotEqual(c.SessionId, d.SessionId);
    }

    [Fact]
    public async Task Session_ids_carry_the_server_id_in_the_top_byte()
    {
        await using var silo = await TestSilo.StartAsync(o => o.ServerId = 7);
        await using var c = await silo.ConnectAsync();
        Assert.Equal(7, (int)((ulong)c.SessionId >> 56));
    }

    [Theory]
    [InlineData(1, 200)]
    [InlineData(199, 200)]
    [InlineData(200, 200)]
    [InlineData(1234, 1234)]
    [InlineData(2000, 2000)]
    [InlineData(2001, 2000)]
    [InlineData(600_000, 2000)]
    [InlineData(0, 200)]
    [InlineData(-5, 200)]
    public async Task Negotiated_timeout_is_clamped_to_2_and_20_ticks(int requested, int expected)
    {
        await using var silo = await TestSilo.StartAsync(o => o.TickTime = 100);
        await using var c = await RawClient.OpenAsync(silo.Port);
        var hs = await c.HandshakeAsync(NewSession(requested));
        Assert.Equal(expected, hs.Response.TimeOut);
    }

    [Theory]
    [InlineData(100, 500)]
    [InlineData(650, 650)]
    [InlineData(10_000, 800)]
    public async Task Negotiated_timeout_honours_configured_min_and_max(int requested, int expected)
    {
        await using var silo = await TestSilo.StartAsync(o =>
        {
            o.TickTime = 100;
            o.MinSessionTimeout = 500;
            o.MaxSessionTimeout = 800;
        });
        await using var c = await RawClient.OpenAsync(silo.Port);
        var hs = await c.HandshakeAsync(NewSession(requested));
        Assert.Equal(expected, hs.Response.TimeOut);
    }

    [Fact]
    public async Task Legacy_44_byte_connect_gets_a_36_byte_response_without_read_only()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await RawClient.OpenAsync(silo.Port);
        var hs = await c.HandshakeAsync(NewSession(30_000, legacy: true));
        Assert.Equal(36, hs.PayloadLength);
        Assert.False(hs.Response.HasReadOnlyField);
        Assert.NotEqual(0, hs.Response.SessionId);
        Assert.Equal(16, hs.Response.Passwd.Length);
        await c.AssertHealthyAsync("/legacy");
    }

    [Fact]
    public async Task Read_only_capable_client_is_served_read_write()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await RawClient.OpenAsync(silo.Port);
        var hs = await c.HandshakeAsync(new ConnectRequest(0, 0, 30_000, 0, new byte[16], ReadOnly: true));
        Assert.True(hs.Response.TimeOut > 0);
        Assert.False(hs.Response.ReadOnly);
        await c.AssertHealthyAsync("/ro-capable");
    }

    [Fact]
    public async Task Reattach_from_a_new_connection_keeps_the_session_and_closes_the_old_connection()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var first = await silo.ConnectAsync(30_000);
        Assert.Equal("/eph", await first.CreateOkAsync("/eph", mode: CreateMode.Ephemeral));

        var (second, hs) = await RawClient.ReattachAsync(silo.Port, first.SessionId, first.Passwd, timeoutMs: 10_000, lastZxid: first.LastZxid);
        await using (second)
        {
            Assert.Equal(37, hs.PayloadLength);
            Assert.Equal(first.SessionId, hs.Response.SessionId);
            Assert.Equal(first.Passwd, hs.Response.Passwd);
            Assert.Equal(10_000, hs.Response.TimeOut);

            // The old connection is closed by the server.
            await first.ReadUntilClosedAsync();

            // The session, and its ephemeral, live on through the new connection.
            var stat = (await second.ExistsAsync("/eph")).Read<StatResponse>().Stat;
            Assert.Equal(first.SessionId, stat.EphemeralOwner);
            await second.AssertHealthyAsync("/after-reattach");
        }
    }

    [Fact]
    public async Task Reattach_with_a_wrong_password_is_answered_as_expired_then_closed()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var owner = await silo.ConnectAsync();
        var wrong = owner.Passwd.ToArray();
        wrong[0] ^= 0xFF;
        var (c, hs) = await RawClient.ReattachAsync(silo.Port, owner.SessionId, wrong);
        await using (c)
        {
            Assert.Equal(37, hs.PayloadLength);
            Assert.Equal(0, hs.Response.TimeOut);
            Assert.Equal(0, hs.Response.SessionId);
            Assert.Equal(new byte[16], hs.Response.Passwd);
            await c.AssertClosedWithoutReplyAsync();
        }
    }

    [Fact]
    public async Task Reattach_to_an_unknown_session_is_answered_as_expired_then_closed()
    {
        await using var silo = await TestSilo.StartAsync();
        var (c, hs) = await RawClient.ReattachAsync(silo.Port, 0x0123_4567_89AB_CDEF, new byte[16]);
        await using (c)
        {
            Assert.Equal((0, 0L), (hs.Response.TimeOut, hs.Response.SessionId));
            Assert.Equal(new byte[16], hs.Response.Passwd);
            await c.AssertClosedWithoutReplyAsync();
        }
    }

    [Fact]
    public async Task Legacy_reattach_with_a_wrong_password_gets_a_36_byte_expired_response()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var owner = await silo.ConnectAsync();
        await using var c = await RawClient.OpenAsync(silo.Port);
        var hs = await c.HandshakeAsync(new ConnectRequest(0, 0, 30_000, owner.SessionId, new byte[16], false, HasReadOnlyField: false));
        Assert.Equal(36, hs.PayloadLength);
        Assert.Equal((0, 0L), (hs.Response.TimeOut, hs.Response.SessionId));
        await c.AssertClosedWithoutReplyAsync();
    }

    [Fact]
    public async Task Client_ahead_of_the_server_is_closed_without_a_reply()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var healthy = await silo.ConnectAsync();
        await healthy.CreateOkAsync("/x");
        var serverZxid = healthy.LastZxid;
        Assert.True(serverZxid > 0);

        await using var c = await RawClient.OpenAsync(silo.Port);
        await c.SendConnectAsync(NewSession(30_000, lastZxid: serverZxid + 1000));
        await c.AssertClosedWithoutReplyAsync();

        // A client exactly at the server's zxid is fine.
        await using var d = await RawClient.OpenAsync(silo.Port);
        var hs = await d.HandshakeAsync(NewSession(30_000, lastZxid: serverZxid));
        Assert.True(hs.Response.TimeOut > 0);
    }

    [Fact]
    public async Task Reattach_from_a_client_ahead_of_the_server_is_closed_without_a_reply()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var owner = await silo.ConnectAsync();
        await owner.CreateOkAsync("/y");
        await using var c = await RawClient.OpenAsync(silo.Port);
        await c.SendConnectAsync(new ConnectRequest(0, long.MaxValue, 30_000, owner.SessionId, owner.Passwd, false));
        await c.AssertClosedWithoutReplyAsync();
    }

    [Fact]
    public async Task Idle_socket_without_a_handshake_is_closed_after_the_handshake_timeout()
    {
        await using var silo = await TestSilo.StartAsync(o => o.HandshakeTimeoutMs = 300);
        var sw = Stopwatch.StartNew();
        await using var idle = await RawClient.OpenAsync(silo.Port);
        await idle.AssertClosedWithoutReplyAsync(TimeSpan.FromSeconds(10));
        Assert.True(sw.ElapsedMilliseconds >= 250, $"closed after only {sw.ElapsedMilliseconds} ms");

        // A client that does complete its handshake in time is not affected, even when idle longer than that.
        await using var c = await silo.ConnectAsync(30_000);
        await Task.Delay(600);
        await c.AssertHealthyAsync("/survives");
    }

    [Fact]
    public async Task Partial_handshake_is_closed_after_the_handshake_timeout()
    {
        await using var silo = await TestSilo.StartAsync(o => o.HandshakeTimeoutMs = 300);
        await using var c = await RawClient.OpenAsync(silo.Port);
        await c.SendRawAsync(new byte[] { 0, 0, 0, 45, 0, 0 });
        await c.AssertClosedWithoutReplyAsync(TimeSpan.FromSeconds(10));
    }
}
