using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Server.Tests.TestSupport;

namespace Orleans.Coordination.Server.Tests;

/// <summary>Per-connection FIFO replies, watch-before-data, and a zxid that never goes backwards.</summary>
public sealed class OrderingTests
{
    [Fact]
    public async Task Own_setData_then_getData_pipelined_notification_comes_before_the_new_data()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var a = await silo.ConnectAsync();
        await a.CreateOkAsync("/n", ClientOps.Bytes("old"));
        Assert.Equal(ErrorCode.Ok, (await a.GetDataAsync("/n", watch: true)).Err);

        var setXid = await a.SendAsync(OpCode.SetData, new SetDataRequest("/n", ClientOps.Bytes("new"), -1));
        var getXid = await a.SendAsync(OpCode.GetData, new PathWatchRequest("/n", false));

        var frames = new List<Reply>();
        for (var i = 0; i < 3; i++)
        {
            frames.Add(await a.ReadReplyAsync());
        }

        Assert.True(frames[0].IsNotification, $"first frame was {frames[0]}");
        Assert.Equal((EventType.NodeDataChanged, "/n"), (frames[0].Event.Type, frames[0].Event.Path));
        Assert.Equal(setXid, frames[1].Xid);
        Assert.Equal(getXid, frames[2].Xid);
        Assert.Equal(frames[1].Zxid, frames[0].Zxid);
        Assert.Equal(ClientOps.Bytes("new"), frames[2].Read<GetDataResponse>().Data);
    }

    [Fact]
    public async Task Another_clients_write_notification_comes_before_any_reply_showing_it()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var a = await silo.ConnectAsync();
        await using var b = await silo.ConnectAsync();
        await a.CreateOkAsync("/n", ClientOps.Bytes("v0"));

        for (var round = 1; round <= 20; round++)
        {
            Assert.Equal(ErrorCode.Ok, (await a.GetDataAsync("/n", watch: true)).Err);
            var value = ClientOps.Bytes("v" + round);

            // A reads continuously while B writes; the first reply that shows the new value must come after the event.
            var bSet = b.SetDataAsync("/n", value);
            var sawEvent = false;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!sawEvent)
            {
                Assert.True(DateTime.UtcNow < deadline, $"round {round}: no event within 10 s");

                // Once B's write is acknowledged, a read sent afterwards must show it, with the event first.
                var writeAcknowledged = bSet.IsCompleted;
                var xid = await a.SendAsync(OpCode.GetData, new PathWatchRequest("/n", false));
                while (true)
                {
                    var f = await a.ReadReplyAsync();
                    if (f.IsNotification)
                    {
                        Assert.Equal((EventType.NodeDataChanged, "/n"), (f.Event.Type, f.Event.Path));
                        sawEvent = true;
                        continue;
                    }

                    Assert.Equal(xid, f.Xid);
                    var data = f.Read<GetDataResponse>().Data;
                    var showsNew = data!.AsSpan().SequenceEqual(value);
                    Assert.False(showsNew && !sawEvent, $"round {round}: getData showed the new data before the watch event");
                    Assert.False(writeAcknowledged && !showsNew, $"round {round}: getData sent after the write was acknowledged did not show it");
                    break;
                }
            }

            Assert.Equal(ErrorCode.Ok, (await bSet.WaitAsync(TimeSpan.FromSeconds(10))).Err);
        }
    }

    [Fact]
    public async Task A_pipelined_read_sees_the_state_between_the_writes_around_it()
    {
        // create, getData, delete sent in one write: the getData must see the node its own session
        // created just before it, and must not see the delete sent after it.
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        for (var round = 0; round < 50; round++)
        {
            var path = $"/between{round}";
            await c.SendRawAsync(RawClient.Concat(
                RawClient.EncodeRequest(10, OpCode.Create, new CreateRequest(path, [42], Acl.OpenAclUnsafe, 0)),
                RawClient.EncodeRequest(11, OpCode.GetData, new PathWatchRequest(path, false)),
                RawClient.EncodeRequest(12, OpCode.Delete, new DeleteRequest(path, -1))));
            var create = await c.ReadReplyAsync();
            var get = await c.ReadReplyAsync();
            var delete = await c.ReadReplyAsync();
            Assert.Equal((10, ErrorCode.Ok), (create.Xid, create.Err));
            Assert.Equal((12, ErrorCode.Ok), (delete.Xid, delete.Err));
            Assert.True(get.Err == ErrorCode.Ok, $"round {round}: getData between create and delete answered {get.Err}");
            Assert.Equal([42], get.Read<GetDataResponse>().Data);
        }
    }

    [Fact]
    public async Task Replies_to_500_pipelined_mixed_requests_arrive_in_request_order()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await using var other = await silo.ConnectAsync();
        await c.CreateOkAsync("/o");

        var sent = new List<(int Xid, OpCode Op)>();
        using var batch = new JuteWriter(64 * 1024);
        var xid = 1000;
        for (var i = 0; i < 500; i++)
        {
            xid++;
            OpCode op;
            IJuteRecord? body;
            switch (i % 10)
            {
                case 0:
                    (op, body) = (OpCode.Create, new CreateRequest($"/o/n{i}", [(byte)i], Acl.OpenAclUnsafe, 0));
                    break;
                case 1:
                    (op, body) = (OpCode.GetData, new PathWatchRequest($"/o/n{i - 1}", false));
                    break;
                case 2:
                    (op, body) = (OpCode.SetData, new SetDataRequest($"/o/n{i - 2}", [1, 2], -1));
                    break;
                case 3:
                    (op, body) = (OpCode.Exists, new PathWatchRequest($"/o/missing{i}", false));
                    break;
                case 4:
                    (op, body) = (OpCode.GetChildren, new PathWatchRequest("/o", false));
                    break;
                case 5:
                    (op, body) = (OpCode.Delete, new DeleteRequest($"/o/n{i - 5}", 99));
                    break;
                case 6:
                    (op, body) = (OpCode.Sync, new PathRecord("/o"));
                    break;
                case 7:
                    (op, body) = (OpCode.Create2, new CreateRequest($"/o/n{i - 7}", [], Acl.OpenAclUnsafe, 0));
                    break;
                case 8:
                    (op, body) = (OpCode.Ping, null);
                    break;
                default:
                    (op, body) = (OpCode.Delete, new DeleteRequest($"/o/n{i - 9}", -1));
                    break;
            }

            var x = op == OpCode.Ping ? Xids.Ping : xid;
            sent.Add((x, op));
            var f = batch.BeginFrame();
            new RequestHeader(x, op).Write(batch);
            body?.Write(batch);
            batch.EndFrame(f);
        }

        // Another session writes concurrently so that applied zxids interleave.
        var noise = Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                await other.CreateOkAsync($"/noise{i}");
            }
        });

        await c.SendRawAsync(batch.ToArray());
        var received = new List<Reply>();
        while (received.Count < sent.Count)
        {
            var r = await c.ReadReplyAsync();
            Assert.False(r.IsNotification, $"unexpected notification {r}");
            received.Add(r);
        }

        await noise.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(sent.Select(s => s.Xid), received.Select(r => r.Xid));
        var normalXids = received.Where(r => r.Xid > 0).Select(r => r.Xid).ToList();
        Assert.Equal(normalXids.OrderBy(x => x), normalXids);

        for (var i = 0; i < sent.Count; i++)
        {
            var expected = (i % 10) switch
            {
                0 or 1 or 2 or 4 or 6 or 8 or 9 => ErrorCode.Ok,
                3 => ErrorCode.NoNode,
                5 => ErrorCode.BadVersion,
                _ => ErrorCode.NodeExists,
            };
            Assert.True(expected == received[i].Err, $"request {i} ({sent[i].Op}): expected {expected}, got {received[i].Err}");
        }
    }

    [Fact]
    public async Task Reply_zxid_never_decreases_on_a_connection()
    {
        await using var silo = await TestSilo.StartAsync();
        await using var c = await silo.ConnectAsync();
        await using var w1 = await silo.ConnectAsync();
        await using var w2 = await silo.ConnectAsync();
        await c.CreateOkAsync("/z");

        using var stop = new CancellationTokenSource();
        async Task WriterAsync(RawClient w, string name)
        {
            var i = 0;
            while (!stop.IsCancellationRequested && i < 2000)
            {
                await w.CreateOkAsync($"/z/{name}{i++}");
            }
        }

        var writers = Task.WhenAll(WriterAsync(w1, "a"), WriterAsync(w2, "b"));
        var last = 0L;
        for (var round = 0; round < 20; round++)
        {
            using var batch = new JuteWriter();
            const int PerRound = 25;
            for (var i = 0; i < PerRound; i++)
            {
                var xid = (round * 100) + i + 1;
                var f = batch.BeginFrame();
                switch (i % 4)
                {
                    case 0:
                        new RequestHeader(xid, OpCode.Create).Write(batch);
                        new CreateRequest($"/z/c{round}-{i}", [], Acl.OpenAclUnsafe, 0).Write(batch);
                        break;
                    case 1:
                        new RequestHeader(xid, OpCode.GetChildren2).Write(batch);
                        new PathWatchRequest("/z", false).Write(batch);
                        break;
                    case 2:
                        new RequestHeader(xid, OpCode.Sync).Write(batch);
                        new PathRecord("/z").Write(batch);
                        break;
                    default:
                        new RequestHeader(xid, OpCode.Delete).Write(batch);
                        new DeleteRequest("/z/missing", -1).Write(batch);
                        break;
                }

                batch.EndFrame(f);
            }

            await c.SendRawAsync(batch.ToArray());
            for (var i = 0; i < PerRound; i++)
            {
                var r = await c.ReadReplyAsync();
                Assert.False(r.IsNotification);
                Assert.Equal((round * 100) + i + 1, r.Xid);
                Assert.True(r.Zxid >= last, $"reply xid {r.Xid} carried zxid 0x{r.Zxid:x} after 0x{last:x}");
                last = r.Zxid;
            }
        }

        stop.Cancel();
        await writers.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
