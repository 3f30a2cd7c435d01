using System.Buffers.Binary;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Configuration;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>
/// Bad input costs one connection, never the silo: each case runs next to a healthy client that keeps
/// creating and reading nodes before, during and after the misbehaving connection.
/// </summary>
public sealed class BadInputTests
{
    private static byte[] Int32(int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, value);
        return b;
    }

    /// <summary>
    /// Runs <paramref name="misbehave"/> on a fresh connection while a healthy session works alongside,
    /// then checks the silo still accepts and serves a brand-new session.
    /// </summary>
    private static async Task WithHealthyNeighbourAsync(Func<RawClient, RawClient, Task> misbehave, Action<SiloOptions>? configure = null)
    {
        await using var silo = await TestSilo.StartAsync(configure);
        await using var healthy = await silo.ConnectAsync();
        await healthy.AssertHealthyAsync("/before");

        await using (var bad = await RawClient.OpenAsync(silo.Port))
        {
            await misbehave(bad, healthy);
        }

        await healthy.AssertHealthyAsync("/after");
        await using var fresh = await silo.ConnectAsync();
        await fresh.AssertHealthyAsync("/fresh");
        Assert.Equal(ErrorCode.Ok, (await fresh.ExistsAsync("/during")).Err);
    }

    private static async Task<RawClient> HandshakenAsync(RawClient bad)
    {
        var hs = await bad.HandshakeAsync(new ConnectRequest(0, 0, 30_000, 0, new byte[16], false));
        Assert.True(hs.Response.TimeOut > 0);
        return bad;
    }

    [Fact]
    public Task Random_bytes_as_the_first_frame_close_only_that_connection() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        var random = new Random(20240611);
        var junk = new byte[200];
        random.NextBytes(junk);
        // A plausible length prefix, so the junk is decoded as a ConnectRequest rather than refused by size.
        BinaryPrimitives.WriteInt32BigEndian(junk, junk.Length - 4);
        // A passwd length far beyond the frame: not a valid ConnectRequest.
        BinaryPrimitives.WriteInt32BigEndian(junk.AsSpan(4 + 24), 0x7000_0000);
        await bad.SendRawAsync(junk);
        await healthy.AssertHealthyAsync("/during");
        await bad.AssertClosedWithoutReplyAsync();
    });

    [Fact]
    public Task Unframed_random_bytes_close_only_that_connection() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        var random = new Random(7);
        var junk = new byte[4096];
        random.NextBytes(junk);
        junk[0] = 0x7F; // a huge positive length
        await bad.SendRawAsync(junk);
        await healthy.AssertHealthyAsync("/during");
        await bad.AssertClosedWithoutReplyAsync();
    });

    [Fact]
    public Task Negative_length_prefix_closes_the_connection() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await bad.SendRawAsync(Int32(-5));
        await healthy.AssertHealthyAsync("/during");
        await bad.AssertClosedWithoutReplyAsync();
    });

    [Fact]
    public Task Negative_length_prefix_after_the_handshake_closes_the_connection() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await HandshakenAsync(bad);
        await bad.SendRawAsync(Int32(int.MinValue));
        await healthy.AssertHealthyAsync("/during");
        await bad.AssertClosedWithoutReplyAsync();
    });

    [Fact]
    public Task Length_above_jute_max_buffer_closes_the_connection() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await HandshakenAsync(bad);
        await bad.SendRawAsync(Int32(JuteLimits.DefaultMaxBuffer + 1));
        await healthy.AssertHealthyAsync("/during");
        await bad.AssertClosedWithoutReplyAsync();
    });

    [Fact]
    public Task Length_above_a_configured_jute_max_buffer_closes_before_the_handshake() => WithHealthyNeighbourAsync(
        async (bad, healthy) =>
        {
            await bad.SendRawAsync(Int32(4097));
            await healthy.AssertHealthyAsync("/during");
            await bad.AssertClosedWithoutReplyAsync();
        },
        o => o.JuteMaxBuffer = 4096);

    [Fact]
    public Task Truncated_frame_followed_by_close_is_harmless() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await HandshakenAsync(bad);
        var frame = RawClient.EncodeRequest(1, OpCode.Create, new CreateRequest("/truncated", new byte[100], Acl.OpenAclUnsafe, 0));
        await bad.SendRawAsync(frame.AsMemory(0, frame.Length / 2));
        bad.ShutdownSend();
        await healthy.AssertHealthyAsync("/during");
        await bad.AssertClosedWithoutReplyAsync();
        Assert.False(await healthy.NodeExistsAsync("/truncated"));
    });

    [Fact]
    public Task Truncated_handshake_followed_by_close_is_harmless() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await bad.SendRawAsync(new byte[] { 0, 0, 0, 45, 0, 0, 0, 0, 0, 0 });
        bad.ShutdownSend();
        await healthy.AssertHealthyAsync("/during");
        await bad.AssertClosedWithoutReplyAsync();
    });

    [Fact]
    public Task A_request_before_the_handshake_closes_without_a_session() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        // A getData request as the first frame. Read as a ConnectRequest it claims lastZxidSeen
        // 0x4_00000007 (type and path length) and then runs out of bytes: no session, no reply.
        await bad.SendAsync(1, OpCode.GetData, new PathWatchRequest("/before", false));
        await healthy.AssertHealthyAsync("/during");
        await bad.AssertClosedWithoutReplyAsync();
    });

    [Fact]
    public Task A_ping_before_the_handshake_closes_the_connection() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await bad.SendPingAsync();
        await healthy.AssertHealthyAsync("/during");
        await bad.AssertClosedWithoutReplyAsync();
    });

    [Theory]
    [InlineData(10)]
    [InlineData(23)]
    [InlineData(99)]
    [InlineData(-42)]
    [InlineData((int)OpCode.Notification)]
    [InlineData((int)OpCode.CreateSession)]
    [InlineData((int)OpCode.DeleteContainer)]
    public Task Unknown_or_internal_opcode_gets_unimplemented_then_close(int opcode) => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await HandshakenAsync(bad);
        Assert.Equal(ErrorCode.Ok, (await bad.CreateAsync("/bad-before")).Err);
        await bad.SendAsync(77, (OpCode)opcode, null);
        await healthy.AssertHealthyAsync("/during");
        var frames = await bad.AssertClosedAsync();
        var reply = Assert.Single(frames);
        Assert.Equal(77, reply.Xid);
        Assert.Equal(ErrorCode.Unimplemented, reply.Err);
        Assert.Empty(reply.Body);
    });

    [Fact]
    public Task Unimplemented_reply_is_delivered_even_with_requests_pipelined_behind_it() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await HandshakenAsync(bad);

        // One write, as a pipelining client would send it: the bad op and a request right behind it.
        await bad.SendRawAsync(RawClient.Concat(
            RawClient.EncodeRequest(5, (OpCode)55, null),
            RawClient.EncodeRequest(6, OpCode.Create, new CreateRequest("/after-unimplemented", [], Acl.OpenAclUnsafe, 0))));
        await healthy.AssertHealthyAsync("/during");
        var frames = await bad.AssertClosedAsync();
        var reply = Assert.Single(frames);
        Assert.Equal((5, ErrorCode.Unimplemented), (reply.Xid, reply.Err));
        Assert.False(await healthy.NodeExistsAsync("/after-unimplemented"));
    });

    [Fact]
    public Task Check_outside_multi_gets_unimplemented_then_close() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await HandshakenAsync(bad);
        await bad.SendAsync(9, OpCode.Check, new CheckVersionRequest("/before", 0));
        await healthy.AssertHealthyAsync("/during");
        var reply = Assert.Single(await bad.AssertClosedAsync());
        Assert.Equal((9, ErrorCode.Unimplemented), (reply.Xid, reply.Err));
        Assert.Empty(reply.Body);
    });

    [Fact]
    public Task Create_with_a_string_length_beyond_the_frame_closes_the_connection() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await HandshakenAsync(bad);
        using var w = new JuteWriter();
        var f = w.BeginFrame();
        new RequestHeader(3, OpCode.Create).Write(w);
        w.WriteInt(1000); // path length, but only 5 bytes follow
        w.WriteRaw("/oops"u8);
        w.EndFrame(f);
        await bad.SendRawAsync(w.ToArray());
        await healthy.AssertHealthyAsync("/during");
        await bad.AssertClosedWithoutReplyAsync();
        Assert.False(await healthy.NodeExistsAsync("/oops"));
    });

    [Fact]
    public Task Create_with_a_negative_acl_count_closes_the_connection() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await HandshakenAsync(bad);
        using var w = new JuteWriter();
        var f = w.BeginFrame();
        new RequestHeader(3, OpCode.Create).Write(w);
        w.WriteString("/neg-acl");
        w.WriteBuffer([1, 2, 3]);
        w.WriteInt(-7);
        w.WriteInt(0);
        w.EndFrame(f);
        await bad.SendRawAsync(w.ToArray());
        await healthy.AssertHealthyAsync("/during");
        await bad.AssertClosedWithoutReplyAsync();
        Assert.False(await healthy.NodeExistsAsync("/neg-acl"));
    });

    [Fact]
    public Task A_frame_shorter_than_a_request_header_closes_the_connection() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await HandshakenAsync(bad);
        await bad.SendRawAsync(new byte[] { 0, 0, 0, 3, 1, 2, 3 });
        await healthy.AssertHealthyAsync("/during");
        await bad.AssertClosedWithoutReplyAsync();
    });

    [Fact]
    public Task Many_misbehaving_connections_do_not_disturb_the_silo() => WithHealthyNeighbourAsync(async (bad, healthy) =>
    {
        await bad.SendRawAsync(Int32(-1));
        var others = new List<RawClient>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var c = await RawClient.OpenAsync(healthy.Port);
                others.Add(c);
                try
                {
                    await c.SendRawAsync(i % 2 == 0 ? Int32(int.MaxValue) : new byte[] { 0, 0, 0, 1, 0 });
                }
                catch (IOException)
                {
                }
            }

            await healthy.AssertHealthyAsync("/during");
            foreach (var c in others)
            {
                await c.ReadUntilClosedAsync();
            }
        }
        finally
        {
            foreach (var c in others)
            {
                await c.DisposeAsync();
            }
        }

        await bad.AssertClosedWithoutReplyAsync();
    });
}
