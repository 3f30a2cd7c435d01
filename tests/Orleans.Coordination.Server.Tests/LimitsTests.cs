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

            Assert.False(await TryOpenSessionAsync(silo.Port), "a fourth connection from the same address was admitted");

            // Closing one connection frees its slot.
            await clients[0].DisposeAsync();
            clients.RemoveAt(0);
            await ClientOps.EventuallyAsync(() => TryOpenSessionAsync(silo.Port), TimeSpan.FromSeconds(10), "a slot to be given back");
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
        // Slots are given back asynchronously, so a connection made right after another closed may
        // briefly be refused; each one is retried until it gets through.
        for (var i = 0; i < 10; i++)
        {
            await ClientOps.EventuallyAsync(
                async () =>
                {
                    try
                    {
                        await using var c = await RawClient.OpenAsync(silo.Port);
                        return await c.FourLetterWordAsync("ruok") == "imok";
                    }
                    catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                    {
                        return false;
                    }
                },
                TimeSpan.FromSeconds(10),
                "ruok to be answered");
        }

        for (var i = 0; i < 10; i++)
        {
            try
            {
                await using var c = await RawClient.OpenAsync(silo.Port);
                await c.SendRawAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0x00 });
                await c.ReadUntilClosedAsync();
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
            }
        }

        var held = new List<RawClient>();
        try
        {
            await ClientOps.EventuallyAsync(
                async () =>
                {
                    try
                    {
                        held.Add(await silo.ConnectAsync());
                    }
                    catch (Exception e) when (e is ConnectionClosedException or IOException or System.Net.Sockets.SocketException)
                    {
                    }

                    return held.Count == 2;
                },
                TimeSpan.FromSeconds(10),
                "two sessions to be admitted after the short-lived connections closed");
        }
        finally
        {
            foreach (var c in held)
            {
                await c.DisposeAsync();
            }
        }
    }

    /// <summary>Opens a session; false if the server refuses the connection (closed or reset before the handshake completes).</summary>
    private static async Task<bool> TryOpenSessionAsync(int port)
    {
        try
        {
            await using var probe = await RawClient.OpenAsync(port);
            var hs = await probe.HandshakeAsync(new ConnectRequest(0, 0, 30_000, 0, new byte[16], false));
            return hs.Response.TimeOut > 0;
        }
        catch (Exception e) when (e is ConnectionClosedException or IOException or System.Net.Sockets.SocketException)
        {
            return false;
        }
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
