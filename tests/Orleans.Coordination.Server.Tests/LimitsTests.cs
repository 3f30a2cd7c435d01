using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>Per-address connection limit and per-connection back-pressure.</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task Connections_beyond_maxClientCnxns_are_refused_and_slots_are_given_back()
    {
        await using var silo = await TestSilo.StartAsync(o => o.MaxClientCnxns = 3);
        var clients = new List<RawClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                clients.Add(await silo.ConnectAsync());
            }

            await using (var refused = await RawClient.OpenAsync(silo.Port))
            {
                try
                {
                    await refused.SendConnectAsync(new ConnectRequest(0, 0, 30_000, 0, new byte[16], false));
                }
                catch (IOException)
                {
                }

                await refused.AssertClosedWithoutReplyAsync();
            }

            // Closing one connection frees its slot.
            await clients[0].DisposeAsync();
            clients.RemoveAt(0);
            await ClientOps.EventuallyAsync(
                async () =>
                {
                    await using var probe = await RawClient.OpenAsync(silo.Port);
                    try
                    {
                        var hs = await probe.HandshakeAsync(new ConnectRequest(0, 0, 30_000, 0, new byte[16], false));
                        return hs.Response.TimeOut > 0;
                    }
                    catch (Exception e) when (e is ConnectionClosedException or IOException)
                    {
                        return false;
                    }
                },
                TimeSpan.FromSeconds(10),
                "a slot to be given back");
        }
        finally
        {
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Four_letter_words_and_bad_connections_do_not_leak_connection_slots()
    {
        await using var silo = await TestSilo.StartAsync(o => o.MaxClientCnxns = 2);
        for (var i = 0; i < 10; i++)
        {
            await using var c = await RawClient.OpenAsync(silo.Port);
            Assert.Equal("imok", await c.FourLetterWordAsync("ruok"));
        }

        for (var i = 0; i < 10; i++)
        {
            await using var c = await RawClient.OpenAsync(silo.Port);
            await c.SendRawAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0x00 });
            await c.ReadUntilClosedAsync();
        }

        await ClientOps.EventuallyAsync(
            async () =>
            {
                await using var a = await RawClient.OpenAsync(silo.Port);
                await using var b = await RawClient.OpenAsync(silo.Port);
                try
                {
                    var ha = await a.HandshakeAsync(new ConnectRequest(0, 0, 30_000, 0, new byte[16], false));
                    var hb = await b.HandshakeAsync(new ConnectRequest(0, 0, 30_000, 0, new byte[16], false));
                    return ha.Response.TimeOut > 0 && hb.Response.TimeOut > 0;
                }
                catch (Exception e) when (e is ConnectionClosedException or IOException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(10),
            "two sessions to be admitted after the short-lived connections closed");
    }

    [Fact]
    public async Task Pipelining_far_beyond_maxOutstandingRequests_is_slowed_not_broken()
    {
        await using var silo = await TestSilo.StartAsync(o => o.MaxOutstandingRequests = 8);
        await using var c = await silo.ConnectAsync();
        await c.CreateOkAsync("/bp");
        using var batch = new JuteWriter(64 * 1024);
        const int N = 600;
        for (var i = 1; i <= N; i++)
        {
            var f = batch.BeginFrame();
            if (i % 2 == 0)
            {
                new RequestHeader(i, OpCode.SetData).Write(batch);
                new SetDataRequest("/bp", [(byte)i], -1).Write(batch);
            }
            else
            {
                new RequestHeader(i, OpCode.GetData).Write(batch);
                new PathWatchRequest("/bp", false).Write(batch);
            }

            batch.EndFrame(f);
        }

        await c.SendRawAsync(batch.ToArray());
        for (var i = 1; i <= N; i++)
        {
            var r = await c.ReadReplyAsync(TimeSpan.FromSeconds(30));
            Assert.Equal((i, ErrorCode.Ok), (r.Xid, r.Err));
        }

        Assert.Equal(N / 2, (await c.ExistsAsync("/bp")).Read<StatResponse>().Stat.Version);
    }

    [Fact]
    public async Task Watches_of_a_closed_connection_are_dropped()
    {
        await using var silo = await TestSilo.StartAsync();
        await using (var c = await silo.ConnectAsync())
        {
            await c.CreateOkAsync("/w");
            Assert.Equal(ErrorCode.Ok, (await c.GetDataAsync("/w", watch: true)).Err);
            Assert.Equal(ErrorCode.Ok, (await c.AddWatchAsync("/", AddWatchMode.PersistentRecursive)).Err);
            await using var probe = await RawClient.OpenAsync(silo.Port);
            Assert.Equal("1 connections watching 2 paths\nTotal watches:2\n", await probe.FourLetterWordAsync("wchs"));
        }

        await ClientOps.EventuallyAsync(
            async () =>
            {
                await using var probe = await RawClient.OpenAsync(silo.Port);
                return await probe.FourLetterWordAsync("wchs") == "0 connections watching 0 paths\nTotal watches:0\n";
            },
            TimeSpan.FromSeconds(10),
            "the closed connection's watches to be dropped");
    }
}
