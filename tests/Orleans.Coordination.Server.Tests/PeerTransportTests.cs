using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Coordination.Server.Quorum;

namespace Orleans.Coordination.Server.Tests;

/// <summary>Silo-to-silo messaging over real loopback sockets: delivery, batching, reconnects and membership.</summary>
public sealed class PeerTransportTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private sealed class Node(int id) : IAsyncDisposable
    {
        public int Id { get; } = id;

        public List<(int From, string Text)> Received { get; } = [];

        public PeerTransport? Transport { get; set; }

        public WebApplication? Host { get; set; }

        public void Deliver(int from, ReadOnlyMemory<byte> message)
        {
            lock (Received)
            {
                Received.Add((from, Encoding.UTF8.GetString(message.Span)));
            }
        }

        public List<(int From, string Text)> Snapshot()
        {
            lock (Received)
            {
                return [.. Received];
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Transport is not null)
            {
                await Transport.DisposeAsync();
            }

            if (Host is not null)
            {
                await Host.StopAsync();
                await Host.DisposeAsync();
            }
        }
    }

    private async Task<Node> StartAsync(int id, IReadOnlyList<PeerAddress> members, long cluster = 7)
    {
        var node = new Node(id);
        node.Transport = new PeerTransport(id, cluster, members, node.Deliver, NullLogger.Instance);
        await ListenAsync(node, members.Single(m => m.ServerId == id).QuorumPort);
        _disposables.Add(node);
        return node;
    }

    private static async Task ListenAsync(Node node, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Run(ctx => node.Transport!.AcceptAsync(ctx))));
        node.Host = builder.Build();
        await node.Host.StartAsync();
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Messages_arrive_in_order_from_each_peer()
    {
        var members = new[] { new PeerAddress(1, "127.0.0.1", FreePort()), new PeerAddress(2, "127.0.0.1", FreePort()), new PeerAddress(3, "127.0.0.1", FreePort()) };
        var a = await StartAsync(1, members);
        var b = await StartAsync(2, members);
        var c = await StartAsync(3, members);
        for (var i = 0; i < 2000; i++)
        {
            a.Transport!.Send(2, Encoding.UTF8.GetBytes($"a{i}"));
            c.Transport!.Send(2, Encoding.UTF8.GetBytes($"c{i}"));
        }

        await WaitForAsync(() => b.Snapshot().Count == 4000, "4000 messages");
        var got = b.Snapshot();
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => $"a{i}"), got.Where(m => m.From == 1).Select(m => m.Text));
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => $"c{i}"), got.Where(m => m.From == 3).Select(m => m.Text));
    }

    [Fact]
    public async Task Messages_queued_while_a_peer_is_down_are_delivered_once_it_comes_up()
    {
        var members = new[] { new PeerAddress(1, "127.0.0.1", FreePort()), new PeerAddress(2, "127.0.0.1", FreePort()) };
        var a = await StartAsync(1, members);
        a.Transport!.Send(2, "early"u8.ToArray());
        await Task.Delay(300);
        var b = await StartAsync(2, members);
        await WaitForAsync(() => b.Snapshot().Count == 1, "the queued message");
        Assert.Equal((1, "early"), b.Snapshot()[0]);

        // The receiver restarts on the same port: the sender reconnects and carries on.
        await b.Host!.StopAsync();
        await b.Host.DisposeAsync();
        b.Host = null;
        await ListenAsync(b, members[1].QuorumPort);
        await WaitForAsync(
            () =>
            {
                a.Transport.Send(2, "after"u8.ToArray());
                return b.Snapshot().Any(m => m.Text == "after");
            },
            "delivery after the receiver restarted");
    }

    [Fact]
    public async Task Connections_from_servers_outside_the_ensemble_are_refused()
    {
        var members = new[] { new PeerAddress(1, "127.0.0.1", FreePort()), new PeerAddress(2, "127.0.0.1", FreePort()) };
        var b = await StartAsync(2, members);

        // Server 9 is not a member; server 1 of another ensemble (other cluster id) is not either.
        var stranger = new PeerTransport(9, 7, [new PeerAddress(2, "127.0.0.1", members[1].QuorumPort)], (_, _) => { }, NullLogger.Instance);
        var otherCluster = new PeerTransport(1, 8, [new PeerAddress(2, "127.0.0.1", members[1].QuorumPort)], (_, _) => { }, NullLogger.Instance);
        _disposables.Add(stranger);
        _disposables.Add(otherCluster);
        stranger.Send(2, "from a stranger"u8.ToArray());
        otherCluster.Send(2, "from another ensemble"u8.ToArray());

        var member = await StartAsync(1, members);
        member.Transport!.Send(2, "from a member"u8.ToArray());
        await WaitForAsync(() => b.Snapshot().Any(m => m.Text == "from a member"), "the member's message");
        await Task.Delay(300);
        Assert.Equal([(1, "from a member")], b.Snapshot());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var d in _disposables)
        {
            await d.DisposeAsync();
        }
    }
}
